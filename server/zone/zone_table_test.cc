// ZoneTable::Find: the zone with the longest origin a name is at or below.
#include "zone/zone_table.h"

#include <doctest/doctest.h>

#include <string>

#include "dns/name.h"

namespace enumd::zone {
namespace {

const Zone* FindText(const ZoneTable& t, const char* name) {
  const std::string wire = dns::WireName(name);
  REQUIRE(!wire.empty());
  return t.Find(reinterpret_cast<const uint8_t*>(wire.data()));
}

std::string Origin(const Zone* z) {
  return z ? dns::NameToText(reinterpret_cast<const uint8_t*>(z->origin.data())) : "none";
}

}  // namespace

TEST_CASE("ZoneTable::Find: the longest origin at or above the name, on whole labels") {
  ZoneTable t;
  for (const char* origin : {"e164.arpa.", "4.4.e164.arpa.", "Example.NET.", "arpa."}) {
    Zone z;
    z.origin = dns::WireName(origin);
    z.origin_labels = 99;  // Add counts them itself
    t.Add(z);
  }
  CHECK(t.zones()[0].origin_labels == 2);
  CHECK(t.zones()[1].origin_labels == 4);
  CHECK(t.zones()[3].origin_labels == 1);
  CHECK(Origin(FindText(t, "1.2.3.e164.arpa.")) == "e164.arpa.");
  CHECK(Origin(FindText(t, "e164.arpa.")) == "e164.arpa.");
  CHECK(Origin(FindText(t, "1.2.3.4.4.E164.ARPA.")) == "4.4.e164.arpa.");
  CHECK(Origin(FindText(t, "4.4.e164.arpa.")) == "4.4.e164.arpa.");
  CHECK(Origin(FindText(t, "4.e164.arpa.")) == "e164.arpa.");
  CHECK(Origin(FindText(t, "44.e164.arpa.")) == "e164.arpa.");
  CHECK(Origin(FindText(t, "www.example.net.")) == "Example.NET.");
  CHECK(Origin(FindText(t, "in-addr.arpa.")) == "arpa.");
  CHECK(Origin(FindText(t, "xe164.arpa.")) == "arpa.");  // whole labels only
  CHECK(Origin(FindText(t, "example.com.")) == "none");
  CHECK(Origin(FindText(t, "net.")) == "none");  // above an origin
  CHECK(Origin(FindText(t, ".")) == "none");
  ZoneTable empty;
  CHECK(FindText(empty, "e164.arpa.") == nullptr);
}

}  // namespace enumd::zone
