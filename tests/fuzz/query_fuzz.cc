// Fuzz target: the whole query path, raw bytes -> response bytes, against the
// playground zone in an in-memory store, over UDP and TCP sizes. Checks the
// invariants every response must keep, not just "no crash".
#include <netinet/in.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "dns/name.h"
#include "query/responder.h"
#include "query/zone_transfer.h"
#include "store/zone_store.h"
#include "zone/zone_importer.h"
#include "zone/zone_table.h"

namespace {

struct Fixture {
  std::unique_ptr<enumd::store::ZoneStore> store;
  enumd::zone::ZoneRegistry registry;
  std::unique_ptr<enumd::query::Responder> responder;
  enumd::query::TransferPolicyHolder policy;
  std::unique_ptr<enumd::query::ZoneTransfers> transfers;
  sockaddr_in peer{};

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
    table->Add(z);
    z.mode = enumd::zone::WildcardMode::kLongestMatch;
    registry.Publish(std::move(table));
    enumd::query::ResponderOptions ro;
    ro.version = "fuzz";
    ro.node_cache_bytes = 1 << 20;  // the cache path, and the batch prefetch
    responder = std::make_unique<enumd::query::Responder>(store.get(), &registry, ro);
    // Transfers allowed from 127.0.0.0/8, where the fuzzed requests come from.
    auto p = std::make_shared<enumd::query::TransferPolicy>();
    enumd::query::TransferAcl acl;
    enumd::zone::UpdatePrefix local;
    local.addr[0] = 127;
    local.length = 8;
    acl.addresses.push_back(local);
    p->zones[enumd::dns::WireName("e164.arpa.")] = acl;
    policy.Set(p);
    transfers = std::make_unique<enumd::query::ZoneTransfers>(store.get(), &registry, &policy);
    peer.sin_family = AF_INET;
    peer.sin_addr.s_addr = htonl(0x7f000001);
  }
};

uint8_t g_out[65535];

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture();
  // As the UDP listener does: the batch (here of one) is prefetched first.
  f->responder->Prefetch(&data, &size, 1);
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
  // AXFR/IXFR and NOTIFY, as the daemon dispatches them: every message of a
  // transfer (a few at most: the zone is small) keeps the same invariants.
  const auto* from = reinterpret_cast<const sockaddr*>(&f->peer);
  if (enumd::query::ZoneTransfers::IsNotify(data, size)) {
    size_t n = f->transfers->AnswerNotify(data, size, g_out, sizeof(g_out), from, 1700000000);
    if (n != 0 && (n < 12 || g_out[0] != data[0] || g_out[1] != data[1] || !(g_out[2] & 0x80)))
      abort();
  }
  if (enumd::query::ZoneTransfers::IsTransfer(data, size)) {
    for (bool tcp : {false, true}) {
      std::unique_ptr<enumd::query::TransferStream> stream;
      size_t n =
          f->transfers->Answer(data, size, g_out, sizeof(g_out), tcp, from, 1700000000, &stream);
      for (int i = 0; n == 0 && stream && i < 1000; ++i) {
        n = stream->Next(g_out, sizeof(g_out));
        if (n == enumd::query::TransferStream::kFailed) abort();  // the store is sound
        if (n == 0) break;
        if (n < 12 || g_out[0] != data[0] || g_out[1] != data[1] || !(g_out[2] & 0x80)) abort();
        n = 0;
      }
      if (n != 0 && (n < 12 || g_out[0] != data[0] || g_out[1] != data[1])) abort();
    }
  }
  return 0;
}
