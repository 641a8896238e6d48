#include "zone/update_apply.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "dns/constants.h"
#include "zone/zone_test_support.h"

namespace enumd::zone {
namespace {

using dns::type::kA;
using dns::type::kAAAA;
using dns::type::kANY;
using dns::type::kNS;
using dns::type::kTXT;
constexpr uint16_t kIN = 1, kClassAny = 255, kClassNone = 254;

std::string Name(const std::string& text) { return dns::WireName(text); }

dns::UpdateRecord Rec(const std::string& owner, uint16_t type, uint16_t rrclass,
                      const std::string& rdata = "", uint32_t ttl = 0) {
  dns::UpdateRecord r;
  r.owner = Name(owner);
  r.type = type;
  r.rrclass = rrclass;
  r.ttl = rrclass == kIN ? 300 : ttl;
  r.rdata = rdata;
  return r;
}

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::ZoneStore> store = testing::OpenMemoryStore();

  explicit Fixture(const std::string& body) {
    auto r = testing::ImportText(store.get(), dir, std::string(testing::kHead) + body);
    INFO((r.ok() ? std::string() : r.status().message()));
    REQUIRE(r.ok());
  }
  // Applies the updates as one UPDATE; commits on NOERROR. Returns the
  // outcome and whether anything was written.
  std::pair<UpdateOutcome, bool> Apply(std::vector<dns::UpdateRecord> updates) {
    dns::UpdateMessage m;
    m.zone = testing::OriginWire("e164.arpa.");
    m.zone_type = dns::type::kSOA;
    m.zone_class = kIN;
    m.updates = std::move(updates);
    auto t = ZoneTransaction::Begin(store.get(), m.zone);
    REQUIRE(t.ok());
    UpdateOutcome o = ApplyUpdate(m, "", UpdatePolicy(), t->get());
    if (o.rcode != dns::rcode::kNoError) return {o, false};
    auto c = (*t)->Commit(SerialPolicy::kIncrement, 0, {});
    REQUIRE(c.ok());
    return {o, c->changed};
  }
};

TEST_CASE("ApplyUpdate: an NS at a wildcard name is ignored, as BIND ignores it") {
  Fixture f("");
  auto [o, wrote] = f.Apply({Rec("*.9.e164.arpa.", kNS, kIN, Name("ns.example.net."))});
  CHECK(o.rcode == dns::rcode::kNoError);
  CHECK(o.changes == 0);
  CHECK_FALSE(wrote);
  // Beside a real change, only the NS is left out.
  auto [o2, wrote2] = f.Apply({Rec("*.9.e164.arpa.", kNS, kIN, Name("ns.example.net.")),
                               Rec("1.9.e164.arpa.", kA, kIN, testing::ARdata(1))});
  CHECK(o2.rcode == dns::rcode::kNoError);
  CHECK(o2.changes == 1);
  CHECK(wrote2);
}

TEST_CASE("ApplyUpdate: an in-zone apex name server keeps an address (BIND's NS check)") {
  Fixture f("@ IN NS ns.e164.arpa.\nns IN A 10.0.0.1\n");
  // Its last address deleted: REFUSED, whole, also beside other changes.
  auto [o, wrote] = f.Apply({Rec("1.e164.arpa.", kTXT, kIN, std::string("\x01x", 2)),
                             Rec("ns.e164.arpa.", kA, kClassAny)});
  CHECK(o.rcode == dns::rcode::kRefused);
  CHECK_FALSE(wrote);
  CHECK(f.Apply({Rec("ns.e164.arpa.", kANY, kClassAny)}).first.rcode == dns::rcode::kRefused);
  // An AAAA in the same update keeps it served.
  std::string aaaa(16, '\0');
  aaaa[15] = 1;
  auto [o2, wrote2] = f.Apply({Rec("ns.e164.arpa.", kAAAA, kIN, aaaa),
                               Rec("ns.e164.arpa.", kA, kClassNone, testing::ARdata(1))});
  CHECK(o2.rcode == dns::rcode::kNoError);
  CHECK(wrote2);
  // Once it is no name server of the apex, its addresses may go.
  auto [o3, wrote3] = f.Apply({Rec("e164.arpa.", kNS, kClassNone, Name("ns.e164.arpa.")),
                               Rec("ns.e164.arpa.", kANY, kClassAny)});
  CHECK(o3.rcode == dns::rcode::kNoError);
  CHECK(wrote3);
  // A new in-zone name server needs its address in the same update.
  CHECK(f.Apply({Rec("e164.arpa.", kNS, kIN, Name("ns2.e164.arpa."))}).first.rcode ==
        dns::rcode::kRefused);
  auto [o4, wrote4] = f.Apply({Rec("e164.arpa.", kNS, kIN, Name("ns2.e164.arpa.")),
                               Rec("ns2.e164.arpa.", kA, kIN, testing::ARdata(2))});
  CHECK(o4.rcode == dns::rcode::kNoError);
  CHECK(wrote4);
}

TEST_CASE("ApplyUpdate: a zone already without a name server's address still takes updates") {
  // Import refuses such a zone (as named-checkzone does), but a store may
  // hold one written otherwise: the check refuses only what breaks it.
  Fixture f("1 IN TXT x\n");
  auto t = ZoneTransaction::Begin(f.store.get(), testing::OriginWire("e164.arpa."));
  REQUIRE(t.ok());
  const std::string apex = testing::OriginWire("e164.arpa."), ns = Name("ns.e164.arpa.");
  REQUIRE(*(*t)->Add(reinterpret_cast<const uint8_t*>(apex.data()), kNS, 3600, ns));
  REQUIRE((*t)->Commit(SerialPolicy::kIncrement, 0, {}).ok());
  auto [o, wrote] = f.Apply({Rec("ns.e164.arpa.", kTXT, kIN, std::string("\x01y", 2))});
  CHECK(o.rcode == dns::rcode::kNoError);
  CHECK(wrote);
  // Touching the name server's name: the check did not hold before, so it
  // does not refuse now.
  auto [o2, wrote2] = f.Apply({Rec("ns.e164.arpa.", kANY, kClassAny)});
  CHECK(o2.rcode == dns::rcode::kNoError);
  CHECK(wrote2);
}

TEST_CASE("UpdatePolicy: ANY covers every type, no types all but SOA/NS/RRSIG/NSEC (BIND)") {
  UpdatePolicy p;
  p.origin = testing::OriginWire("e164.arpa.");
  const std::string key = Name("k.");
  UpdateRule any;
  any.key = key;
  any.match = UpdateRule::Match::kSubdomain;
  any.name = Name("1.e164.arpa.");
  any.any = true;
  UpdateRule none = any;
  none.any = false;
  none.name = Name("2.e164.arpa.");
  p.rules = {any, none};
  const std::string in1 = Name("x.1.e164.arpa."), in2 = Name("x.2.e164.arpa.");
  auto allows = [&](const std::string& n, uint16_t t) {
    return p.Allows(key, reinterpret_cast<const uint8_t*>(n.data()), t);
  };
  for (uint16_t t : {kA, kNS, dns::type::kSOA, dns::type::kDS, dns::type::kNAPTR})
    CHECK(allows(in1, t));
  CHECK(allows(in2, kA));
  CHECK(allows(in2, dns::type::kDS));
  for (uint16_t t : {kNS, dns::type::kSOA, dns::type::kRRSIG, dns::type::kNSEC})
    CHECK_FALSE(allows(in2, t));
}

TEST_CASE("ApplyUpdate: deleting a name asks the policy for every type it holds") {
  Fixture f("1.1 IN TXT x\n1.1 IN A 10.0.0.1\n2.1 IN TXT y\n");
  UpdatePolicy p;
  p.origin = testing::OriginWire("e164.arpa.");
  UpdateRule txt;
  txt.key = Name("k.");
  txt.types = {kTXT};
  p.rules = {txt};
  auto apply = [&](const std::string& owner) {
    dns::UpdateMessage m;
    m.zone = p.origin;
    m.zone_type = dns::type::kSOA;
    m.zone_class = kIN;
    m.updates = {Rec(owner, kANY, kClassAny)};
    auto t = ZoneTransaction::Begin(f.store.get(), m.zone);
    REQUIRE(t.ok());
    return ApplyUpdate(m, txt.key, p, t->get()).rcode;
  };
  CHECK(apply("1.1.e164.arpa.") == dns::rcode::kRefused);  // its A is not granted
  CHECK(apply("2.1.e164.arpa.") == dns::rcode::kNoError);  // TXT only
  CHECK(apply("3.1.e164.arpa.") == dns::rcode::kNoError);  // nothing there
}

}  // namespace
}  // namespace enumd::zone
