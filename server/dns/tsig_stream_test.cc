// Tests for dns/tsig_stream.h: multi-message signing and checking (RFC 8945
// §5.3.1) between our own signer and verifier, with unsigned runs, tampering,
// reordering and every refusal. Streams from dnspython and named are in
// tsig_vectors_test.cc.
#include "dns/tsig_stream.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dns/dns_test_support.h"
#include "dns/name.h"
#include "dns/tsig_wire.h"

namespace enumd::dns {
namespace {

using testing::Pkt;
using testing::U8;

constexpr uint64_t kNow = 1765000000;
const std::string kRequestMac(32, 'r');

TsigKey Key(TsigAlgorithm a = TsigAlgorithm::kHmacSha256) {
  return TsigKey{WireName("xfr.key."), a, "zone transfer secret"};
}

// Message i of an AXFR answer: one NAPTR-like TXT record named after i.
std::string Part(int i) {
  return Pkt()
      .Header(0x0A0B, 0x8400, 1, 1, 0, 0)
      .Name("e164.arpa.")
      .U16(type::kAXFR)
      .U16(rrclass::kIN)
      .Name("e164.arpa.")
      .U16(type::kTXT)
      .U16(rrclass::kIN)
      .U32(300)
      .U16(2)
      .CharStr(std::string(1, static_cast<char>('a' + i)))
      .Wire();
}

// Signs parts 0..n-1; part i is signed when sign[i] (the first must be).
std::vector<std::string> Stream(const TsigKey& k, const std::vector<bool>& sign,
                                uint64_t now = kNow) {
  TsigStreamSigner signer(k, kRequestMac);
  std::vector<std::string> out;
  for (size_t i = 0; i < sign.size(); ++i) {
    std::string m = Part(static_cast<int>(i));
    if (sign[i]) {
      REQUIRE(signer.Sign(now + i, &m));
      CHECK(signer.last_mac().size() == TsigDigestSize(k.algorithm));
    } else {
      REQUIRE(signer.Skip(U8(m), m.size()));
    }
    out.push_back(m);
  }
  return out;
}

std::vector<TsigOutcome> Check(const TsigKey& k, const std::vector<std::string>& msgs,
                               bool* complete = nullptr, uint64_t now = kNow,
                               const std::string& request_mac = kRequestMac) {
  TsigResponseVerifier v(k, request_mac);
  std::vector<TsigOutcome> out;
  for (const std::string& m : msgs) out.push_back(v.Verify(U8(m), m.size(), now).outcome);
  if (complete != nullptr) *complete = v.complete();
  return out;
}

constexpr TsigOutcome V = TsigOutcome::kVerified, U = TsigOutcome::kUnsigned,
                      F = TsigOutcome::kFormErr, S = TsigOutcome::kBadSig;

TEST_CASE("TsigStream: every message signed, every algorithm") {
  for (auto a :
       {TsigAlgorithm::kHmacMd5, TsigAlgorithm::kHmacSha1, TsigAlgorithm::kHmacSha224,
        TsigAlgorithm::kHmacSha256, TsigAlgorithm::kHmacSha384, TsigAlgorithm::kHmacSha512}) {
    const TsigKey k = Key(a);
    bool complete = false;
    CHECK(Check(k, Stream(k, {true, true, true, true}), &complete) ==
          std::vector<TsigOutcome>{V, V, V, V});
    CHECK(complete);
  }
}

TEST_CASE("TsigStream: later messages use the timers only, so they differ from single answers") {
  const TsigKey k = Key();
  const auto msgs = Stream(k, {true, true});
  // The second message alone, checked as the answer to the request, fails:
  // its MAC chains from the first message's.
  CHECK(Check(k, {msgs[1]}) == std::vector<TsigOutcome>{S});
}

TEST_CASE("TsigStream: unsigned messages in between are covered by the next MAC") {
  const TsigKey k = Key();
  const auto msgs = Stream(k, {true, false, false, true, false, true});
  bool complete = false;
  CHECK(Check(k, msgs, &complete) == std::vector<TsigOutcome>{V, U, U, V, U, V});
  CHECK(complete);
  SUBCASE("a stream that ends unsigned is not complete") {
    CHECK(Check(k, {msgs[0], msgs[1]}, &complete) == std::vector<TsigOutcome>{V, U});
    CHECK_FALSE(complete);
  }
  SUBCASE("a changed unsigned message fails the next signed one") {
    auto bad = msgs;
    bad[2][bad[2].size() - 1] ^= 1;
    CHECK(Check(k, bad) == std::vector<TsigOutcome>{V, U, U, S, F, F});
  }
  SUBCASE("a dropped unsigned message fails the next signed one") {
    CHECK(Check(k, {msgs[0], msgs[1], msgs[3]}) == std::vector<TsigOutcome>{V, U, S});
  }
  SUBCASE("swapped messages fail") {
    CHECK(Check(k, {msgs[0], msgs[3], msgs[1]}) == std::vector<TsigOutcome>{V, S, F});
  }
}

TEST_CASE("TsigStream: 99 unsigned messages in a row at most (RFC 8945 §5.3.1)") {
  const TsigKey k = Key();
  std::vector<bool> sign(101, false);
  sign[0] = true;
  sign[100] = true;
  const auto msgs = Stream(k, sign);  // 99 unsigned between two signed
  const auto got = Check(k, msgs);
  CHECK(got.front() == V);
  CHECK(got.back() == V);
  CHECK(std::count(got.begin(), got.end(), U) == 99);

  TsigStreamSigner signer(k, kRequestMac);
  std::string m = Part(0);
  CHECK_FALSE(signer.Skip(U8(m), m.size()));  // the first message must be signed
  REQUIRE(signer.Sign(kNow, &m));
  for (int i = 0; i < 99; ++i) REQUIRE(signer.Skip(U8(m), m.size()));
  CHECK_FALSE(signer.Skip(U8(m), m.size()));  // the 100th must be signed

  // The verifier refuses a 100th unsigned message, and an unsigned first.
  std::vector<std::string> long_run = {msgs[0]};
  for (int i = 0; i < 100; ++i) long_run.push_back(Part(1));
  const auto refused = Check(k, long_run);
  CHECK(refused[99] == U);
  CHECK(refused[100] == F);
  CHECK(Check(k, {Part(0), msgs[0]}) == std::vector<TsigOutcome>{F, F});
}

TEST_CASE("TsigStream: refusals end the stream") {
  const TsigKey k = Key();
  const auto msgs = Stream(k, {true, true, true});
  SUBCASE("another key name or algorithm") {
    TsigKey other = k;
    other.name = WireName("other.key.");
    CHECK(Check(other, msgs) == std::vector<TsigOutcome>{TsigOutcome::kBadKey, F, F});
    const TsigKey sha1 = Key(TsigAlgorithm::kHmacSha1);
    CHECK(Check(sha1, msgs).front() == TsigOutcome::kBadKey);
  }
  SUBCASE("another request MAC") {
    CHECK(Check(k, msgs, nullptr, kNow, std::string(32, 'x')) == std::vector<TsigOutcome>{S, F, F});
  }
  SUBCASE("a bad time on a later message") {
    TsigStreamSigner signer(k, kRequestMac);
    std::string first = Part(0), second = Part(1);
    REQUIRE(signer.Sign(kNow, &first));
    REQUIRE(signer.Sign(kNow + 301, &second));
    CHECK(Check(k, {first, second}) == std::vector<TsigOutcome>{V, TsigOutcome::kBadTime});
  }
  SUBCASE("a malformed message") {
    CHECK(Check(k, {msgs[0], msgs[1].substr(0, 20), msgs[2]}) == std::vector<TsigOutcome>{V, F, F});
  }
}

TEST_CASE("TsigResponseVerifier: peer errors and MAC sizes") {
  const TsigKey k = Key();
  const std::string part = Part(0);
  TsigRecord rec;
  rec.key_name = k.name;
  rec.algorithm = TsigAlgorithmWire(k.algorithm);
  rec.time_signed = kNow;
  rec.fudge = 300;
  rec.original_id = 0x0A0B;
  SUBCASE("an unsigned BADSIG or BADKEY from the server") {
    for (uint16_t error : {rcode::kBadSig, rcode::kBadKey}) {
      TsigRecord r = rec;
      r.error = error;
      std::string m = part;
      REQUIRE(AppendTsigRecord(r, &m));
      TsigResponseVerifier v(k, kRequestMac);
      const auto got = v.Verify(U8(m), m.size(), kNow);
      CHECK(got.outcome == TsigOutcome::kPeerError);
      CHECK(got.tsig.error == error);
      CHECK(got.key == nullptr);
    }
  }
  SUBCASE("an empty MAC without an error") {
    std::string m = part;
    REQUIRE(AppendTsigRecord(rec, &m));
    TsigResponseVerifier v(k, kRequestMac);
    CHECK(v.Verify(U8(m), m.size(), kNow).outcome == S);
  }
  SUBCASE("a truncated MAC: BADTRUNC; too short or too long: FORMERR") {
    for (auto [len, want] : {std::pair{size_t{16}, TsigOutcome::kBadTrunc},
                             std::pair{size_t{15}, F}, std::pair{size_t{33}, F}}) {
      TsigRecord r = rec;
      r.mac = ComputeTsigMac(k, &kRequestMac, U8(part), part.size(), false, r, false);
      r.mac.resize(len, 'x');
      std::string m = part;
      REQUIRE(AppendTsigRecord(r, &m));
      TsigResponseVerifier v(k, kRequestMac);
      CHECK(v.Verify(U8(m), m.size(), kNow).outcome == want);
    }
  }
}

}  // namespace
}  // namespace enumd::dns
