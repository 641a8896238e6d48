// Big-endian (network order) integers: loading from and storing to raw bytes,
// and appending to a std::string being built. The DNS wire format and the
// store's key and value formats all use them. Header-only, noexcept.
#pragma once

#include <cstdint>
#include <string>

namespace enumd {

inline uint16_t Load16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
inline uint32_t Load32(const uint8_t* p) noexcept {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint64_t Load64(const uint8_t* p) noexcept {
  return uint64_t{Load32(p)} << 32 | Load32(p + 4);
}
inline void Store16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Store32(uint8_t* p, uint32_t v) noexcept {
  Store16(p, static_cast<uint16_t>(v >> 16));
  Store16(p + 2, static_cast<uint16_t>(v));
}
inline void Append16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v));
}
inline void Append32(std::string* s, uint32_t v) {
  Append16(s, static_cast<uint16_t>(v >> 16));
  Append16(s, static_cast<uint16_t>(v));
}
inline void Append64(std::string* s, uint64_t v) {
  Append32(s, static_cast<uint32_t>(v >> 32));
  Append32(s, static_cast<uint32_t>(v));
}

}  // namespace enumd
