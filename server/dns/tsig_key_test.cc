// Tests for dns/tsig_key.h: algorithm names both ways, digest sizes, and the
// key ring's case-insensitive lookup and duplicate refusal.
#include "dns/tsig_key.h"

#include <doctest/doctest.h>

#include "dns/dns_test_support.h"
#include "dns/name.h"

namespace enumd::dns {
namespace {

using testing::U8;

constexpr TsigAlgorithm kAll[] = {TsigAlgorithm::kHmacMd5,    TsigAlgorithm::kHmacSha1,
                                  TsigAlgorithm::kHmacSha224, TsigAlgorithm::kHmacSha256,
                                  TsigAlgorithm::kHmacSha384, TsigAlgorithm::kHmacSha512};

TEST_CASE("TsigAlgorithm: RFC 8945 table 3 names and digest sizes") {
  CHECK(TsigAlgorithmText(TsigAlgorithm::kHmacMd5) == "hmac-md5.sig-alg.reg.int.");
  CHECK(TsigAlgorithmText(TsigAlgorithm::kHmacSha1) == "hmac-sha1.");
  CHECK(TsigAlgorithmText(TsigAlgorithm::kHmacSha224) == "hmac-sha224.");
  CHECK(TsigAlgorithmText(TsigAlgorithm::kHmacSha256) == "hmac-sha256.");
  CHECK(TsigAlgorithmText(TsigAlgorithm::kHmacSha384) == "hmac-sha384.");
  CHECK(TsigAlgorithmText(TsigAlgorithm::kHmacSha512) == "hmac-sha512.");
  CHECK(TsigDigestSize(TsigAlgorithm::kHmacMd5) == 16);
  CHECK(TsigDigestSize(TsigAlgorithm::kHmacSha1) == 20);
  CHECK(TsigDigestSize(TsigAlgorithm::kHmacSha224) == 28);
  CHECK(TsigDigestSize(TsigAlgorithm::kHmacSha256) == 32);
  CHECK(TsigDigestSize(TsigAlgorithm::kHmacSha384) == 48);
  CHECK(TsigDigestSize(TsigAlgorithm::kHmacSha512) == 64);
}

TEST_CASE("TsigAlgorithm: text and wire round trips, any case") {
  for (TsigAlgorithm a : kAll) {
    const std::string text(TsigAlgorithmText(a));
    CAPTURE(text);
    CHECK(TsigAlgorithmFromText(text) == a);
    CHECK(TsigAlgorithmFromText(text.substr(0, text.size() - 1)) == a);  // no final dot
    const std::string wire = TsigAlgorithmWire(a);
    CHECK(wire == WireName(text));
    CHECK(TsigAlgorithmFromWire(U8(wire)) == a);
    std::string upper = wire;
    for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    CHECK(TsigAlgorithmFromWire(U8(upper)) == a);
  }
  CHECK(TsigAlgorithmFromText("HMAC-SHA256") == TsigAlgorithm::kHmacSha256);
  CHECK(TsigAlgorithmFromText("hmac-md5") == TsigAlgorithm::kHmacMd5);  // BIND's short form
  CHECK(TsigAlgorithmFromText("hmac-md5.") == TsigAlgorithm::kHmacMd5);
}

TEST_CASE("TsigAlgorithm: unknown names") {
  for (const char* t :
       {"", ".", "hmac-sha", "hmac-sha256.example.", "hmac-sha256-128", "gss-tsig", "sha256"}) {
    CAPTURE(t);
    CHECK_FALSE(TsigAlgorithmFromText(t).has_value());
  }
  // On the wire hmac-md5 must be written in full (RFC 8945 table 3).
  CHECK_FALSE(TsigAlgorithmFromWire(U8(WireName("hmac-md5."))).has_value());
  CHECK_FALSE(TsigAlgorithmFromWire(U8(WireName("gss-tsig."))).has_value());
  CHECK_FALSE(TsigAlgorithmFromWire(U8(WireName("."))).has_value());
}

TEST_CASE("MakeTsigKey lower-cases the name and refuses bad ones") {
  auto k = MakeTsigKey("Upd.KEY", TsigAlgorithm::kHmacSha1, "s");
  REQUIRE(k.ok());
  CHECK(k->name == WireName("upd.key."));
  CHECK(k->algorithm == TsigAlgorithm::kHmacSha1);
  CHECK(k->secret == "s");
  CHECK_FALSE(MakeTsigKey("a..b", TsigAlgorithm::kHmacSha1, "s").ok());
  CHECK_FALSE(MakeTsigKey("", TsigAlgorithm::kHmacSha1, "s").ok());
}

TEST_CASE("TsigKeyRing: lookup is case-insensitive; duplicates and bad names refused") {
  TsigKeyRing ring;
  CHECK(ring.empty());
  REQUIRE(ring.Add(TsigKey{WireName("Upd.Key."), TsigAlgorithm::kHmacSha256, "one"}).ok());
  REQUIRE(ring.Add(TsigKey{WireName("other."), TsigAlgorithm::kHmacSha512, "two"}).ok());
  CHECK(ring.size() == 2);
  const TsigKey* k = ring.Find(U8(WireName("UPD.key.")));
  REQUIRE(k != nullptr);
  CHECK(k->secret == "one");
  CHECK(k->name == WireName("upd.key."));  // stored lower-case
  CHECK(ring.Find(WireName("upd.key.")) == k);
  CHECK(ring.Find(U8(WireName("upd."))) == nullptr);
  CHECK(ring.Find(U8(WireName("key."))) == nullptr);
  CHECK(ring.Find(std::string_view()) == nullptr);
  CHECK(ring.Find(std::string_view("\x03upd", 4)) == nullptr);  // not a whole name

  const Status dup = ring.Add(TsigKey{WireName("UPD.KEY."), TsigAlgorithm::kHmacSha1, "x"});
  CHECK_FALSE(dup.ok());
  CHECK(dup.message() == "duplicate key upd.key.");
  CHECK(ring.Find(WireName("upd.key."))->secret == "one");  // unchanged
  CHECK_FALSE(ring.Add(TsigKey{"\x03"
                               "abc",
                               TsigAlgorithm::kHmacSha1, "x"})
                  .ok());
  CHECK_FALSE(ring.Add(TsigKey{"", TsigAlgorithm::kHmacSha1, "x"}).ok());
  CHECK(ring.size() == 2);
}

}  // namespace
}  // namespace enumd::dns
