#include "daemon/zone_probe.h"

#include <cstdint>
#include <string>
#include <vector>

#include "common/byte_order.h"
#include "common/epoch.h"
#include "dns/constants.h"
#include "dns/name.h"
#include "query/responder.h"

namespace enumd::daemon {

Result<size_t> ProbeZones(const store::ZoneStore* store, const zone::ZoneRegistry* zones) {
  // The origins served now, read inside a read section: the writer thread
  // may replace (and free) the table meanwhile.
  std::vector<std::string> origins;
  {
    EpochReader reader(zones->epochs());
    EpochGuard section(&reader);
    // A secondary zone with nothing to serve yet answers SERVFAIL by design.
    for (const zone::Zone& z : zones->current()->zones())
      if (!z.expired) origins.push_back(z.origin);
  }
  query::Responder responder(store, zones, query::ResponderOptions());
  std::vector<uint8_t> q, out(dns::kMaxMessage);
  for (const std::string& wire : origins) {
    const std::string origin = dns::NameToText(reinterpret_cast<const uint8_t*>(wire.data()));
    // Header: id 0, no flags (RD clear, as an authoritative probe), QDCOUNT 1.
    q.assign(dns::kHeaderSize, 0);
    Store16(q.data() + 4, 1);
    q.insert(q.end(), wire.begin(), wire.end());
    q.resize(q.size() + 4);
    Store16(q.data() + q.size() - 4, dns::type::kSOA);
    Store16(q.data() + q.size() - 2, dns::rrclass::kIN);
    const size_t n = responder.Respond(q.data(), q.size(), out.data(), out.size(), true);
    if (n < dns::kHeaderSize) return Status::Error("zone " + origin + ": SOA query got no answer");
    const uint16_t flags = Load16(out.data() + 2);
    const unsigned rcode = flags & 0x0f;
    const bool aa = (flags & dns::flag::kAA) != 0;
    const uint16_t ancount = Load16(out.data() + 6);
    if (rcode != 0 || !aa || ancount != 1)
      return Status::Error("zone " + origin + ": SOA query got rcode " + std::to_string(rcode) +
                           (aa ? "" : " without AA") + ", " + std::to_string(ancount) +
                           " answer record(s)");
  }
  return origins.size();
}

}  // namespace enumd::daemon
