// Zone import: a BIND master file -> a new version of the zone in the store,
// validated, in one atomic step (the store keeps the old version until the
// new one is complete). Streams: memory use does not grow with the file.
//
// How: records are read one at a time (ZoneFileReader), sorted into canonical
// name order in memory chunks of at most ImportOptions::sort_memory bytes
// (chunks beyond the first are written as sorted runs to unlinked temporary
// files, which vanish with the process, and merged), then each name's node is
// built and written in key order. A file already in canonical order (enumctl
// export writes one) is not re-sorted.
//
// Checks beyond the reader's (each "FILE:LINE: reason"): a record outside the
// origin; class other than IN; no SOA, more than one, or not at the apex; no
// NS at the apex; CNAME beside other data or more than one CNAME at a name
// (reported at whichever of the two records comes later in the file).
// Identical records are merged (as BIND does); an RRset takes the TTL of its
// first record in the file.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/zone_store.h"
#include "zone/check_names.h"
#include "zone/zone_file_reader.h"

namespace enumd::zone {

struct ImportOptions {
  std::string origin;          // "" = from the file ($ORIGIN, else the SOA owner)
  bool keep_previous = false;  // see ZoneImport::Commit
  // Directory for the sort's temporary run files ("" = $TMPDIR, else /tmp).
  // enumctl uses the store's directory: it must hold the zone anyway.
  std::string temp_dir;
  // Record bytes held in memory before a sorted run goes to a temporary file.
  size_t sort_memory = size_t{256} << 20;
  // When set and it becomes true (another thread: a server stopping), the
  // import stops at the next record and fails with "import cancelled",
  // leaving the store as it was.
  const std::atomic<bool>* cancel = nullptr;
  // BIND's check-names (zone/check_names.h): kWarn, as named-checkzone
  // does by default; kFail refuses the zone as named does a primary zone.
  CheckNamesMode check_names = CheckNamesMode::kWarn;
  // When the store holds the zone already: write only the difference
  // (BIND's and Knot's ixfr-from-differences). The names that changed are
  // rewritten in place, in one atomic write with one journal entry (kept
  // within `journal`), and only their cache entries are dropped; the
  // zone's version and the rest of its journal stay, so secondaries can
  // follow by IXFR. A full import (a new version, a new journal) is done
  // instead when more than diff_max_names names or diff_max_bytes bytes
  // changed: ImportResult::full_reason says why. A file whose names changed
  // but whose SOA serial did not increase (RFC 1982) is refused, as BIND and
  // Knot refuse it in this mode: secondaries that see the same serial would
  // never fetch the change.
  bool diff = false;
  uint64_t diff_max_names = 100000;
  uint64_t diff_max_bytes = uint64_t{64} << 20;
  store::JournalLimits journal;
};

struct ImportResult {
  store::ZoneMeta meta;     // what the store now holds
  std::string origin_text;  // "e164.arpa." (lower case)
  uint64_t empty_non_terminals = 0;
  uint32_t previous_generation = 0;
  uint32_t sort_runs = 0;    // temporary runs written (0: the zone fitted in memory)
  uint64_t out_of_zone = 0;  // records outside the origin, skipped (as BIND does)
  // What was read differently from the file, as BIND does with a warning
  // (out-of-zone records, TTLs over 2^31-1, no TTL but the SOA's): how many,
  // and the first 100 as "FILE:LINE: what".
  uint64_t warning_count = 0;
  std::vector<std::string> warnings;
  double seconds = 0;
  // ImportOptions::diff: whether the difference was written (names_changed
  // names, possibly 0), or else why the zone was imported whole.
  bool diffed = false;
  uint64_t names_changed = 0;
  std::string full_reason;
};

Result<ImportResult> ImportZoneFile(store::ZoneStore* store, const std::string& path,
                                    const ImportOptions& options);

// Records from somewhere other than a zone file (a zone transfer), one at a
// time in any order; each record's `file` and `line` say where it came from
// in error messages.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // The next record; kEnd after the last; kError: error() says why.
  virtual ZoneFileReader::Next Read(ZoneRecord* rec) = 0;
  virtual Status error() const = 0;
};

// Imports the zone options.origin (required) from `source` as a new version
// of it, with every check ImportZoneFile makes; the store keeps the old
// version until the new one is whole. options.diff is not used (the zone is
// always replaced whole, with a new journal). `what` names the source in
// messages ("AXFR from 192.0.2.1").
Result<ImportResult> ImportRecords(store::ZoneStore* store, RecordSource* source,
                                   const std::string& what, const ImportOptions& options);

// Runs every check of an import without writing to any store; the result's
// meta holds what an import would store (generation 0).
Result<ImportResult> CheckZoneFile(const std::string& path, const ImportOptions& options);
inline Result<ImportResult> CheckZoneFile(const std::string& path, const std::string& origin) {
  ImportOptions o;
  o.origin = origin;
  return CheckZoneFile(path, o);
}

}  // namespace enumd::zone
