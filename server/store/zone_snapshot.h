// ZoneSnapshot: one zone exactly as it was at one moment, for a reader that
// takes long and must not hold up anything else (a zone transfer, RFC 5936
// §6: "the server MUST ... send a consistent snapshot").
//
// Queries read through short-lived views inside read sections of the
// server's EpochDomain; a transfer can take minutes and thousands of TCP
// writes, and holding a view (and a read section) that long would keep every
// replaced view alive behind it. A ZoneSnapshot is a RocksDB snapshot of its
// own plus iterators made at the same moment, outside any read section:
//  - the zone's meta (generation, serial, journal bounds) is read through
//    the snapshot, so nodes, meta and journal agree;
//  - the iterators pin the table files of that moment, so a generation
//    dropped meanwhile (DeleteFilesInRanges, which does not respect
//    snapshots) stays readable to this reader; its disk space comes back
//    when the snapshot is destroyed;
//  - reads do not fill the block cache (a transfer of a large zone would
//    otherwise evict the blocks queries need) and read ahead.
// Memory is bounded by RocksDB's iterator state, whatever the zone size.
//
// Not thread-safe; one reader. Any thread may create and destroy it; the
// ZoneStore must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "store/zone_store.h"

namespace enumd::store {

class ZoneSnapshot {
 public:
  ~ZoneSnapshot();
  ZoneSnapshot(const ZoneSnapshot&) = delete;
  ZoneSnapshot& operator=(const ZoneSnapshot&) = delete;

  // The zone's meta at the snapshot.
  const ZoneMeta& meta() const { return meta_; }

  // The zone's nodes in key order (canonical name order: the apex first).
  // NextNode gives the next one (key without the generation prefix; the
  // views are valid until the next call) and returns false at the end or
  // on an error (status() says which).
  bool NextNode(std::string_view* key, std::string_view* value);
  // Whether node `key` exists (a second iterator; the node walk is not
  // disturbed). kError: status() says why.
  ReadStatus HasNode(std::string_view key);

  // The journal from entry `from_seq` on (see ZoneMeta: entries
  // [journal_first, journal_next) of this version), oldest first.
  void SeekJournal(uint64_t from_seq);
  bool NextJournal(uint64_t* seq, std::string_view* value);

  // OK, or the first read error.
  const Status& status() const { return status_; }

 private:
  friend class ZoneStore;
  ZoneSnapshot() = default;
  void Release() noexcept;  // in zone_store.cc, beside the store's own snapshots

  const ZoneStore* store_ = nullptr;
  const rocksdb::Snapshot* snapshot_ = nullptr;
  ZoneMeta meta_;
  std::string node_prefix_;     // "N" <gen>
  std::string journal_prefix_;  // "J" <origin>
  std::string journal_key_;     // scratch
  std::unique_ptr<rocksdb::Iterator> nodes_;
  std::unique_ptr<rocksdb::Iterator> probe_;
  std::unique_ptr<rocksdb::Iterator> journal_;
  bool nodes_started_ = false;
  std::string probe_key_;
  Status status_;
};

}  // namespace enumd::store
