// Engine tests: (qname, qtype) -> rcode, flags and sections, against the
// playground zone plus the cases it lacks (cuts, CNAME, additional data, big
// RRsets), imported into an in-memory store. Responses are decoded with ldns,
// an independent parser.
#include "query/responder.h"

#include <doctest/doctest.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "dns/constants.h"
#include "dns/name.h"
#include "query/query_test_support.h"
#include "zone/zone_importer.h"
#include "zone/zone_updater.h"

namespace enumd::query {
namespace {

const char* kZone = R"ZONE($TTL 1h
@ IN SOA ns.e164.arpa. root.e164.arpa. 2009010918 3600 3600 3600 600
@ IN NS ns.e164.arpa.
@ IN A 127.0.0.1
ns IN A 127.0.0.2
1.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:61355500912@10.0.1.98!" .
2.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:a@server1.example.com!" .
2.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 "u" "E2U+sip" "!^.*$!sip:a@server2.example.com!" .
*.1.0.5.5.5.2.1.6 IN NAPTR 100 100 "u" "E2U+sip" "!^.*$!sip:61255501_numbers@example.com!" .
*.2.0.5.5.5.2.1.6 IN NAPTR 100 100 "u" "E2U+sip" "!(^.*$)!sip:+1\\1@example.com!" .
4.3.2.1.0.5.5.5.2.1.6 IN NAPTR 50 100 "u" "E2U+sip" "!^.*$!sip:staticroute@example.com!" .
; a delegation with glue
sub IN NS ns1.sub
sub IN NS ns.e164.arpa.
ns1.sub IN A 192.0.2.53
; CNAME chain inside the zone, and one leaving it
alias IN CNAME alias2
alias2 IN CNAME 1.1.9.0.0.5.5.5.3.1.6
out IN CNAME www.example.com.
*.w IN CNAME 1.1.9.0.0.5.5.5.3.1.6
; NAPTR with a replacement whose SRV and addresses are in the zone
7.7.7 IN NAPTR 10 10 "s" "SIP+D2U" "" _sip._udp.pbx
_sip._udp.pbx IN SRV 10 10 5060 host.pbx
host.pbx IN A 192.0.2.10
host.pbx IN AAAA 2001:db8::10
8.8.8 IN NAPTR 10 10 "a" "x-3gpp-pgw:x-s8-gtp" "" pgw1.pbx
pgw1.pbx IN A 192.0.2.11
; flag "u" with a non-root replacement: nothing in additional (as BIND)
6.6.6 IN NAPTR 10 10 "u" "E2U+sip" "" pgw1.pbx
; a CNAME into the delegation, a CNAME loop, and an MX target only a wildcard covers
todeleg IN CNAME www.sub
loop1 IN CNAME loop2
loop2 IN CNAME loop1
mxw IN MX 10 host.wa
*.wa IN A 192.0.2.99
)ZONE";

// The test zone with a name whose NAPTRs overflow 512 and 1232 bytes.
std::string TestZone() {
  std::string zone_text = kZone;
  for (int i = 0; i < 40; ++i)
    zone_text += "9.9.9 IN NAPTR 10 " + std::to_string(i) +
                 " \"u\" \"E2U+sip\" \"!^.*$!sip:big-answer-record-" + std::to_string(i) +
                 "@gateway.example.net!\" .\n";
  return zone_text;
}

ResponderOptions TestOptions(uint16_t udp_cap, size_t node_cache_bytes) {
  ResponderOptions ro;
  ro.udp_max_payload = udp_cap;
  ro.version = "enumd-test";
  ro.node_cache_bytes = node_cache_bytes;
  return ro;
}

struct Fixture : ServedZone {
  explicit Fixture(zone::WildcardMode mode = zone::WildcardMode::kRfc4592, uint16_t udp_cap = 1232,
                   size_t node_cache_bytes = 0)
      : ServedZone(TestZone(), TestOptions(udp_cap, node_cache_bytes), mode) {}
};

// Builds a query with ldns (independent of the code under test).
std::vector<uint8_t> MakeQuery(const std::string& name, uint16_t type, bool edns = false,
                               uint16_t bufsize = 1232, uint16_t qclass = 1, bool rd = true) {
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_pkt_query_new_frm_str(&p, name.c_str(), static_cast<ldns_rr_type>(type),
                                     static_cast<ldns_rr_class>(qclass),
                                     rd ? LDNS_RD : 0) == LDNS_STATUS_OK);
  ldns_pkt_set_id(p, 0x1234);
  if (edns) {
    ldns_pkt_set_edns_udp_size(p, bufsize);
    ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_HEX, ""));
  }
  uint8_t* wire = nullptr;
  size_t len = 0;
  REQUIRE(ldns_pkt2wire(&wire, p, &len) == LDNS_STATUS_OK);
  std::vector<uint8_t> out(wire, wire + len);
  free(wire);
  ldns_pkt_free(p);
  return out;
}

struct Answer {
  size_t size = 0;
  int rcode = -1;
  bool aa = false, tc = false, ra = false, rd = false;
  std::vector<std::string> answer, authority, additional;  // "owner type rdata" text
  bool edns = false;
  uint16_t edns_size = 0;
};

std::vector<std::string> Section(ldns_rr_list* list) {
  std::vector<std::string> out;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    ldns_rr* rr = ldns_rr_list_rr(list, i);
    char* owner = ldns_rdf2str(ldns_rr_owner(rr));
    char* type = ldns_rr_type2str(ldns_rr_get_type(rr));
    std::string s = std::string(owner) + " " + type + " " + std::to_string(ldns_rr_ttl(rr));
    for (size_t k = 0; k < ldns_rr_rd_count(rr); ++k) {
      char* rd = ldns_rdf2str(ldns_rr_rdf(rr, k));
      s += " " + std::string(rd);
      free(rd);
    }
    free(owner);
    free(type);
    out.push_back(s);
  }
  return out;
}

Answer Ask(ServedZone& f, const std::vector<uint8_t>& q, bool tcp = false) {
  std::vector<uint8_t> out(65535);
  Answer a;
  a.size = f.responder->Respond(q.data(), q.size(), out.data(), out.size(), tcp);
  if (a.size == 0) return a;
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_wire2pkt(&p, out.data(), a.size) == LDNS_STATUS_OK);
  a.rcode = ldns_pkt_get_rcode(p);
  a.aa = ldns_pkt_aa(p);
  a.tc = ldns_pkt_tc(p);
  a.ra = ldns_pkt_ra(p);
  a.rd = ldns_pkt_rd(p);
  a.answer = Section(ldns_pkt_answer(p));
  a.authority = Section(ldns_pkt_authority(p));
  a.additional = Section(ldns_pkt_additional(p));
  a.edns = ldns_pkt_edns(p);
  a.edns_size = ldns_pkt_edns_udp_size(p);
  CHECK(ldns_pkt_id(p) == 0x1234);
  ldns_pkt_free(p);
  return a;
}

Answer Ask(ServedZone& f, const std::string& name, uint16_t type) {
  return Ask(f, MakeQuery(name, type));
}

constexpr uint16_t kNaptr = dns::type::kNAPTR;

}  // namespace

TEST_CASE("responder: the playground's answers (RFC 4592 mode)") {
  Fixture f;
  struct Row {
    const char* qname;
    uint16_t qtype;
    int rcode;
    size_t answers;
    const char* first_answer;  // prefix of the first answer line, or ""
    const char* authority;     // prefix of the first authority line, or ""
  };
  const Row rows[] = {
      {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", kNaptr, 0, 1,
       "1.1.9.0.0.5.5.5.3.1.6.e164.arpa. NAPTR 3600 10 100 \"u\" \"E2U+sip\" "
       "\"!^.*$!sip:61355500912@10.0.1.98!\" .",
       ""},
      {"2.1.9.0.0.5.5.5.3.1.6.e164.arpa.", kNaptr, 0, 2, "2.1.9.0.0.5.5.5.3.1.6.e164.arpa. NAPTR",
       ""},
      // Synthesised from *.2.0.5.5.5.2.1.6: owner is the name asked.
      {"0.0.0.2.0.5.5.5.2.1.6.e164.arpa.", kNaptr, 0, 1,
       "0.0.0.2.0.5.5.5.2.1.6.e164.arpa. NAPTR 3600 100 100 \"u\" \"E2U+sip\" "
       "\"!(^.*$)!sip:+1\\\\1@example.com!\" .",
       ""},
      // The specific record, not the wildcard.
      {"4.3.2.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr, 0, 1,
       "4.3.2.1.0.5.5.5.2.1.6.e164.arpa. NAPTR 3600 50 100", ""},
      // RFC 4592: the empty non-terminal 3.2.1.0.5.5.5.2.1.6 blocks the wildcard.
      {"5.3.2.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr, 3, 0, "", "e164.arpa. SOA 600"},
      {"3.2.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr, 0, 0, "", "e164.arpa. SOA 600"},
      // ...and so does 2.1.0.5.5.5.2.1.6, one level up: all of +612555012xxx.
      {"5.4.2.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr, 3, 0, "", "e164.arpa. SOA 600"},
      // A neighbour outside the exception's branch still matches.
      {"5.5.3.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr, 0, 1, "5.5.3.1.0.5.5.5.2.1.6.e164.arpa. NAPTR",
       ""},
      // A name with data but not the type: NODATA; the wildcard does not apply.
      {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", dns::type::kA, 0, 0, "", "e164.arpa. SOA"},
      // A wildcard-covered name without the type: NODATA.
      {"0.0.0.2.0.5.5.5.2.1.6.e164.arpa.", dns::type::kA, 0, 0, "", "e164.arpa. SOA"},
      // A literal '*' query hits the wildcard node itself.
      {"*.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr, 0, 1, "*.1.0.5.5.5.2.1.6.e164.arpa. NAPTR", ""},
      {"nothing.e164.arpa.", kNaptr, 3, 0, "", "e164.arpa. SOA"},
      {"e164.arpa.", dns::type::kSOA, 0, 1, "e164.arpa. SOA 3600 ns.e164.arpa.", ""},
      {"e164.arpa.", dns::type::kTXT, 0, 0, "", "e164.arpa. SOA"},
      {"example.com.", kNaptr, 5, 0, "", ""},
      {"arpa.", kNaptr, 5, 0, "", ""},
  };
  for (const Row& r : rows) {
    std::string qname_text = r.qname;
    CAPTURE(qname_text);
    CAPTURE(r.qtype);
    Answer a = Ask(f, r.qname, r.qtype);
    CHECK(a.rcode == r.rcode);
    CHECK_FALSE(a.ra);
    CHECK(a.rd);
    CHECK(a.aa == (r.rcode != 5));
    CHECK(a.answer.size() == r.answers);
    if (*r.first_answer) {
      REQUIRE_FALSE(a.answer.empty());
      CHECK(a.answer[0].rfind(r.first_answer, 0) == 0);
    }
    if (*r.authority) {
      REQUIRE(a.authority.size() == 1);
      CHECK(a.authority[0].rfind(r.authority, 0) == 0);
    } else {
      CHECK(a.authority.empty());
    }
  }
}

TEST_CASE("responder: longest-match wildcards let the exception override for itself only") {
  Fixture f(zone::WildcardMode::kLongestMatch);
  Answer a = Ask(f, "5.3.2.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr);
  CHECK(a.rcode == 0);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].find("61255501_numbers") != std::string::npos);
  CHECK(a.answer[0].rfind("5.3.2.1.0.5.5.5.2.1.6.e164.arpa.", 0) == 0);
  a = Ask(f, "3.2.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr);  // the empty non-terminal itself
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].find("61255501_numbers") != std::string::npos);
  a = Ask(f, "4.3.2.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].find("staticroute") != std::string::npos);
  a = Ask(f, "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", dns::type::kA);  // own data: NODATA
  CHECK(a.rcode == 0);
  CHECK(a.answer.empty());
  a = Ask(f, "9.9.9.9.e164.arpa.", kNaptr);  // no wildcard above: NXDOMAIN
  CHECK(a.rcode == 3);
  // An empty non-terminal with no wildcard above it exists: NODATA, never
  // NXDOMAIN (RFC 8020 would let resolvers deny every number below it).
  for (const char* ent :
       {"1.9.0.0.5.5.5.3.1.6.e164.arpa.", "6.e164.arpa.", "1.0.5.5.5.2.1.6.e164.arpa."}) {
    CAPTURE(ent);
    a = Ask(f, ent, kNaptr);
    CHECK(a.rcode == 0);
    CHECK(a.answer.empty());
    CHECK(a.authority.size() == 1);
  }
}

// The closest encloser of a missing name is found by a binary search over
// its ancestors (zone/lookup.cc): every depth of a deep chain, with a
// wildcard at some depths, a delegation at one, and names missing one label
// or several below each ancestor, against what RFC 4592 says each must be.
// The chain 0 < 9.0 < 8.9.0 < ... < 1.2.3.4.5.6.7.8.9.0 (only its end has
// data; the rest are empty non-terminals), wildcards below the ancestors of
// 1, 4 and 7 labels, a delegation at 5.5.
constexpr const char* kChainZone = R"ZONE($TTL 1h
@ IN SOA ns.e164.arpa. root.e164.arpa. 1 3600 3600 3600 600
@ IN NS ns.e164.arpa.
ns IN A 127.0.0.2
1.2.3.4.5.6.7.8.9.0 IN NAPTR 10 10 "u" "E2U+sip" "!^.*$!sip:deep@example.com!" .
*.0 IN NAPTR 10 10 "u" "E2U+sip" "!^.*$!sip:w1@example.com!" .
*.7.8.9.0 IN NAPTR 10 10 "u" "E2U+sip" "!^.*$!sip:w4@example.com!" .
*.4.5.6.7.8.9.0 IN NAPTR 10 10 "u" "E2U+sip" "!^.*$!sip:w7@example.com!" .
5.5 IN NS ns.example.net.
)ZONE";

TEST_CASE("responder: the closest encloser of a missing name, at every depth") {
  const std::string text = kChainZone;
  const std::string chain[] = {"0",
                               "9.0",
                               "8.9.0",
                               "7.8.9.0",
                               "6.7.8.9.0",
                               "5.6.7.8.9.0",
                               "4.5.6.7.8.9.0",
                               "3.4.5.6.7.8.9.0",
                               "2.3.4.5.6.7.8.9.0",
                               "1.2.3.4.5.6.7.8.9.0"};
  // The wildcard that covers a name missing below the ancestor of k labels.
  auto expected = [](int k) -> std::string {
    if (k == 1) return "sip:w1@";
    if (k == 4) return "sip:w4@";
    if (k == 7) return "sip:w7@";
    return "";  // NXDOMAIN
  };
  for (auto mode : {zone::WildcardMode::kRfc4592, zone::WildcardMode::kLongestMatch})
    for (size_t cache : {size_t{0}, size_t{1} << 20}) {
      ServedZone f(text, TestOptions(1232, cache), mode);
      for (int pass = 0; pass < 2; ++pass) {  // the second from the cache
        for (int k = 1; k <= 10; ++k) {
          const std::string& ce = chain[k - 1];
          for (const std::string& missing :
               {std::string("x"), std::string("x.y.z"), std::string("1.2.3.4.5.6.7.8.9.x.y")}) {
            const std::string qname = missing + "." + ce + ".e164.arpa.";
            CAPTURE(qname);
            CAPTURE(static_cast<int>(mode));
            CAPTURE(cache);
            Answer a = Ask(f, qname, kNaptr);
            // RFC 4592 synthesises only from *.<closest encloser>; longest
            // match from the deepest wildcard above.
            std::string want = expected(k);
            if (mode == zone::WildcardMode::kLongestMatch)
              for (int up = k; up >= 1 && want.empty(); --up) want = expected(up);
            if (want.empty()) {
              CHECK(a.rcode == LDNS_RCODE_NXDOMAIN);
              CHECK(a.answer.empty());
            } else {
              CHECK(a.rcode == LDNS_RCODE_NOERROR);
              REQUIRE(a.answer.size() == 1);
              CHECK(a.answer[0].find(want) != std::string::npos);
            }
          }
        }
        // The chain's own names exist: the empty non-terminals are NODATA
        // (RFC 4592 mode), the end has its data.
        if (mode == zone::WildcardMode::kRfc4592)
          for (int k = 1; k <= 9; ++k) {
            Answer a = Ask(f, chain[k - 1] + ".e164.arpa.", kNaptr);
            CHECK(a.rcode == LDNS_RCODE_NOERROR);
            CHECK(a.answer.empty());
          }
        Answer a = Ask(f, "1.2.3.4.5.6.7.8.9.0.e164.arpa.", kNaptr);
        REQUIRE(a.answer.size() == 1);
        CHECK(a.answer[0].find("sip:deep@") != std::string::npos);
        // Missing names at and below the cut are referrals.
        for (const char* below : {"x.5.5.e164.arpa.", "x.y.z.5.5.e164.arpa."}) {
          CAPTURE(below);
          a = Ask(f, below, kNaptr);
          CHECK(a.rcode == LDNS_RCODE_NOERROR);
          CHECK(!a.aa);
          REQUIRE(a.authority.size() == 1);
          CHECK(a.authority[0].rfind("5.5.e164.arpa.", 0) == 0);
        }
      }
    }
}

TEST_CASE("zone::Lookup: an encloser hint, right or wrong, changes no answer") {
  // Missing names at many depths of the chain zone (and below its cut),
  // each looked up with every hint from -1 to past its label count: each
  // must come out as without one.
  for (auto mode : {zone::WildcardMode::kRfc4592, zone::WildcardMode::kLongestMatch}) {
    ServedZone f(kChainZone, TestOptions(1232, 0), mode);
    const zone::Zone& z = f.registry.served().zones().at(0);
    for (const char* missing :
         {"1.5.6.7.8.9.0", "x.1.2.3.4.5.6.7.8.9.0", "9.2.3.4.5.6.7.8.9.0", "2.6.7.8.9.0",
          "1.2.7.8.9.0", "3.8.9.0", "1.2.3.4.1", "x", "1.2.5.5", "3.4.x.5.6.7.8.9.0"}) {
      const std::string name = dns::WireName(std::string(missing) + ".e164.arpa.");
      const auto* qname = reinterpret_cast<const uint8_t*>(name.data());
      zone::LookupScratch s;
      zone::LookupResult want;
      zone::Lookup(*f.store, z, qname, kNaptr, &s, &want);
      REQUIRE(want.kind != zone::LookupKind::kError);
      const int labels = dns::LabelCount(qname) - 2;
      for (int hint = -1; hint <= labels + 1; ++hint) {
        CAPTURE(missing);
        CAPTURE(hint);
        zone::LookupResult got;
        s.encloser_hint = hint;
        zone::Lookup(*f.store, z, qname, kNaptr, &s, &got);
        CHECK(s.encloser_hint == -1);  // consumed
        CHECK(got.kind == want.kind);
        CHECK(got.cut_labels == want.cut_labels);
        CHECK(got.wildcard_labels == want.wildcard_labels);
      }
    }
  }
}

TEST_CASE("responder: case is matched loosely and echoed as sent") {
  Fixture f;
  Answer a = Ask(f, "1.1.9.0.0.5.5.5.3.1.6.E164.ARPA.", kNaptr);
  CHECK(a.rcode == 0);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].rfind("1.1.9.0.0.5.5.5.3.1.6.E164.ARPA.", 0) == 0);
  a = Ask(f, "0.0.0.2.0.5.5.5.2.1.6.E164.Arpa.", kNaptr);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].rfind("0.0.0.2.0.5.5.5.2.1.6.E164.Arpa.", 0) == 0);
}

TEST_CASE("responder: referrals, CNAME chains and additional data") {
  Fixture f;
  Answer a = Ask(f, "x.sub.e164.arpa.", dns::type::kA);
  CHECK(a.rcode == 0);
  CHECK_FALSE(a.aa);
  CHECK(a.answer.empty());
  CHECK(a.authority.size() == 2);
  CHECK(a.authority[0].rfind("sub.e164.arpa. NS", 0) == 0);
  REQUIRE(a.additional.size() >= 1);
  CHECK(a.additional[0].find("192.0.2.53") != std::string::npos);
  // Glue is not answered from the parent.
  a = Ask(f, "ns1.sub.e164.arpa.", dns::type::kA);
  CHECK_FALSE(a.aa);
  CHECK(a.answer.empty());
  // The delegation point itself is a referral too; DS is the parent's.
  a = Ask(f, "sub.e164.arpa.", dns::type::kNS);
  CHECK_FALSE(a.aa);
  a = Ask(f, "sub.e164.arpa.", dns::type::kDS);
  CHECK(a.aa);
  CHECK(a.authority.size() == 1);

  a = Ask(f, "alias.e164.arpa.", kNaptr);
  CHECK(a.aa);
  REQUIRE(a.answer.size() == 3);
  CHECK(a.answer[0].rfind("alias.e164.arpa. CNAME", 0) == 0);
  CHECK(a.answer[1].rfind("alias2.e164.arpa. CNAME", 0) == 0);
  CHECK(a.answer[2].rfind("1.1.9.0.0.5.5.5.3.1.6.e164.arpa. NAPTR", 0) == 0);
  a = Ask(f, "out.e164.arpa.", kNaptr);
  CHECK(a.answer.size() == 1);
  a = Ask(f, "anything.w.e164.arpa.", kNaptr);  // wildcard CNAME, synthesised owner
  REQUIRE(a.answer.size() == 2);
  CHECK(a.answer[0].rfind("anything.w.e164.arpa. CNAME", 0) == 0);
  a = Ask(f, "alias.e164.arpa.", dns::type::kCNAME);
  CHECK(a.answer.size() == 1);
  // RRSIG and NSEC are answered at the alias (RFC 4035 §2.5): here NODATA.
  for (uint16_t t : {dns::type::kRRSIG, dns::type::kNSEC}) {
    a = Ask(f, "alias.e164.arpa.", t);
    CHECK(a.rcode == 0);
    CHECK(a.answer.empty());
    CHECK(a.authority.size() == 1);
  }

  // A CNAME into a delegation: the CNAME, then the referral; AA stays set
  // (RFC 1034 §4.3.2 step 3b after the restart; BIND and Knot).
  a = Ask(f, "todeleg.e164.arpa.", dns::type::kA);
  CHECK(a.rcode == 0);
  CHECK(a.aa);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].rfind("todeleg.e164.arpa. CNAME", 0) == 0);
  REQUIRE(a.authority.size() == 2);
  CHECK(a.authority[0].rfind("sub.e164.arpa. NS", 0) == 0);
  CHECK_FALSE(a.additional.empty());
  // A CNAME loop: each CNAME once, then SERVFAIL (BIND; RFC 1034 §3.6.2).
  a = Ask(f, "loop1.e164.arpa.", dns::type::kA);
  CHECK(a.rcode == 2);
  CHECK(a.aa);
  CHECK(a.answer.size() == 2);

  // RFC 3403 §4.2: flag "s" -> SRV of the replacement and its target's
  // addresses; A RRsets first, then AAAA, then the rest (BIND's order).
  a = Ask(f, "7.7.7.e164.arpa.", kNaptr);
  REQUIRE(a.answer.size() == 1);
  REQUIRE(a.additional.size() == 3);
  CHECK(a.additional[0].rfind("host.pbx.e164.arpa. A ", 0) == 0);
  CHECK(a.additional[1].rfind("host.pbx.e164.arpa. AAAA", 0) == 0);
  CHECK(a.additional[2].rfind("_sip._udp.pbx.e164.arpa. SRV", 0) == 0);
  // Flag "a" -> addresses.
  a = Ask(f, "8.8.8.e164.arpa.", kNaptr);
  REQUIRE(a.additional.size() == 1);
  CHECK(a.additional[0].rfind("pgw1.pbx.e164.arpa. A", 0) == 0);
  // Flag "u": the replacement is not looked up.
  a = Ask(f, "6.6.6.e164.arpa.", kNaptr);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.additional.empty());
  // An additional name covered by a wildcard gets synthesised addresses.
  a = Ask(f, "mxw.e164.arpa.", dns::type::kMX);
  REQUIRE(a.additional.size() == 1);
  CHECK(a.additional[0].rfind("host.wa.e164.arpa. A 3600 192.0.2.99", 0) == 0);
  // Referral glue: every A before any AAAA.
  a = Ask(f, "x.sub.e164.arpa.", dns::type::kA);
  REQUIRE(a.additional.size() == 2);
  CHECK(a.additional[0].rfind("ns1.sub.e164.arpa. A ", 0) == 0);
  CHECK(a.additional[1].rfind("ns.e164.arpa. A ", 0) == 0);
  // NS at the apex brings the in-zone address of its target.
  a = Ask(f, "e164.arpa.", dns::type::kNS);
  REQUIRE(a.additional.size() == 1);
  CHECK(a.additional[0].find("127.0.0.2") != std::string::npos);
  // ANY returns every RRset at the name.
  a = Ask(f, "e164.arpa.", dns::type::kANY);
  CHECK(a.answer.size() == 3);
}

TEST_CASE("responder: truncation keeps whole RRsets and TCP gets everything") {
  Fixture f;
  const std::string big = "9.9.9.e164.arpa.";
  Answer a = Ask(f, MakeQuery(big, kNaptr));  // no EDNS: 512 bytes
  CHECK(a.tc);
  CHECK(a.size <= 512);
  CHECK(a.answer.empty());  // the single RRset does not fit whole
  CHECK(a.rcode == 0);
  a = Ask(f, MakeQuery(big, kNaptr, true, 512));
  CHECK(a.tc);
  CHECK(a.size <= 512);
  CHECK(a.edns);
  a = Ask(f, MakeQuery(big, kNaptr, true, 4096));  // capped at 1232
  CHECK(a.tc);
  CHECK(a.size <= 1232);
  CHECK(a.edns_size == 1232);
  a = Ask(f, MakeQuery(big, kNaptr), true);
  CHECK_FALSE(a.tc);
  CHECK(a.answer.size() == 40);
  a = Ask(f, MakeQuery("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", kNaptr, true, 100));  // < 512 -> 512
  CHECK_FALSE(a.tc);
  CHECK(a.answer.size() == 1);
}

TEST_CASE("responder: EDNS, classes, opcodes and malformed queries") {
  Fixture f;
  Answer a = Ask(f, MakeQuery("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", kNaptr, true, 4096));
  CHECK(a.edns);
  CHECK(a.edns_size == 1232);
  CHECK(a.rcode == 0);

  // EDNS version 1 -> BADVERS (16): header rcode 0, extended rcode 1 in OPT.
  std::vector<uint8_t> q = MakeQuery("e164.arpa.", dns::type::kSOA, true);
  q[q.size() - 5] = 1;  // OPT TTL byte 2 = version
  std::vector<uint8_t> out(65535);
  size_t n = f.responder->Respond(q.data(), q.size(), out.data(), out.size(), false);
  REQUIRE(n > 12);
  CHECK((out[3] & 0xF) == 0);
  CHECK(out[n - 11 + 5] == 1);  // extended rcode in the OPT TTL
  CHECK(out[7] == 0);           // no answer

  // CHAOS version.bind answers the configured string; other CH names are refused.
  a = Ask(f, MakeQuery("version.bind.", dns::type::kTXT, false, 0, dns::rrclass::kCH));
  CHECK(a.rcode == 0);
  REQUIRE(a.answer.size() == 1);
  CHECK(a.answer[0].find("enumd-test") != std::string::npos);
  a = Ask(f, MakeQuery("foo.bind.", dns::type::kTXT, false, 0, dns::rrclass::kCH));
  CHECK(a.rcode == 5);
  a = Ask(f, MakeQuery("e164.arpa.", dns::type::kSOA, false, 0, 4 /* HS */));
  CHECK(a.rcode == 5);
  a = Ask(f, "e164.arpa.", dns::type::kAXFR);
  CHECK(a.rcode == 5);

  // Opcode NOTIFY(4) -> NOTIMP; QR=1 -> dropped; short -> dropped.
  q = MakeQuery("e164.arpa.", dns::type::kSOA);
  q[2] = static_cast<uint8_t>((q[2] & 0x87) | (4 << 3));
  a = Ask(f, q);
  CHECK(a.rcode == 4);
  q = MakeQuery("e164.arpa.", dns::type::kSOA);
  q[2] |= 0x80;
  CHECK(Ask(f, q).size == 0);
  CHECK(f.responder->Respond(q.data(), 11, out.data(), out.size(), false) == 0);
  // QDCOUNT=2 -> FORMERR with the id echoed.
  q = MakeQuery("e164.arpa.", dns::type::kSOA);
  q[5] = 2;
  n = f.responder->Respond(q.data(), q.size(), out.data(), out.size(), false);
  REQUIRE(n >= 12);
  CHECK((out[3] & 0xF) == 1);
  CHECK(out[0] == 0x12);
  CHECK((out[2] & 0x80) != 0);
  // Trailing garbage -> FORMERR.
  q = MakeQuery("e164.arpa.", dns::type::kSOA);
  q.push_back(0);
  n = f.responder->Respond(q.data(), q.size(), out.data(), out.size(), false);
  CHECK((out[3] & 0xF) == 1);
  // A compression pointer loop in the question -> FORMERR.
  uint8_t loop[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1};
  n = f.responder->Respond(loop, sizeof(loop), out.data(), out.size(), false);
  REQUIRE(n >= 12);
  CHECK((out[3] & 0xF) == 1);
}

TEST_CASE("responder: arbitrary bytes never crash and always give a sane size") {
  Fixture f;
  std::vector<uint8_t> out(65535);
  std::vector<uint8_t> q = MakeQuery("2.1.9.0.0.5.5.5.3.1.6.e164.arpa.", kNaptr, true);
  uint32_t seed = 12345;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> m = q;
    int flips = 1 + i % 4;
    for (int k = 0; k < flips; ++k) {
      seed = seed * 1103515245 + 12345;
      m[(seed >> 8) % m.size()] = static_cast<uint8_t>(seed >> 20);
    }
    if (i % 7 == 0) m.resize((seed >> 4) % (m.size() + 1));
    size_t n = f.responder->Respond(m.data(), m.size(), out.data(), out.size(), i % 2);
    CHECK(n <= (i % 2 ? 65535u : 1232u));
  }
}

}  // namespace enumd::query

namespace enumd::query {
namespace {

// Every kind of answer: data, wildcard, exception under a wildcard, NODATA,
// NXDOMAIN, referral, glue, CNAME chains and loops, additional data,
// truncation, and names in no zone.
std::vector<std::vector<uint8_t>> QueryMix() {
  std::vector<std::vector<uint8_t>> qs;
  const char* names[] = {"1.1.9.0.0.5.5.5.3.1.6.e164.arpa.",
                         "2.1.9.0.0.5.5.5.3.1.6.e164.arpa.",
                         "9.9.1.0.5.5.5.2.1.6.e164.arpa.",
                         "4.3.2.1.0.5.5.5.2.1.6.e164.arpa.",
                         "5.3.2.1.0.5.5.5.2.1.6.e164.arpa.",
                         "7.7.2.0.5.5.5.2.1.6.e164.arpa.",
                         "3.1.6.e164.arpa.",
                         "0.0.0.0.4.4.e164.arpa.",
                         "e164.arpa.",
                         "x.sub.e164.arpa.",
                         "alias.e164.arpa.",
                         "out.e164.arpa.",
                         "a.w.e164.arpa.",
                         "7.7.7.e164.arpa.",
                         "8.8.8.e164.arpa.",
                         "todeleg.e164.arpa.",
                         "loop1.e164.arpa.",
                         "mxw.e164.arpa.",
                         "9.9.9.e164.arpa.",
                         "example.com."};
  const uint16_t types[] = {kNaptr,         dns::type::kA,  dns::type::kSOA,
                            dns::type::kNS, dns::type::kMX, dns::type::kANY};
  for (const char* n : names)
    for (uint16_t t : types) {
      qs.push_back(MakeQuery(n, t));
      qs.push_back(MakeQuery(n, t, /*edns=*/true, 1232));
    }
  return qs;
}

std::vector<uint8_t> Raw(Fixture& f, const std::vector<uint8_t>& q, bool tcp = false) {
  std::vector<uint8_t> out(65535);
  out.resize(f.responder->Respond(q.data(), q.size(), out.data(), out.size(), tcp));
  return out;
}

TEST_CASE("responder: says how much of the query name a wildcard answer stands for") {
  Fixture f;
  Ask(f, "9.9.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr);    // *.1.0.5.5.5.2.1.6
  CHECK(f.responder->last_wildcard_skip() == 4);       // "\x019\x019"
  Ask(f, "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", kNaptr);  // its own data
  CHECK(f.responder->last_wildcard_skip() == 0);
  Ask(f, "4.3.2.1.0.5.5.5.2.1.6.e164.arpa.", kNaptr);  // exception: own data
  CHECK(f.responder->last_wildcard_skip() == 0);
  Ask(f, "a.w.e164.arpa.", kNaptr);  // *.w, a CNAME: the query name is the wildcard's
  CHECK(f.responder->last_wildcard_skip() == 2);
}

// RRL accounts a response by how the responder describes it (the answer as
// decided, issue 19's "plan"), no longer by parsing the bytes: the two must
// agree for every kind of answer, and for malformed queries too.
TEST_CASE("responder: its description of each response is what the bytes say") {
  for (auto mode : {zone::WildcardMode::kRfc4592, zone::WildcardMode::kLongestMatch}) {
    Fixture f(mode);
    std::vector<std::vector<uint8_t>> qs = QueryMix();
    qs.push_back({0x12, 0x34, 0x01, 0x00, 0x00, 0x02});  // short: FORMERR or drop
    qs.push_back(MakeQuery("e164.arpa.", dns::type::kSOA, false, 1232, dns::rrclass::kCH));
    for (bool tcp : {false, true}) {
      for (const auto& q : qs) {
        std::vector<uint8_t> r = Raw(f, q, tcp);
        if (r.empty()) continue;
        RrlResponse from_bytes;
        ClassifyResponse(r.data(), r.size(), &from_bytes.info);
        const RrlResponse& described = f.responder->last_response();
        INFO("query of " << q.size() << " bytes, tcp " << tcp);
        CHECK(static_cast<int>(described.info.cls) == static_cast<int>(from_bytes.info.cls));
        CHECK(described.info.qtype == from_bytes.info.qtype);
        CHECK(described.info.qclass == from_bytes.info.qclass);
        std::string want(reinterpret_cast<const char*>(from_bytes.info.name),
                         from_bytes.info.name ? from_bytes.info.name_len : 0);
        const size_t skip = f.responder->last_wildcard_skip();
        if (skip &&
            (from_bytes.info.cls == RrlClass::kAnswer || from_bytes.info.cls == RrlClass::kNoData))
          want = want.substr(skip);
        CHECK(std::string(reinterpret_cast<const char*>(described.info.name),
                          described.info.name ? described.info.name_len : 0) == want);
        CHECK(described.wildcard == (skip != 0 && (from_bytes.info.cls == RrlClass::kAnswer ||
                                                   from_bytes.info.cls == RrlClass::kNoData)));
      }
    }
  }
}

TEST_CASE("responder: last_info() says what the answer was, for the metrics") {
  Fixture f;
  Ask(f, MakeQuery("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", kNaptr, true));
  ResponseInfo i = f.responder->last_info();
  CHECK(i.sent);
  CHECK(i.has_question);
  CHECK(i.qtype == kNaptr);
  CHECK(i.opcode == 0);
  CHECK(i.rcode == dns::rcode::kNoError);
  CHECK(i.edns);
  CHECK_FALSE(i.do_bit);
  CHECK_FALSE(i.truncated);
  Ask(f, "nope.e164.arpa.", dns::type::kA);
  i = f.responder->last_info();
  CHECK(i.rcode == dns::rcode::kNXDomain);
  CHECK(i.qtype == dns::type::kA);
  CHECK_FALSE(i.edns);
  // BADVERS: EDNS version 1 (byte 5 of the OPT TTL field).
  std::vector<uint8_t> v1 = MakeQuery("e164.arpa.", dns::type::kSOA, true);
  v1[v1.size() - 5] = 1;
  Ask(f, v1);
  CHECK(f.responder->last_info().rcode == dns::rcode::kBadVers);
  // FORMERR (trailing byte) and a dropped response (QR set).
  std::vector<uint8_t> junk = MakeQuery("e164.arpa.", dns::type::kSOA);
  junk.push_back(0);
  Ask(f, junk);
  CHECK(f.responder->last_info().rcode == dns::rcode::kFormErr);
  junk.pop_back();
  junk[2] |= 0x80;
  CHECK(Ask(f, junk).size == 0);
  CHECK_FALSE(f.responder->last_info().sent);
}

TEST_CASE("responder: answers from the node cache are byte for byte the store's") {
  for (auto mode : {zone::WildcardMode::kRfc4592, zone::WildcardMode::kLongestMatch}) {
    Fixture plain(mode, 1232, 0);
    Fixture cached(mode, 1232, 1 << 20);
    for (int pass = 0; pass < 3; ++pass)
      for (const auto& q : QueryMix())
        for (bool tcp : {false, true}) REQUIRE(Raw(cached, q, tcp) == Raw(plain, q, tcp));
  }
}

TEST_CASE("responder: a prefetched batch is only a hint, malformed queries in it too") {
  Fixture plain(zone::WildcardMode::kRfc4592, 1232, 0);
  Fixture cached(zone::WildcardMode::kRfc4592, 1232, 1 << 20);
  std::vector<std::vector<uint8_t>> mix = QueryMix();
  // Mangled copies: flipped bytes, cut short, a compressed or endless name.
  uint32_t seed = 777;
  for (size_t i = 0, n = mix.size(); i < n; ++i) {
    std::vector<uint8_t> m = mix[i];
    seed = seed * 1103515245 + 12345;
    m[(seed >> 8) % m.size()] = static_cast<uint8_t>(seed >> 20);
    // A copy of the exact size: ASan sees a read past its end.
    if (i % 3 == 0) m = std::vector<uint8_t>(m.begin(), m.begin() + (seed >> 4) % (m.size() + 1));
    mix.push_back(std::move(m));
  }
  mix.push_back({0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 35, 0, 1});
  mix.push_back({0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 63, 'a', 'b'});
  mix.push_back({});
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t start = 0; start < mix.size(); start += 20) {
      const size_t n = std::min<size_t>(20, mix.size() - start);
      const uint8_t* queries[20];
      size_t lens[20];
      for (size_t i = 0; i < n; ++i) {
        queries[i] = mix[start + i].data();
        lens[i] = mix[start + i].size();
      }
      cached.responder->Prefetch(queries, lens, n);
      for (size_t i = 0; i < n; ++i)
        REQUIRE(Raw(cached, mix[start + i]) == Raw(plain, mix[start + i]));
    }
  }
}

TEST_CASE("responder: the node cache sees per-name changes made after it filled") {
  Fixture f(zone::WildcardMode::kRfc4592, 1232, 1 << 20);
  const std::string origin = dns::WireName("e164.arpa.");
  // Cached as absent, then added.
  CHECK(Ask(f, "5.5.5.5.e164.arpa.", kNaptr).rcode == LDNS_RCODE_NXDOMAIN);
  CHECK(Ask(f, "5.5.5.5.e164.arpa.", kNaptr).rcode == LDNS_RCODE_NXDOMAIN);
  const uint8_t rdata[] = {0,  10,  0,   10,  1,   'u', 7,   'E', '2', 'U', '+', 's', 'i', 'p',
                           13, '!', '^', '.', '*', '$', '!', 's', 'i', 'p', ':', 'x', '!', 0};
  std::string owner = dns::WireName("5.5.5.5.e164.arpa.");
  REQUIRE(zone::AddRecord(f.store.get(), origin, reinterpret_cast<const uint8_t*>(owner.data()),
                          kNaptr, 60,
                          std::string_view(reinterpret_cast<const char*>(rdata), sizeof rdata))
              .ok());
  Answer added = Ask(f, "5.5.5.5.e164.arpa.", kNaptr);
  CHECK(added.rcode == LDNS_RCODE_NOERROR);
  CHECK(added.answer.size() == 1);
  // Cached with data, then deleted.
  CHECK(Ask(f, "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", kNaptr).answer.size() == 1);
  std::string gone = dns::WireName("1.1.9.0.0.5.5.5.3.1.6.e164.arpa.");
  auto deleted = zone::DeleteRecords(f.store.get(), origin,
                                     reinterpret_cast<const uint8_t*>(gone.data()), kNaptr);
  REQUIRE(deleted.ok());
  CHECK(*deleted == 1);
  CHECK(Ask(f, "1.1.9.0.0.5.5.5.3.1.6.e164.arpa.", kNaptr).rcode == LDNS_RCODE_NXDOMAIN);
}

// STYLE.md: no heap allocation per query. Once the worker's buffers have
// grown and its node cache holds the names, answering allocates nothing --
// nothing in our code, and RocksDB is not called. (A node-cache miss costs
// RocksDB's own allocations, about five per Get: see tests/bench/README.md.)
TEST_CASE("responder: answering from a warm node cache allocates nothing") {
  Fixture f(zone::WildcardMode::kRfc4592, 1232, 1 << 20);
  auto queries = QueryMix();
  std::vector<uint8_t> out(65535);
  for (int warm = 0; warm < 3; ++warm)
    for (const auto& q : queries)
      f.responder->Respond(q.data(), q.size(), out.data(), 65535, false);
  size_t answered = 0, bytes = 0;
  testing::AllocationScope scope;
  for (int pass = 0; pass < 20; ++pass)
    for (const auto& q : queries) {
      size_t n = f.responder->Respond(q.data(), q.size(), out.data(), out.size(), pass % 2);
      answered += n != 0;
      bytes += n;
    }
  CHECK(scope.count() == 0);
  CHECK(answered == 20 * queries.size());
  CHECK(bytes > 0);
}

}  // namespace
}  // namespace enumd::query
