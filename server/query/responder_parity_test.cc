// The last answer differences from BIND 9 and Knot DNS (issue 23), against
// several zones served side by side: a DS query for a child zone's apex is
// answered from the parent (RFC 4035 §3.1.4.1); QCLASS * and NONE get
// FORMERR, as from BIND; each RRSIG goes out with the TTL of the RRset it
// covers (RFC 4034 §3). tests/system/test_differential.py asks the same of
// the real enumd beside BIND.

// clang-format off
// First: ldns's headers define `bool` and `false` as macros, which break
// <optional> (pulled in by the store) when it comes after them.
#include "query/responder.h"
// clang-format on

#include <doctest/doctest.h>
#include <ldns/ldns.h>
#include <stdlib.h>

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dns/constants.h"
#include "dns/name.h"
#include "zone/zone_importer.h"
#include "zone/zone_table.h"
#include "zone/zone_test_support.h"

namespace enumd::query {
namespace {

const char* kParent = R"($TTL 300
@ SOA ns.parent.test. h.parent.test. 1 3600 600 86400 60
@ NS ns
ns A 192.0.2.1
child NS ns.child
child DS 12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.child A 192.0.2.2
nods NS ns.child
deep NS ns.child
alias CNAME www
www A 192.0.2.3
)";

// A child zone's file: its own SOA (TTL 600, MINIMUM 120) and NS.
std::string Child(const std::string& origin) {
  return "$TTL 600\n@ SOA ns.parent.test. h." + origin +
         " 1 3600 600 86400 120\n@ NS ns.parent.test.\n";
}

// A signed name, as dnssec-signzone writes it: each RRSIG with the TTL of
// the RRset it covers, A first so that the stored RRSIG RRset takes 3600.
const char* kSigned = R"($TTL 3600
@ SOA ns.signed.test. h.signed.test. 1 3600 600 86400 300
@ NS ns.parent.test.
www 3600 A 192.0.2.7
www 3600 RRSIG A 13 3 3600 20300101000000 20200101000000 1234 signed.test. AAAA
www 60 TXT "short-lived"
www 60 RRSIG TXT 13 3 60 20300101000000 20200101000000 1234 signed.test. AAAA
www 300 NSEC zz.signed.test. A TXT RRSIG NSEC
www 300 RRSIG NSEC 13 3 300 20300101000000 20200101000000 1234 signed.test. AAAA
stray 900 TXT "x"
stray 900 RRSIG MX 13 3 900 20300101000000 20200101000000 1234 signed.test. AAAA
)";

struct Zones {
  zone::testing::TempDir dir;
  std::unique_ptr<store::ZoneStore> store;
  zone::ZoneRegistry registry;
  std::unique_ptr<Responder> responder;

  // (origin, zone text) pairs, served from one store.
  explicit Zones(std::initializer_list<std::pair<std::string, std::string>> zones) {
    store = zone::testing::OpenMemoryStore();
    auto table = std::make_unique<zone::ZoneTable>();
    for (const auto& [origin, text] : zones) {
      zone::ImportOptions io;
      io.origin = origin;
      auto r = zone::ImportZoneFile(store.get(), dir.Write(origin + "db", text), io);
      REQUIRE_MESSAGE(r.ok(), r.status().message());
      zone::Zone z;
      z.meta = r->meta;
      z.origin = dns::WireName(origin);
      table->Add(z);
    }
    registry.Publish(std::move(table));
    responder = std::make_unique<Responder>(store.get(), &registry, ResponderOptions{});
  }
  ~Zones() {
    responder.reset();  // before the store it reads
    store.reset();
  }

  // The response to (name, type, class) as dig-like lines: the rcode and AA
  // first ("NOERROR aa"), then "answer|authority: <ldns text of the RR>".
  std::vector<std::string> Ask(const std::string& name, uint16_t type,
                               uint16_t qclass = dns::rrclass::kIN) {
    ldns_pkt* q = nullptr;
    REQUIRE(ldns_pkt_query_new_frm_str(&q, name.c_str(), static_cast<ldns_rr_type>(type),
                                       static_cast<ldns_rr_class>(qclass), 0) == LDNS_STATUS_OK);
    uint8_t* wire = nullptr;
    size_t len = 0;
    REQUIRE(ldns_pkt2wire(&wire, q, &len) == LDNS_STATUS_OK);
    ldns_pkt_free(q);
    std::vector<uint8_t> out(65535);
    size_t n = responder->Respond(wire, len, out.data(), out.size(), false);
    free(wire);
    ldns_pkt* p = nullptr;
    REQUIRE(ldns_wire2pkt(&p, out.data(), n) == LDNS_STATUS_OK);
    char* rcode = ldns_pkt_rcode2str(ldns_pkt_get_rcode(p));
    std::vector<std::string> lines{std::string(rcode) + (ldns_pkt_aa(p) ? " aa" : "")};
    free(rcode);
    for (auto [section, list] :
         {std::pair{"answer", ldns_pkt_answer(p)}, std::pair{"authority", ldns_pkt_authority(p)}}) {
      for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
        char* rr = ldns_rr2str(ldns_rr_list_rr(list, i));
        std::string text(rr);
        free(rr);
        while (!text.empty() && text.back() == '\n') text.pop_back();
        for (char& c : text)
          if (c == '\t') c = ' ';
        lines.push_back(std::string(section) + ": " + text);
      }
    }
    ldns_pkt_free(p);
    return lines;
  }
};

const std::string kParentSoa =
    "authority: parent.test. 60 IN SOA ns.parent.test. h.parent.test. 1 3600 600 86400 60";

TEST_CASE("responder: a DS query for a child zone's apex is answered from the parent") {
  Zones z({{"parent.test.", kParent},
           {"child.parent.test.", Child("child.parent.test.")},
           {"nods.parent.test.", Child("nods.parent.test.")},
           {"absent.parent.test.", Child("absent.parent.test.")},
           {"alias.parent.test.", Child("alias.parent.test.")},
           {"a.deep.parent.test.", Child("a.deep.parent.test.")},
           {"orphan.test.", Child("orphan.test.")}});
  // The parent's DS, AA (RFC 4035 §3.1.4.1); the case of the query is kept.
  CHECK(
      z.Ask("child.parent.test.", dns::type::kDS) ==
      std::vector<std::string>{"NOERROR aa",
                               "answer: child.parent.test. 300 IN DS 12345 8 2 "
                               "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"});
  CHECK(z.Ask("CHILD.parent.test.", dns::type::kDS).size() == 2);
  // A cut without DS: NODATA with the parent's SOA.
  CHECK(z.Ask("nods.parent.test.", dns::type::kDS) ==
        std::vector<std::string>{"NOERROR aa", kParentSoa});
  // The parent does not know the child at all: its NXDOMAIN (BIND and Knot).
  CHECK(z.Ask("absent.parent.test.", dns::type::kDS) ==
        std::vector<std::string>{"NXDOMAIN aa", kParentSoa});
  // The parent holds a CNAME there: followed inside the parent.
  CHECK(z.Ask("alias.parent.test.", dns::type::kDS) ==
        std::vector<std::string>{
            "NOERROR aa", "answer: alias.parent.test. 300 IN CNAME www.parent.test.", kParentSoa});
  // A cut higher up in the parent: its referral.
  CHECK(z.Ask("a.deep.parent.test.", dns::type::kDS) ==
        std::vector<std::string>{"NOERROR",
                                 "authority: deep.parent.test. 300 IN NS ns.child.parent.test."});
  // No parent served: the child answers (NODATA from its own SOA).
  CHECK(z.Ask("orphan.test.", dns::type::kDS) ==
        std::vector<std::string>{"NOERROR aa",
                                 "authority: orphan.test. 120 IN SOA ns.parent.test. "
                                 "h.orphan.test. 1 3600 600 86400 120"});
  // Other types at the child apex, and DS below it, stay with the child.
  CHECK(z.Ask("child.parent.test.", dns::type::kNS) ==
        std::vector<std::string>{"NOERROR aa",
                                 "answer: child.parent.test. 600 IN NS ns.parent.test."});
  CHECK(z.Ask("x.child.parent.test.", dns::type::kDS)[0] == "NXDOMAIN aa");
  CHECK(z.Ask("x.child.parent.test.", dns::type::kDS)[1].find("h.child.parent.test.") !=
        std::string::npos);
  // The parent's own apex has no zone above it here: its own NODATA.
  CHECK(z.Ask("parent.test.", dns::type::kDS) ==
        std::vector<std::string>{"NOERROR aa", kParentSoa});
}

TEST_CASE("responder: QCLASS * and NONE are FORMERR, as BIND answers") {
  Zones z({{"parent.test.", kParent}});
  for (uint16_t qclass : {dns::rrclass::kANY, dns::rrclass::kNONE}) {
    CAPTURE(qclass);
    CHECK(z.Ask("www.parent.test.", dns::type::kA, qclass) == std::vector<std::string>{"FORMERR"});
    CHECK(z.Ask("nothere.parent.test.", dns::type::kANY, qclass) ==
          std::vector<std::string>{"FORMERR"});
    CHECK(z.Ask("example.org.", dns::type::kA, qclass) == std::vector<std::string>{"FORMERR"});
  }
  // Other classes stay REFUSED (we serve IN only).
  CHECK(z.Ask("www.parent.test.", dns::type::kA, 4) == std::vector<std::string>{"REFUSED"});
}

TEST_CASE("responder: each RRSIG has the TTL of the RRset it covers") {
  Zones z({{"signed.test.", kSigned}});
  std::vector<std::string> a = z.Ask("www.signed.test.", dns::type::kRRSIG);
  REQUIRE(a.size() == 4);
  CHECK(a[0] == "NOERROR aa");
  std::vector<std::string> ttls;
  for (size_t i = 1; i < a.size(); ++i) {
    // "answer: www.signed.test. TTL IN RRSIG COVERED ..."
    std::string rest = a[i].substr(a[i].find("test. ") + 6);
    std::string ttl = rest.substr(0, rest.find(' '));
    std::string covered = rest.substr(rest.find("RRSIG ") + 6);
    ttls.push_back(covered.substr(0, covered.find(' ')) + "=" + ttl);
  }
  std::sort(ttls.begin(), ttls.end());
  CHECK(ttls == std::vector<std::string>{"A=3600", "NSEC=300", "TXT=60"});
  // ANY lists them the same way.
  a = z.Ask("www.signed.test.", dns::type::kANY);
  size_t sigs = 0;
  for (const std::string& line : a) {
    if (line.find(" IN RRSIG TXT ") != line.npos) CHECK(line.find(" 60 IN RRSIG") != line.npos);
    if (line.find(" IN RRSIG NSEC ") != line.npos) CHECK(line.find(" 300 IN RRSIG") != line.npos);
    if (line.find(" IN RRSIG A ") != line.npos) CHECK(line.find(" 3600 IN RRSIG") != line.npos);
    sigs += line.find(" IN RRSIG ") != line.npos;
  }
  CHECK(sigs == 3);
  // A signature whose covered RRset is not there keeps the stored TTL.
  a = z.Ask("stray.signed.test.", dns::type::kRRSIG);
  REQUIRE(a.size() == 2);
  CHECK(a[1].find("stray.signed.test. 900 IN RRSIG MX") != std::string::npos);
  // The covered RRsets themselves are unchanged.
  a = z.Ask("www.signed.test.", dns::type::kTXT);
  REQUIRE(a.size() == 2);
  CHECK(a[1] == "answer: www.signed.test. 60 IN TXT \"short-lived\"");
}

}  // namespace
}  // namespace enumd::query
