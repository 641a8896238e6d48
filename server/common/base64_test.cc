// Tests for common/base64.h: the RFC 4648 §10 vectors both ways, whitespace,
// and every malformed shape refused.
#include "common/base64.h"

#include <doctest/doctest.h>

#include <string>

namespace enumd {
namespace {

TEST_CASE("Base64: RFC 4648 §10 test vectors, both ways") {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, coded] : vectors) {
    CAPTURE(plain);
    CHECK(Base64Encode(plain) == coded);
    const auto back = Base64Decode(coded);
    REQUIRE(back.has_value());
    CHECK(*back == plain);
  }
}

TEST_CASE("Base64: all byte values round-trip") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n = 0; n <= all.size(); n += 17) {
    const std::string part = all.substr(0, n);
    CHECK(Base64Decode(Base64Encode(part)) == part);
  }
}

TEST_CASE("Base64: whitespace is skipped anywhere, as in BIND's secrets") {
  CHECK(Base64Decode(" Zm9v\n YmFy\t") == std::optional<std::string>("foobar"));
  CHECK(Base64Decode("Zm9vYg= =") == std::optional<std::string>("foob"));
  CHECK(Base64Decode("   ") == std::optional<std::string>(""));
}

TEST_CASE("Base64: malformed input is refused") {
  for (const char* bad : {"Zm9", "Zm9vY", "Z===", "====", "=Zm9", "Zm=v",
                          "Zm9v=", "Zg==Zg==", "Zg=", "Zm9v!", "Zm9v-_", "Zm9\xc3\xa9"}) {
    CAPTURE(bad);
    CHECK_FALSE(Base64Decode(bad).has_value());
  }
}

TEST_CASE("Base64: leftover bits before the padding are ignored, as BIND does") {
  CHECK(Base64Decode("Zh==") == std::optional<std::string>("f"));
}

}  // namespace
}  // namespace enumd
