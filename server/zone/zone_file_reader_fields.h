// Field-level syntax of master files (RFC 1035 §5.1 and BIND's extensions)
// for ZoneFileReader: numbers, TTLs, escapes, domain names and
// <character-string>s from presentation text to wire, and the length of a wire
// name. Private to zone_file_reader*.cc; everything here is allocation-free
// except the Append* functions, which append to a caller-owned string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/constants.h"
#include "dns/name.h"

namespace enumd::zone::fields {

inline constexpr uint64_t kMaxTtl = 2147483647;  // RFC 2181 §8
inline constexpr uint64_t kMaxU16 = 65535;
inline constexpr uint64_t kMaxU32 = 4294967295;

inline constexpr const char* kNoOrigin =
    "no origin (give one, or start the file with $ORIGIN or an SOA with an absolute owner)";

using dns::IsDigit;
inline char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Case-insensitive compare of `s` with an upper-case literal.
inline bool EqualsUpper(std::string_view s, std::string_view upper) {
  if (s.size() != upper.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (Upper(s[i]) != upper[i]) return false;
  }
  return true;
}

enum class Num { kOk, kSyntax, kRange };

// Plain decimal, digits only (no sign, no spaces), value <= max.
Num ParseDecimal(std::string_view s, uint64_t max, uint64_t* out);

// BIND TTL syntax: all digits, or one or more <digits><unit> with unit one of
// w d h m s (any case): "3600", "1h", "1w2d", "1H30M". "1h30" is an error, as
// in BIND.
Num ParseTtlText(std::string_view s, uint64_t max, uint64_t* out);

// Length of a presentation escape starting at s[i] == '\\' (RFC 1035 §5.1):
// 4 for \DDD (three digits, value <= 255), 2 for \X with X not a digit, 0 when
// malformed (a digit not followed by two more, a value over 255, nothing or a
// line end after the backslash).
inline size_t EscapeLength(const char* s, size_t i, size_t n) {
  if (i + 1 >= n) return 0;
  char c = s[i + 1];
  if (IsDigit(c)) {
    if (i + 3 >= n || !IsDigit(s[i + 2]) || !IsDigit(s[i + 3])) return 0;
    int v = (c - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
    return v <= 255 ? 4 : 0;
  }
  if (c == '\n' || c == '\r' || c == '\0') return 0;
  return 2;
}

// Decodes the escape at s[i] (EscapeLength() must be non-zero); returns the byte.
inline uint8_t EscapeValue(const char* s, size_t i) {
  if (IsDigit(s[i + 1])) {
    return static_cast<uint8_t>((s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0'));
  }
  return static_cast<uint8_t>(s[i + 1]);
}

// Whether presentation name `s` ends with an unescaped dot.
bool IsAbsoluteText(std::string_view s);

// Presentation name -> uncompressed wire at out (room for dns::kMaxNameWire).
// "@" is the origin, relative names are completed with `origin` (wire; empty
// means unknown). Case is kept. Returns nullptr, or the reason it is invalid.
const char* ParseName(std::string_view text, std::string_view origin, uint8_t* out,
                      size_t* out_len);

// <character-string> token (escapes checked by the tokenizer) -> length byte +
// bytes. False when longer than 255 octets (ldns then reports it).
bool AppendCharString(std::string_view raw, std::string* out);

// Appends the wire form of name `text` (see ParseName); false when invalid.
bool AppendName(std::string_view text, const std::string& origin, std::string* out);

inline void AppendU16(uint64_t v, std::string* out) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

// Length of the uncompressed wire name at p, or 0 when it is malformed or does
// not end within n bytes.
size_t WireNameLength(const uint8_t* p, size_t n);

}  // namespace enumd::zone::fields
