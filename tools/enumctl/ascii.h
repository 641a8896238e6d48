// ASCII helpers for the text fields of NAPTR records (flags, services), which
// RFC 3403 and RFC 3958 compare case-insensitively.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "dns/name.h"

namespace enumd::enumctl {

inline char LowerChar(char c) {
  return static_cast<char>(dns::LowerAscii(static_cast<uint8_t>(c)));
}

inline std::string LowerCopy(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerChar(c);
  return out;
}

inline bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return LowerChar(x) == LowerChar(y);
         });
}

inline bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
using dns::IsDigit;
inline bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }

}  // namespace enumd::enumctl
