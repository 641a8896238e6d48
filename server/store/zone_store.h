// ZoneStore: the RocksDB database that holds every zone enumd serves.
//
// Key schema (all integers big-endian; see name_key.h for <key> and node.h
// for node values):
//   "V"                              store format tag, kStoreFormat
//   "C"                              u32 next generation number
//   "M" <origin wire, lower-case>    ZoneMeta of the zone's current version
//   "G" <u32 gen>                    a generation in use or being built: its origin
//   "N" <u32 gen> <key>              node value of one name of that generation
//
// A zone version is a generation: an import writes a fresh generation next to
// the current one and then flips the "M" record in one synced write, so
// readers and a kill -9 at any moment see either the old zone whole or the new
// one whole. Leftover generations (failed or killed imports, replaced
// versions) are deleted when a writer next opens the store. Per-name updates
// change the current generation in place, one atomic batch per change.
//
// Thread-safety: reads are safe from any number of threads. Writes (imports,
// updates) come from one thread at a time; across processes RocksDB's LOCK
// file makes the writer exclusive, and Open() turns that into a clear error.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

  std::string Encode() const;
  bool Decode(std::string_view v);
};

// A reader's reusable state (one per worker thread): a cached iterator that
// is refreshed only when the database changed, so lookups do not allocate,
// and optionally the worker's NodeCache (shared by that worker's contexts).
class ReadContext {
 public:
  ReadContext();
  ~ReadContext();
  ReadContext(const ReadContext&) = delete;
  ReadContext& operator=(const ReadContext&) = delete;

  // GetNode with this context consults and fills `cache` (not owned; null:
  // none). The store clears it whenever RocksDB's sequence number moved.
  void set_cache(NodeCache* cache) { cache_ = cache; }

 private:
  friend class ZoneStore;
  std::unique_ptr<rocksdb::Iterator> it_;
  uint64_t seq_ = 0;
  std::string key_;  // scratch for key building (capacity kept)
  NodeCache* cache_ = nullptr;
};

class ZoneImport;

class ZoneStore {
 public:
  enum class Mode { kReadOnly, kReadWrite };
  struct Options {
    bool in_memory = false;  // RocksDB on a memory Env (tests)
    size_t block_cache_bytes = 64u << 20;
    bool create_if_missing = true;  // read-write only
  };

  // Opens (read-write: creating) the store at `path`. Errors are one line
  // naming `path`: a store locked by a running enumd, a store of another
  // format, a directory that holds other files and no store (never turned
  // into one), a damaged store (RocksDB reports corruption or a missing file:
  // a truncated table, a garbled MANIFEST, CURRENT naming nothing), I/O.
  static Result<std::unique_ptr<ZoneStore>> Open(const std::string& path, Mode mode,
                                                 const Options& options);
  static Result<std::unique_ptr<ZoneStore>> Open(const std::string& path, Mode mode) {
    return Open(path, mode, Options());
  }
  ~ZoneStore();

  // --- zones ---
  std::vector<ZoneMeta> Zones() const;
  std::optional<ZoneMeta> FindZone(std::string_view origin_wire_lower) const;
  // Cheap checks (two point reads) that the version `meta` points at is
  // there: its generation is registered for this origin and its apex node
  // holds a SOA. A store that fails them is damaged; serving it would answer
  // NXDOMAIN for the whole zone. Missing nodes below the apex are not looked
  // for (that takes a full scan).
  Status CheckZone(const ZoneMeta& meta) const;

  // --- reads (thread-safe; noexcept: the query path) ---
  // Looks up the node `key` of generation `gen`. On true, `value` holds it.
  bool GetNode(uint32_t gen, std::string_view key, rocksdb::PinnableSlice* value) const noexcept;
  // The same through the worker's context: its NodeCache answers first.
  bool GetNode(ReadContext* ctx, uint32_t gen, std::string_view key,
               rocksdb::PinnableSlice* value) const noexcept;
  // Finds the greatest node key <= `key` in generation `gen` and copies it to
  // *found (capacity kept between calls). False if there is none.
  bool FloorKey(ReadContext* ctx, uint32_t gen, std::string_view key,
                std::string* found) const noexcept;
  // Calls fn(key, value) for every node of `gen` whose key starts with
  // `prefix`, in key order, until fn returns false. Admin paths only.
  Status ForEachNode(uint32_t gen, std::string_view prefix,
                     const std::function<bool(std::string_view, std::string_view)>& fn) const;

  // --- writes ---
  // Starts building a new version of the zone `origin_wire_lower`.
  Result<std::unique_ptr<ZoneImport>> BeginImport(std::string_view origin_wire_lower);
  // Removes a zone (atomic).
  Status DropZone(std::string_view origin_wire_lower);
  // Deletes a generation that no zone points at any more.
  Status DropGeneration(uint32_t gen);

  // One atomic change to the current version of a zone: node puts/deletes and
  // the new meta, in one synced batch.
  struct NodeChange {
    std::string key;
    std::optional<std::string> value;  // nullopt = delete
  };
  Status ApplyChanges(const ZoneMeta& meta, const std::vector<NodeChange>& changes);

  bool read_only() const { return read_only_; }

 private:
  ZoneStore() = default;
  Status Init(bool fresh);
  Status CollectGarbage();
  rocksdb::Status ReadNode(uint32_t gen, std::string_view key,
                           rocksdb::PinnableSlice* value) const noexcept;
  bool SeekFloor(ReadContext* ctx, uint32_t gen, std::string_view key,
                 std::string* found) const noexcept;
  // ctx's NodeCache, cleared if a write that can change what is served
  // happened since it was filled; null when the context has none.
  NodeCache* FreshCache(ReadContext* ctx) const noexcept;
  // Writes a batch that may change served data (a version flip, an in-place
  // change, a drop), then bumps served_epoch_ so every worker's NodeCache
  // forgets what it holds. Import batches of a version not yet current do
  // not go through here: they leave the caches alone.
  rocksdb::Status WriteServed(const rocksdb::WriteOptions& options, rocksdb::WriteBatch* batch);
  friend class ZoneImport;

  std::unique_ptr<rocksdb::Env> mem_env_;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::unique_ptr<rocksdb::DB> db_;
  bool read_only_ = false;
  std::atomic<uint64_t> served_epoch_{1};
  std::string path_;
};

// A zone version being built: the caller writes each name's node (PutNode),
// then Commit makes the new version current in one step. Destroying an
// uncommitted import discards it.
class ZoneImport {
 public:
  ~ZoneImport();

  uint32_t generation() const { return gen_; }

  Status PutNode(std::string_view key, std::string_view value);

  // Makes this generation the zone's current version (meta.generation is set
  // here). The previous version is deleted in the same step, unless
  // `keep_previous` (a server whose readers may still be inside it deletes it
  // with DropGeneration once they are done). *previous gets its number (0: none).
  Status Commit(ZoneMeta meta, bool keep_previous = false, uint32_t* previous = nullptr);

 private:
  friend class ZoneStore;
  ZoneImport(ZoneStore* store, std::string origin, uint32_t gen);
  Status FlushBatch();

  ZoneStore* store_;
  std::string origin_;
  uint32_t gen_;
  bool committed_ = false;
  struct Batch;
  std::unique_ptr<Batch> batch_;
};

}  // namespace enumd::store
