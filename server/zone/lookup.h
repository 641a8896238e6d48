// Lookup semantics: where a query name lands in a zone (RFC 1034 §4.3.2 with
// RFC 4592 wildcards), read from the store with a few point reads:
//   1. the node of the query name itself (one Get; bloom filters make misses cheap);
//   2. if missing, the closest encloser, by a binary search over its ancestors
//      (EncloserSearch: log2(labels) point reads), and its node;
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
  // The next Lookup's closest encloser as a search run ahead found it (the
  // responder's batch prefetch), -1 if none: two reads confirm it (it exists,
  // the ancestor below it does not) instead of the whole search; a hint
  // proven wrong only narrows the search. Lookup consumes it.
  int encloser_hint = -1;
};

// The closest encloser's search (step 2) over the label counts of a missing
// name's ancestors: the apex (0 labels) exists, the name (`hi` labels) does
// not, and every ancestor of a node is a node, so each probe halves the
// range. Lookup runs it against the store; the responder's batch prefetch
// runs the same probes ahead of it, so both take their steps from here.
struct EncloserSearch {
  int lo = 0;  // labels of the deepest ancestor known to exist
  int hi = 0;  // labels of the shallowest one known not to
  bool done() const { return hi - lo <= 1; }
  int probe() const { return lo + (hi - lo) / 2; }  // the ancestor to read next
  void Found(int labels, bool exists) { (exists ? lo : hi) = labels; }
};

// Looks up `qname` (at or below zone.origin) for `qtype` in `zone`.
void Lookup(const store::ZoneStore& store, const Zone& zone, const uint8_t* qname, uint16_t qtype,
            LookupScratch* scratch, LookupResult* result) noexcept;

}  // namespace enumd::zone
