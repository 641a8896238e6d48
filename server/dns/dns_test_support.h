// Test support for server/dns: a small builder of DNS wire bytes, for
// hand-made (and deliberately broken) packets and RDATA. Tests only.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/hex.h"
#include "dns/constants.h"
#include "dns/name.h"

namespace enumd::dns::testing {

using Bytes = std::vector<uint8_t>;

// Bytes from hex ("0a0B" -> {0x0a, 0x0b}); whitespace is skipped.
inline std::string FromHex(std::string_view hex) {
  std::string bytes;
  REQUIRE(HexDecode(hex, &bytes));
  return bytes;
}

inline std::string ToHex(std::string_view bytes) { return HexEncode(bytes); }

inline const uint8_t* U8(const std::string& s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

struct Pkt {
  Bytes b;
  Pkt& U8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  Pkt& U16(uint16_t v) { return U8(static_cast<uint8_t>(v >> 8)).U8(static_cast<uint8_t>(v)); }
  Pkt& U32(uint32_t v) { return U16(static_cast<uint16_t>(v >> 16)).U16(static_cast<uint16_t>(v)); }
  Pkt& Raw(const Bytes& r) {
    b.insert(b.end(), r.begin(), r.end());
    return *this;
  }
  Pkt& Str(std::string_view s) {  // raw bytes, e.g. "\4mail"
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  // A name from its text form, uncompressed.
  Pkt& Name(const char* text) {
    const std::string w = WireName(text);
    REQUIRE(!w.empty());
    return Str(w);
  }
  // A <character-string>: length byte, then the bytes.
  Pkt& CharStr(std::string_view s) {
    U8(static_cast<uint8_t>(s.size()));
    return Str(s);
  }
  Pkt& Header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
    return U16(id).U16(flags).U16(qd).U16(an).U16(ns).U16(ar);
  }
  // A question: `name` NAPTR IN.
  Pkt& Question(const char* name = "1.2.3.e164.arpa.") { return Name(name).U16(35).U16(1); }
  // OPT: root owner, size, ttl, rdata.
  Pkt& Opt(uint16_t size, uint32_t ttl, const Bytes& rdata = {}) {
    U8(0).U16(type::kOPT).U16(size).U32(ttl).U16(static_cast<uint16_t>(rdata.size()));
    return Raw(rdata);
  }
  // An A record of 127.0.0.1.
  Pkt& A(const char* owner) { return Name(owner).U16(1).U16(1).U32(300).U16(4).U32(0x7F000001); }
  std::string Wire() const { return std::string(b.begin(), b.end()); }
  // Drops the last `n` bytes.
  Pkt& Cut(size_t n) {
    // erase, not resize(size - n): GCC 12 at -O1 with ASan sees resize's
    // fill of a wrapped size and fails -Werror=stringop-overflow.
    b.erase(b.end() - static_cast<std::ptrdiff_t>(std::min(n, b.size())), b.end());
    return *this;
  }
};

}  // namespace enumd::dns::testing
