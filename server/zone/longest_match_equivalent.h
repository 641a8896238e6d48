// LongestMatchEquivalent: what a standard (RFC 4592) server must hold to
// answer like a zone served with `wildcards: longest-match`. Shared by
// `enumctl export --longest-match` (zone_exporter.h) and zone transfers to
// standard secondaries (query/transfer.h), so both give the same records.
//
// Inside a wildcard's block, longest-match answers every name without data
// of its own from the deepest wildcard above it. A standard server does the
// same if every empty non-terminal there carries a copy of the governing
// wildcard's records at its own name, and every name carries a wildcard
// ("*.<name>", a copy of the governing one) unless the zone has its own.
// Names that sort before "*" (labels made of bytes below 0x2A) are not
// covered; E.164 digits never are. Names at or below a zone cut are left
// as they are.
//
// Feed the zone's nodes in canonical order (the store's key order); each
// gives one or two nodes to emit. Not thread-safe; one walk per object.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/zone_store.h"

namespace enumd::zone {

class LongestMatchEquivalent {
 public:
  // `owner` (wire) and the node value to write in its place; both valid
  // for the call only.
  using Emit = std::function<void(const uint8_t* owner, std::string_view node)>;
  // Whether the zone has the node `key` (a wildcard the walk has not reached).
  using HasNode = std::function<store::ReadStatus(std::string_view key)>;

  // The node `key`/`value` at `owner` (wire). Returns false when `has_node`
  // reported a read error (nothing more should be fed) or the node does not
  // parse.
  bool Feed(std::string_view key, std::string_view value, const uint8_t* owner,
            const HasNode& has_node, const Emit& emit);

 private:
  // Wildcard nodes seen so far, by the key of their parent: in canonical
  // order a wildcard comes right after its parent, before the parent's other
  // children, so it is known before any name it governs.
  std::vector<std::pair<std::string, std::string>> wildcards_;  // parent key, node value
};

}  // namespace enumd::zone
