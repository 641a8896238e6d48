// Fuzz target: the whole query path, raw bytes -> response bytes, against the
// playground zone in an in-memory store, over UDP and TCP sizes. Checks the
// invariants every response must keep, not just "no crash".
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "dns/name.h"
#include "query/responder.h"
#include "store/zone_store.h"
#include "zone/zone_importer.h"
#include "zone/zone_table.h"

namespace {

struct Fixture {
  std::unique_ptr<enumd::store::ZoneStore> store;
  enumd::zone::ZoneRegistry registry;
  std::unique_ptr<enumd::query::Responder> responder;

  Fixture() {
    enumd::store::ZoneStore::Options o;
    o.in_memory = true;
    store = std::move(
        enumd::store::ZoneStore::Open("/fuzz", enumd::store::ZoneStore::Mode::kReadWrite, o)
            .value());
    enumd::zone::ImportOptions io;
    io.origin = "e164.arpa.";
    auto r = enumd::zone::ImportZoneFile(store.get(), ENUMD_FUZZ_ZONE, io);
    if (!r.ok()) abort();
    auto table = std::make_unique<enumd::zone::ZoneTable>();
    enumd::zone::Zone z;
    z.meta = r->meta;
    z.origin = enumd::dns::WireName("e164.arpa.");
    z.origin_labels = 2;
    table->Add(z);
    z.mode = enumd::zone::WildcardMode::kLongestMatch;
    registry.Publish(std::move(table));
    enumd::query::ResponderOptions ro;
    ro.version = "fuzz";
    responder = std::make_unique<enumd::query::Responder>(store.get(), &registry, ro);
  }
};

uint8_t g_out[65535];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture();
  for (bool tcp : {false, true}) {
    size_t n = f->responder->Respond(data, size, g_out, sizeof(g_out), tcp);
    if (n == 0) continue;
    // Invariants: a header at least, the id echoed, QR set, RA never set,
    // within the transport's limit.
    if (n < 12 || size < 12) abort();
    if (g_out[0] != data[0] || g_out[1] != data[1]) abort();
    if (!(g_out[2] & 0x80) || (g_out[3] & 0x80)) abort();
    if (!tcp && n > 1232) abort();
  }
  return 0;
}
