// Lookup semantics: where a query name lands in a zone (RFC 1034 §4.3.2 with
// RFC 4592 wildcards), read from the store with a few point reads:
//   1. the node of the query name itself (one Get; bloom filters make misses cheap);
//   2. if missing, the closest encloser, from the key preceding the name (one
//      seek; see store/name_key.h for why that works) and its node;
//   3. the wildcard "*" below it (one Get), or, in longest-match mode, below
//      each ancestor up to the apex until one exists.
// Zone cuts are flagged in the nodes themselves, so a referral costs one more Get.
// noexcept, no allocation once the scratch buffers have grown.
#pragma once

#include <rocksdb/slice.h>

#include <cstdint>
#include <string>

#include "dns/constants.h"
#include "store/node.h"
#include "store/zone_store.h"
#include "zone/zone_table.h"

namespace enumd::zone {

enum class LookupKind {
  kExact,       // the name has data: `node` is its node
  kEmpty,       // the name exists without data (empty non-terminal): NODATA
  kWildcard,    // synthesised from the wildcard whose node is `node` (RFC 4592 §3.3.1)
  kNXDomain,    // no such name
  kDelegation,  // at or below a zone cut: `node` is the cut's node, `cut_labels` its depth
  kError,       // the store failed or holds a malformed node: SERVFAIL
};

struct LookupResult {
  LookupKind kind = LookupKind::kError;
  store::NodeView node;
  int cut_labels = 0;       // kDelegation: labels of the cut below the origin
  int wildcard_labels = 0;  // kWildcard: labels of the wildcard's parent below the origin
};

// Per-worker buffers a lookup reuses; `node` backs LookupResult::node and stays
// valid until the next lookup with the same scratch.
struct LookupScratch {
  store::ReadContext read;
  rocksdb::PinnableSlice node;
  std::string key;
  std::string probe;
};

// Looks up `qname` (at or below zone.origin) for `qtype` in `zone`.
void Lookup(const store::ZoneStore& store, const Zone& zone, const uint8_t* qname, uint16_t qtype,
            LookupScratch* scratch, LookupResult* result) noexcept;

}  // namespace enumd::zone
