// enumctl's per-name changes to the current version of a zone: each is one
// ZoneTransaction (one atomic store batch keeping the zone's invariants, the
// SOA serial incremented, a journal entry), with enumctl's own rules on top:
// SOA and NS are refused (they reshape the zone), and a CNAME conflict is an
// error rather than the silent no-op an RFC 2136 UPDATE gets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/zone_store.h"

namespace enumd::zone {

// Adds one record (wire rdata) at `owner` (wire name inside the zone). The
// RRset takes `ttl`. SOA and NS changes are refused (they reshape the zone:
// re-import it). Adding a record that exists changes nothing.
Status AddRecord(store::ZoneStore* store, std::string_view origin_wire_lower, const uint8_t* owner,
                 uint16_t type, uint32_t ttl, std::string_view rdata);

// Deletes the records of `type` at `owner` (0: every type except SOA and NS).
// Returns how many records were removed (0 when there were none).
Result<uint64_t> DeleteRecords(store::ZoneStore* store, std::string_view origin_wire_lower,
                               const uint8_t* owner, uint16_t type);

}  // namespace enumd::zone
