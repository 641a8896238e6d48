// A zone served by a real Responder, for the query unit tests: the zone text
// is imported into an in-memory store and published, as the daemon does.
// Tests only.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "dns/name.h"
#include "query/responder.h"
#include "zone/zone_importer.h"
#include "zone/zone_table.h"
#include "zone/zone_test_support.h"

namespace enumd::query {

struct ServedZone {
  zone::testing::TempDir dir;
  std::unique_ptr<store::ZoneStore> store;
  zone::ZoneRegistry registry;
  std::unique_ptr<Responder> responder;

  // `zone_text` is a zone file for e164.arpa.
  ServedZone(const std::string& zone_text, ResponderOptions options,
             zone::WildcardMode mode = zone::WildcardMode::kRfc4592) {
    const std::string file = dir.Write("zone.db", zone_text);
    store = zone::testing::OpenMemoryStore(registry.epochs());
    zone::ImportOptions io;
    io.origin = "e164.arpa.";
    auto r = zone::ImportZoneFile(store.get(), file, io);
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    auto table = std::make_unique<zone::ZoneTable>();
    zone::Zone z;
    z.meta = r->meta;
    z.origin = dns::WireName("e164.arpa.");
    z.mode = mode;
    table->Add(z);
    registry.Publish(std::move(table));
    responder = std::make_unique<Responder>(store.get(), &registry, std::move(options));
  }
  ~ServedZone() {
    responder.reset();  // before the store it reads
    store.reset();
  }
};

}  // namespace enumd::query
