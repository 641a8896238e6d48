// ZoneStore: the RocksDB database that holds every zone enumd serves.
//
// Key schema (all integers big-endian; see name_key.h for <key> and node.h
// for node values):
//   "V"                              store format tag, kStoreFormat
//   "C"                              u32 next generation number
//   "M" <origin wire, lower-case>    ZoneMeta of the zone's current version
//   "G" <u32 gen>                    a generation in use or being built: its origin
//   "N" <u32 gen> <key>              node value of one name of that generation
//   "J" <origin> <u64 seq>           journal: one committed change of the zone's
//                                    current version (IXFR source), oldest first
//
// A zone version is a generation. An import writes the new generation's
// nodes into table files of its own (in a directory "enumd-import-<gen>"
// inside the store), hands them to RocksDB whole (file ingestion), then flips
// the "M" record in one synced write: readers and a kill -9 at any moment see
// the old zone whole or the new one whole, and a failed import (a full disk,
// a bad file, a signal) leaves nothing behind but its own directory, which it
// removes. Leftovers of killed imports and replaced versions are deleted when
// a writer next opens the store. A replaced generation is dropped file by
// file (DeleteFilesInRanges), so its disk space comes back at once. Per-name
// updates change the current generation in place, one atomic batch per change.
//
// A store is checked before anything in it is written: a store whose CURRENT
// file is gone, whose zone records do not decode, or whose zones lack their
// version is refused, and nothing is created, written or deleted (see Open).
//
// Thread-safety: reads are safe from any number of threads. Writes (imports,
// updates) come from one thread at a time; across processes RocksDB's LOCK
// file makes the writer exclusive, and Open() turns that into a clear error.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/epoch.h"
#include "common/status.h"
#include "store/node_cache.h"

namespace rocksdb {
class Status;
class WriteBatch;
struct WriteOptions;
class DB;
class Env;
class Iterator;
class PinnableSlice;
class Cache;
class Snapshot;
struct Options;
}  // namespace rocksdb

namespace enumd::store {

inline constexpr std::string_view kStoreFormat = "enumd-store-1";

struct ZoneMeta {
  std::string origin;  // wire form, lower-case
  uint32_t generation = 0;
  uint32_t serial = 0;
  uint64_t names = 0;  // nodes with data (not counting empty non-terminals)
  uint64_t records = 0;
  int64_t imported_at = 0;  // unix seconds
  std::string source_file;  // zone file it came from, if any
  int64_t source_mtime_ns = 0;
  uint64_t source_size = 0;
  // The journal of this version: entries [journal_first, journal_next), of
  // journal_bytes in all. An import (a new version) starts it empty.
  uint64_t journal_first = 0;
  uint64_t journal_next = 0;
  uint64_t journal_bytes = 0;
  // A secondary zone: when its primary last confirmed it (a refresh check
  // that found it current, or a transfer applied), unix seconds; 0 for a
  // zone that has no primary. Its expire timer counts from here, across
  // restarts. Encoded only when set, so a store of primary zones stays
  // readable by the enumd before it.
  int64_t refreshed_at = 0;

  std::string Encode() const;
  // Reads the current encodings and the one before the journal fields.
  bool Decode(std::string_view v);
};

// How much journal a zone keeps: the oldest entries go first when a new one
// would pass either bound (0: no bound of that kind).
struct JournalLimits {
  uint64_t max_entries = 0;
  uint64_t max_bytes = 0;
};

// A consistent view of everything the store serves: a RocksDB snapshot taken
// by the writer after a committed change, and the end of the change log at
// that point. Opaque to readers; see ZoneStore::AcquireView.
struct StoreView {
  const rocksdb::Snapshot* snapshot = nullptr;  // null: a read-only store (nothing changes)
  uint64_t log_end = 0;
};

// What a read found. An I/O error or a checksum mismatch is kError, never
// kAbsent: callers answer SERVFAIL for it, not NXDOMAIN or "no wildcard".
enum class [[nodiscard]] ReadStatus : uint8_t{kFound, kAbsent, kError};

// A reader's reusable state (one per worker thread): optionally the worker's
// NodeCache (shared by that worker's contexts), the view it reads, and what
// the last failed read said.
class ReadContext {
 public:
  ReadContext();
  ~ReadContext();
  ReadContext(const ReadContext&) = delete;
  ReadContext& operator=(const ReadContext&) = delete;

  // GetNode with this context consults and fills `cache` (not owned; null:
  // none), which ZoneStore::AcquireView keeps in step with the view.
  void set_cache(NodeCache* cache) { cache_ = cache; }
  // Reads go through `view` (ZoneStore::AcquireView; valid for the caller's
  // read section); null: the latest data, and no cache (admin paths).
  void set_view(const StoreView* view) { view_ = view; }

  // The reason of the last kError read through this context (RocksDB's
  // status text, or "malformed node"); "" if none. Fixed storage: setting it
  // does not allocate.
  const char* error() const { return error_; }
  void SetError(const char* what, const char* detail = nullptr) noexcept;
  void ClearError() noexcept { error_[0] = 0; }

 private:
  friend class ZoneStore;
  NodeCache* cache_ = nullptr;
  const StoreView* view_ = nullptr;
  char error_[192] = {};
};

class ZoneImport;
class ZoneSnapshot;
class ChangeLog;

class ZoneStore {
 public:
  enum class Mode { kReadOnly, kReadWrite };
  struct Options {
    bool in_memory = false;  // RocksDB on a memory Env (tests)
    size_t block_cache_bytes = 64u << 20;
    bool create_if_missing = true;  // read-write only
    // Read-write only: when the disk is too full for RocksDB to open the
    // store for writing, open it read-only instead (read_only_reason() says
    // why) rather than fail: a server keeps answering from what it has.
    bool read_only_if_full = false;
    // Check the store before use (Validate). Off only for `enumctl verify`,
    // which reports what is damaged rather than refusing the store.
    bool validate = true;
    // The readers of views (the server's query threads; see AcquireView).
    // Null: nobody reads concurrently, so replaced views are freed at once.
    EpochDomain* readers = nullptr;
    // RocksDB's ticker statistics (block cache hits and misses, for
    // /metrics) and a count of its compactions: on only when someone reads
    // them.
    bool statistics = false;
    // Read table files through mmap (the default: a miss parses the block
    // where the page cache holds it) or with pread into the block cache. With
    // mmap a disk that fails under a mapped table stops the process (SIGBUS)
    // instead of giving a read error (SERVFAIL).
    bool mmap_reads = true;
  };

  // store_reads: auto. Mapped tables count in the process's RSS page by
  // page as queries touch them, so mmap is the choice while the tables fit
  // in a quarter of the memory the process may use (`memory_bytes`, 0 =
  // unknown: mmap); beyond that, pread keeps RSS to the caches and the page
  // cache holds the tables outside it.
  static bool MmapFits(uint64_t table_bytes, uint64_t memory_bytes) {
    return memory_bytes == 0 || table_bytes <= memory_bytes / 4;
  }
  // Bytes of table files (*.sst) in the store directory `path`, read from
  // the directory without opening the store; 0 when there is none.
  static uint64_t TableBytesOnDisk(const std::string& path);

  // Opens (read-write: creating) the store at `path`. Errors are one line
  // naming `path`: a store locked by a running enumd, a store of another
  // format, a directory that holds other files and no store (never turned
  // into one), a damaged store (RocksDB reports corruption or a missing file:
  // a truncated table, a garbled MANIFEST, CURRENT naming nothing or missing
  // beside data files; or Validate fails), I/O.
  //
  // A damaged store is never made worse: an existing store is first opened
  // read-only and validated, and only a store that passes is opened for
  // writing (RocksDB's own recovery then deletes only files its MANIFEST
  // does not name) and cleaned of leftover generations. A store whose
  // CURRENT file is missing is never re-created over its data.
  static Result<std::unique_ptr<ZoneStore>> Open(const std::string& path, Mode mode,
                                                 const Options& options);
  static Result<std::unique_ptr<ZoneStore>> Open(const std::string& path, Mode mode) {
    return Open(path, mode, Options());
  }
  ~ZoneStore();

  // --- zones ---
  // The zones whose records decode (a damaged one is left out: see
  // ZoneRecords and Validate).
  std::vector<ZoneMeta> Zones() const;
  // Every zone record as stored: the origin from its key, and its meta when
  // the value decodes (nullopt: damaged). Admin paths.
  std::vector<std::pair<std::string, std::optional<ZoneMeta>>> ZoneRecords() const;
  // Every registered generation with the origin it was made for. Admin paths.
  std::vector<std::pair<uint32_t, std::string>> Generations() const;
  std::optional<ZoneMeta> FindZone(std::string_view origin_wire_lower) const;
  // Cheap checks (two point reads) that the version `meta` points at is
  // there: its generation is registered for this origin and its apex node
  // holds a SOA. A store that fails them is damaged; serving it would answer
  // NXDOMAIN for the whole zone. Missing nodes below the apex are not looked
  // for (that takes a full scan).
  Status CheckZone(const ZoneMeta& meta) const;

  // Every check Open makes before it trusts a store: the format tag, every
  // zone record decodes, and every zone's version is there (CheckZone).
  // Reads only. The error says what is damaged and how to recover.
  Status Validate() const;

  // --- views (the server) ---
  // Queries read through views, so that no answer mixes data from before
  // and after one change (issue 19): a query takes the current view at its
  // start, inside its read section of Options::readers, and reads every node
  // through it (ReadContext::set_view). With the view comes the log of the
  // names changed since the caller's last one: AcquireView applies it to
  // `cache` (Erase per changed name, Clear when too much changed or a version was replaced) before
  // the query reads, so the cache is kept name by name instead of emptied by every change. One
  // atomic load when nothing changed; never allocates.
  const StoreView* AcquireView(NodeCache* cache) const noexcept;
  // Writer: makes every change committed so far visible to queries started
  // from now on (a new snapshot and view), and frees the views no reader can
  // hold any more. ApplyChanges with sync, imports and drops call it; a
  // writer that applies changes without sync calls SyncWal, then this.
  Status Publish();
  // Writer: frees the replaced views no reader can hold any more, and the
  // files of dropped generations that a compaction held (Publish does it
  // too; a writer calls this now and then when idle).
  void ReclaimViews();

  // --- reads (thread-safe; noexcept: the query path) ---
  // Looks up the node `key` of generation `gen`. On kFound, `value` holds it.
  ReadStatus GetNode(uint32_t gen, std::string_view key,
                     rocksdb::PinnableSlice* value) const noexcept;
  // The same through the worker's context: its NodeCache answers first. On
  // kError, ctx->error() says why.
  ReadStatus GetNode(ReadContext* ctx, uint32_t gen, std::string_view key,
                     rocksdb::PinnableSlice* value) const noexcept;
  // The nodes of `gen` in key order, pulled one at a time (a merge against
  // another ordered stream: a diff import). Admin paths only; the store
  // must outlive it.
  class NodeCursor {
   public:
    NodeCursor();
    ~NodeCursor();
    // The next node (key without the generation prefix; the views last
    // until the next call); false at the end or on an error (status()).
    bool Next(std::string_view* key, std::string_view* value);
    Status status() const;

   private:
    friend class ZoneStore;
    std::unique_ptr<rocksdb::Iterator> it_;
    std::string prefix_;
    std::string after_;  // prefixed; "" = from the first node
    bool started_ = false;
  };
  // From the first node, or from the first after the node `after` (a key
  // without the generation prefix: a walk resumed on a newer iterator); at
  // `snapshot` (a view's: what queries may see), else the latest data.
  std::unique_ptr<NodeCursor> OpenNodes(uint32_t gen, const std::string* after = nullptr,
                                        const rocksdb::Snapshot* snapshot = nullptr) const;
  // About how many bytes the nodes of `gen` take in the tables and the
  // memtables (keys and values; RocksDB's estimate). 0 if unknown.
  uint64_t ApproximateNodeBytes(uint32_t gen) const;
  // The change log's end at the last Publish. Any thread.
  uint64_t PublishedLogEnd() const { return published_log_end_.load(std::memory_order_seq_cst); }
  // Calls fn(key, value) for every node of `gen` whose key starts with
  // `prefix`, in key order, until fn returns false. Admin paths only.
  Status ForEachNode(uint32_t gen, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) const;

  // --- writes ---
  // Starts building a new version of the zone `origin_wire_lower`.
  Result<std::unique_ptr<ZoneImport>> BeginImport(std::string_view origin_wire_lower);
  // Removes a zone (atomic).
  Status DropZone(std::string_view origin_wire_lower);
  // Deletes a generation that no zone points at any more: its table files
  // at once, whatever else of it remains with a range tombstone. The caller
  // makes sure no reader still reads it (EpochDomain).
  Status DropGeneration(uint32_t gen);

  // One atomic change to the current version of a zone: node puts/deletes,
  // the new meta and (when `journal` is not null) a journal entry, in one
  // batch: synced unless `sync` is false (a writer that commits several
  // changes and then calls SyncWal once: group commit). The journal is kept
  // within `limits` in the same batch (the meta's journal fields are set
  // here).
  struct NodeChange {
    std::string key;
    std::optional<std::string> value;  // nullopt = delete
  };
  Status ApplyChanges(const ZoneMeta& meta, const std::vector<NodeChange>& changes);
  struct ChangeOptions {
    const std::string* journal = nullptr;
    JournalLimits limits;
    bool sync = true;
    // When set and the write succeeds: the zone's meta as written (the
    // journal's bounds moved), so the writer need not read it back.
    ZoneMeta* written = nullptr;
  };
  Status ApplyChanges(ZoneMeta meta, const std::vector<NodeChange>& changes,
                      const ChangeOptions& options);
  // OK when the store's disk has room for a write of `bytes` (and what
  // RocksDB writes after it); else why not. statvfs: no I/O.
  Status CheckRoomFor(uint64_t bytes) const;
  // Makes every write so far durable (after ApplyChanges with sync false).
  Status SyncWal();
  // Calls fn(seq, entry) for the zone's journal entries from `from_seq` on,
  // oldest first, until fn returns false. Admin paths (IXFR).
  Status ForEachJournalEntry(const ZoneMeta& meta, uint64_t from_seq,
                             const std::function<bool(uint64_t, std::string_view)>& fn) const;
  // The zone `origin_wire_lower` as it is now, for a long reader (a zone
  // transfer) that must not hold a view: see zone_snapshot.h. Fails when
  // the zone is not in the store. Thread-safe.
  Result<std::unique_ptr<ZoneSnapshot>> OpenSnapshot(std::string_view origin_wire_lower) const;

  bool read_only() const { return read_only_; }
  // Why a read-write open gave a read-only store (read_only_if_full); "".
  const std::string& read_only_reason() const { return read_only_reason_; }
  const std::string& path() const { return path_; }

  // What the store holds and does, for /metrics. Any thread; reads RocksDB's
  // metadata (no table is read).
  struct Figures {
    uint64_t table_files = 0, table_bytes = 0;
    uint64_t block_cache_usage = 0, block_cache_capacity = 0;
    bool have_block_stats = false;  // Options::statistics
    uint64_t block_cache_hits = 0, block_cache_misses = 0;
    uint64_t compactions = 0;          // finished since the store was opened
    int64_t last_compaction_unix = 0;  // 0: none yet
    // Per generation (a zone's version): the table files holding its nodes.
    struct Generation {
      uint32_t gen = 0;
      uint64_t files = 0, bytes = 0;
    };
    std::vector<Generation> generations;
  };
  Figures GetFigures() const;

  // The paths of the live table files, and a warm-up for them: asks the
  // kernel to read them into the page cache (POSIX_FADV_WILLNEED), so that
  // the first queries after a start find the tables they map in memory
  // rather than on disk. Prefetch holds no reference to the store: run it
  // on a thread of its own, it may take as long as reading the files.
  std::vector<std::string> TableFiles() const;
  static void Prefetch(const std::vector<std::string>& paths) noexcept;

  // For `enumctl verify`: every block of every live table file read and
  // checked against its checksum (as RocksDB's `sst_dump --command=verify`).
  struct TableCheck {
    std::string file;   // path
    uint64_t size = 0;  // bytes
    int level = 0;
    uint64_t largest_seqno = 0;
    std::string error;  // "" when the file is sound
  };
  std::vector<TableCheck> VerifyTables() const;

 private:
  ZoneStore() = default;
  Status Init(bool fresh);
  Status CollectGarbage();
  // Clears a background error (a full disk) so the next write can try again.
  Status Resume();
  std::string ImportDir(uint32_t gen) const;
  rocksdb::Status ReadNode(uint32_t gen, std::string_view key, rocksdb::PinnableSlice* value,
                           const rocksdb::Snapshot* snapshot = nullptr) const noexcept;
  // ctx's NodeCache when it reads through a view, else null.
  NodeCache* CacheOf(ReadContext* ctx) const noexcept {
    return ctx->view_ && ctx->cache_ && ctx->cache_->enabled() ? ctx->cache_ : nullptr;
  }
  // Writes a batch that changes served data, and makes it visible (Publish)
  // when it is synced.
  rocksdb::Status WriteServed(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch);
  // The sizes of each zone's newest journal entries, so that trimming the
  // oldest one (every change, once the journal is full) needs no read of
  // it. Kept after each write; an entry not known is read as before.
  struct JournalSizes {
    uint32_t generation = 0;
    uint64_t first = 0;  // the sequence number of sizes[0]
    std::deque<uint32_t> sizes;
  };
  bool KnownJournalSize(const ZoneMeta& meta, uint64_t seq, uint64_t* size);
  void KeepJournalSize(const ZoneMeta& meta, uint64_t size);
  std::mutex journal_sizes_mu_;
  std::map<std::string, JournalSizes, std::less<>> journal_sizes_;  // by origin
  friend class ZoneImport;
  friend class ZoneSnapshot;

  struct CompactionCounter;  // a RocksDB EventListener
  std::shared_ptr<CompactionCounter> compactions_;
  std::unique_ptr<rocksdb::Env> mem_env_;
  std::unique_ptr<rocksdb::Env> disk_env_;  // on disk: the default files, logs sized ahead
  std::shared_ptr<rocksdb::Cache> cache_;
  std::unique_ptr<rocksdb::Options> options_;  // what the DB was opened with (imports' tables too)
  std::unique_ptr<rocksdb::DB> db_;
  bool read_only_ = false;
  std::string read_only_reason_;
  std::string path_;
  // Views: the current one, and the replaced ones waiting for their readers.
  EpochDomain* readers_ = nullptr;
  std::unique_ptr<ChangeLog> log_;
  std::atomic<const StoreView*> view_{nullptr};
  std::atomic<uint64_t> published_log_end_{0};
  std::vector<std::pair<uint64_t, const StoreView*>> retired_;  // (ticket, view)
  void FreeView(const StoreView* view);
  // Dropped generations whose files a compaction held (writer only).
  std::vector<uint32_t> pending_drops_;
  Status DeleteGenerationFiles(uint32_t gen);
};

// A zone version being built: the caller writes each name's node (PutNode,
// in strictly ascending key order: canonical name order), then Commit makes
// the new version current in one step. Destroying an uncommitted import
// discards it and removes its files at once.
class ZoneImport {
 public:
  ~ZoneImport();

  uint32_t generation() const { return gen_; }

  // Keys must ascend strictly (an error otherwise).
  Status PutNode(std::string_view key, std::string_view value);

  // Makes this generation the zone's current version (meta.generation is set
  // here). The previous version is dropped right after, unless
  // `keep_previous` (a server whose readers may still be inside it drops it
  // with DropGeneration once they are done). *previous gets its number (0: none).
  Status Commit(ZoneMeta meta, bool keep_previous = false, uint32_t* previous = nullptr);

 private:
  friend class ZoneStore;
  ZoneImport(ZoneStore* store, std::string origin, uint32_t gen);
  Status FinishFile();
  void Discard() noexcept;

  ZoneStore* store_;
  std::string origin_;
  uint32_t gen_;
  bool committed_ = false;
  bool ingested_ = false;  // its files are in the database (not yet current)
  struct Files;
  std::unique_ptr<Files> files_;
};

}  // namespace enumd::store
