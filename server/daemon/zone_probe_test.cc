#include "daemon/zone_probe.h"

#include <doctest/doctest.h>

#include "query/query_test_support.h"

namespace enumd::daemon {
namespace {

constexpr const char* kZone =
    "$ORIGIN e164.arpa.\n"
    "$TTL 3600\n"
    "@ IN SOA ns.e164.arpa. hostmaster.e164.arpa. 7 3600 600 86400 60\n"
    "@ IN NS ns.example.net.\n"
    "1.1.9.0.0.5.5.5.3.1.6 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@example.net!\" .\n";

TEST_CASE("ProbeZones: every served zone answers its SOA") {
  query::ServedZone served(kZone, query::ResponderOptions());
  auto r = ProbeZones(served.store.get(), &served.registry);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(*r == 1);
}

TEST_CASE("ProbeZones: no zones is ready at once") {
  query::ServedZone served(kZone, query::ResponderOptions());
  served.registry.Publish(std::make_unique<zone::ZoneTable>());
  auto r = ProbeZones(served.store.get(), &served.registry);
  REQUIRE(r.ok());
  CHECK(*r == 0);
}

TEST_CASE("ProbeZones: names the zone that does not answer") {
  query::ServedZone served(kZone, query::ResponderOptions());
  // A second zone whose version is not in the store (as a damaged store
  // would have it): its SOA cannot be read.
  auto table = std::make_unique<zone::ZoneTable>();
  for (const zone::Zone& z : served.registry.served().zones()) table->Add(z);
  zone::Zone missing = served.registry.served().zones()[0];
  missing.origin = dns::WireName("e164.example.net.");
  missing.meta.origin = missing.origin;
  missing.meta.generation += 1000;
  table->Add(missing);
  served.registry.Publish(std::move(table));
  auto r = ProbeZones(served.store.get(), &served.registry);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("zone e164.example.net.: SOA query got rcode") == 0);
}

}  // namespace
}  // namespace enumd::daemon
