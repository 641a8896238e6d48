// Tests for common/hex.h.
#include "common/hex.h"

#include <doctest/doctest.h>

namespace enumd {
namespace {

TEST_CASE("Hex: both ways, every byte value") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string hex = HexEncode(all);
  CHECK(hex.substr(0, 8) == "00010203");
  CHECK(hex.substr(hex.size() - 4) == "feff");
  std::string back;
  REQUIRE(HexDecode(hex, &back));
  CHECK(back == all);
  REQUIRE(HexDecode("0A0b ff\n", &back));
  CHECK(back == "\x0a\x0b\xff");
  REQUIRE(HexDecode("", &back));
  CHECK(back.empty());
}

TEST_CASE("Hex: malformed input is refused") {
  std::string out;
  CHECK_FALSE(HexDecode("abc", &out));
  CHECK_FALSE(HexDecode("0g", &out));
  CHECK_FALSE(HexDecode("0x00", &out));
}

}  // namespace
}  // namespace enumd
