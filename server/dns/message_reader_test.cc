// Tests for ParseQuery: well-formed queries (some built by ldns, the
// reference), and a table of raw malformed packets.
#include "dns/message_reader.h"

#include <doctest/doctest.h>
#include <ldns/ldns.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dns/dns_test_support.h"
#include "dns/name.h"

namespace enumd::dns {
namespace {

using testing::Bytes;
using testing::Pkt;

constexpr uint16_t kRD = flag::kRD;

struct Case {
  const char* what;
  Bytes pkt;
  ParseOutcome outcome;
  bool has_question;
};

TEST_CASE("ParseQuery: table of raw packets") {
  const Bytes good = Pkt().Header(7, kRD, 1, 0, 0, 0).Question().b;
  const Bytes qr = Pkt().Header(7, flag::kQR, 1, 0, 0, 0).Question().b;
  const std::vector<Case> cases = {
      {"minimal query", good, ParseOutcome::kOk, true},
      {"empty", {}, ParseOutcome::kDrop, false},
      {"11 bytes", Bytes(good.begin(), good.begin() + 11), ParseOutcome::kDrop, false},
      {"header only, QDCOUNT=0", Pkt().Header(7, 0, 0, 0, 0, 0).b, ParseOutcome::kFormErr, false},
      {"QR=1", qr, ParseOutcome::kDrop, false},
      {"QR=1 short garbage", Pkt().Header(7, flag::kQR, 9, 9, 9, 9).b, ParseOutcome::kDrop, false},
      {"opcode IQUERY", Pkt().Header(7, 1 << 11, 1, 0, 0, 0).Question().b, ParseOutcome::kNotImp,
       true},
      {"opcode STATUS", Pkt().Header(7, 2 << 11, 1, 0, 0, 0).Question().b, ParseOutcome::kNotImp,
       true},
      {"opcode NOTIFY", Pkt().Header(7, 4 << 11, 1, 0, 0, 0).Question().b, ParseOutcome::kNotImp,
       true},
      {"opcode UPDATE, zone section only", Pkt().Header(7, 5 << 11, 1, 0, 0, 0).Question().b,
       ParseOutcome::kNotImp, true},
      {"opcode 15, no question", Pkt().Header(7, 15 << 11, 0, 0, 0, 0).b, ParseOutcome::kNotImp,
       false},
      {"opcode NOTIFY, garbage body", Pkt().Header(7, 4 << 11, 1, 0, 0, 0).U8(0xC0).b,
       ParseOutcome::kNotImp, false},
      {"QDCOUNT=0 with question bytes", Pkt().Header(7, 0, 0, 0, 0, 0).Question().b,
       ParseOutcome::kFormErr, false},
      {"QDCOUNT=2", Pkt().Header(7, 0, 2, 0, 0, 0).Question().Question().b, ParseOutcome::kFormErr,
       false},
      {"QDCOUNT=2, one question", Pkt().Header(7, 0, 2, 0, 0, 0).Question().b,
       ParseOutcome::kFormErr, false},
      {"truncated qname", Pkt().Header(7, 0, 1, 0, 0, 0).Question().Cut(6).b,
       ParseOutcome::kFormErr, false},
      {"qname without root", Pkt().Header(7, 0, 1, 0, 0, 0).Raw({3, 'a', 'b', 'c'}).b,
       ParseOutcome::kFormErr, false},
      {"no qtype/qclass", Pkt().Header(7, 0, 1, 0, 0, 0).Question().Cut(4).b,
       ParseOutcome::kFormErr, false},
      {"half a qclass", Pkt().Header(7, 0, 1, 0, 0, 0).Question().Cut(1).b, ParseOutcome::kFormErr,
       false},
      {"label of 64",
       Pkt().Header(7, 0, 1, 0, 0, 0).U8(64).Raw(Bytes(64, 'a')).U8(0).U16(1).U16(1).b,
       ParseOutcome::kFormErr, false},
      {"name of 256",
       Pkt()
           .Header(7, 0, 1, 0, 0, 0)
           .U8(63)
           .Raw(Bytes(63, 'a'))
           .U8(63)
           .Raw(Bytes(63, 'a'))
           .U8(63)
           .Raw(Bytes(63, 'a'))
           .U8(62)
           .Raw(Bytes(62, 'a'))
           .U8(0)
           .U16(1)
           .U16(1)
           .b,
       ParseOutcome::kFormErr, false},
      {"name of 255",
       Pkt()
           .Header(7, 0, 1, 0, 0, 0)
           .U8(63)
           .Raw(Bytes(63, 'a'))
           .U8(63)
           .Raw(Bytes(63, 'a'))
           .U8(63)
           .Raw(Bytes(63, 'a'))
           .U8(61)
           .Raw(Bytes(61, 'a'))
           .U8(0)
           .U16(1)
           .U16(1)
           .b,
       ParseOutcome::kOk, true},
      {"qname pointer to itself", Pkt().Header(7, 0, 1, 0, 0, 0).U16(0xC00C).U16(1).U16(1).b,
       ParseOutcome::kFormErr, false},
      {"qname pointer forward", Pkt().Header(7, 0, 1, 0, 0, 0).U16(0xC00E).U8(0).U16(1).U16(1).b,
       ParseOutcome::kFormErr, false},
      {"qname: two pointers at each other",
       Pkt().Header(7, 0, 1, 0, 0, 0).U16(0xC00E).U16(0xC00C).U16(1).U16(1).b,
       ParseOutcome::kFormErr, false},
      {"qname label type 01", Pkt().Header(7, 0, 1, 0, 0, 0).U8(0x41).U8(0).U16(1).U16(1).b,
       ParseOutcome::kFormErr, false},
      {"qname label type 10", Pkt().Header(7, 0, 1, 0, 0, 0).U8(0x81).U8(0).U16(1).U16(1).b,
       ParseOutcome::kFormErr, false},
      {"trailing garbage", Pkt().Raw(good).U8(0).b, ParseOutcome::kFormErr, true},
      {"trailing garbage after OPT",
       Pkt().Header(7, 0, 1, 0, 0, 1).Question().Opt(1232, 0).U16(0).b, ParseOutcome::kFormErr,
       true},
      {"ARCOUNT=1, nothing there", Pkt().Header(7, 0, 1, 0, 0, 1).Question().b,
       ParseOutcome::kFormErr, true},
      {"ANCOUNT=1, nothing there", Pkt().Header(7, 0, 1, 1, 0, 0).Question().b,
       ParseOutcome::kFormErr, true},
      {"ANCOUNT=65535", Pkt().Header(7, 0, 1, 0xFFFF, 0, 0).Question().A("a.").b,
       ParseOutcome::kFormErr, true},
      {"answer record (known answer) skipped", Pkt().Header(7, 0, 1, 1, 0, 0).Question().A("a.").b,
       ParseOutcome::kOk, true},
      {"answer owner compressed to qname",
       Pkt().Header(7, 0, 1, 1, 0, 0).Question().U16(0xC00C).U16(1).U16(1).U32(1).U16(0).b,
       ParseOutcome::kOk, true},
      {"authority record skipped", Pkt().Header(7, 0, 1, 0, 1, 0).Question().A("a.").b,
       ParseOutcome::kOk, true},
      {"answer rdlength past end", Pkt().Header(7, 0, 1, 1, 0, 0).Question().A("a.").Cut(1).b,
       ParseOutcome::kFormErr, true},
      {"answer fixed part cut",
       Pkt().Header(7, 0, 1, 1, 0, 0).Question().Name("a.").U16(1).U16(1).U32(1).U8(0).b,
       ParseOutcome::kFormErr, true},
      {"answer owner loops",
       Pkt()
           .Header(7, 0, 1, 1, 0, 0)
           .Question()
           .U8(1)
           .U8('a')
           .U16(0xC000 | 33)
           .U16(1)
           .U16(1)
           .U32(1)
           .U16(0)
           .b,
       ParseOutcome::kFormErr, true},
      {"OPT in answer", Pkt().Header(7, 0, 1, 1, 0, 0).Question().Opt(1232, 0).b,
       ParseOutcome::kFormErr, true},
      {"OPT in authority", Pkt().Header(7, 0, 1, 0, 1, 0).Question().Opt(1232, 0).b,
       ParseOutcome::kFormErr, true},
      {"OPT", Pkt().Header(7, 0, 1, 0, 0, 1).Question().Opt(1232, 0).b, ParseOutcome::kOk, true},
      {"two OPTs", Pkt().Header(7, 0, 1, 0, 0, 2).Question().Opt(1232, 0).Opt(1232, 0).b,
       ParseOutcome::kFormErr, true},
      {"two OPTs around an A",
       Pkt().Header(7, 0, 1, 0, 0, 3).Question().Opt(1232, 0).A("a.").Opt(512, 0).b,
       ParseOutcome::kFormErr, true},
      {"OPT after glue", Pkt().Header(7, 0, 1, 0, 0, 2).Question().A("a.").Opt(1232, 0).b,
       ParseOutcome::kOk, true},
      {"OPT owner not root",
       Pkt().Header(7, 0, 1, 0, 0, 1).Question().Name("a.").U16(41).U16(1232).U32(0).U16(0).b,
       ParseOutcome::kFormErr, true},
      {"OPT owner = qname pointer",
       Pkt().Header(7, 0, 1, 0, 0, 1).Question().U16(0xC00C).U16(41).U16(1232).U32(0).U16(0).b,
       ParseOutcome::kFormErr, true},
      {"OPT owner = pointer to a root byte",
       Pkt().Header(7, 0, 1, 0, 0, 1).Question().U16(0xC000 | 28).U16(41).U16(1232).U32(0).U16(0).b,
       ParseOutcome::kFormErr, true},
      {"OPT rdata past end",
       Pkt().Header(7, 0, 1, 0, 0, 1).Question().Opt(1232, 0, {0, 10, 0, 2, 1, 2}).Cut(1).b,
       ParseOutcome::kFormErr, true},
      {"OPT with a cookie option",
       Pkt()
           .Header(7, 0, 1, 0, 0, 1)
           .Question()
           .Opt(1232, 0, {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8})
           .b,
       ParseOutcome::kOk, true},
      {"OPT with two empty options",
       Pkt().Header(7, 0, 1, 0, 0, 1).Question().Opt(1232, 0, {0, 12, 0, 0, 0, 3, 0, 0}).b,
       ParseOutcome::kOk, true},
      {"OPT option longer than RDATA",
       Pkt()
           .Header(7, 0, 1, 0, 0, 1)
           .Question()
           .Opt(1232, 0, {0, 10, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8})
           .b,
       ParseOutcome::kFormErr, true},
      {"OPT option header cut",
       Pkt().Header(7, 0, 1, 0, 0, 1).Question().Opt(1232, 0, {0, 10, 0}).b, ParseOutcome::kFormErr,
       true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    ParsedQuery q;
    const ParseOutcome got = ParseQuery(c.pkt.data(), c.pkt.size(), &q);
    CHECK(got == c.outcome);
    CHECK(q.has_question == c.has_question);
    if (c.pkt.size() >= kHeaderSize) {
      // Header fields are always echoed.
      CHECK(q.id == ((c.pkt[0] << 8) | c.pkt[1]));
      CHECK(q.flags == ((c.pkt[2] << 8) | c.pkt[3]));
      CHECK(q.opcode == ((c.pkt[2] >> 3) & 0x0F));
    } else {
      CHECK(q.id == 0);
    }
    if (q.has_question) {
      CHECK(q.qname_len > 0);
      CHECK(WireNameLength(q.qname, q.qname_len) == q.qname_len);
    }
  }
}

TEST_CASE("ParseQuery: question fields, case kept") {
  const Bytes p = Pkt().Header(0xBEEF, kRD | flag::kCD, 1, 0, 0, 0).Question("WwW.Example.").b;
  ParsedQuery q;
  REQUIRE(ParseQuery(p.data(), p.size(), &q) == ParseOutcome::kOk);
  CHECK(q.id == 0xBEEF);
  CHECK(q.flags == (kRD | flag::kCD));
  CHECK(q.opcode == 0);
  CHECK(std::string(reinterpret_cast<char*>(q.qname), q.qname_len) == WireName("WwW.Example."));
  CHECK(q.qtype == type::kNAPTR);
  CHECK(q.qclass == rrclass::kIN);
  CHECK_FALSE(q.edns.present);
}

TEST_CASE("ParseQuery: EDNS fields") {
  struct EdnsCase {
    const char* what;
    uint16_t size;
    uint32_t ttl;
    uint8_t ext_rcode, version;
    bool do_bit;
  };
  const std::vector<EdnsCase> cases = {
      {"plain", 1232, 0x00000000, 0, 0, false},
      {"DO bit", 4096, 0x00008000, 0, 0, true},
      {"other Z bits are not DO", 4096, 0x00007FFF, 0, 0, false},
      {"version 1 parses; BADVERS is the caller's", 1232, 0x00010000, 0, 1, false},
      {"version 255 with DO", 512, 0x00FF8000, 0, 255, true},
      {"ext rcode", 1232, 0x12000000, 0x12, 0, false},
      {"small size reported as sent", 100, 0, 0, 0, false},
      {"size 0", 0, 0, 0, 0, false},
      {"everything", 65535, 0xFFFFFFFF, 0xFF, 0xFF, true},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    const Bytes p = Pkt().Header(1, 0, 1, 0, 0, 1).Question().Opt(c.size, c.ttl).b;
    ParsedQuery q;
    REQUIRE(ParseQuery(p.data(), p.size(), &q) == ParseOutcome::kOk);
    CHECK(q.edns.present);
    CHECK(q.edns.udp_size == c.size);
    CHECK(q.edns.ext_rcode == c.ext_rcode);
    CHECK(q.edns.version == c.version);
    CHECK(q.edns.do_bit == c.do_bit);
  }
}

TEST_CASE("ParseQuery: EDNS is reported when the error comes after a valid OPT") {
  // Lets the caller echo an OPT in the FORMERR (as BIND does).
  const Bytes p = Pkt().Header(1, 0, 1, 0, 0, 2).Question().Opt(1232, 0x8000).Opt(512, 0).b;
  ParsedQuery q;
  REQUIRE(ParseQuery(p.data(), p.size(), &q) == ParseOutcome::kFormErr);
  CHECK(q.edns.present);
  CHECK(q.edns.udp_size == 1232);
  CHECK(q.edns.do_bit);
}

TEST_CASE("ParseQuery: NOTIFY with EDNS reports both the question and EDNS") {
  const Bytes p = Pkt().Header(9, 4 << 11, 1, 0, 0, 1).Question().Opt(1232, 0).b;
  ParsedQuery q;
  REQUIRE(ParseQuery(p.data(), p.size(), &q) == ParseOutcome::kNotImp);
  CHECK(q.opcode == 4);
  CHECK(q.has_question);
  CHECK(q.edns.present);
}

TEST_CASE("ParseQuery: the output is reset between calls") {
  ParsedQuery q;
  const Bytes good = Pkt().Header(1, 0, 1, 0, 0, 1).Question().Opt(1232, 0x8000).b;
  REQUIRE(ParseQuery(good.data(), good.size(), &q) == ParseOutcome::kOk);
  const Bytes bad = Pkt().Header(2, 0, 0, 0, 0, 0).b;
  REQUIRE(ParseQuery(bad.data(), bad.size(), &q) == ParseOutcome::kFormErr);
  CHECK(q.id == 2);
  CHECK_FALSE(q.has_question);
  CHECK(q.qname_len == 0);
  CHECK_FALSE(q.edns.present);
  REQUIRE(ParseQuery(bad.data(), 3, &q) == ParseOutcome::kDrop);
  CHECK(q.id == 0);
}

// ldns builds the queries: what a standard client sends must parse.
Bytes LdnsQuery(const char* name, ldns_rr_type t, bool edns, uint16_t size, bool do_bit) {
  ldns_pkt* pkt = nullptr;
  REQUIRE(ldns_pkt_query_new_frm_str(&pkt, name, t, LDNS_RR_CLASS_IN, LDNS_RD) == LDNS_STATUS_OK);
  ldns_pkt_set_id(pkt, 0x1234);
  if (edns) {
    ldns_pkt_set_edns_udp_size(pkt, size);
    ldns_pkt_set_edns_do(pkt, do_bit);
  }
  uint8_t* wire = nullptr;
  size_t len = 0;
  REQUIRE(ldns_pkt2wire(&wire, pkt, &len) == LDNS_STATUS_OK);
  Bytes out(wire, wire + len);
  free(wire);
  ldns_pkt_free(pkt);
  return out;
}

TEST_CASE("ParseQuery: queries built by ldns") {
  struct LdnsCase {
    const char* name;
    ldns_rr_type type;
    bool edns;
    uint16_t size;
    bool do_bit;
  };
  const std::vector<LdnsCase> cases = {
      {"4.3.2.1.5.5.5.0.0.8.1.e164.arpa.", LDNS_RR_TYPE_NAPTR, false, 0, false},
      {"4.3.2.1.5.5.5.0.0.8.1.e164.arpa.", LDNS_RR_TYPE_NAPTR, true, 1232, false},
      {"_sip._udp.ims.example.", LDNS_RR_TYPE_SRV, true, 4096, true},
      {".", LDNS_RR_TYPE_NS, true, 512, false},
      {"a\\.b.example.", LDNS_RR_TYPE_ANY, false, 0, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const Bytes p = LdnsQuery(c.name, c.type, c.edns, c.size, c.do_bit);
    ParsedQuery q;
    REQUIRE(ParseQuery(p.data(), p.size(), &q) == ParseOutcome::kOk);
    CHECK(q.id == 0x1234);
    CHECK((q.flags & flag::kRD) != 0);
    CHECK(std::string(reinterpret_cast<char*>(q.qname), q.qname_len) == WireName(c.name));
    CHECK(q.qtype == c.type);
    CHECK(q.qclass == rrclass::kIN);
    CHECK(q.edns.present == c.edns);
    if (c.edns) {
      CHECK(q.edns.udp_size == c.size);
      CHECK(q.edns.do_bit == c.do_bit);
      CHECK(q.edns.version == 0);
    }
  }
}

TEST_CASE("ParseQuery: random corruption never breaks the invariants") {
  // Sanitizer builds turn any out-of-bounds read here into a failure.
  const Bytes base = Pkt()
                         .Header(1, 0, 1, 1, 1, 2)
                         .Question("a.b.example.")
                         .U16(0xC00C)
                         .U16(1)
                         .U16(1)
                         .U32(1)
                         .U16(4)
                         .U32(1)
                         .Name("x.b.example.")
                         .U16(2)
                         .U16(1)
                         .U32(1)
                         .U16(2)
                         .U16(0xC00E)
                         .A("glue.example.")
                         .Opt(1232, 0x8000, {0, 10, 0, 2, 1, 2})
                         .b;
  {
    ParsedQuery q;
    REQUIRE(ParseQuery(base.data(), base.size(), &q) == ParseOutcome::kOk);
  }
  std::mt19937 rng(12345);
  int ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes p = base;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      p[rng() % p.size()] = static_cast<uint8_t>(rng());
    }
    if (rng() % 4 == 0) p.resize(rng() % (p.size() + 1));
    ParsedQuery q;
    const ParseOutcome r = ParseQuery(p.data(), p.size(), &q);
    if (q.has_question) {
      REQUIRE(q.qname_len <= kMaxNameWire);
      REQUIRE(WireNameLength(q.qname, q.qname_len) == q.qname_len);
    }
    if (r == ParseOutcome::kOk) {
      ++ok;
      REQUIRE(q.has_question);
      REQUIRE((q.flags & flag::kQR) == 0);
      REQUIRE(q.opcode == 0);
    }
  }
  CHECK(ok > 0);
}

}  // namespace
}  // namespace enumd::dns
