// Tests for dns/tsig.h and dns/tsig_wire.h: every outcome of VerifyRequest,
// the TSIG RR SignResponse writes for each, and the TSIG RR's placement and
// format rules. The MAC computation itself is checked against other
// implementations in tsig_vectors_test.cc; these tests check the rules.
#include "dns/tsig.h"

#include <doctest/doctest.h>

#include <string>

#include "common/byte_order.h"
#include "dns/dns_test_support.h"
#include "dns/name.h"
#include "dns/tsig_stream.h"
#include "dns/tsig_wire.h"

namespace enumd::dns {
namespace {

using testing::Pkt;
using testing::U8;

constexpr uint64_t kNow = 1765000000;

TsigKey Key(TsigAlgorithm a = TsigAlgorithm::kHmacSha256, const char* name = "upd.key.") {
  return TsigKey{WireName(name), a, "0123456789abcdef0123456789abcdef"};
}

TsigKeyRing Ring(const TsigKey& k) {
  TsigKeyRing r;
  REQUIRE(r.Add(k).ok());
  return r;
}

// An UPDATE-shaped message: zone e164.arpa., one A record to add.
std::string Message(uint16_t id = 0x4242) {
  return Pkt()
      .Header(id, 5 << 11, 1, 0, 1, 0)
      .Name("e164.arpa.")
      .U16(type::kSOA)
      .U16(rrclass::kIN)
      .A("a.e164.arpa.")
      .Wire();
}

// The fields SignRequest would use, for hand-made variations.
TsigRecord Fields(const TsigKey& k, const std::string& msg, uint64_t t = kNow) {
  TsigRecord r;
  r.key_name = k.name;
  r.algorithm = TsigAlgorithmWire(k.algorithm);
  r.time_signed = t;
  r.fudge = kTsigDefaultFudge;
  r.original_id = Load16(U8(msg));
  return r;
}

// `msg` with a TSIG RR made from `rec`, its MAC computed with `k` over the
// message and rec (then cut to `mac_len` octets if given).
std::string SignedWith(const TsigKey& k, std::string msg, TsigRecord rec, size_t mac_len = 0) {
  rec.mac = ComputeTsigMac(k, nullptr, U8(msg), msg.size(), false, rec, false);
  if (mac_len != 0) rec.mac.resize(mac_len);
  REQUIRE(AppendTsigRecord(rec, &msg));
  return msg;
}

TsigVerification Verify(const std::string& msg, const TsigKeyRing& ring, uint64_t now = kNow) {
  return VerifyRequest(U8(msg), msg.size(), ring, now);
}

TEST_CASE("VerifyRequest: an unsigned message") {
  const std::string msg = Message();
  const auto v = Verify(msg, Ring(Key()));
  CHECK(v.outcome == TsigOutcome::kUnsigned);
  CHECK(v.rcode == rcode::kNoError);
  CHECK_FALSE(v.has_tsig);
  CHECK(v.unsigned_length == msg.size());
  CHECK(v.key == nullptr);
}

TEST_CASE("VerifyRequest: SignRequest's signature verifies, for every algorithm") {
  for (auto a :
       {TsigAlgorithm::kHmacMd5, TsigAlgorithm::kHmacSha1, TsigAlgorithm::kHmacSha224,
        TsigAlgorithm::kHmacSha256, TsigAlgorithm::kHmacSha384, TsigAlgorithm::kHmacSha512}) {
    CAPTURE(TsigAlgorithmText(a));
    const TsigKey k = Key(a);
    const TsigKeyRing ring = Ring(k);
    std::string msg = Message();
    const size_t before = msg.size();
    std::string mac;
    REQUIRE(SignRequest(k, kNow, &msg, &mac));
    CHECK(msg.size() == before + TsigRecordSize(k));
    CHECK(Load16(U8(msg) + 10) == 1);  // ARCOUNT
    CHECK(mac.size() == TsigDigestSize(a));
    const auto v = Verify(msg, ring);
    CHECK(v.outcome == TsigOutcome::kVerified);
    CHECK(v.rcode == rcode::kNoError);
    CHECK(v.error == 0);
    CHECK(v.has_tsig);
    CHECK(v.key == ring.Find(k.name));
    CHECK(v.unsigned_length == before);
    CHECK(v.tsig.mac == mac);
    CHECK(v.tsig.time_signed == kNow);
    CHECK(v.tsig.fudge == 300);
    CHECK(v.tsig.original_id == 0x4242);
    CHECK(v.tsig.key_name == k.name);
    CHECK(v.tsig.algorithm == TsigAlgorithmWire(a));
  }
}

TEST_CASE("VerifyRequest: names compare case-insensitively; the MAC uses them lower-cased") {
  const TsigKey k = Key();
  std::string msg = Message();
  TsigRecord rec = Fields(k, msg);
  rec.key_name = WireName("UPD.Key.");
  rec.algorithm = WireName("HMAC-SHA256.");
  const auto v = Verify(SignedWith(k, msg, rec), Ring(k));
  CHECK(v.outcome == TsigOutcome::kVerified);
  CHECK(v.tsig.key_name == WireName("UPD.Key."));  // as received
}

TEST_CASE("VerifyRequest: §5.2.1 BADKEY") {
  const TsigKey k = Key();
  const std::string msg = Message();
  SUBCASE("unknown key name") {
    const TsigKey other = Key(TsigAlgorithm::kHmacSha256, "other.key.");
    const auto v = Verify(SignedWith(other, msg, Fields(other, msg)), Ring(k));
    CHECK(v.outcome == TsigOutcome::kBadKey);
    CHECK(v.rcode == rcode::kNotAuth);
    CHECK(v.error == rcode::kBadKey);
    CHECK(v.has_tsig);
    CHECK(v.key == nullptr);
  }
  SUBCASE("known key, other algorithm") {
    const TsigKey sha512 = Key(TsigAlgorithm::kHmacSha512);
    const auto v = Verify(SignedWith(sha512, msg, Fields(sha512, msg)), Ring(k));
    CHECK(v.outcome == TsigOutcome::kBadKey);
    CHECK(v.error == rcode::kBadKey);
  }
  SUBCASE("unknown algorithm") {
    TsigRecord rec = Fields(k, msg);
    rec.algorithm = WireName("hmac-sha3-256.");
    const auto v = Verify(SignedWith(k, msg, rec), Ring(k));
    CHECK(v.outcome == TsigOutcome::kBadKey);
  }
}

TEST_CASE("VerifyRequest: §5.2.2 BADSIG") {
  const TsigKey k = Key();
  const TsigKeyRing ring = Ring(k);
  const std::string msg = Message();
  const std::string good = SignedWith(k, msg, Fields(k, msg));
  SUBCASE("a changed byte in the message") {
    std::string bad = good;
    bad[msg.size() - 1] ^= 1;  // the A record's last address byte
    const auto v = Verify(bad, ring);
    CHECK(v.outcome == TsigOutcome::kBadSig);
    CHECK(v.rcode == rcode::kNotAuth);
    CHECK(v.error == rcode::kBadSig);
    CHECK(v.key == nullptr);
  }
  SUBCASE("another secret") {
    TsigKey other = k;
    other.secret = "another secret";
    CHECK(Verify(SignedWith(other, msg, Fields(other, msg)), ring).outcome == TsigOutcome::kBadSig);
  }
  SUBCASE("a changed Time Signed, Fudge or Other Data") {
    TsigRecord rec = Fields(k, msg);
    rec.mac = ComputeTsigMac(k, nullptr, U8(msg), msg.size(), false, rec, false);
    for (int field = 0; field < 3; ++field) {
      TsigRecord changed = rec;
      if (field == 0) changed.time_signed += 1;
      if (field == 1) changed.fudge += 1;
      if (field == 2) changed.other = "x";
      std::string m = msg;
      REQUIRE(AppendTsigRecord(changed, &m));
      CHECK(Verify(m, ring).outcome == TsigOutcome::kBadSig);
    }
  }
  SUBCASE("an empty MAC is BADSIG, as BIND answers") {
    std::string m = msg;
    REQUIRE(AppendTsigRecord(Fields(k, msg), &m));
    const auto v = Verify(m, ring);
    CHECK(v.outcome == TsigOutcome::kBadSig);
    CHECK(v.rcode == rcode::kNotAuth);
  }
  SUBCASE("a bad MAC is reported before a bad time") {
    std::string bad = SignedWith(k, msg, Fields(k, msg, kNow - 1000));
    bad[msg.size() - 1] ^= 1;
    CHECK(Verify(bad, ring).outcome == TsigOutcome::kBadSig);
  }
}

TEST_CASE("VerifyRequest: the MAC covers the original ID, not the header's") {
  // A forwarded request may carry a new ID; the TSIG keeps the original.
  const TsigKey k = Key();
  std::string m = SignedWith(k, Message(0x1111), Fields(k, Message(0x1111)));
  Store16(reinterpret_cast<uint8_t*>(m.data()), 0x2222);
  const auto v = Verify(m, Ring(k));
  CHECK(v.outcome == TsigOutcome::kVerified);
  CHECK(v.tsig.original_id == 0x1111);
}

TEST_CASE("VerifyRequest: the Error field and Other Data of a request (MAC-covered) are accepted") {
  const TsigKey k = Key();
  const std::string msg = Message();
  TsigRecord rec = Fields(k, msg);
  rec.error = rcode::kBadTime;
  rec.other = std::string("\x00\x00\x69\x35\x37\x00", 6);
  CHECK(Verify(SignedWith(k, msg, rec), Ring(k)).outcome == TsigOutcome::kVerified);
}

TEST_CASE("VerifyRequest: §5.2.3 BADTIME, at the fudge's edges") {
  const TsigKey k = Key();
  const TsigKeyRing ring = Ring(k);
  const std::string msg = Message();
  const std::string m = SignedWith(k, msg, Fields(k, msg));
  CHECK(Verify(m, ring, kNow + 300).outcome == TsigOutcome::kVerified);
  CHECK(Verify(m, ring, kNow - 300).outcome == TsigOutcome::kVerified);
  for (uint64_t now : {kNow + 301, kNow - 301, uint64_t{0}, ~uint64_t{0}}) {
    CAPTURE(now);
    const auto v = Verify(m, ring, now);
    CHECK(v.outcome == TsigOutcome::kBadTime);
    CHECK(v.rcode == rcode::kNotAuth);
    CHECK(v.error == rcode::kBadTime);
    CHECK(v.key == ring.Find(k.name));  // the MAC verified: the answer is signed
  }
  TsigRecord zero = Fields(k, msg);
  zero.fudge = 0;
  const std::string exact = SignedWith(k, msg, zero);
  CHECK(Verify(exact, ring, kNow).outcome == TsigOutcome::kVerified);
  CHECK(Verify(exact, ring, kNow + 1).outcome == TsigOutcome::kBadTime);
  // The largest 48-bit time.
  const std::string late = SignedWith(k, msg, Fields(k, msg, 0xFFFFFFFFFFFF));
  CHECK(Verify(late, ring, 0xFFFFFFFFFFFF).outcome == TsigOutcome::kVerified);
}

TEST_CASE("VerifyRequest: §5.2.2.1 MAC sizes") {
  const std::string msg = Message();
  struct Case {
    TsigAlgorithm algorithm;
    size_t mac_len;  // 0: whole
    TsigOutcome outcome;
  };
  const Case cases[] = {
      {TsigAlgorithm::kHmacSha256, 16, TsigOutcome::kBadTrunc},  // half: allowed, policy says no
      {TsigAlgorithm::kHmacSha256, 31, TsigOutcome::kBadTrunc},
      {TsigAlgorithm::kHmacSha256, 15, TsigOutcome::kFormErr},  // below half
      {TsigAlgorithm::kHmacSha256, 1, TsigOutcome::kFormErr},
      {TsigAlgorithm::kHmacMd5, 10, TsigOutcome::kBadTrunc},  // 10 octets beats half of 16
      {TsigAlgorithm::kHmacMd5, 9, TsigOutcome::kFormErr},
      {TsigAlgorithm::kHmacSha1, 10, TsigOutcome::kBadTrunc},
      {TsigAlgorithm::kHmacSha224, 13, TsigOutcome::kFormErr},
      {TsigAlgorithm::kHmacSha224, 14, TsigOutcome::kBadTrunc},
      {TsigAlgorithm::kHmacSha512, 31, TsigOutcome::kFormErr},
      {TsigAlgorithm::kHmacSha512, 32, TsigOutcome::kBadTrunc},
  };
  for (const Case& c : cases) {
    CAPTURE(TsigAlgorithmText(c.algorithm));
    CAPTURE(c.mac_len);
    const TsigKey k = Key(c.algorithm);
    const auto v = Verify(SignedWith(k, msg, Fields(k, msg), c.mac_len), Ring(k));
    CHECK(v.outcome == c.outcome);
    if (c.outcome == TsigOutcome::kFormErr) {
      CHECK(v.rcode == rcode::kFormErr);
      CHECK(v.error == rcode::kBadSig);  // BIND's FORMERR carries an unsigned BADSIG TSIG
      CHECK(v.has_tsig);
    } else {
      CHECK(v.rcode == rcode::kNotAuth);
      CHECK(v.error == rcode::kBadTrunc);
      CHECK(v.key != nullptr);
    }
  }
  SUBCASE("longer than the digest") {
    const TsigKey k = Key();
    TsigRecord rec = Fields(k, msg);
    rec.mac = std::string(33, 'x');
    std::string m = msg;
    REQUIRE(AppendTsigRecord(rec, &m));
    CHECK(Verify(m, Ring(k)).outcome == TsigOutcome::kFormErr);
  }
  SUBCASE("a truncated MAC that does not match is BADSIG") {
    const TsigKey k = Key();
    std::string m = SignedWith(k, msg, Fields(k, msg), 16);
    m[m.size() - 7] ^= 1;  // the MAC's last byte (then original ID, error, other len)
    CHECK(Verify(m, Ring(k)).outcome == TsigOutcome::kBadSig);
  }
  SUBCASE("a truncated MAC with a bad time is BADTIME (time before truncation)") {
    const TsigKey k = Key();
    CHECK(Verify(SignedWith(k, msg, Fields(k, msg), 16), Ring(k), kNow + 1000).outcome ==
          TsigOutcome::kBadTime);
  }
}

// --- placement and format (FindTsig) -----------------------------------------

std::string TsigRR(const TsigKey& k, const std::string& msg) {
  std::string m = msg;
  TsigRecord rec = Fields(k, msg);
  rec.mac = std::string(32, 'm');
  REQUIRE(AppendTsigRecord(rec, &m));
  return m.substr(msg.size());
}

TEST_CASE("VerifyRequest: misplaced, repeated or uninterpretable TSIG RRs are FORMERR") {
  const TsigKey k = Key();
  const TsigKeyRing ring = Ring(k);
  const std::string msg = Message();
  const std::string good = SignedWith(k, msg, Fields(k, msg));
  const std::string rr = TsigRR(k, msg);
  // Offsets inside the TSIG RR: owner (9), type (2), class, TTL, RDLENGTH.
  const size_t at = msg.size(), klen = k.name.size();
  auto with_counts = [](std::string m, int an, int ns, int ar) {
    auto* p = reinterpret_cast<uint8_t*>(m.data());
    Store16(p + 6, static_cast<uint16_t>(an));
    Store16(p + 8, static_cast<uint16_t>(ns));
    Store16(p + 10, static_cast<uint16_t>(ar));
    return m;
  };
  struct Case {
    const char* what;
    std::string msg;
  };
  std::string class_in = good, ttl = good, rdlen_long = good, alg_ptr = msg;
  class_in[at + klen + 3] = 1;
  ttl[at + klen + 7] = 1;
  rdlen_long[at + klen + 9] += 1;
  rdlen_long += '\0';
  {
    // The algorithm name as a pointer to "e164.arpa." (RFC 8945 §4.2: MUST
    // NOT be compressed).
    std::string rdata = "\xc0\x0c";
    rdata += rr.substr(klen + 10 + TsigAlgorithmWire(k.algorithm).size());
    alg_ptr += k.name + std::string("\x00\xfa\x00\xff\x00\x00\x00\x00", 8);
    alg_ptr += static_cast<char>(rdata.size() >> 8);
    alg_ptr += static_cast<char>(rdata.size());
    alg_ptr += rdata;
    alg_ptr = with_counts(alg_ptr, 0, 1, 1);
  }
  const Case cases[] = {
      {"TSIG then another additional record",
       with_counts(good + Pkt().A("x.example.").Wire(), 0, 1, 2)},
      {"two TSIG RRs", with_counts(good + rr, 0, 1, 2)},
      {"TSIG in the authority (update) section", with_counts(msg + rr, 0, 2, 0)},
      {"TSIG in the answer (prerequisite) section", with_counts(msg + rr, 1, 1, 0)},
      {"class IN", class_in},
      {"TTL 1", ttl},
      {"RDLENGTH one more than the fields", rdlen_long},
      {"compressed algorithm name", alg_ptr},
      {"a byte after the TSIG", good + std::string(1, '\0')},
      {"the TSIG cut short", good.substr(0, good.size() - 1)},
      {"ARCOUNT counts the TSIG but it is missing", with_counts(msg, 0, 1, 1)},
      {"a header alone, counts lying", with_counts(msg.substr(0, 12), 3, 3, 3)},
      {"shorter than a header", msg.substr(0, 11)},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const auto v = Verify(c.msg, ring);
    CHECK(v.outcome == TsigOutcome::kFormErr);
    CHECK(v.rcode == rcode::kFormErr);
    CHECK_FALSE(v.has_tsig);
    CHECK(v.unsigned_length == c.msg.size());
  }
}

TEST_CASE("FindTsig: reads every field") {
  const TsigKey k = Key();
  const std::string msg = Message();
  TsigRecord rec = Fields(k, msg, 0x123456789ABC);
  rec.fudge = 7;
  rec.mac = "MAC";
  rec.original_id = 0xBEEF;
  rec.error = rcode::kBadTime;
  rec.other = "other";
  std::string m = msg;
  REQUIRE(AppendTsigRecord(rec, &m));
  TsigRecord got;
  size_t offset = 0;
  REQUIRE(FindTsig(U8(m), m.size(), &got, &offset) == TsigFind::kFound);
  CHECK(offset == msg.size());
  CHECK(got.key_name == rec.key_name);
  CHECK(got.algorithm == rec.algorithm);
  CHECK(got.time_signed == 0x123456789ABC);
  CHECK(got.fudge == 7);
  CHECK(got.mac == "MAC");
  CHECK(got.original_id == 0xBEEF);
  CHECK(got.error == rcode::kBadTime);
  CHECK(got.other == "other");
  CHECK(FindTsig(U8(msg), msg.size(), &got, &offset) == TsigFind::kAbsent);
  CHECK(offset == msg.size());
}

TEST_CASE("AppendTsigRecord: refuses what cannot be written, leaving the message as it was") {
  const TsigKey k = Key();
  std::string msg = Message();
  const TsigRecord rec = Fields(k, msg);
  std::string full = msg;
  Store16(reinterpret_cast<uint8_t*>(full.data()) + 10, 0xFFFF);
  const std::string before = full;
  CHECK_FALSE(AppendTsigRecord(rec, &full));
  CHECK(full == before);
  std::string tiny = "\x00\x01";
  CHECK_FALSE(AppendTsigRecord(rec, &tiny));
  TsigRecord bad_name = rec;
  bad_name.key_name =
      "\x03"
      "abc";
  CHECK_FALSE(AppendTsigRecord(bad_name, &msg));
  std::string big = msg + std::string(kMaxMessage - msg.size() - 10, '\0');
  CHECK_FALSE(AppendTsigRecord(rec, &big));
  TsigRecord huge_other = rec;
  huge_other.other.assign(0x10000, 'x');
  CHECK_FALSE(AppendTsigRecord(huge_other, &msg));
  CHECK(msg == Message());
}

TEST_CASE("TsigMinMacSize and TsigTimeOk") {
  CHECK(TsigMinMacSize(TsigAlgorithm::kHmacMd5) == 10);
  CHECK(TsigMinMacSize(TsigAlgorithm::kHmacSha1) == 10);
  CHECK(TsigMinMacSize(TsigAlgorithm::kHmacSha224) == 14);
  CHECK(TsigMinMacSize(TsigAlgorithm::kHmacSha256) == 16);
  CHECK(TsigMinMacSize(TsigAlgorithm::kHmacSha384) == 24);
  CHECK(TsigMinMacSize(TsigAlgorithm::kHmacSha512) == 32);
  CHECK(TsigTimeOk(100, 0, 100));
  CHECK_FALSE(TsigTimeOk(100, 0, 101));
  CHECK(TsigTimeOk(100, 65535, 0));
  CHECK(TsigTimeOk(0, 5, 5));
  CHECK_FALSE(TsigTimeOk(0, 5, ~uint64_t{0}));
}

// --- answers (SignResponse) ---------------------------------------------------

std::string Response(const std::string& request) {
  // The request's header with QR set and its question (zone) section: enough
  // of an answer for signing.
  std::string r = request.substr(0, 12) + request.substr(12, 15);
  auto* p = reinterpret_cast<uint8_t*>(r.data());
  p[2] |= 0x80;
  Store16(p + 8, 0);
  Store16(p + 10, 0);
  return r;
}

TsigRecord TsigOf(const std::string& m) {
  TsigRecord t;
  size_t offset = 0;
  REQUIRE(FindTsig(U8(m), m.size(), &t, &offset) == TsigFind::kFound);
  return t;
}

TEST_CASE("SignResponse: a verified request gets a signed answer the client verifies") {
  const TsigKey k = Key();
  const TsigKeyRing ring = Ring(k);
  std::string req = Message(0x7777);
  std::string mac;
  REQUIRE(SignRequest(k, kNow, &req, &mac));
  const auto v = Verify(req, ring);
  REQUIRE(v.outcome == TsigOutcome::kVerified);
  std::string resp = Response(req);
  const size_t before = resp.size();
  REQUIRE(SignResponse(v, kNow + 5, &resp));
  CHECK(resp.size() == before + TsigRecordSize(k));
  CHECK(Load16(U8(resp) + 10) == 1);
  const TsigRecord t = TsigOf(resp);
  CHECK(t.time_signed == kNow + 5);
  CHECK(t.fudge == 300);
  CHECK(t.original_id == 0x7777);
  CHECK(t.error == 0);
  CHECK(t.mac.size() == 32);
  TsigResponseVerifier client(k, mac);
  CHECK(client.Verify(U8(resp), resp.size(), kNow + 5).outcome == TsigOutcome::kVerified);
  CHECK(client.complete());
  // Chained from the request MAC: with another request MAC it fails.
  TsigResponseVerifier wrong(k, std::string(32, 'x'));
  CHECK(wrong.Verify(U8(resp), resp.size(), kNow + 5).outcome == TsigOutcome::kBadSig);
}

TEST_CASE("SignResponse: BADTIME is signed, with the client's time and ours in Other Data") {
  const TsigKey k = Key();
  const TsigKeyRing ring = Ring(k);
  std::string req = Message();
  std::string mac;
  REQUIRE(SignRequest(k, kNow, &req, &mac));
  const uint64_t server_now = kNow + 1000;
  const auto v = Verify(req, ring, server_now);
  REQUIRE(v.outcome == TsigOutcome::kBadTime);
  std::string resp = Response(req);
  REQUIRE(SignResponse(v, server_now, &resp));
  CHECK(resp.size() == Response(req).size() + TsigRecordSize(k, 6));
  const TsigRecord t = TsigOf(resp);
  CHECK(t.error == rcode::kBadTime);
  CHECK(t.time_signed == kNow);  // the client's time, so that the client can verify it
  CHECK(testing::ToHex(t.other) == "00006933c728");  // server_now, 48 bits
  TsigResponseVerifier client(k, mac);
  const auto c = client.Verify(U8(resp), resp.size(), kNow);
  CHECK(c.outcome == TsigOutcome::kPeerError);
  CHECK(c.key != nullptr);  // its MAC verified
  CHECK(c.tsig.error == rcode::kBadTime);
  CHECK_FALSE(client.complete());
}

TEST_CASE("SignResponse: BADTRUNC is signed") {
  const TsigKey k = Key();
  const std::string msg = Message();
  const std::string req = SignedWith(k, msg, Fields(k, msg), 20);
  const TsigKeyRing ring = Ring(k);  // v.key points into it
  const auto v = Verify(req, ring);
  REQUIRE(v.outcome == TsigOutcome::kBadTrunc);
  std::string resp = Response(req);
  REQUIRE(SignResponse(v, kNow, &resp));
  const TsigRecord t = TsigOf(resp);
  CHECK(t.error == rcode::kBadTrunc);
  CHECK(t.mac.size() == 32);
  // The request MAC it chains from is the truncated one, as received.
  TsigResponseVerifier client(k, v.tsig.mac);
  CHECK(client.Verify(U8(resp), resp.size(), kNow).outcome == TsigOutcome::kPeerError);
}

TEST_CASE("SignResponse: BADKEY, BADSIG and MAC-size FORMERR answers are unsigned") {
  const TsigKey k = Key();
  const TsigKeyRing ring = Ring(k);
  const std::string msg = Message();
  struct Case {
    const char* what;
    std::string request;
    TsigOutcome outcome;
    uint16_t error;
  };
  TsigKey stranger = Key(TsigAlgorithm::kHmacSha512, "Stranger.");
  TsigKey wrong_secret = k;
  wrong_secret.secret = "x";
  const Case cases[] = {
      {"BADKEY", SignedWith(stranger, msg, Fields(stranger, msg)), TsigOutcome::kBadKey,
       rcode::kBadKey},
      {"BADSIG", SignedWith(wrong_secret, msg, Fields(k, msg)), TsigOutcome::kBadSig,
       rcode::kBadSig},
      {"FORMERR (MAC too short)", SignedWith(k, msg, Fields(k, msg), 12), TsigOutcome::kFormErr,
       rcode::kBadSig},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    const auto v = Verify(c.request, ring);
    REQUIRE(v.outcome == c.outcome);
    std::string resp = Response(c.request);
    REQUIRE(SignResponse(v, kNow + 9, &resp));
    const TsigRecord t = TsigOf(resp);
    CHECK(t.mac.empty());
    CHECK(t.error == c.error);
    CHECK(t.key_name == v.tsig.key_name);  // the request's, as sent
    CHECK(t.algorithm == v.tsig.algorithm);
    CHECK(t.time_signed == kNow + 9);
    CHECK(t.original_id == Load16(U8(resp)));
  }
}

TEST_CASE("SignResponse: nothing to add for unsigned requests and structural FORMERR") {
  const TsigKeyRing ring = Ring(Key());
  const std::string plain = Message();
  std::string resp = Response(plain);
  const std::string before = resp;
  REQUIRE(SignResponse(Verify(plain, ring), kNow, &resp));
  CHECK(resp == before);
  const auto formerr = Verify(plain + std::string(1, '\0'), ring);
  REQUIRE(formerr.outcome == TsigOutcome::kFormErr);
  REQUIRE(SignResponse(formerr, kNow, &resp));
  CHECK(resp == before);
}

TEST_CASE("SignResponse and SignRequest: failures leave the message unchanged") {
  const TsigKey k = Key();
  std::string req = Message();
  std::string mac;
  REQUIRE(SignRequest(k, kNow, &req, &mac));
  const TsigKeyRing ring = Ring(k);
  const auto v = Verify(req, ring);
  std::string tiny = "\x01\x02\x03";
  CHECK_FALSE(SignResponse(v, kNow, &tiny));
  CHECK(tiny == "\x01\x02\x03");
  CHECK_FALSE(SignRequest(k, kNow, &tiny, &mac));
  std::string full = Response(req);
  Store16(reinterpret_cast<uint8_t*>(full.data()) + 10, 0xFFFF);
  const std::string before = full;
  CHECK_FALSE(SignResponse(v, kNow, &full));
  CHECK(full == before);
}

}  // namespace
}  // namespace enumd::dns
