// Fuzz target: a zone transfer as a secondary receives it (issue 20),
// IncomingTransfer over arbitrary messages. The input's first byte picks the
// request (even: AXFR; odd: IXFR from serial 100); the rest is a sequence of
// messages, each a 2-octet length and that many octets (as on TCP; a short
// last frame is taken as it is). Each goes to Add until one fails; a
// transfer that ends whole is applied to a fresh in-memory store holding
// serial 100 of a small zone. Invariants, not just "no crash":
//  - bytes() is the sum of the messages taken, messages() their number;
//  - once Add fails, every later Add fails the same way and done() stays false;
//  - a done transfer has a kind; one that is up to date is serial <= 100
//    (RFC 1982), and applying it leaves the zone as it was;
//  - a failed Apply leaves the store with a served zone (the old one).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/byte_order.h"
#include "dns/name.h"
#include "store/zone_store.h"
#include "zone/incoming_transfer.h"
#include "zone/zone_importer.h"

namespace {

namespace zone = enumd::zone;
namespace store = enumd::store;

#define FUZZ_CHECK(condition)       \
  do {                              \
    if (!(condition)) std::abort(); \
  } while (0)

// Serial 100 of e164.arpa. in a fresh in-memory store.
std::unique_ptr<store::ZoneStore> BaseStore() {
  store::ZoneStore::Options o;
  o.in_memory = true;
  auto s = store::ZoneStore::Open("/mem/fuzz", store::ZoneStore::Mode::kReadWrite, o);
  if (!s.ok()) std::abort();
  auto origin = enumd::dns::WireName("e164.arpa.");
  auto soa = [](uint32_t serial) {
    std::string rd = enumd::dns::WireName("ns.e164.arpa.") + enumd::dns::WireName("h.e164.arpa.");
    for (uint32_t v : {serial, 3600u, 600u, 86400u, 60u}) enumd::Append32(&rd, v);
    return rd;
  };
  auto record = [&](const std::string& owner, uint16_t type, const std::string& rdata) {
    std::string r = enumd::dns::WireName(owner);
    enumd::Append16(&r, type);
    enumd::Append16(&r, 1);
    enumd::Append32(&r, 3600);
    enumd::Append16(&r, static_cast<uint16_t>(rdata.size()));
    return r + rdata;
  };
  std::string m(12, '\0');
  m[7] = 4;
  m += record("e164.arpa.", 6, soa(100)) + record("e164.arpa.", 2, enumd::dns::WireName("ns.x.")) +
       record("1.e164.arpa.", 16, std::string("\x02hi", 3)) + record("e164.arpa.", 6, soa(100));
  zone::IncomingTransfer t(origin, std::nullopt, "seed");
  if (!t.Add(reinterpret_cast<const uint8_t*>(m.data()), m.size()).ok() || !t.done()) std::abort();
  if (!t.Apply(s->get(), zone::IncomingTransfer::ApplyOptions()).ok()) std::abort();
  return std::move(s.value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool ixfr = data[0] & 1;
  zone::IncomingTransfer t(enumd::dns::WireName("e164.arpa."),
                           ixfr ? std::optional<uint32_t>(100) : std::nullopt, "fuzz");
  size_t pos = 1;
  uint64_t bytes = 0;
  size_t messages = 0;
  bool failed = false;
  std::string first_error;
  while (pos < size) {
    size_t len = size - pos;
    if (size - pos >= 2) {
      len = std::min<size_t>(enumd::Load16(data + pos), size - pos - 2);
      pos += 2;
    }
    enumd::Status st = t.Add(data + pos, len);
    pos += len;
    if (failed) {
      FUZZ_CHECK(!st.ok() && st.message() == first_error);
      FUZZ_CHECK(!t.done());
      continue;
    }
    if (!st.ok()) {
      failed = true;
      first_error = st.message();
      FUZZ_CHECK(!t.done());
      continue;
    }
    bytes += len;
    ++messages;
    FUZZ_CHECK(t.bytes() == bytes && t.messages() == messages);
  }
  if (!t.done()) return 0;
  FUZZ_CHECK(t.kind() != zone::IncomingTransfer::Kind::kPending);
  if (t.kind() == zone::IncomingTransfer::Kind::kUpToDate)
    FUZZ_CHECK(!zone::SerialGreater(t.serial(), 100));
  auto s = BaseStore();
  const std::string origin = enumd::dns::WireName("e164.arpa.");
  auto r = t.Apply(s.get(), zone::IncomingTransfer::ApplyOptions());
  auto meta = s->FindZone(origin);
  FUZZ_CHECK(meta.has_value());
  FUZZ_CHECK(s->CheckZone(*meta).ok());
  if (r.ok() && t.kind() == zone::IncomingTransfer::Kind::kUpToDate)
    FUZZ_CHECK(meta->serial == 100);
  if (r.ok() && t.kind() == zone::IncomingTransfer::Kind::kFull)
    FUZZ_CHECK(meta->serial == t.serial());
  return 0;
}
