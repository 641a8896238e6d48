// VerifyStore: everything `enumctl verify` checks in a store, read-only, so
// it can run beside a serving enumd. Like RocksDB's `sst_dump
// --command=verify` it reads every block of every table file against its
// checksum; beyond that it reads every node of every zone's current version
// and checks what the server relies on:
//  - each zone record decodes, its generation is registered, its apex holds
//    a SOA (ZoneStore::CheckZone);
//  - every key decodes to a name of at most 255 octets, every node value
//    parses (RRsets sorted, records whole);
//  - every name's parent exists (empty non-terminals, RFC 4592 §2.2.2: the
//    closest-encloser search and wildcard answers depend on them);
//  - the zone's name and record counts match its nodes (a note only).
// A read that fails part-way (a checksum mismatch in a block) is reported
// with the last name read before it. Problems are damage: the server would
// answer SERVFAIL, or wrongly, for some names.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/zone_store.h"

namespace enumd::store {

struct VerifyReport {
  std::vector<std::string> problems;  // each one line, naming zone and name or file
  std::vector<std::string> notes;     // worth knowing, not damage
  uint64_t tables = 0, table_bytes = 0;
  uint64_t zones = 0, nodes = 0, records = 0;
  bool ok() const { return problems.empty(); }
};

VerifyReport VerifyStore(const ZoneStore& store);

}  // namespace enumd::store
