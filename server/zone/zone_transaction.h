// ZoneTransaction: one atomic change to the current version of a zone, as
// RFC 2136 describes changes: any number of record additions and deletions,
// read back as they go (prerequisites and later operations see earlier ones),
// then committed as one store batch (ZoneStore::ApplyChanges) that keeps the
// zone's invariants:
//  - every ancestor of a name exists: empty non-terminals are created for a
//    new name and pruned when the last name below them goes (RFC 4592 §2.2.2;
//    wildcard answers depend on them);
//  - zone cuts: a name that gains or loses its NS below the apex changes the
//    flags of every name under it (kNodeDelegation, kNodeBelowCut);
//  - a CNAME stands alone (RFC 1034 §3.6.2; RRSIG and NSEC aside);
//  - the name and record counts in the zone's meta;
//  - the SOA serial moves forward (RFC 1982) unless the change itself set a
//    greater one (RFC 2136 §3.6);
//  - a journal entry (the records removed and added, with the old and new
//    SOA) is written in the same batch, for IXFR (RFC 1995).
// What RFC 2136 §3.4.2 says to ignore is ignored, as BIND does: an SOA that
// is not newer or not at the apex, deleting the SOA, deleting the apex NS
// RRset or its last record, a CNAME beside other data or other data beside a
// CNAME.
//
// One transaction at a time per zone, from the one writer thread (the store
// gives no isolation between writers). Not thread-safe; admin path.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/zone_store.h"

namespace enumd::zone {

// How the SOA serial moves when a change does not set it (BIND's
// serial-update-method).
enum class SerialPolicy {
  kIncrement,  // serial + 1 (RFC 1982: 0 is skipped)
  kUnixTime,   // the current Unix time, or serial + 1 if that is not greater
  kDateSerial  // YYYYMMDDnn for today, or serial + 1 if that is not greater
};

// An RRset as the transaction sees it.
struct RRsetData {
  uint32_t ttl = 0;
  std::vector<std::string> rdatas;  // wire RDATA, in the order they were added
};

// RFC 1982 §3.2: whether serial a is greater than serial b.
bool SerialGreater(uint32_t a, uint32_t b);

// A stored node as sets of records, by type.
using RRsets = std::map<uint16_t, RRsetData>;
// Decodes a node's value (store/node.h); false when it does not parse.
// `flags` and `cut_labels` may be null.
bool ReadNode(std::string_view value, RRsets* out, uint8_t* flags = nullptr,
              int* cut_labels = nullptr);

// Builds one journal entry (format below) from the nodes a change touched.
class JournalBuilder {
 public:
  // The records of `owner` (wire) in `before` and not in `after` are
  // removed, the others added; a record whose TTL changed is removed and
  // added again (RFC 1995 §4).
  void AddNode(std::string_view owner, const RRsets& before, const RRsets& after);
  std::string Finish(uint32_t old_serial, uint32_t new_serial) const;
  size_t bytes() const { return removed_.size() + added_.size(); }

 private:
  std::string removed_, added_;
  uint32_t n_removed_ = 0, n_added_ = 0;
};

struct CommitResult {
  bool changed = false;  // false: nothing to do, nothing was written
  uint32_t old_serial = 0;
  uint32_t new_serial = 0;
  std::vector<std::string> changed_keys;  // name keys (store/name_key.h) rewritten or deleted
  store::ZoneMeta meta;                   // the zone's meta after the commit
};

class ZoneTransaction {
 public:
  // Starts a change to the zone `origin` (wire, lower-case). Fails when the
  // store lacks it.
  static Result<std::unique_ptr<ZoneTransaction>> Begin(store::ZoneStore* store,
                                                        std::string_view origin);
  ~ZoneTransaction();

  const store::ZoneMeta& meta() const { return meta_; }
  // The zone origin (wire, lower-case).
  const std::string& origin() const { return meta_.origin; }
  // Whether `owner` (wire) is at or below the origin.
  bool InZone(const uint8_t* owner) const;

  // --- reads: the zone with this transaction's changes so far ------------
  // Whether the name owns any record (RFC 2136 §2.4.4 "name is in use").
  Result<bool> NameInUse(const uint8_t* owner);
  // The RRset of `type` at `owner`, or nullopt.
  Result<std::optional<RRsetData>> Get(const uint8_t* owner, uint16_t type);
  // Every RRset at `owner` by type.
  Result<std::map<uint16_t, RRsetData>> GetAll(const uint8_t* owner);

  // --- changes (RFC 2136 §3.4.2); true when something changed -------------
  // Adds a record; the RRset takes `ttl` (BIND: the newest TTL wins).
  Result<bool> Add(const uint8_t* owner, uint16_t type, uint32_t ttl, std::string_view rdata);
  // Deletes the RRset of `type`, or with type ANY (255) every RRset of the
  // name (at the apex: all but SOA and NS).
  Result<bool> DeleteRRset(const uint8_t* owner, uint16_t type);
  // Deletes one record.
  Result<bool> DeleteRecord(const uint8_t* owner, uint16_t type, std::string_view rdata);

  bool changed() const;

  // Writes everything as one batch (synced unless `sync` is false: see
  // ZoneStore::ApplyChanges), with a journal entry kept within `limits`.
  // `now` is the Unix time the serial policies use. Without changes it
  // writes nothing. The transaction cannot be used after Commit.
  Result<CommitResult> Commit(SerialPolicy policy, int64_t now, const store::JournalLimits& limits,
                              bool sync = true);

 private:
  struct Node {
    bool exists = false;
    uint8_t flags = 0;
    int cut_labels = 0;
    std::map<uint16_t, RRsetData> rrsets;
  };
  struct Entry {
    Node before;  // as the store has it
    Node after;   // with this transaction's changes
  };

  ZoneTransaction(store::ZoneStore* store, store::ZoneMeta meta);
  std::string Key(const uint8_t* owner) const;
  // A change's start: the entry of `owner` (in the zone), its key in *key.
  Result<Entry*> Touch(const uint8_t* owner, std::string* key);
  // The entry for `key`, loaded from the store on first use.
  Result<Entry*> Load(const std::string& key);
  Status ReadStore(const std::string& key, Node* out) const;
  // Whether any name strictly below `key` exists after the changes.
  Result<bool> HasDescendant(const std::string& key);
  Status CreateAncestors(const std::string& key);
  Status PruneEmpty(const std::string& key);
  Status FixCuts(const std::string& key);
  Status BumpSerial(SerialPolicy policy, int64_t now, CommitResult* result);
  std::string JournalEntry(uint32_t old_serial, uint32_t new_serial) const;

  store::ZoneStore* store_;
  store::ZoneMeta meta_;
  int origin_labels_ = 0;
  std::map<std::string, Entry> entries_;  // by key: every name touched or read
  bool soa_set_ = false;                  // an Add replaced the SOA with a newer serial
  bool done_ = false;
};

// The journal entry format (one per commit; zone-transfer code reads it):
//   u32 old serial, u32 new serial,
//   u32 count of removed records, then each: owner (wire), u16 type, u32 ttl,
//       u16 rdlength, rdata
//   u32 count of added records, the same
// The SOA records themselves are among the removed and added ones.
struct JournalRecord {
  std::string owner;  // wire
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::string rdata;
};
struct JournalDiff {
  uint32_t old_serial = 0, new_serial = 0;
  std::vector<JournalRecord> removed, added;
};
bool DecodeJournalEntry(std::string_view value, JournalDiff* out);

}  // namespace enumd::zone
