// Hexadecimal text for bytes: how tests, test tools and logs show DNS
// messages and MACs. Header-only; allocates its result.
#pragma once

#include <string>
#include <string_view>

namespace enumd {

// Lower-case hex, two digits per byte.
inline std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    out += kDigits[static_cast<unsigned char>(c) >> 4];
    out += kDigits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

// Bytes from hex digits of either case into *out; whitespace between digits
// is skipped. False (*out unspecified) for any other character or an odd
// number of digits. (No std::optional here: ldns's headers, which tests
// include first, break <optional> under g++ 12.)
inline bool HexDecode(std::string_view hex, std::string* out) {
  out->clear();
  int have = 0, acc = 0;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      continue;
    } else {
      return false;
    }
    acc = acc << 4 | v;
    if (++have == 2) {
      out->push_back(static_cast<char>(acc));
      have = acc = 0;
    }
  }
  return have == 0;
}

}  // namespace enumd
