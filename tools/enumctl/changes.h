// The changes of `enumctl apply FILE`: a list of additions and deletions,
// one per line, applied as one transaction (all or nothing):
//
//   # comment
//   add NAME TTL TYPE RDATA...     a record (RDATA as in a zone file)
//   del NAME                       every RRset of the name (not SOA/NS at the apex)
//   del NAME TYPE                  the RRset
//   del NAME TYPE RDATA...         one record
//
// NAME is an absolute domain name, or an E.164 number (+61355500911) under
// the ENUM suffix. Every name must be in one zone. RDATA is read by the
// zone-file reader, so it is checked exactly as an import checks it.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "enumctl/update_builder.h"

namespace enumd::enumctl {

struct Change {
  enum class Kind { kAdd, kDeleteName, kDeleteRRset, kDeleteRecord };
  Kind kind = Kind::kAdd;
  std::string owner;  // wire
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;
  int line = 0;
};

// Reads `path`; E.164 numbers go under `suffix` ("e164.arpa."). Errors are
// "FILE:LINE: reason".
Result<std::vector<Change>> ReadChanges(const std::string& path, const std::string& suffix);

// The changes as updates of `builder`.
void AddTo(const std::vector<Change>& changes, UpdateBuilder* builder);

}  // namespace enumd::enumctl
