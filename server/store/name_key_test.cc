#include "store/name_key.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace enumd::store {
namespace {

// Wire form from dotted text (test helper; labels without escapes).
std::string W(const std::string& text) {
  std::string w;
  size_t start = 0;
  while (start < text.size()) {
    size_t dot = text.find('.', start);
    if (dot == std::string::npos) dot = text.size();
    w.push_back(static_cast<char>(dot - start));
    w.append(text, start, dot - start);
    start = dot + 1;
  }
  w.push_back('\0');
  return w;
}

std::string Key(const std::string& name, int origin_labels) {
  uint8_t out[kMaxNameKey];
  size_t n = NameToKey(reinterpret_cast<const uint8_t*>(W(name).data()), origin_labels, out);
  return std::string(reinterpret_cast<char*>(out), n);
}

}  // namespace

TEST_CASE("name keys: labels from the origin down, lower-cased, 0-terminated") {
  CHECK(Key("e164.arpa", 2).empty());
  CHECK(Key("1.1.9.E164.ARPA", 2) == std::string("9\0"
                                                 "1\0"
                                                 "1\0",
                                                 6));
  CHECK(Key("*.2.0.e164.arpa", 2) == std::string("0\0"
                                                 "2\0"
                                                 "*\0",
                                                 6));
  CHECK(KeyLabelCount(Key("1.1.9.e164.arpa", 2)) == 3);
  CHECK(KeyPrefixLength(Key("1.1.9.e164.arpa", 2), 2) == 4);
  CHECK(KeyIsWildcard(Key("*.2.0.e164.arpa", 2)));
  CHECK_FALSE(KeyIsWildcard(Key("a*.2.0.e164.arpa", 2)));
  CHECK_FALSE(KeyIsWildcard(Key("e164.arpa", 2)));
  CHECK(WildcardKey(Key("0.e164.arpa", 2)) == Key("*.0.e164.arpa", 2));
}

TEST_CASE("name keys: ancestors are prefixes and order is canonical (RFC 4034 6.1)") {
  // RFC 4034 §6.1's example, in canonical order, below origin "example".
  std::vector<std::string> names = {"example",     "a.example",      "yljkjljk.a.example",
                                    "Z.a.example", "zABC.a.EXAMPLE", "z.example",
                                    "*.z.example"};
  // "\001.z.example" and "\200.z.example" need escapes; check them bytewise below.
  std::vector<std::string> keys;
  for (auto& n : names) keys.push_back(Key(n, 1));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  // "*.z" sorts after "z" (its parent) as canonical order requires.
  CHECK(sorted == keys);
  CHECK(keys[2].rfind(keys[1], 0) == 0);

  // Labels holding 0x00 and 0x01 bytes keep order and round-trip.
  std::string w0 = std::string(
      "\x01\x00\x01z\x07"
      "example\x00",
      13);
  std::string w1 = std::string(
      "\x01\x01\x01z\x07"
      "example\x00",
      13);
  std::string w2 = std::string(
      "\x01\x02\x01z\x07"
      "example\x00",
      13);
  uint8_t k0[kMaxNameKey], k1[kMaxNameKey], k2[kMaxNameKey];
  size_t n0 = NameToKey(reinterpret_cast<const uint8_t*>(w0.data()), 1, k0);
  size_t n1 = NameToKey(reinterpret_cast<const uint8_t*>(w1.data()), 1, k1);
  size_t n2 = NameToKey(reinterpret_cast<const uint8_t*>(w2.data()), 1, k2);
  std::string s0((char*)k0, n0), s1((char*)k1, n1), s2((char*)k2, n2);
  CHECK(s0 < s1);
  CHECK(s1 < s2);
  uint8_t back[255];
  std::string origin = W("example");
  size_t bl = KeyToName(s1, reinterpret_cast<const uint8_t*>(origin.data()), origin.size(), back);
  CHECK(std::string(reinterpret_cast<char*>(back), bl) == w1);
}

TEST_CASE("name keys: KeyToName round-trips and rejects malformed keys") {
  std::string origin = W("e164.arpa");
  auto o = reinterpret_cast<const uint8_t*>(origin.data());
  uint8_t out[255];
  size_t n = KeyToName(Key("1.1.9.e164.arpa", 2), o, origin.size(), out);
  CHECK(std::string(reinterpret_cast<char*>(out), n) == W("1.1.9.e164.arpa"));
  CHECK(KeyToName("", o, origin.size(), out) == origin.size());
  CHECK(KeyToName(std::string("9", 1), o, origin.size(), out) == 0);           // no terminator
  CHECK(KeyToName(std::string("\0", 1), o, origin.size(), out) == 0);          // empty label
  CHECK(KeyToName(std::string("\x01\x05\0", 3), o, origin.size(), out) == 0);  // bad escape
  CHECK(KeyToName(std::string(64, 'a') + std::string(1, '\0'), o, origin.size(), out) == 0);
}

}  // namespace enumd::store
