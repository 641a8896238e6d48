// ZoneProbe: asks every served zone for its SOA through a Responder of its
// own, exactly as a client's query would be answered, without the network.
// Readiness (systemd's READY=1) waits for it: "up" means every zone answers,
// not merely that the sockets are bound.
// Control thread only; allocates (a Responder and its scratch).
#pragma once

#include "common/status.h"
#include "store/zone_store.h"
#include "zone/zone_table.h"

namespace enumd::daemon {

// The number of zones probed when, for every zone of `zones`' current table,
// a SOA query for its origin gets NOERROR with AA and exactly one answer
// record (no zones: 0). Else the first zone that does not, and what it got
// ("zone e164.arpa.: SOA query got rcode 2, 0 answer record(s)").
Result<size_t> ProbeZones(const store::ZoneStore* store, const zone::ZoneRegistry* zones);

}  // namespace enumd::daemon
