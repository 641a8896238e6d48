// Zone import: a BIND master file -> a new version of the zone in the store,
// validated, in one atomic step (the store keeps the old version until the
// new one is complete). Streams: memory use does not grow with the file.
//
// Checks beyond the reader's (each "FILE:LINE: reason"): a record outside the
// origin; class other than IN; no SOA, more than one, or not at the apex; no
// NS at the apex; CNAME beside other data or more than one CNAME at a name.
// Identical records are merged (as BIND does); an RRset takes the TTL of its
// first record.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "store/zone_store.h"

namespace enumd::zone {

struct ImportOptions {
  std::string origin;          // "" = from the file ($ORIGIN, else the SOA owner)
  bool keep_previous = false;  // see ZoneImport::Commit
};

struct ImportResult {
  store::ZoneMeta meta;     // what the store now holds
  std::string origin_text;  // "e164.arpa."
  uint64_t empty_non_terminals = 0;
  uint32_t previous_generation = 0;
  double seconds = 0;
};

Result<ImportResult> ImportZoneFile(store::ZoneStore* store, const std::string& path,
                                    const ImportOptions& options);

// Runs every check of an import without touching any store (it builds the
// zone in a scratch store under $TMPDIR, removed afterwards).
Result<ImportResult> CheckZoneFile(const std::string& path, const std::string& origin);

}  // namespace enumd::zone
