// Base64 decoding and encoding (RFC 4648 §4).
#include "common/base64.h"

#include <cstdint>

namespace enumd {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The 6-bit value of an alphabet character, or -1.
int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string out;
  uint32_t acc = 0;  // sextets of the current quantum
  int have = 0;      // sextets in acc
  int padding = 0;   // '=' seen so far; only more '=' and whitespace may follow
  for (char c : text) {
    if (IsSpace(c)) continue;
    if (c == '=') {
      // Padding completes a quantum of 2 or 3 characters (RFC 4648 §4).
      if (have + padding < 2 || have + padding >= 4) return std::nullopt;
      ++padding;
      continue;
    }
    const int v = Sextet(c);
    if (v < 0 || padding > 0) return std::nullopt;
    acc = acc << 6 | static_cast<uint32_t>(v);
    if (++have == 4) {
      out.push_back(static_cast<char>(acc >> 16));
      out.push_back(static_cast<char>(acc >> 8));
      out.push_back(static_cast<char>(acc));
      acc = 0;
      have = 0;
    }
  }
  if (have + padding != 0 && have + padding != 4) return std::nullopt;
  if (have == 2) out.push_back(static_cast<char>(acc >> 4));
  if (have == 3) {
    out.push_back(static_cast<char>(acc >> 10));
    out.push_back(static_cast<char>(acc >> 2));
  }
  return out;
}

std::string Base64Encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = uint32_t{static_cast<uint8_t>(data[i])} << 16 |
                       uint32_t{static_cast<uint8_t>(data[i + 1])} << 8 |
                       static_cast<uint8_t>(data[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = data.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{static_cast<uint8_t>(data[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<uint8_t>(data[i + 1])} << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace enumd
