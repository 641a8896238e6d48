// Interop: TSIG-signed messages made by dnspython, nsupdate and named (BIND
// 9.18), generated once by testdata/make_tsig_vectors.py and checked in as
// hex with their key and signing time. enumd must verify each of them, and
// where the producer signs exactly as enumd does (same names, fudge, time),
// enumd's own signature of the same bytes must be identical to theirs.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/base64.h"
#include "common/byte_order.h"
#include "dns/dns_test_support.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/tsig_stream.h"
#include "dns/tsig_wire.h"
#include "dns/update_message.h"

namespace enumd::dns {
namespace {

using testing::FromHex;
using testing::U8;

struct TsigVector {
  const char* what;
  const char* kind;  // "request", "response" or "stream"
  const char* key;
  const char* algorithm;
  const char* secret;                 // base64
  uint64_t now;                       // when it was signed
  const char* request_mac;            // hex; responses and streams
  const char* expect;                 // "verified", "peer-badtime", "peer-badsig"
  std::vector<const char*> messages;  // hex
};

#include "dns/testdata/tsig_vectors.inc"

TsigKey KeyOf(const TsigVector& v) {
  auto secret = Base64Decode(v.secret);
  REQUIRE(secret.has_value());
  auto alg = TsigAlgorithmFromText(v.algorithm);
  REQUIRE(alg.has_value());
  auto key = MakeTsigKey(v.key, *alg, *secret);
  REQUIRE(key.ok());
  return key.value();
}

// The message without its TSIG RR, ARCOUNT one less: what the signer had
// before signing.
std::string Unsigned(const std::string& m) {
  TsigRecord t;
  size_t offset = 0;
  REQUIRE(FindTsig(U8(m), m.size(), &t, &offset) == TsigFind::kFound);
  std::string out = m.substr(0, offset);
  auto* p = reinterpret_cast<uint8_t*>(out.data());
  Store16(p + 10, static_cast<uint16_t>(Load16(p + 10) - 1));
  return out;
}

TsigRecord TsigOf(const std::string& m) {
  TsigRecord t;
  size_t offset = 0;
  REQUIRE(FindTsig(U8(m), m.size(), &t, &offset) == TsigFind::kFound);
  return t;
}

// The same message and TSIG, names compared case-insensitively: dnspython
// writes hmac-md5's name upper-case (HMAC-MD5.SIG-ALG.REG.INT.), we
// lower-case; the MAC covers the canonical (lower-case) form either way.
void CheckSameSigned(const std::string& ours, const std::string& theirs) {
  CHECK(testing::ToHex(Unsigned(ours)) == testing::ToHex(Unsigned(theirs)));
  const TsigRecord a = TsigOf(ours), b = TsigOf(theirs);
  CHECK(NameEqual(U8(a.key_name), U8(b.key_name)));
  CHECK(NameEqual(U8(a.algorithm), U8(b.algorithm)));
  CHECK(a.time_signed == b.time_signed);
  CHECK(a.fudge == b.fudge);
  CHECK(testing::ToHex(a.mac) == testing::ToHex(b.mac));
  CHECK(a.original_id == b.original_id);
  CHECK(a.error == b.error);
  CHECK(a.other == b.other);
}

// The vector's request checked with its key at its time; `ring` holds the key.
TsigVerification VerifiedRequest(const TsigVector& v, TsigKeyRing* ring) {
  REQUIRE(ring->Add(KeyOf(v)).ok());
  const std::string msg = FromHex(v.messages[0]);
  return VerifyRequest(U8(msg), msg.size(), *ring, v.now);
}

size_t Count(const char* kind) {
  size_t n = 0;
  for (const TsigVector& v : kTsigVectors) n += std::string(v.kind) == kind;
  return n;
}

TEST_CASE("TSIG vectors: the set covers requests, answers and streams from each peer") {
  CHECK(Count("request") == 8);   // dnspython x 6 algorithms, nsupdate x 2
  CHECK(Count("response") == 9);  // dnspython x 6, named x 3
  CHECK(Count("stream") == 2);    // dnspython, named
}

TEST_CASE("TSIG vectors: requests from dnspython and nsupdate verify") {
  for (const TsigVector& v : kTsigVectors) {
    if (std::string(v.kind) != "request") continue;
    CAPTURE(v.what);
    const TsigKey key = KeyOf(v);
    TsigKeyRing ring;
    const TsigVerification got = VerifiedRequest(v, &ring);
    const std::string msg = FromHex(v.messages[0]);
    CHECK(got.outcome == TsigOutcome::kVerified);
    CHECK(got.key == ring.Find(key.name));
    // Outside the fudge, or with another secret, it does not.
    CHECK(VerifyRequest(U8(msg), msg.size(), ring, v.now + 301).outcome == TsigOutcome::kBadTime);
    TsigKeyRing wrong;
    REQUIRE(wrong.Add(TsigKey{key.name, key.algorithm, key.secret + "x"}).ok());
    CHECK(VerifyRequest(U8(msg), msg.size(), wrong, v.now).outcome == TsigOutcome::kBadSig);

    // Our signature of the same bytes at the same time is theirs, byte for byte.
    std::string ours = Unsigned(msg);
    std::string mac;
    REQUIRE(SignRequest(key, v.now, &ours, &mac));
    CheckSameSigned(ours, msg);

    // The UPDATE parses, and the TSIG sits where VerifyRequest found it.
    UpdateMessage update;
    REQUIRE(ParseUpdate(U8(msg), msg.size(), &update) == ParseOutcome::kOk);
    CHECK(update.has_tsig);
    CHECK(update.tsig_offset == got.unsigned_length);
    CHECK(update.zone == WireName("e164.arpa."));
    CHECK(update.zone_rcode == rcode::kNoError);
    CHECK(update.prescan_rcode == rcode::kNoError);
    for (const UpdateRecord& p : update.prerequisites)
      CHECK(CheckPrerequisite(update, p) == rcode::kNoError);
  }
}

TEST_CASE("TSIG vectors: dnspython's UPDATE, every prerequisite and update kind") {
  const std::string msg = FromHex(kTsigVectors[0].messages[0]);
  UpdateMessage m;
  REQUIRE(ParseUpdate(U8(msg), msg.size(), &m) == ParseOutcome::kOk);
  CHECK(m.id == 0x5D1F);
  REQUIRE(m.prerequisites.size() == 5);
  CHECK(KindOfPrerequisite(m.prerequisites[0]) == PrerequisiteKind::kNameInUse);
  CHECK(KindOfPrerequisite(m.prerequisites[1]) == PrerequisiteKind::kRRsetExists);
  CHECK(KindOfPrerequisite(m.prerequisites[2]) == PrerequisiteKind::kNameNotInUse);
  CHECK(KindOfPrerequisite(m.prerequisites[3]) == PrerequisiteKind::kRRsetDoesNotExist);
  CHECK(KindOfPrerequisite(m.prerequisites[4]) == PrerequisiteKind::kRRsetEquals);
  CHECK(m.prerequisites[4].owner == WireName("e164.arpa."));
  CHECK(m.prerequisites[4].rdata == WireName("ns.e164.arpa."));  // decompressed
  REQUIRE(m.updates.size() == 5);
  CHECK(KindOfUpdate(m.updates[0]) == UpdateOp::kAdd);
  CHECK(m.updates[0].type == type::kNAPTR);
  CHECK(m.updates[0].ttl == 300);
  CHECK(m.updates[0].owner == WireName("5.1.9.0.0.5.5.5.3.1.6.e164.arpa."));
  CHECK(m.updates[1].type == type::kMX);
  CHECK(m.updates[1].rdata == std::string("\x00\x0a", 2) + WireName("mail.e164.arpa."));
  CHECK(KindOfUpdate(m.updates[2]) == UpdateOp::kDeleteRRset);
  CHECK(KindOfUpdate(m.updates[3]) == UpdateOp::kDeleteAllRRsets);
  CHECK(KindOfUpdate(m.updates[4]) == UpdateOp::kDeleteRR);
  CHECK(m.updates[4].rdata == WireName("x.e164.arpa."));
}

TEST_CASE("TSIG vectors: nsupdate's UPDATE") {
  for (const TsigVector& v : kTsigVectors) {
    if (std::string(v.what).rfind("nsupdate", 0) != 0) continue;
    CAPTURE(v.what);
    const std::string msg = FromHex(v.messages[0]);
    UpdateMessage m;
    REQUIRE(ParseUpdate(U8(msg), msg.size(), &m) == ParseOutcome::kOk);
    REQUIRE(m.prerequisites.size() == 2);
    CHECK(KindOfPrerequisite(m.prerequisites[0]) == PrerequisiteKind::kNameNotInUse);
    CHECK(KindOfPrerequisite(m.prerequisites[1]) == PrerequisiteKind::kRRsetExists);
    CHECK(m.prerequisites[1].type == type::kSOA);
    REQUIRE(m.updates.size() == 3);
    CHECK(m.updates[0].type == type::kNAPTR);
    CHECK(m.updates[0].owner == WireName("9.1.9.0.0.5.5.5.3.1.6.e164.arpa."));
    CHECK(m.updates[1].rdata == std::string("\x00\x0a", 2) + WireName("mail.e164.arpa."));
    CHECK(KindOfUpdate(m.updates[2]) == UpdateOp::kDeleteRRset);
  }
}

TEST_CASE("TSIG vectors: answers from dnspython and named verify as the client") {
  for (const TsigVector& v : kTsigVectors) {
    if (std::string(v.kind) != "response") continue;
    CAPTURE(v.what);
    const TsigKey key = KeyOf(v);
    const std::string request_mac = FromHex(v.request_mac);
    const std::string msg = FromHex(v.messages[0]);
    TsigResponseVerifier verifier(key, request_mac);
    const TsigVerification got = verifier.Verify(U8(msg), msg.size(), v.now);
    const std::string expect = v.expect;
    if (expect == "verified") {
      CHECK(got.outcome == TsigOutcome::kVerified);
      CHECK(verifier.complete());
      TsigResponseVerifier other_mac(key, std::string(request_mac.size(), '\0'));
      CHECK(other_mac.Verify(U8(msg), msg.size(), v.now).outcome == TsigOutcome::kBadSig);
    } else if (expect == "peer-badtime") {
      // Signed (MAC verified), with the client's time; the server's in Other Data.
      CHECK(got.outcome == TsigOutcome::kPeerError);
      CHECK(got.key != nullptr);
      CHECK(got.tsig.error == rcode::kBadTime);
      CHECK(got.tsig.time_signed == v.now);
      REQUIRE(got.tsig.other.size() == 6);
      const uint64_t server_time =
          uint64_t{Load16(U8(got.tsig.other))} << 32 | Load32(U8(got.tsig.other) + 2);
      CHECK(server_time >= v.now + 1000);
      CHECK(server_time <= v.now + 1010);
    } else {
      REQUIRE(expect == "peer-badsig");
      CHECK(got.outcome == TsigOutcome::kPeerError);
      CHECK(got.key == nullptr);
      CHECK(got.tsig.error == rcode::kBadSig);
      CHECK(got.tsig.mac.empty());
    }
  }
}

TEST_CASE("TSIG vectors: our signed answer to dnspython's request is dnspython's, byte for byte") {
  int compared = 0;
  for (size_t i = 0; i + 1 < std::size(kTsigVectors); ++i) {
    const TsigVector& req = kTsigVectors[i];
    const TsigVector& resp = kTsigVectors[i + 1];
    if (std::string(req.what).rfind("dnspython UPDATE", 0) != 0) continue;
    CAPTURE(resp.what);
    TsigKeyRing ring;
    const TsigVerification v = VerifiedRequest(req, &ring);
    REQUIRE(v.outcome == TsigOutcome::kVerified);
    CHECK(testing::ToHex(v.tsig.mac) == resp.request_mac);
    const std::string theirs = FromHex(resp.messages[0]);
    std::string ours = Unsigned(theirs);
    REQUIRE(SignResponse(v, resp.now, &ours));
    CheckSameSigned(ours, theirs);
    ++compared;
  }
  CHECK(compared == 6);
}

TEST_CASE("TSIG vectors: signed streams from dnspython and named (AXFR) verify") {
  for (const TsigVector& v : kTsigVectors) {
    if (std::string(v.kind) != "stream") continue;
    CAPTURE(v.what);
    const TsigKey key = KeyOf(v);
    REQUIRE(v.messages.size() >= 3);
    TsigResponseVerifier verifier(key, FromHex(v.request_mac));
    for (const char* hex : v.messages) {
      const std::string m = FromHex(hex);
      CHECK(verifier.Verify(U8(m), m.size(), v.now).outcome == TsigOutcome::kVerified);
    }
    CHECK(verifier.complete());

    // Our signer, fed the same messages at the times they carry, produces
    // the same MACs (named and dnspython both write the key name and the
    // algorithm uncompressed and fudge 300, as we do).
    TsigStreamSigner signer(key, FromHex(v.request_mac));
    for (const char* hex : v.messages) {
      const std::string theirs = FromHex(hex);
      std::string ours = Unsigned(theirs);
      REQUIRE(signer.Sign(TsigOf(theirs).time_signed, &ours));
      CheckSameSigned(ours, theirs);
    }

    // Dropping the middle message breaks the chain.
    TsigResponseVerifier gap(key, FromHex(v.request_mac));
    const std::string first = FromHex(v.messages[0]), third = FromHex(v.messages[2]);
    CHECK(gap.Verify(U8(first), first.size(), v.now).outcome == TsigOutcome::kVerified);
    CHECK(gap.Verify(U8(third), third.size(), v.now).outcome == TsigOutcome::kBadSig);
  }
}

}  // namespace
}  // namespace enumd::dns
