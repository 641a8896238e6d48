// Tests for MessageWriter: exact bytes of compressed output, parse-back with
// ldns (the reference) and with our own reader, the 0x4000 and kMaxCompress
// limits, truncation at every byte boundary, and Mark/Rewind.
#include "dns/message_writer.h"

#include <doctest/doctest.h>
#include <ldns/ldns.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/byte_order.h"
#include "dns/dns_test_support.h"
#include "dns/message_reader.h"
#include "dns/name.h"

namespace enumd::dns {
namespace {

using testing::Bytes;
using testing::Pkt;

std::string W(const char* text) {
  std::string w = WireName(text);
  REQUIRE(!w.empty());
  return w;
}
const uint8_t* U(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

Bytes Soa(const char* mname, const char* rname) {
  return Pkt().Name(mname).Name(rname).U32(2024010101).U32(3600).U32(600).U32(86400).U32(300).b;
}
Bytes Naptr(const char* replacement) {
  return Pkt()
      .U16(100)
      .U16(10)
      .CharStr("u")
      .CharStr("E2U+sip")
      .CharStr("!^.*$!sip:info@example.com!")
      .Name(replacement)
      .b;
}
Bytes Srv(const char* target) { return Pkt().U16(10).U16(60).U16(5060).Name(target).b; }
Bytes Mx(uint16_t pref, const char* name) { return Pkt().U16(pref).Name(name).b; }

// Parses `msg` with ldns; returns nullptr (and fails the test) if it cannot.
ldns_pkt* LdnsParse(const uint8_t* msg, size_t len) {
  ldns_pkt* pkt = nullptr;
  const ldns_status st = ldns_wire2pkt(&pkt, msg, len);
  CHECK_MESSAGE(st == LDNS_STATUS_OK, ldns_get_errorstr_by_id(st));
  return st == LDNS_STATUS_OK ? pkt : nullptr;
}

// True if ldns's record equals the presentation form (TTL included).
bool RRIs(const ldns_rr* got, const char* text) {
  ldns_rr* want = nullptr;
  REQUIRE(ldns_rr_new_frm_str(&want, text, 0, nullptr, nullptr) == LDNS_STATUS_OK);
  const bool same = ldns_rr_compare(got, want) == 0 && ldns_rr_ttl(got) == ldns_rr_ttl(want);
  if (!same) {
    char* g = ldns_rr2str(got);
    MESSAGE("got: " << std::string(g) << "want: " << text);
    free(g);
  }
  ldns_rr_free(want);
  return same;
}

TEST_CASE("MessageWriter: compression produces the expected bytes and ldns reads them back") {
  uint8_t buf[512];
  MessageWriter w(buf, sizeof buf, sizeof buf);
  const std::string qname = W("www.example.com.");
  REQUIRE(w.Start(0x1234, flag::kQR | flag::kAA, U(qname), type::kA, rrclass::kIN));
  CHECK(w.size() == 33);
  // www@12 example@16 com@24

  const uint8_t a[4] = {192, 0, 2, 1};
  REQUIRE(w.AddRR(Section::kAnswer, U(W("www.example.com.")), type::kA, rrclass::kIN, 3600, a, 4));
  const std::string www = W("www.example.com.");
  REQUIRE(w.AddRR(Section::kAnswer, U(W("MAIL.Example.COM.")), type::kCNAME, rrclass::kIN, 60,
                  U(www), static_cast<uint16_t>(www.size())));
  // Records are appended in call order: answer, then authority, then additional.
  const Bytes naptr = Naptr("www.example.com.");
  REQUIRE(w.AddRR(Section::kAnswer, U(W("www.example.com.")), type::kNAPTR, rrclass::kIN, 60,
                  naptr.data(), static_cast<uint16_t>(naptr.size())));
  const std::string ns1 = W("ns1.example.com.");
  REQUIRE(w.AddRR(Section::kAuthority, U(W("example.com.")), type::kNS, rrclass::kIN, 86400, U(ns1),
                  static_cast<uint16_t>(ns1.size())));
  const Bytes mx = Mx(10, "mx.ns1.example.com.");
  REQUIRE(w.AddRR(Section::kAuthority, U(W("example.com.")), type::kMX, rrclass::kIN, 300,
                  mx.data(), static_cast<uint16_t>(mx.size())));
  const Bytes soa = Soa("ns1.example.com.", "hostmaster.example.com.");
  REQUIRE(w.AddRR(Section::kAuthority, U(W("example.com.")), type::kSOA, rrclass::kIN, 3600,
                  soa.data(), static_cast<uint16_t>(soa.size())));
  const Bytes srv = Srv("ns1.example.com.");
  REQUIRE(w.AddRR(Section::kAdditional, U(W("_sip._udp.example.com.")), type::kSRV, rrclass::kIN,
                  60, srv.data(), static_cast<uint16_t>(srv.size())));
  REQUIRE(w.AddOpt(1232, 0, 0, true));
  CHECK(w.count(Section::kAnswer) == 3);
  CHECK(w.count(Section::kAuthority) == 3);
  CHECK(w.count(Section::kAdditional) == 2);
  const size_t len = w.Finish();

  const size_t ns1_at = 68 + 12 + naptr.size() + 12;
  const auto ns1_ptr = static_cast<uint16_t>(0xC000 | ns1_at);
  const Bytes expected = Pkt()
                             .U16(0x1234)
                             .U16(0x8400)
                             .U16(1)
                             .U16(3)
                             .U16(3)
                             .U16(2)
                             .Name("www.example.com.")
                             .U16(1)
                             .U16(1)  // 12..32
                             // 33: A, owner is the qname
                             .U16(0xC00C)
                             .U16(1)
                             .U16(1)
                             .U32(3600)
                             .U16(4)
                             .Raw({192, 0, 2, 1})
                             // 49: CNAME; owner "\4MAIL" + ->example@16, entry 49; rdata -> qname
                             .Str("\4MAIL")
                             .U16(0xC010)
                             .U16(5)
                             .U16(1)
                             .U32(60)
                             .U16(2)
                             .U16(0xC00C)
                             // 68: NAPTR: owner compressed, RDATA verbatim (RFC 3403 §4)
                             .U16(0xC00C)
                             .U16(35)
                             .U16(1)
                             .U32(60)
                             .U16(static_cast<uint16_t>(naptr.size()))
                             .Raw(naptr)
                             // NS; rdata "\3ns1" + ->16 at ns1_at
                             .U16(0xC010)
                             .U16(2)
                             .U16(1)
                             .U32(86400)
                             .U16(6)
                             .Str("\3ns1")
                             .U16(0xC010)
                             // MX; rdata pref + "\2mx" + ->ns1
                             .U16(0xC010)
                             .U16(15)
                             .U16(1)
                             .U32(300)
                             .U16(7)
                             .U16(10)
                             .Str("\2mx")
                             .U16(ns1_ptr)
                             // SOA; mname ->ns1, rname "\12hostmaster" + ->16, then 20 bytes
                             .U16(0xC010)
                             .U16(6)
                             .U16(1)
                             .U32(3600)
                             .U16(35)
                             .U16(ns1_ptr)
                             .Str("\12hostmaster")
                             .U16(0xC010)
                             .U32(2024010101)
                             .U32(3600)
                             .U32(600)
                             .U32(86400)
                             .U32(300)
                             // SRV: owner "\4_sip\4_udp" + ->16, RDATA verbatim (RFC 2782)
                             .Str("\4_sip\4_udp")
                             .U16(0xC010)
                             .U16(33)
                             .U16(1)
                             .U32(60)
                             .U16(static_cast<uint16_t>(srv.size()))
                             .Raw(srv)
                             // OPT
                             .U8(0)
                             .U16(41)
                             .U16(1232)
                             .U32(0x8000)
                             .U16(0)
                             .b;
  CHECK(Bytes(buf, buf + len) == expected);

  ldns_pkt* pkt = LdnsParse(buf, len);
  REQUIRE(pkt != nullptr);
  CHECK(ldns_pkt_id(pkt) == 0x1234);
  CHECK(ldns_pkt_qr(pkt));
  CHECK(ldns_pkt_aa(pkt));
  CHECK(ldns_pkt_ancount(pkt) == 3);
  CHECK(ldns_pkt_nscount(pkt) == 3);
  CHECK(ldns_pkt_arcount(pkt) == 1);  // ldns takes the OPT out of the count
  CHECK(ldns_pkt_edns_udp_size(pkt) == 1232);
  CHECK(ldns_pkt_edns_do(pkt));
  const ldns_rr_list* an = ldns_pkt_answer(pkt);
  const ldns_rr_list* ns = ldns_pkt_authority(pkt);
  const ldns_rr_list* ad = ldns_pkt_additional(pkt);
  CHECK(RRIs(ldns_rr_list_rr(an, 0), "www.example.com. 3600 IN A 192.0.2.1"));
  CHECK(RRIs(ldns_rr_list_rr(an, 1), "mail.example.com. 60 IN CNAME www.example.com."));
  CHECK(RRIs(ldns_rr_list_rr(an, 2),
             "www.example.com. 60 IN NAPTR 100 10 \"u\" \"E2U+sip\" "
             "\"!^.*$!sip:info@example.com!\" www.example.com."));
  CHECK(RRIs(ldns_rr_list_rr(ns, 0), "example.com. 86400 IN NS ns1.example.com."));
  CHECK(RRIs(ldns_rr_list_rr(ns, 1), "example.com. 300 IN MX 10 mx.ns1.example.com."));
  CHECK(RRIs(ldns_rr_list_rr(ns, 2),
             "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2024010101 "
             "3600 600 86400 300"));
  CHECK(
      RRIs(ldns_rr_list_rr(ad, 0), "_sip._udp.example.com. 60 IN SRV 10 60 5060 ns1.example.com."));
  ldns_pkt_free(pkt);
}

TEST_CASE("MessageWriter: Start, StartNoQuestion, flags and rcode") {
  uint8_t buf[512];
  MessageWriter w(buf, sizeof buf, sizeof buf);
  const std::string q = W("Foo.Example.");
  REQUIRE(w.Start(0xABCD, flag::kQR | flag::kRD, U(q), type::kNAPTR, rrclass::kIN));
  const Bytes expected =
      Pkt().U16(0xABCD).U16(0x8100).U16(1).U16(0).U16(0).U16(0).Str(q).U16(35).U16(1).b;
  CHECK(w.Finish() == expected.size());
  CHECK(Bytes(buf, buf + w.size()) == expected);
  CHECK(w.flags() == 0x8100);

  w.SetFlags(flag::kQR | flag::kAA | flag::kRD);
  CHECK(w.flags() == 0x8500);
  w.SetRcode(rcode::kNXDomain);
  CHECK(w.flags() == 0x8503);
  w.SetRcode(rcode::kRefused);
  CHECK(w.flags() == 0x8505);
  w.SetRcode(rcode::kBadVers);  // 16: only the low 4 bits (0) go into the header
  CHECK(w.flags() == 0x8500);
  CHECK(buf[2] == 0x85);
  CHECK(buf[3] == 0x00);

  w.StartNoQuestion(0x0102, flag::kQR);
  w.SetRcode(rcode::kFormErr);
  CHECK(w.Finish() == kHeaderSize);
  CHECK(Bytes(buf, buf + 12) == Bytes{1, 2, 0x80, 1, 0, 0, 0, 0, 0, 0, 0, 0});

  // The root as the question name.
  const std::string root = W(".");
  REQUIRE(w.Start(1, 0, U(root), type::kNS, rrclass::kIN));
  CHECK(w.Finish() == 17);
}

TEST_CASE("MessageWriter: limits and capacity") {
  uint8_t buf[64];
  {
    MessageWriter w(buf, 40, 1000);
    CHECK(w.limit() == 40);  // capped at capacity
    w.set_limit(20);
    CHECK(w.limit() == 20);
    w.set_limit(100000);
    CHECK(w.limit() == 40);
  }
  {
    // A question that does not fit: header-only state, usable for SERVFAIL.
    MessageWriter w(buf, sizeof buf, 20);
    const std::string q = W("a-rather-long-name.example.");
    CHECK_FALSE(w.Start(5, flag::kQR, U(q), 1, 1));
    CHECK(w.size() == kHeaderSize);
    CHECK(w.flags() == flag::kQR);
    w.SetRcode(rcode::kServFail);
    CHECK(w.Finish() == kHeaderSize);
    CHECK(buf[5] == 0);  // QDCOUNT 0
  }
  {
    // Not even a header fits: nothing is written, nothing crashes.
    std::memset(buf, 0xAB, sizeof buf);
    MessageWriter w(buf, 8, 8);
    const std::string q = W("a.");
    CHECK_FALSE(w.Start(5, 0, U(q), 1, 1));
    w.SetFlags(0xFFFF);
    w.SetRcode(5);
    CHECK(w.flags() == 0);
    CHECK_FALSE(w.AddOpt(512, 0, 0, false));
    CHECK(w.Finish() == 0);
    CHECK(std::all_of(buf, buf + sizeof buf, [](uint8_t c) { return c == 0xAB; }));
  }
}

TEST_CASE("MessageWriter: AddRRPtr") {
  uint8_t buf[512];
  MessageWriter w(buf, sizeof buf, sizeof buf);
  const std::string q = W("1.2.3.e164.arpa.");
  REQUIRE(w.Start(1, flag::kQR, U(q), type::kNAPTR, rrclass::kIN));
  const size_t before = w.size();
  const Bytes naptr = Naptr(".");
  for (uint16_t bad : {0, 11, static_cast<int>(before), 5000, 0x4000, 0xFFFF}) {
    CAPTURE(bad);
    CHECK_FALSE(w.AddRRPtr(Section::kAnswer, bad, type::kNAPTR, rrclass::kIN, 60, naptr.data(),
                           static_cast<uint16_t>(naptr.size())));
    CHECK(w.size() == before);
    CHECK(w.count(Section::kAnswer) == 0);
  }
  REQUIRE(w.AddRRPtr(Section::kAnswer, MessageWriter::kQnameOffset, type::kNAPTR, rrclass::kIN, 60,
                     naptr.data(), static_cast<uint16_t>(naptr.size())));
  // Owner is a pointer to a suffix of the qname (e164.arpa. at 18).
  const std::string soa_owner = W("e164.arpa.");
  REQUIRE(w.AddRRPtr(Section::kAuthority, 18, type::kNS, rrclass::kIN, 60, U(soa_owner),
                     static_cast<uint16_t>(soa_owner.size())));
  const size_t len = w.Finish();
  const Bytes expected_rr = Pkt()
                                .U16(0xC00C)
                                .U16(35)
                                .U16(1)
                                .U32(60)
                                .U16(static_cast<uint16_t>(naptr.size()))
                                .Raw(naptr)
                                .U16(0xC012)
                                .U16(2)
                                .U16(1)
                                .U32(60)
                                .U16(2)
                                .U16(0xC012)
                                .b;
  CHECK(Bytes(buf + before, buf + len) == expected_rr);
  ldns_pkt* pkt = LdnsParse(buf, len);
  REQUIRE(pkt != nullptr);
  CHECK(RRIs(ldns_rr_list_rr(ldns_pkt_answer(pkt), 0),
             "1.2.3.e164.arpa. 60 IN NAPTR 100 10 \"u\" \"E2U+sip\" "
             "\"!^.*$!sip:info@example.com!\" ."));
  CHECK(RRIs(ldns_rr_list_rr(ldns_pkt_authority(pkt), 0), "e164.arpa. 60 IN NS e164.arpa."));
  ldns_pkt_free(pkt);
}

TEST_CASE("MessageWriter: AddOpt") {
  struct OptCase {
    uint16_t size;
    uint8_t ext_rcode, version;
    bool do_bit;
    uint32_t ttl;
  };
  const std::vector<OptCase> cases = {
      {1232, 0, 0, false, 0},
      {4096, 0, 0, true, 0x00008000},
      {1232, 1, 0, false, 0x01000000},  // BADVERS = 16 -> upper bits 1
      {512, 0xFF, 0xFF, true, 0xFFFF8000},
  };
  for (const auto& c : cases) {
    CAPTURE(c.ttl);
    uint8_t buf[512];
    MessageWriter w(buf, sizeof buf, sizeof buf);
    const std::string q = W("a.example.");
    REQUIRE(w.Start(1, flag::kQR, U(q), 1, 1));
    const size_t before = w.size();
    REQUIRE(w.AddOpt(c.size, c.ext_rcode, c.version, c.do_bit));
    CHECK(w.count(Section::kAdditional) == 1);
    const size_t len = w.Finish();
    CHECK(Bytes(buf + before, buf + len) == Pkt().U8(0).U16(41).U16(c.size).U32(c.ttl).U16(0).b);
    ldns_pkt* pkt = LdnsParse(buf, len);
    REQUIRE(pkt != nullptr);
    CHECK(ldns_pkt_edns_udp_size(pkt) == c.size);
    CHECK(ldns_pkt_edns_extended_rcode(pkt) == c.ext_rcode);
    CHECK(ldns_pkt_edns_version(pkt) == c.version);
    CHECK(ldns_pkt_edns_do(pkt) == c.do_bit);
    ldns_pkt_free(pkt);
    // And our own reader sees the same (after flipping QR so it is a query).
    buf[2] &= 0x7F;
    ParsedQuery pq;
    REQUIRE(ParseQuery(buf, len, &pq) == ParseOutcome::kOk);
    CHECK(pq.edns.present);
    CHECK(pq.edns.udp_size == c.size);
    CHECK(pq.edns.ext_rcode == c.ext_rcode);
    CHECK(pq.edns.version == c.version);
    CHECK(pq.edns.do_bit == c.do_bit);
  }
}

TEST_CASE("MessageWriter: compression is case-insensitive and on whole labels") {
  struct Case {
    const char* qname;
    const char* owner;
    Bytes owner_bytes;  // expected owner encoding at offset 12 + qname + 4
  };
  const std::vector<Case> cases = {
      {"example.com.", "EXAMPLE.COM.", Pkt().U16(0xC00C).b},
      {"example.com.", "www.example.com.", Pkt().Str("\3www").U16(0xC00C).b},
      {"example.com.", "com.", Pkt().U16(0xC014).b},
      // "ample.com." is not a whole-label suffix of "example.com.".
      {"example.com.", "ample.com.", Pkt().Str("\5ample").U16(0xC014).b},
      {"example.com.", "xexample.com.", Pkt().Str("\10xexample").U16(0xC014).b},
      {"example.com.", "example.org.", Pkt().Str("\7example\3org").U8(0).b},
      {"example.com.", ".", Pkt().U8(0).b},  // the root is never a pointer
      {"a.b.c.", "b.c.", Pkt().U16(0xC00E).b},
      {"a.b.c.", "x.a.b.c.", Pkt().Str("\1x").U16(0xC00C).b},
      {"a.b.c.", "b.x.c.", Pkt().Str("\1b\1x").U16(0xC010).b},
      {"\\065.b.", "a.B.", Pkt().U16(0xC00C).b},
      // Non-letters that differ by 0x20 are different bytes.
      {"[.b.", "{.b.", Pkt().Str("\1{").U16(0xC00E).b},
      {"\\200.b.", "\\232.b.", Pkt().Str("\1\xe8").U16(0xC00E).b},
  };
  for (const auto& c : cases) {
    CAPTURE(c.qname);
    CAPTURE(c.owner);
    uint8_t buf[512];
    MessageWriter w(buf, sizeof buf, sizeof buf);
    const std::string q = W(c.qname);
    REQUIRE(w.Start(1, flag::kQR, U(q), 1, 1));
    const size_t at = w.size();
    const std::string owner = W(c.owner);
    REQUIRE(w.AddRR(Section::kAnswer, U(owner), 99, 1, 1, nullptr, 0));
    CHECK(Bytes(buf + at, buf + at + c.owner_bytes.size()) == c.owner_bytes);
    CHECK(w.size() == at + c.owner_bytes.size() + 10);
    size_t off = at;
    uint8_t back[kMaxNameWire];
    size_t back_len = 0;
    REQUIRE(ReadName(buf, w.size(), &off, back, &back_len));
    CHECK(NameEqual(back, U(owner)));
  }
}

TEST_CASE("MessageWriter: RDATA of types that must not be compressed is copied verbatim") {
  // Only the RFC 1035 types RFC 3597 §4 lists (NS, MD, MF, CNAME, SOA, MB,
  // MG, MR, PTR, MINFO, MX; BIND compresses them too); and only when the
  // RDATA has the layout the type says.
  struct Case {
    const char* what;
    uint16_t type;
    Bytes rdata;
    bool compressed;
  };
  const std::vector<Case> cases = {
      {"PTR", type::kPTR, Pkt().Name("x.example.").b, true},
      {"MB", type::kMB, Pkt().Name("x.example.").b, true},
      {"MINFO", type::kMINFO, Pkt().Name("x.example.").Name("y.example.").b, true},
      {"MINFO with one name", type::kMINFO, Pkt().Name("x.example.").b, false},
      {"NAPTR", type::kNAPTR, Naptr("x.example."), false},
      {"SRV", type::kSRV, Srv("x.example."), false},
      {"unknown type with a name inside", 65280, Pkt().Name("x.example.").b, false},
      {"DNAME (39) is not in the list", 39, Pkt().Name("x.example.").b, false},
      {"RRSIG signer", type::kRRSIG,
       Pkt().U16(1).U8(8).U8(2).U32(1).U32(2).U32(3).U16(4).Name("example.").U32(0xDEADBEEF).b,
       false},
      {"NS with trailing junk", type::kNS, Pkt().Name("x.example.").U8(7).b, false},
      {"NS that is not a name", type::kNS, Pkt().U8(9).Str("short").b, false},
      {"MX too short", type::kMX, Pkt().U8(1).b, false},
      {"SOA with 19 fixed bytes", type::kSOA,
       Pkt().Name("x.example.").Name("example.").Raw(Bytes(19, 0)).b, false},
      {"SOA", type::kSOA, Pkt().Name("x.example.").Name("example.").Raw(Bytes(20, 0)).b, true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    uint8_t buf[512];
    MessageWriter w(buf, sizeof buf, sizeof buf);
    const std::string q = W("example.");
    REQUIRE(w.Start(1, flag::kQR, U(q), 1, 1));
    REQUIRE(w.AddRR(Section::kAnswer, U(q), c.type, 1, 1, c.rdata.data(),
                    static_cast<uint16_t>(c.rdata.size())));
    const size_t rdlen_at = 12 + q.size() + 4 + 2 + 8;
    const size_t rdlen = (buf[rdlen_at] << 8) | buf[rdlen_at + 1];
    CHECK(w.size() == rdlen_at + 2 + rdlen);
    if (c.compressed) {
      CHECK(rdlen < c.rdata.size());
    } else {
      CHECK(Bytes(buf + rdlen_at + 2, buf + w.size()) == c.rdata);
    }
  }
}

TEST_CASE("MessageWriter: only offsets below 0x4000 are pointer targets") {
  std::vector<uint8_t> buf(kMaxMessage);
  MessageWriter w(buf.data(), buf.size(), buf.size());
  const std::string q = W("q.");
  REQUIRE(w.Start(1, flag::kQR, U(q), 1, 1));  // size 19
  // Pad so that the next owner starts at 0x3FFE: 19 + 2 + 10 + L = 0x3FFE.
  const Bytes pad(0x3FFE - 31, 0x55);
  REQUIRE(
      w.AddRRPtr(Section::kAnswer, 12, 65280, 1, 1, pad.data(), static_cast<uint16_t>(pad.size())));
  REQUIRE(w.size() == 0x3FFE);
  const std::string abc = W("a.b.c.");
  REQUIRE(w.AddRR(Section::kAnswer, U(abc), 65280, 1, 1, nullptr, 0));  // labels @3FFE 4000 4002
  size_t at = w.size();
  // "b.c." and "c." sit at 0x4000 and above: not reachable.
  const std::string zbc = W("z.b.c.");
  REQUIRE(w.AddRR(Section::kAnswer, U(zbc), 65280, 1, 1, nullptr, 0));
  CHECK(Bytes(buf.begin() + static_cast<long>(at), buf.begin() + static_cast<long>(at + 7)) ==
        Pkt().Str(zbc).b);
  at = w.size();
  // The whole name starts at 0x3FFE: reachable.
  const std::string ABC = W("A.B.C.");
  REQUIRE(w.AddRR(Section::kAnswer, U(ABC), 65280, 1, 1, nullptr, 0));
  CHECK(Bytes(buf.begin() + static_cast<long>(at), buf.begin() + static_cast<long>(at + 2)) ==
        Bytes{0xFF, 0xFE});
  at = w.size();
  // A name written above 0x4000 is not remembered; its suffix "q." still is.
  const std::string hi = W("hi.q.");
  REQUIRE(w.AddRR(Section::kAnswer, U(hi), 65280, 1, 1, nullptr, 0));
  CHECK(Bytes(buf.begin() + static_cast<long>(at), buf.begin() + static_cast<long>(at + 5)) ==
        Pkt().Str("\2hi").U16(0xC00C).b);
  at = w.size();
  REQUIRE(w.AddRR(Section::kAnswer, U(hi), 65280, 1, 1, nullptr, 0));
  CHECK(Bytes(buf.begin() + static_cast<long>(at), buf.begin() + static_cast<long>(at + 5)) ==
        Pkt().Str("\2hi").U16(0xC00C).b);
  const size_t len = w.Finish();
  ldns_pkt* pkt = LdnsParse(buf.data(), len);
  REQUIRE(pkt != nullptr);
  CHECK(ldns_pkt_ancount(pkt) == 6);
  ldns_pkt_free(pkt);
}

TEST_CASE("MessageWriter: at most kMaxCompress names are remembered") {
  uint8_t buf[4096];
  MessageWriter w(buf, sizeof buf, sizeof buf);
  const std::string q = W("zone.");
  REQUIRE(w.Start(1, flag::kQR, U(q), 1, 1));  // entry 1 of 64
  std::vector<size_t> offsets;
  for (int i = 0; i < 70; ++i) {
    offsets.push_back(w.size());
    const std::string n = W(("n" + std::to_string(i) + ".zone.").c_str());
    REQUIRE(w.AddRR(Section::kAnswer, U(n), 65280, 1, 1, nullptr, 0));
  }
  // n0..n62 were remembered (64 entries with the qname); n63.. were not.
  for (int i : {0, 62, 63, 69}) {
    CAPTURE(i);
    const size_t at = w.size();
    const std::string n = W(("sub.n" + std::to_string(i) + ".zone.").c_str());
    REQUIRE(w.AddRR(Section::kAnswer, U(n), 65280, 1, 1, nullptr, 0));
    if (i <= 62) {
      CHECK(w.size() - at == 4 + 2 + 10);
      CHECK(buf[at + 4] == (0xC0 | (offsets[static_cast<size_t>(i)] >> 8)));
      CHECK(buf[at + 5] == (offsets[static_cast<size_t>(i)] & 0xFF));
    } else {
      CHECK(w.size() - at == 4 + 1 + std::to_string(i).size() + 1 + 2 + 10);
    }
  }
  const size_t len = w.Finish();
  ldns_pkt* pkt = LdnsParse(buf, len);
  REQUIRE(pkt != nullptr);
  CHECK(ldns_pkt_ancount(pkt) == 74);
  ldns_pkt_free(pkt);
}

TEST_CASE("MessageWriter: a compression window remembers the last names, across rewinds") {
  uint8_t buf[65535];
  MessageWriter w(buf, sizeof buf, sizeof buf);
  const std::string q = W("e164.arpa.");
  REQUIRE(w.Start(1, flag::kQR, U(q), type::kAXFR, 1));
  w.set_compress_window(8);
  std::mt19937 rng(7);
  std::vector<std::string> written;
  for (int i = 0; i < 150; ++i) {  // within the 16 KiB pointers reach
    // Numbers in canonical order (last digit first), a few records each.
    std::string digits = std::to_string(100000 + i);
    std::string text;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) text += std::string(1, *it) + ".";
    const std::string owner = W((text + "e164.arpa.").c_str());
    for (int r = 0; r < 1 + i % 3; ++r) {
      const MessageWriter::Mark mark = w.GetMark();
      REQUIRE(w.AddRR(Section::kAnswer, U(owner), type::kNAPTR, 1, 60, Naptr(".").data(),
                      static_cast<uint16_t>(Naptr(".").size())));
      if (rng() % 5 == 0) {
        w.Rewind(mark);  // taken back: its name must not be pointed at later
        continue;
      }
      written.push_back(owner);
    }
  }
  const size_t len = w.Finish();
  // Compression works: a sibling's owner is its first label and a pointer.
  REQUIRE(len < 0x4000);
  CHECK(len <= q.size() + 16 + written.size() * (Naptr(".").size() + 10 + 4));
  // And every owner reads back as written (ours and ldns).
  size_t pos = kHeaderSize;
  uint8_t name[kMaxNameWire];
  size_t name_len;
  REQUIRE(ReadName(buf, len, &pos, name, &name_len));
  pos += 4;
  for (const std::string& owner : written) {
    REQUIRE(ReadName(buf, len, &pos, name, &name_len));
    REQUIRE(std::string(reinterpret_cast<char*>(name), name_len) == owner);
    pos += 8;
    pos += 2 + Load16(buf + pos);
  }
  CHECK(pos == len);
  ldns_pkt* pkt = LdnsParse(buf, len);
  REQUIRE(pkt != nullptr);
  CHECK(ldns_pkt_ancount(pkt) == written.size());
  ldns_pkt_free(pkt);
}

// One record to append in the truncation tests.
struct Rec {
  const char* what;
  Section section;
  std::string owner;
  uint16_t type;
  Bytes rdata;
};

std::vector<Rec> SomeRecords() {
  return {
      {"A, owner = qname", Section::kAnswer, W("www.example.com."), type::kA, {192, 0, 2, 1}},
      {"CNAME, new owner, compressed target", Section::kAnswer, W("alias.example.com."),
       type::kCNAME, Pkt().Name("target.alias.example.com.").b},
      {"SOA", Section::kAuthority, W("example.com."), type::kSOA,
       Soa("ns.example.com.", "hostmaster.example.com.")},
      {"NAPTR", Section::kAnswer, W("4.3.2.1.e164.arpa."), type::kNAPTR, Naptr("sip.example.com.")},
      {"MX in additional", Section::kAdditional, W("mail.example.net."), type::kMX,
       Mx(5, "mx.mail.example.net.")},
  };
}

void Base(MessageWriter* w) {
  const std::string q = W("www.example.com.");
  REQUIRE(w->Start(0x4242, flag::kQR | flag::kAA, U(q), type::kA, rrclass::kIN));
  const std::string ns = W("ns.example.com.");
  REQUIRE(w->AddRR(Section::kAuthority, U(W("example.com.")), type::kNS, rrclass::kIN, 60, U(ns),
                   static_cast<uint16_t>(ns.size())));
}

bool Add(MessageWriter* w, const Rec& r) {
  return w->AddRR(r.section, U(r.owner), r.type, rrclass::kIN, 300, r.rdata.data(),
                  static_cast<uint16_t>(r.rdata.size()));
}

TEST_CASE("MessageWriter: AddRR fails at every limit below the record's end and changes nothing") {
  const auto recs = SomeRecords();
  for (const auto& r : recs) {
    CAPTURE(r.what);
    // How big is the message with the record, without any limit?
    uint8_t ref_buf[1024];
    MessageWriter ref(ref_buf, sizeof ref_buf, sizeof ref_buf);
    Base(&ref);
    const size_t base_size = ref.size();
    REQUIRE(Add(&ref, r));
    const size_t full = ref.size();
    // After the record, another one whose owner would compress against it.
    const std::string next_owner = W(("x." + NameToText(U(r.owner))).c_str());
    const uint8_t a[4] = {1, 2, 3, 4};
    REQUIRE(ref.AddRR(Section::kAdditional, U(next_owner), type::kA, 1, 1, a, 4));
    const size_t ref_len = ref.Finish();

    for (size_t limit = base_size; limit <= full + 1; ++limit) {
      CAPTURE(limit);
      uint8_t buf[1024];
      std::memset(buf, 0xAB, sizeof buf);
      MessageWriter w(buf, sizeof buf, limit);
      Base(&w);
      const Bytes before(buf, buf + w.size());
      const auto mark = w.GetMark();
      const bool ok = Add(&w, r);
      CHECK(ok == (limit >= full));
      // Nothing at or past the limit is ever touched.
      CHECK(std::all_of(buf + limit, buf + sizeof buf, [](uint8_t c) { return c == 0xAB; }));
      if (ok) continue;
      CHECK(w.size() == base_size);
      CHECK(Bytes(buf, buf + w.size()) == before);
      const auto after = w.GetMark();
      CHECK(after.size == mark.size);
      CHECK(after.compress_entries == mark.compress_entries);
      for (int s = 0; s < 3; ++s) CHECK(after.counts[s] == mark.counts[s]);
      // Once the limit is raised the writer behaves exactly as if the failed
      // call had never happened (no stale compression entries).
      w.set_limit(sizeof buf);
      REQUIRE(Add(&w, r));
      REQUIRE(w.AddRR(Section::kAdditional, U(next_owner), type::kA, 1, 1, a, 4));
      const size_t len = w.Finish();
      CHECK(Bytes(buf, buf + len) == Bytes(ref_buf, ref_buf + ref_len));
    }
  }
}

TEST_CASE("MessageWriter: a failed record leaves no stale compression target") {
  // The owner fits and is remembered, the RDATA does not; a later name must
  // not point at where the owner was.
  uint8_t buf[512];
  MessageWriter w(buf, sizeof buf, 80);
  const std::string q = W("example.");
  REQUIRE(w.Start(1, flag::kQR, U(q), 1, 1));
  const size_t before = w.size();
  const std::string owner = W("long-owner-name.example.");
  const Bytes big(40, 0x11);
  CHECK_FALSE(w.AddRR(Section::kAnswer, U(owner), 65280, 1, 1, big.data(),
                      static_cast<uint16_t>(big.size())));
  CHECK(w.size() == before);
  const std::string child = W("c.long-owner-name.example.");
  REQUIRE(w.AddRR(Section::kAnswer, U(child), 65280, 1, 1, nullptr, 0));
  CHECK(Bytes(buf + before, buf + before + 20) == Pkt().Str("\1c\17long-owner-name").U16(0xC00C).b);
}

TEST_CASE("MessageWriter: Mark/Rewind restore size, counts and compression exactly") {
  const auto recs = SomeRecords();
  uint8_t ref_buf[1024];
  MessageWriter ref(ref_buf, sizeof ref_buf, sizeof ref_buf);
  Base(&ref);
  REQUIRE(Add(&ref, recs[0]));
  REQUIRE(Add(&ref, recs[4]));
  const size_t ref_len = ref.Finish();

  uint8_t buf[1024];
  MessageWriter w(buf, sizeof buf, sizeof buf);
  Base(&w);
  REQUIRE(Add(&w, recs[0]));
  const auto mark = w.GetMark();
  // An RRset that will be taken back: new names in three sections.
  for (const auto& r : recs) REQUIRE(Add(&w, r));
  REQUIRE(w.AddOpt(1232, 0, 0, false));
  CHECK(w.count(Section::kAdditional) == 2);
  w.Rewind(mark);
  CHECK(w.size() == mark.size);
  CHECK(w.count(Section::kAnswer) == mark.counts[0]);
  CHECK(w.count(Section::kAuthority) == mark.counts[1]);
  CHECK(w.count(Section::kAdditional) == mark.counts[2]);
  CHECK(w.GetMark().compress_entries == mark.compress_entries);
  // recs[4] compressed against what was rewound would point past the end.
  REQUIRE(Add(&w, recs[4]));
  const size_t len = w.Finish();
  CHECK(Bytes(buf, buf + len) == Bytes(ref_buf, ref_buf + ref_len));
}

TEST_CASE("MessageWriter: the name at offset 12 is read again once Start or Rewind replaces it") {
  // Without a question the first owner sits at 12, where the writer keeps
  // the question's labels; taken back and replaced, the new name's labels
  // must be the ones compared.
  uint8_t buf[512];
  MessageWriter w(buf, sizeof buf, sizeof buf);
  const uint8_t a[4] = {192, 0, 2, 1};
  w.StartNoQuestion(7, flag::kQR);
  const auto empty = w.GetMark();
  REQUIRE(w.AddRR(Section::kAnswer, U(W("mail.example.com.")), type::kA, rrclass::kIN, 60, a, 4));
  REQUIRE(w.AddRR(Section::kAnswer, U(W("b.example.com.")), type::kA, rrclass::kIN, 60, a, 4));
  w.Rewind(empty);
  REQUIRE(w.AddRR(Section::kAnswer, U(W("x.example.net.")), type::kA, rrclass::kIN, 60, a, 4));
  REQUIRE(w.AddRR(Section::kAnswer, U(W("y.example.com.")), type::kA, rrclass::kIN, 60, a, 4));
  REQUIRE(w.AddRR(Section::kAnswer, U(W("z.example.net.")), type::kA, rrclass::kIN, 60, a, 4));
  size_t len = w.Finish();
  // y.example.com. (at 41, after x's 29 bytes) shares nothing with
  // x.example.net. but the root; z points at example.net. inside x (14).
  const std::string y = W("y.example.com.");
  CHECK(Bytes(buf + 41, buf + 41 + y.size()) == Bytes(y.begin(), y.end()));
  CHECK(Bytes(buf + len - 14 - 4, buf + len - 14) == Pkt().Str("\1z").U16(0xC00E).b);
  ldns_pkt* pkt = LdnsParse(buf, len);
  REQUIRE(pkt != nullptr);
  CHECK(RRIs(ldns_rr_list_rr(ldns_pkt_answer(pkt), 1), "y.example.com. 60 IN A 192.0.2.1"));
  CHECK(RRIs(ldns_rr_list_rr(ldns_pkt_answer(pkt), 2), "z.example.net. 60 IN A 192.0.2.1"));
  ldns_pkt_free(pkt);

  // Start again with another question: compressed against it, not the last.
  REQUIRE(w.Start(8, flag::kQR, U(W("www.example.org.")), type::kA, rrclass::kIN));
  REQUIRE(w.AddRR(Section::kAnswer, U(W("ftp.example.org.")), type::kA, rrclass::kIN, 60, a, 4));
  len = w.Finish();
  CHECK(Bytes(buf + 33, buf + 33 + 6) == Pkt().Str("\3ftp").U16(0xC010).b);
}

TEST_CASE("MessageWriter: truncation loop as the query layer will use it") {
  // Add RRsets until one does not fit; rewind it and set TC. The result must
  // hold only whole RRsets and parse.
  uint8_t buf[512];
  MessageWriter w(buf, sizeof buf, kMaxUdpNoEdns);
  const std::string q = W("4.3.2.1.5.5.5.0.0.8.1.e164.arpa.");
  REQUIRE(w.Start(7, flag::kQR | flag::kAA, U(q), type::kNAPTR, rrclass::kIN));
  const Bytes naptr = Naptr("sip.example.com.");
  int sets = 0;
  bool truncated = false;
  for (int set = 0; set < 20 && !truncated; ++set) {
    const auto mark = w.GetMark();
    for (int i = 0; i < 3; ++i) {
      if (!w.AddRRPtr(Section::kAnswer, MessageWriter::kQnameOffset, type::kNAPTR, rrclass::kIN, 60,
                      naptr.data(), static_cast<uint16_t>(naptr.size()))) {
        w.Rewind(mark);
        w.SetFlags(w.flags() | flag::kTC);
        truncated = true;
        break;
      }
    }
    if (!truncated) ++sets;
  }
  REQUIRE(truncated);
  CHECK(w.count(Section::kAnswer) == 3 * sets);
  const size_t len = w.Finish();
  CHECK(len <= kMaxUdpNoEdns);
  ldns_pkt* pkt = LdnsParse(buf, len);
  REQUIRE(pkt != nullptr);
  CHECK(ldns_pkt_tc(pkt));
  CHECK(ldns_pkt_ancount(pkt) == 3 * sets);
  ldns_pkt_free(pkt);
}

// A record the random test managed to add, as it was given to AddRR.
struct Added {
  std::string owner;
  uint16_t type;
  Bytes rdata;
};

TEST_CASE("MessageWriter: random messages parse back to what was written (ldns and ours)") {
  std::mt19937 rng(4242);
  const std::vector<std::string> vocab = {"a", "B",    "ns",   "Example", "com", "e164", "ARPA",
                                          "x", "_sip", "_udp", "1",       "2",   "3"};
  auto random_name = [&] {
    std::string text;
    const int labels = static_cast<int>(rng() % 5);
    for (int i = 0; i < labels; ++i) text += vocab[rng() % vocab.size()] + ".";
    if (text.empty()) text = ".";
    return W(text.c_str());
  };
  const uint16_t types[] = {type::kA,   type::kNS,    type::kCNAME, type::kPTR, type::kMX,
                            type::kSOA, type::kNAPTR, type::kSRV,   type::kTXT};
  for (int iter = 0; iter < 300; ++iter) {
    CAPTURE(iter);
    uint8_t buf[2048];
    const size_t limit = 200 + rng() % 1800;
    MessageWriter w(buf, sizeof buf, limit);
    const std::string q = random_name();
    REQUIRE(w.Start(static_cast<uint16_t>(iter), flag::kQR, U(q), type::kNAPTR, rrclass::kIN));
    std::vector<Added> added[3];
    for (int i = 0; i < 40; ++i) {
      const std::string owner = random_name();
      const uint16_t t = types[rng() % (sizeof types / sizeof types[0])];
      const std::string n1 = random_name(), n2 = random_name();
      Bytes rdata;
      switch (t) {
        case type::kA:
          rdata = {10, 0, 0, static_cast<uint8_t>(i)};
          break;
        case type::kMX:
          rdata = Pkt().U16(10).Str(n1).b;
          break;
        case type::kSOA:
          rdata = Pkt().Str(n1).Str(n2).Raw(Bytes(20, 7)).b;
          break;
        case type::kNAPTR:
          rdata = Pkt().U16(1).U16(2).CharStr("u").CharStr("E2U+sip").CharStr("").Str(n1).b;
          break;
        case type::kSRV:
          rdata = Pkt().U16(1).U16(2).U16(3).Str(n1).b;
          break;
        case type::kTXT:
          rdata = Pkt().CharStr(n1).b;
          break;
        default:
          rdata = Pkt().Str(n1).b;
          break;
      }
      // Records go in section order (the writer appends in call order).
      const auto s = static_cast<Section>(i * 3 / 40);
      const auto mark = w.GetMark();
      if (w.AddRR(s, U(owner), t, rrclass::kIN, 60, rdata.data(),
                  static_cast<uint16_t>(rdata.size()))) {
        added[static_cast<int>(s)].push_back({owner, t, rdata});
        if (rng() % 8 == 0) {  // sometimes take it back
          w.Rewind(mark);
          added[static_cast<int>(s)].pop_back();
        }
      }
    }
    const size_t len = w.Finish();
    REQUIRE(len <= limit);

    // ldns accepts the message and finds the same records.
    ldns_pkt* pkt = LdnsParse(buf, len);
    REQUIRE(pkt != nullptr);
    const ldns_rr_list* lists[3] = {ldns_pkt_answer(pkt), ldns_pkt_authority(pkt),
                                    ldns_pkt_additional(pkt)};
    for (int s = 0; s < 3; ++s) {
      REQUIRE(ldns_rr_list_rr_count(lists[s]) == added[s].size());
      for (size_t i = 0; i < added[s].size(); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(lists[s], i);
        const ldns_rdf* o = ldns_rr_owner(rr);
        const std::string got_owner(reinterpret_cast<const char*>(ldns_rdf_data(o)),
                                    ldns_rdf_size(o));
        CHECK(NameEqual(U(got_owner), U(added[s][i].owner)));
        CHECK(ldns_rr_get_type(rr) == added[s][i].type);
        // RDATA, re-serialised uncompressed by ldns, equals what we added
        // (names compared case-insensitively).
        Bytes got;
        for (size_t f = 0; f < ldns_rr_rd_count(rr); ++f) {
          const ldns_rdf* rdf = ldns_rr_rdf(rr, f);
          got.insert(got.end(), ldns_rdf_data(rdf), ldns_rdf_data(rdf) + ldns_rdf_size(rdf));
        }
        Bytes want = added[s][i].rdata;
        auto lower = [](Bytes v) {
          for (auto& c : v) c = static_cast<uint8_t>(std::tolower(c));
          return v;
        };
        CHECK(lower(got) == lower(want));
      }
    }
    ldns_pkt_free(pkt);

    // Our reader expands every owner to what was added.
    size_t pos = kHeaderSize;
    uint8_t name[kMaxNameWire];
    size_t name_len = 0;
    REQUIRE(ReadName(buf, len, &pos, name, &name_len));
    CHECK(NameEqual(name, U(q)));
    pos += 4;
    for (int s = 0; s < 3; ++s) {
      for (const auto& a : added[s]) {
        REQUIRE(ReadName(buf, len, &pos, name, &name_len));
        CHECK(NameEqual(name, U(a.owner)));
        REQUIRE(len - pos >= 10);
        pos += 10 + ((buf[pos + 8] << 8) | buf[pos + 9]);
      }
    }
    CHECK(pos == len);
  }
}

}  // namespace
}  // namespace enumd::dns

namespace enumd::dns {

TEST_CASE("MessageWriter: names after a NAPTR or SRV point at its uncompressed target") {
  // RFC 3403 §4.1 forbids compressing the NAPTR replacement, but a later
  // owner may point at it: the additional records of a NAPTR answer are
  // usually owned by exactly that name.
  uint8_t buf[512];
  MessageWriter w(buf, sizeof buf, sizeof buf);
  const std::string q = W("1.2.e164.arpa.");
  REQUIRE(w.Start(1, 0x8400, reinterpret_cast<const uint8_t*>(q.data()), type::kNAPTR, 1));
  const std::string target = W("pgw1.example.net.");
  std::string naptr(
      "\x00\x0a\x00\x0a\x01"
      "a\x13x-3gpp-pgw:x-s8-gtp\x00",
      4 + 2 + 20 + 1);
  naptr += target;
  REQUIRE(w.AddRRPtr(Section::kAnswer, MessageWriter::kQnameOffset, type::kNAPTR, 1, 60,
                     reinterpret_cast<const uint8_t*>(naptr.data()),
                     static_cast<uint16_t>(naptr.size())));
  const size_t target_at = w.size() - target.size();
  // The NAPTR went in verbatim.
  CHECK(std::memcmp(buf + target_at, target.data(), target.size()) == 0);
  const size_t before = w.size();
  const uint8_t a[4] = {192, 0, 2, 1};
  REQUIRE(w.AddRR(Section::kAdditional, reinterpret_cast<const uint8_t*>(target.data()), type::kA,
                  1, 60, a, 4));
  // Owner = one pointer to the replacement inside the NAPTR RDATA.
  CHECK(w.size() - before == 2 + 10 + 4);
  CHECK(buf[before] == (0xC0 | (target_at >> 8)));
  CHECK(buf[before + 1] == (target_at & 0xFF));
  // A malformed NAPTR (name not ending the RDATA) registers nothing.
  MessageWriter w2(buf, sizeof buf, sizeof buf);
  REQUIRE(w2.Start(1, 0x8400, reinterpret_cast<const uint8_t*>(q.data()), type::kNAPTR, 1));
  std::string bad = naptr + "x";
  REQUIRE(w2.AddRRPtr(Section::kAnswer, MessageWriter::kQnameOffset, type::kNAPTR, 1, 60,
                      reinterpret_cast<const uint8_t*>(bad.data()),
                      static_cast<uint16_t>(bad.size())));
  const size_t before2 = w2.size();
  REQUIRE(w2.AddRR(Section::kAdditional, reinterpret_cast<const uint8_t*>(target.data()), type::kA,
                   1, 60, a, 4));
  CHECK(w2.size() - before2 == target.size() + 10 + 4);
}

}  // namespace enumd::dns
