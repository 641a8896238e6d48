// Tests for dns/hmac.h: the published HMAC test vectors (RFC 2104 for MD5,
// RFC 2202 for SHA-1, RFC 4231 test case 2 for SHA-2, key "Jefe"), MACs fed
// in pieces, and the constant-time comparison.
#include "dns/hmac.h"

#include <doctest/doctest.h>

#include <string>

#include "dns/dns_test_support.h"

namespace enumd::dns {
namespace {

using testing::ToHex;

std::string Mac(TsigAlgorithm a, std::string_view key, std::string_view data) {
  Hmac h;
  REQUIRE(h.Start(a, key));
  h.Update(data);
  return ToHex(h.Finish());
}

TEST_CASE("Hmac: published vectors for every TSIG algorithm") {
  const std::string_view data = "what do ya want for nothing?";
  CHECK(Mac(TsigAlgorithm::kHmacMd5, "Jefe", data) == "750c783e6ab0b503eaa86e310a5db738");
  CHECK(Mac(TsigAlgorithm::kHmacSha1, "Jefe", data) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  CHECK(Mac(TsigAlgorithm::kHmacSha224, "Jefe", data) ==
        "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44");
  CHECK(Mac(TsigAlgorithm::kHmacSha256, "Jefe", data) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(Mac(TsigAlgorithm::kHmacSha384, "Jefe", data) ==
        "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
        "8e2240ca5e69e2c78b3239ecfab21649");
  CHECK(Mac(TsigAlgorithm::kHmacSha512, "Jefe", data) ==
        "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
        "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST_CASE("Hmac: the output length is the digest size") {
  for (auto a :
       {TsigAlgorithm::kHmacMd5, TsigAlgorithm::kHmacSha1, TsigAlgorithm::kHmacSha224,
        TsigAlgorithm::kHmacSha256, TsigAlgorithm::kHmacSha384, TsigAlgorithm::kHmacSha512}) {
    CHECK(Mac(a, "k", "d").size() == 2 * TsigDigestSize(a));
  }
}

TEST_CASE("Hmac: an empty secret and empty data work (Python's hmac as reference)") {
  CHECK(Mac(TsigAlgorithm::kHmacSha256, "", "") ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("Hmac: data fed in pieces gives the same MAC, and Start restarts") {
  Hmac h;
  REQUIRE(h.Start(TsigAlgorithm::kHmacSha256, "Jefe"));
  h.Update("what do ");
  h.Update("", 0);
  h.Update("ya want for nothing?");
  const std::string once = Mac(TsigAlgorithm::kHmacSha256, "Jefe", "what do ya want for nothing?");
  CHECK(ToHex(h.Finish()) == once);
  CHECK(h.Finish().empty());  // finished: nothing until the next Start
  REQUIRE(h.Start(TsigAlgorithm::kHmacSha256, "Jefe"));
  h.Update16(0x7768);  // "wh"
  h.Update("at do ya want for nothing?");
  CHECK(ToHex(h.Finish()) == once);
}

TEST_CASE("Hmac: an unstarted object yields nothing") {
  Hmac h;
  h.Update("x");
  CHECK(h.Finish().empty());
}

TEST_CASE("ConstantTimeEqual") {
  CHECK(ConstantTimeEqual("abcd", "abcd", 4));
  CHECK_FALSE(ConstantTimeEqual("abcd", "abce", 4));
  CHECK(ConstantTimeEqual("abcd", "abce", 3));
  CHECK(ConstantTimeEqual("", "", 0));
}

}  // namespace
}  // namespace enumd::dns
