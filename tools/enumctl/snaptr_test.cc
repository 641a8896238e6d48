// Tests of S-NAPTR selection (RFC 3958, 3GPP TS 29.303): service matching as
// seed 003 describes it for a roaming MME, flags "a" and "s", the additional
// section used when it holds what is needed, and records that contradict.
#include "enumctl/snaptr.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "enumctl/fake_resolver_test.h"

namespace enumd::enumctl {
namespace {

using testing::FakeResolver;

std::vector<SnaptrService> S8() { return {*ParseSnaptrServiceArg("x-3gpp-pgw:x-s8-gtp")}; }

const std::string kApn = "ims.apn.epc.mnc001.mcc001.3gppnetwork.org";

Naptr Rec(const std::string& flags, const std::string& service, const std::string& regexp,
          const std::string& replacement) {
  Naptr n;
  n.order = 10;
  n.preference = 10;
  n.flags = flags;
  n.service = service;
  n.regexp = regexp;
  n.replacement = replacement;
  return n;
}

const Entry* Find(const Lookup& l, const std::string& result) {
  for (const Entry& e : l.entries) {
    if (e.result == result) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("S-NAPTR service arguments (RFC 3958 §6.5)") {
  auto s = ParseSnaptrServiceArg("X-3GPP-PGW:x-s8-gtp");
  REQUIRE(s.ok());
  CHECK(s->app_service == "x-3gpp-pgw");
  CHECK(s->protocols == std::vector<std::string>{"x-s8-gtp"});
  CHECK(SnaptrServiceText(*s) == "x-3gpp-pgw:x-s8-gtp");
  CHECK(ParseSnaptrServiceArg("x-3gpp-pgw").ok());  // any protocol
  for (const char* bad : {"", ":x-s8-gtp", "x-3gpp-pgw:", "x-3gpp-pgw::x-gn", "1abc", "a b"}) {
    CHECK_FALSE(ParseSnaptrServiceArg(bad).ok());
  }
}

TEST_CASE("seed 003: the MME keeps PGWs that offer S8") {
  const auto s8 = S8();
  // Both tags present: kept, whatever else the PGW offers.
  CHECK(SnaptrServiceMatches("x-3gpp-pgw:x-s8-gtp", s8));
  CHECK(SnaptrServiceMatches("x-3gpp-pgw:x-s5-gtp:x-s8-gtp", s8));
  CHECK(SnaptrServiceMatches("x-3gpp-pgw:x-s5-gtp:x-s8-gtp:x-gn:x-gp", s8));
  CHECK(SnaptrServiceMatches("X-3GPP-PGW:X-S8-GTP", s8));
  // S5 only: "excluded as it only supports S5 not S8".
  CHECK_FALSE(SnaptrServiceMatches("x-3gpp-pgw:x-s5-gtp", s8));
  // PMIP is another protocol.
  CHECK_FALSE(SnaptrServiceMatches("x-3gpp-pgw:x-s5-pmip:x-s8-pmip", s8));
  // An SGW offering S8 is not a PGW.
  CHECK_FALSE(SnaptrServiceMatches("x-3gpp-sgw:x-s5-gtp:x-s8-gtp:x-s11", s8));
  // The app-service must come first; a protocol named as service does not count.
  CHECK_FALSE(SnaptrServiceMatches("x-s8-gtp:x-3gpp-pgw", s8));
  CHECK_FALSE(SnaptrServiceMatches("", s8));
  // Two protocols asked: both must be offered.
  const std::vector<SnaptrService> both = {*ParseSnaptrServiceArg("x-3gpp-pgw:x-s8-gtp:x-gp")};
  CHECK(SnaptrServiceMatches("x-3gpp-pgw:x-s5-gtp:x-s8-gtp:x-gn:x-gp", both));
  CHECK_FALSE(SnaptrServiceMatches("x-3gpp-pgw:x-s8-gtp", both));
}

TEST_CASE("S-NAPTR flags and fields") {
  using K = RuleOutcome::Kind;
  const auto s8 = S8();
  const std::string svc = "x-3gpp-pgw:x-s8-gtp";
  auto a = EvaluateSnaptrRule(Rec("a", svc, "", "pgw1.example."), s8);
  CHECK(a.kind == K::kTerminal);
  CHECK(a.value == "pgw1.example.");
  CHECK(EvaluateSnaptrRule(Rec("S", svc, "", "_gtp._udp.example."), s8).kind == K::kTerminal);
  CHECK(EvaluateSnaptrRule(Rec("", svc, "", "next.example."), s8).kind == K::kNonTerminal);
  // A non-terminal rule with no service leads to more rules: followed.
  CHECK(EvaluateSnaptrRule(Rec("", "", "", "next.example."), s8).kind == K::kNonTerminal);
  // A terminal one must name the service.
  CHECK(EvaluateSnaptrRule(Rec("a", "", "", "pgw1.example."), s8).kind == K::kOtherService);
  // S-NAPTR rewrites with REPLACEMENT only.
  auto re = EvaluateSnaptrRule(Rec("a", svc, "!^.*$!pgw1.example.!", "."), s8);
  CHECK(re.kind == K::kBroken);
  CHECK(re.reason.find("carry no regexp") != std::string::npos);
  CHECK(EvaluateSnaptrRule(Rec("a", svc, "", "."), s8).kind == K::kBroken);
  CHECK(EvaluateSnaptrRule(Rec("as", svc, "", "pgw1.example."), s8).kind == K::kBroken);
  CHECK(EvaluateSnaptrRule(Rec("a-", svc, "", "pgw1.example."), s8).kind == K::kBroken);
  // "u" (or "p") is not an S-NAPTR flag: skipped.
  CHECK(EvaluateSnaptrRule(Rec("u", svc, "", "pgw1.example."), s8).kind == K::kSkipped);
}

TEST_CASE("flag a: addresses from the additional section, the missing type asked for") {
  FakeResolver dns;
  dns.Naptr(kApn, 10, 10, "a", "x-3gpp-pgw:x-s8-gtp", "", "pgw01.example.");
  dns.Naptr(kApn, 10, 10, "a", "x-3gpp-pgw:x-s5-gtp:x-s8-gtp", "", "pgw02.example.");
  dns.Naptr(kApn, 10, 20, "a", "x-3gpp-pgw:x-s8-gtp", "", "pgw03.example.");
  dns.Naptr(kApn, 20, 10, "a", "x-3gpp-pgw:x-s5-gtp", "", "pgw04.example.");
  dns.Address("pgw01.example", "198.51.100.1");
  dns.Address("pgw01.example", "2001:db8::1");
  dns.Address("pgw02.example", "198.51.100.2");
  dns.Address("pgw03.example", "198.51.100.3");
  dns.Address("pgw03.example", "2001:db8::3");
  // The server sent pgw01's A and AAAA and pgw02's A (its AAAA may have been
  // left out for space), nothing for pgw03.
  dns.Additional(kApn, {"pgw01.example", "pgw02.example"});
  Lookup l;
  REQUIRE(ResolveSnaptr(dns, kApn, S8(), WalkLimits{}, &l).ok());
  CHECK(l.record_count == 4);
  CHECK(l.matching == 3);
  const Entry* p1 = Find(l, "pgw01.example");
  const Entry* p2 = Find(l, "pgw02.example");
  const Entry* p3 = Find(l, "pgw03.example");
  REQUIRE(p1 != nullptr);
  REQUIRE(p2 != nullptr);
  REQUIRE(p3 != nullptr);
  CHECK(p1->rank == 1);
  CHECK(p2->rank == 1);
  CHECK(p3->rank == 2);
  CHECK(ShareText(p1->share) == "50%");
  CHECK(ShareText(p3->share) == "fallback");
  CHECK(p1->targets[0].addresses == std::vector<std::string>{"198.51.100.1", "2001:db8::1"});
  CHECK(p1->targets[0].from_additional == std::vector<std::string>{"A", "AAAA"});
  CHECK(p2->targets[0].addresses == std::vector<std::string>{"198.51.100.2"});
  CHECK(p2->targets[0].from_additional == std::vector<std::string>{"A"});
  CHECK(p3->targets[0].addresses == std::vector<std::string>{"198.51.100.3", "2001:db8::3"});
  CHECK(p3->targets[0].from_additional.empty());
  // One NAPTR query; pgw01 needed none, pgw02 its AAAA, pgw03 both.
  CHECK(dns.asked == std::vector<std::string>{kApn + " NAPTR", "pgw02.example AAAA",
                                              "pgw03.example A", "pgw03.example AAAA"});
  REQUIRE(l.notes.size() == 1);
  CHECK(l.notes[0].find("pgw03 gets traffic only when pgw01 and pgw02 fail") != std::string::npos);
}

TEST_CASE("flag s: SRV, then the targets' addresses") {
  FakeResolver dns;
  dns.Naptr("1.2.3.4.example", 10, 10, "s", "x-3gpp-pgw:x-s8-gtp", "", "_gtp._udp.pgw.example.");
  dns.Srv("_gtp._udp.pgw.example", 10, 60, 2123, "a.pgw.example.");
  dns.Srv("_gtp._udp.pgw.example", 10, 20, 2123, "b.pgw.example.");
  dns.Srv("_gtp._udp.pgw.example", 10, 20, 2123, "c.pgw.example.");
  dns.Srv("_gtp._udp.pgw.example", 20, 0, 2123, "d.pgw.example.");
  dns.Address("a.pgw.example", "192.0.2.1");
  dns.Address("a.pgw.example", "2001:db8::a");
  dns.Address("b.pgw.example", "192.0.2.2");
  dns.Address("d.pgw.example", "192.0.2.4");
  SUBCASE("everything asked") {
    Lookup l;
    REQUIRE(ResolveSnaptr(dns, "1.2.3.4.example", S8(), WalkLimits{}, &l).ok());
    REQUIRE(l.entries.size() == 1);
    const Entry& e = l.entries[0];
    CHECK(e.status == Entry::Status::kUsable);
    REQUIRE(e.targets.size() == 4);
    // RFC 2782: priority ascending; within a priority, weight is a weight.
    CHECK(e.targets[0].host == "a.pgw.example");
    CHECK(e.targets[0].weight_share == doctest::Approx(60));
    CHECK(e.targets[1].weight_share == doctest::Approx(20));
    CHECK(e.targets[0].addresses == std::vector<std::string>{"192.0.2.1", "2001:db8::a"});
    CHECK(e.targets[2].host == "c.pgw.example");
    CHECK(e.targets[2].problem == "no A/AAAA records");
    CHECK(e.targets[3].weight_share == doctest::Approx(100));  // alone at priority 20
    CHECK(dns.asked[1] == "_gtp._udp.pgw.example SRV");
  }
  SUBCASE("SRV and addresses from the additional section") {
    dns.Additional("1.2.3.4.example", {"_gtp._udp.pgw.example", "a.pgw.example"});
    Lookup l;
    REQUIRE(ResolveSnaptr(dns, "1.2.3.4.example", S8(), WalkLimits{}, &l).ok());
    const Entry& e = l.entries[0];
    CHECK(e.targets[0].from_additional == std::vector<std::string>{"A", "AAAA"});
    for (const auto& q : dns.asked) CHECK(q.find("SRV") == std::string::npos);
    for (const auto& q : dns.asked) CHECK(q.find("a.pgw.example") == std::string::npos);
  }
  SUBCASE("no SRV records: the rule is broken") {
    FakeResolver empty;
    empty.Naptr("x.example", 10, 10, "s", "x-3gpp-pgw:x-s8-gtp", "", "_gtp._udp.none.example.");
    Lookup l;
    REQUIRE(ResolveSnaptr(empty, "x.example", S8(), WalkLimits{}, &l).ok());
    CHECK(l.entries[0].status == Entry::Status::kBroken);
    CHECK(l.entries[0].reason.find("no SRV records at _gtp._udp.none.example (NXDOMAIN)") !=
          std::string::npos);
  }
  SUBCASE("an SRV target \".\" offers nothing") {
    FakeResolver dot;
    dot.Naptr("x.example", 10, 10, "s", "x-3gpp-pgw:x-s8-gtp", "", "_gtp._udp.x.example.");
    dot.Srv("_gtp._udp.x.example", 0, 0, 0, ".");
    Lookup l;
    REQUIRE(ResolveSnaptr(dot, "x.example", S8(), WalkLimits{}, &l).ok());
    CHECK(l.entries[0].status == Entry::Status::kBroken);
    CHECK(l.entries[0].targets[0].problem.find("RFC 2782") != std::string::npos);
  }
}

TEST_CASE("S-NAPTR: a target without addresses, non-terminal rules, loops") {
  FakeResolver dns;
  dns.Naptr("apn.example", 10, 10, "a", "x-3gpp-pgw:x-s8-gtp", "", "noaddr.example.");
  dns.Naptr("apn.example", 20, 10, "", "", "", "more.example.");
  dns.Naptr("more.example", 10, 10, "a", "x-3gpp-pgw:x-s8-gtp", "", "pgw.example.");
  dns.Naptr("more.example", 20, 10, "", "", "", "apn.example.");
  dns.Address("pgw.example", "192.0.2.9");
  Lookup l;
  REQUIRE(ResolveSnaptr(dns, "apn.example", S8(), WalkLimits{}, &l).ok());
  const Entry* noaddr = Find(l, "noaddr.example");
  REQUIRE(noaddr != nullptr);
  CHECK(noaddr->status == Entry::Status::kBroken);
  CHECK(noaddr->reason == "noaddr.example: no A/AAAA records");
  const Entry* pgw = Find(l, "pgw.example");
  REQUIRE(pgw != nullptr);
  CHECK(pgw->rank == 1);  // the only usable one, reached through order 20
  CHECK(pgw->via == std::vector<std::string>{"more.example"});
  bool loop = false;
  for (const Entry& e : l.entries) loop |= e.reason.find("non-terminal loop") == 0;
  CHECK(loop);
}

}  // namespace enumd::enumctl
