#include "store/zone_store.h"

#include <fcntl.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <filesystem>

#include "common/byte_order.h"
#include "dns/constants.h"
#include "store/node.h"

namespace enumd::store {

namespace {

constexpr size_t kBatchBytes = 8u << 20;

// Consume a big-endian integer from the front of *v.
bool Get32(std::string_view* v, uint32_t* out) {
  if (v->size() < 4) return false;
  *out = Load32(reinterpret_cast<const uint8_t*>(v->data()));
  v->remove_prefix(4);
  return true;
}
bool Get64(std::string_view* v, uint64_t* out) {
  if (v->size() < 8) return false;
  *out = Load64(reinterpret_cast<const uint8_t*>(v->data()));
  v->remove_prefix(8);
  return true;
}
bool GetBytes(std::string_view* v, std::string* out) {
  uint32_t n;
  if (!Get32(v, &n) || v->size() < n) return false;
  out->assign(v->data(), n);
  v->remove_prefix(n);
  return true;
}

std::string GenPrefix(char tag, uint32_t gen) {
  std::string k(1, tag);
  Append32(&k, gen);
  return k;
}
std::string MetaKey(std::string_view origin) { return "M" + std::string(origin); }

// The pid holding RocksDB's LOCK file (it uses fcntl locks), or 0.
pid_t LockHolder(const std::string& path) {
  int fd = open((path + "/LOCK").c_str(), O_RDONLY);
  if (fd < 0) return 0;
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  pid_t pid = 0;
  if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) pid = fl.l_pid;
  close(fd);
  return pid;
}

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  return Status::Error(what + ": " + s.ToString());
}

// Files RocksDB (or an enumd import's sort spill) leaves in a store directory,
// also one whose creation was killed before CURRENT was written.
bool IsStoreFile(const std::string& name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  auto starts = [&](std::string_view prefix) { return name.rfind(prefix, 0) == 0; };
  return name == "CURRENT" || name == "LOCK" || name == "IDENTITY" || name == "LOG" ||
         name == "lost+found" || starts("LOG.old.") || starts("MANIFEST-") || starts("OPTIONS-") ||
         starts("enumd-import") || ends(".log") || ends(".sst") || ends(".blob") || ends(".dbtmp");
}

// A read-write open creates a database where none is: refuse a directory
// that holds something else (a mistyped --store must not turn /etc into a
// store). Empty, missing or half-created stores are fine.
Status CheckNotForeign(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path + "/CURRENT", ec)) return Status::OK();
  if (!std::filesystem::is_directory(path, ec)) return Status::OK();
  for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
    std::string name = e.path().filename().string();
    if (!IsStoreFile(name))
      return Status::Error("store " + path + " is not an enumd store: the directory holds '" +
                           name + "' and no database (give an empty or new directory)");
  }
  return Status::OK();
}

}  // namespace

std::string ZoneMeta::Encode() const {
  std::string s(1, '\x01');
  Append32(&s, static_cast<uint32_t>(origin.size()));
  s += origin;
  Append32(&s, generation);
  Append32(&s, serial);
  Append64(&s, names);
  Append64(&s, records);
  Append64(&s, static_cast<uint64_t>(imported_at));
  Append32(&s, static_cast<uint32_t>(source_file.size()));
  s += source_file;
  Append64(&s, static_cast<uint64_t>(source_mtime_ns));
  Append64(&s, source_size);
  return s;
}

bool ZoneMeta::Decode(std::string_view v) {
  if (v.empty() || v[0] != '\x01') return false;
  v.remove_prefix(1);
  uint64_t at = 0, mtime = 0;
  bool ok = GetBytes(&v, &origin) && Get32(&v, &generation) && Get32(&v, &serial) &&
            Get64(&v, &names) && Get64(&v, &records) && Get64(&v, &at) &&
            GetBytes(&v, &source_file) && Get64(&v, &mtime) && Get64(&v, &source_size) && v.empty();
  imported_at = static_cast<int64_t>(at);
  source_mtime_ns = static_cast<int64_t>(mtime);
  return ok;
}

ReadContext::ReadContext() = default;
ReadContext::~ReadContext() = default;

Result<std::unique_ptr<ZoneStore>> ZoneStore::Open(const std::string& path, Mode mode,
                                                   const Options& options) {
  std::unique_ptr<ZoneStore> store(new ZoneStore());
  store->read_only_ = mode == Mode::kReadOnly;

  rocksdb::Options opts;
  opts.create_if_missing = !store->read_only_ && options.create_if_missing;
  opts.max_background_jobs = 2;
  opts.max_open_files = 512;
  opts.write_buffer_size = 64u << 20;
  opts.max_write_buffer_number = 3;
  opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  opts.keep_log_file_num = 2;
  if (options.in_memory) {
    store->mem_env_.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
    opts.env = store->mem_env_.get();
  }
  // Point reads dominate: bloom filters on whole keys. Index and filter
  // blocks stay with the table readers (about 1.2 MiB of filter per million
  // names) rather than in the block cache: a full filter is bigger than one
  // shard of a sharded LRU cache (64 MiB / 64 shards), so it was evicted as
  // soon as it was released and re-read and checksummed on every Get -- 55% of
  // the server's time in the profile.
  rocksdb::BlockBasedTableOptions table;
  store->cache_ = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.block_cache = store->cache_;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  table.cache_index_and_filter_blocks = false;
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  store->path_ = path;
  if (!store->read_only_ && !options.in_memory && options.create_if_missing) {
    Status foreign = CheckNotForeign(path);
    if (!foreign.ok()) return foreign;
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return Status::Error("cannot create store " + path + ": " + ec.message());
  }
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = store->read_only_ ? rocksdb::DB::OpenForReadOnly(opts, path, &db)
                                        : rocksdb::DB::Open(opts, path, &db);
  if (!s.ok()) {
    if (!store->read_only_ && s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      pid_t pid = LockHolder(path);
      return Status::Error(
          "store " + path + " is locked by " +
          (pid ? "process " + std::to_string(pid) : std::string("another process")) +
          " (a running enumd?); stop it first, or change a running server "
          "through it");
    }
    if (s.IsInvalidArgument() && s.ToString().find("does not exist") != std::string::npos)
      return Status::Error("no store at " + path);
    std::error_code ec;
    bool has_current = options.in_memory || std::filesystem::exists(path + "/CURRENT", ec);
    if (store->read_only_ && s.IsIOError() &&
        s.ToString().find("No such file") != std::string::npos && !has_current)
      return Status::Error("no store at " + path);
    // A missing file named by CURRENT or the MANIFEST, a short or garbled
    // table: the store is damaged, and nothing in it is served.
    if (s.IsCorruption() ||
        (has_current && s.IsIOError() && s.ToString().find("No such file") != std::string::npos))
      return Status::Error("store " + path + " is damaged (" + s.ToString() +
                           "); restore it from a backup or re-import the zones into a new store");
    return FromRocks(s, "cannot open store " + path);
  }
  store->db_.reset(db);

  std::string tag;
  s = db->Get(rocksdb::ReadOptions(), "V", &tag);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid()) return Status::Error("store " + path + " is not an enumd store");
    if (store->read_only_) return Status::Error("store " + path + " is empty");
    Status init = store->Init(true);
    if (!init.ok()) return init;
  } else if (!s.ok()) {
    return FromRocks(s, "cannot read store " + path);
  } else if (tag != kStoreFormat) {
    return Status::Error("store " + path + " has format '" + tag + "', this build reads '" +
                         std::string(kStoreFormat) + "'");
  }
  if (!store->read_only_) {
    Status gc = store->CollectGarbage();
    if (!gc.ok()) return gc;
  }
  return store;
}

ZoneStore::~ZoneStore() {
  if (db_) db_->Close().PermitUncheckedError();
  db_.reset();
}

Status ZoneStore::Init(bool /*fresh*/) {
  rocksdb::WriteBatch b;
  b.Put("V", rocksdb::Slice(kStoreFormat.data(), kStoreFormat.size()));
  std::string next;
  Append32(&next, 1);
  b.Put("C", next);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(db_->Write(wo, &b), "cannot initialise store");
}

Status ZoneStore::CollectGarbage() {
  // Generations that no zone points at: left by a failed or killed import, or
  // replaced by a newer version.
  std::vector<uint32_t> dead;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek("G"); it->Valid() && it->key().starts_with("G"); it->Next()) {
      std::string_view k(it->key().data() + 1, it->key().size() - 1);
      uint32_t gen;
      if (!Get32(&k, &gen)) continue;
      auto meta = FindZone(it->value().ToStringView());
      if (!meta || meta->generation != gen) dead.push_back(gen);
    }
  }
  for (uint32_t gen : dead) {
    rocksdb::WriteBatch b;
    auto* cf = db_->DefaultColumnFamily();
    b.DeleteRange(cf, GenPrefix('N', gen), GenPrefix('N', gen + 1));
    b.Delete(GenPrefix('G', gen));
    Status st = FromRocks(WriteServed(rocksdb::WriteOptions(), &b), "cannot clean store");
    if (!st.ok()) return st;
  }
  return Status::OK();
}

Status ZoneStore::CheckZone(const ZoneMeta& meta) const {
  std::string what = "store " + path_ + ": the zone's version (generation " +
                     std::to_string(meta.generation) + ") ";
  std::string owner;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), GenPrefix('G', meta.generation), &owner);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "store " + path_ + ": cannot read");
  if (s.IsNotFound() || owner != meta.origin)
    return Status::Error(what + "is not registered; the store is damaged, re-import the zone");
  rocksdb::PinnableSlice apex;
  if (!GetNode(meta.generation, "", &apex))
    return Status::Error(what + "has no apex node; the store is damaged, re-import the zone");
  NodeView node;
  RRsetView soa;
  if (!node.Parse(apex.ToStringView()) || !node.Find(dns::type::kSOA, &soa))
    return Status::Error(what + "has no SOA at its apex; the store is damaged, re-import the zone");
  return Status::OK();
}

std::vector<ZoneMeta> ZoneStore::Zones() const {
  std::vector<ZoneMeta> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("M"); it->Valid() && it->key().starts_with("M"); it->Next()) {
    ZoneMeta m;
    if (m.Decode(it->value().ToStringView())) out.push_back(std::move(m));
  }
  return out;
}

std::optional<ZoneMeta> ZoneStore::FindZone(std::string_view origin) const {
  std::string v;
  if (!db_->Get(rocksdb::ReadOptions(), MetaKey(origin), &v).ok()) return std::nullopt;
  ZoneMeta m;
  if (!m.Decode(v)) return std::nullopt;
  return m;
}

rocksdb::Status ZoneStore::ReadNode(uint32_t gen, std::string_view key,
                                    rocksdb::PinnableSlice* value) const noexcept {
  char buf[5 + 1024];
  if (key.size() > sizeof(buf) - 5) return rocksdb::Status::NotFound();
  buf[0] = 'N';
  for (int i = 0; i < 4; ++i) buf[1 + i] = static_cast<char>(gen >> (8 * (3 - i)));
  std::memcpy(buf + 5, key.data(), key.size());
  value->Reset();
  return db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(),
                  rocksdb::Slice(buf, 5 + key.size()), value);
}

bool ZoneStore::GetNode(uint32_t gen, std::string_view key,
                        rocksdb::PinnableSlice* value) const noexcept {
  return ReadNode(gen, key, value).ok();
}

rocksdb::Status ZoneStore::WriteServed(const rocksdb::WriteOptions& options,
                                       rocksdb::WriteBatch* batch) {
  rocksdb::Status s = db_->Write(options, batch);
  // After the write: a reader that sees the new epoch also sees the data.
  served_epoch_.fetch_add(1, std::memory_order_release);
  return s;
}

NodeCache* ZoneStore::FreshCache(ReadContext* ctx) const noexcept {
  NodeCache* cache = ctx->cache_;
  if (!cache || !cache->enabled()) return nullptr;
  // A write that may change what a cached key holds (an in-place update, a
  // flip to a new version): forget everything the worker remembers. One
  // atomic load; such writes are rare next to reads. (RocksDB's sequence
  // number would also move on every batch of an import still being built,
  // emptying the caches all through it.)
  uint64_t seq = served_epoch_.load(std::memory_order_acquire);
  if (seq != cache->sequence()) {
    cache->Clear();
    cache->set_sequence(seq);
  }
  return cache;
}

bool ZoneStore::GetNode(ReadContext* ctx, uint32_t gen, std::string_view key,
                        rocksdb::PinnableSlice* value) const noexcept {
  NodeCache* cache = FreshCache(ctx);
  if (!cache) return GetNode(gen, key, value);
  std::string_view cached;
  switch (cache->Find(gen, key, &cached)) {
    case NodeCache::Hit::kPresent:
      value->Reset();
      value->PinSelf(rocksdb::Slice(cached.data(), cached.size()));
      return true;
    case NodeCache::Hit::kAbsent:
      return false;
    case NodeCache::Hit::kUnknown:
      break;
  }
  rocksdb::Status s = ReadNode(gen, key, value);
  // What the store said is remembered; a failed read (I/O, corruption) is
  // not, so it is retried next time rather than turned into NXDOMAIN.
  if (s.ok())
    cache->Insert(gen, key, std::string_view(value->data(), value->size()), true);
  else if (s.IsNotFound())
    cache->Insert(gen, key, {}, false);
  return s.ok();
}

bool ZoneStore::FloorKey(ReadContext* ctx, uint32_t gen, std::string_view key,
                         std::string* found) const noexcept {
  NodeCache* cache = FreshCache(ctx);
  if (cache) {
    std::string_view cached;
    switch (cache->Find(gen, key, &cached, NodeCache::Kind::kFloor)) {
      case NodeCache::Hit::kPresent:
        found->assign(cached);
        return true;
      case NodeCache::Hit::kAbsent:
        return false;
      case NodeCache::Hit::kUnknown:
        break;
    }
  }
  bool ok = SeekFloor(ctx, gen, key, found);
  if (cache && ctx->it_->status().ok())
    cache->Insert(gen, key, ok ? std::string_view(*found) : std::string_view(), ok,
                  NodeCache::Kind::kFloor);
  return ok;
}

bool ZoneStore::SeekFloor(ReadContext* ctx, uint32_t gen, std::string_view key,
                          std::string* found) const noexcept {
  uint64_t seq = db_->GetLatestSequenceNumber();
  if (!ctx->it_) {
    ctx->it_.reset(db_->NewIterator(rocksdb::ReadOptions()));
    ctx->seq_ = seq;
  } else if (ctx->seq_ != seq) {
    if (!ctx->it_->Refresh().ok()) ctx->it_.reset(db_->NewIterator(rocksdb::ReadOptions()));
    ctx->seq_ = seq;
  }
  ctx->key_.clear();
  ctx->key_.push_back('N');
  for (int i = 0; i < 4; ++i) ctx->key_.push_back(static_cast<char>(gen >> (8 * (3 - i))));
  ctx->key_.append(key);
  ctx->it_->SeekForPrev(ctx->key_);
  if (!ctx->it_->Valid()) return false;
  rocksdb::Slice k = ctx->it_->key();
  if (k.size() < 5 || std::memcmp(k.data(), ctx->key_.data(), 5) != 0) return false;
  found->assign(k.data() + 5, k.size() - 5);
  return true;
}

Status ZoneStore::ForEachNode(
    uint32_t gen, std::string_view prefix,
    const std::function<bool(std::string_view, std::string_view)>& fn) const {
  std::string start = GenPrefix('N', gen) + std::string(prefix);
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2u << 20;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    std::string_view k = it->key().ToStringView();
    k.remove_prefix(5);
    if (!fn(k, it->value().ToStringView())) break;
  }
  return FromRocks(it->status(), "store read");
}

Result<std::unique_ptr<ZoneImport>> ZoneStore::BeginImport(std::string_view origin) {
  if (read_only_) return Status::Error("store opened read-only");
  std::string v;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), "C", &v);
  if (!s.ok()) return FromRocks(s, "cannot read store counter");
  std::string_view sv(v);
  uint32_t gen;
  if (!Get32(&sv, &gen)) return Status::Error("store counter is corrupt");
  std::string next;
  Append32(&next, gen + 1);
  rocksdb::WriteBatch b;
  b.Put("C", next);
  b.Put(GenPrefix('G', gen), rocksdb::Slice(origin.data(), origin.size()));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db_->Write(wo, &b);
  if (!s.ok()) return FromRocks(s, "cannot start import");
  return std::unique_ptr<ZoneImport>(new ZoneImport(this, std::string(origin), gen));
}

Status ZoneStore::DropZone(std::string_view origin) {
  auto meta = FindZone(origin);
  if (!meta) return Status::Error("no such zone");
  rocksdb::WriteBatch b;
  b.Delete(MetaKey(origin));
  b.DeleteRange(db_->DefaultColumnFamily(), GenPrefix('N', meta->generation),
                GenPrefix('N', meta->generation + 1));
  b.Delete(GenPrefix('G', meta->generation));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(WriteServed(wo, &b), "cannot drop zone");
}

Status ZoneStore::DropGeneration(uint32_t gen) {
  for (const ZoneMeta& m : Zones()) {
    if (m.generation == gen) return Status::Error("generation is current");
  }
  rocksdb::WriteBatch b;
  b.DeleteRange(db_->DefaultColumnFamily(), GenPrefix('N', gen), GenPrefix('N', gen + 1));
  b.Delete(GenPrefix('G', gen));
  return FromRocks(WriteServed(rocksdb::WriteOptions(), &b), "cannot drop generation");
}

Status ZoneStore::ApplyChanges(const ZoneMeta& meta, const std::vector<NodeChange>& changes) {
  if (read_only_) return Status::Error("store opened read-only");
  rocksdb::WriteBatch b;
  std::string prefix = GenPrefix('N', meta.generation);
  for (const NodeChange& c : changes) {
    if (c.value)
      b.Put(prefix + c.key, *c.value);
    else
      b.Delete(prefix + c.key);
  }
  b.Put(MetaKey(meta.origin), meta.Encode());
  rocksdb::WriteOptions wo;
  wo.sync = true;
  return FromRocks(WriteServed(wo, &b), "cannot update zone");
}

// --- ZoneImport ---

struct ZoneImport::Batch {
  rocksdb::WriteBatch wb;
};

ZoneImport::ZoneImport(ZoneStore* store, std::string origin, uint32_t gen)
    : store_(store), origin_(std::move(origin)), gen_(gen), batch_(new Batch) {}

ZoneImport::~ZoneImport() {
  if (committed_) return;
  // Abandoned: drop what was written. A crash before this point is cleaned
  // by the next writer's CollectGarbage.
  rocksdb::WriteBatch b;
  auto* cf = store_->db_->DefaultColumnFamily();
  b.DeleteRange(cf, GenPrefix('N', gen_), GenPrefix('N', gen_ + 1));
  b.Delete(GenPrefix('G', gen_));
  store_->db_->Write(rocksdb::WriteOptions(), &b).PermitUncheckedError();
}

Status ZoneImport::FlushBatch() {
  if (batch_->wb.Count() == 0) return Status::OK();
  // Bulk data skips the WAL: it only matters once Commit has flushed it to
  // table files, and a crash before that discards the import anyway.
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;
  rocksdb::Status s = store_->db_->Write(wo, &batch_->wb);
  batch_->wb.Clear();
  return FromRocks(s, "store write");
}

Status ZoneImport::PutNode(std::string_view key, std::string_view value) {
  std::string k = GenPrefix('N', gen_);
  k.append(key);
  batch_->wb.Put(k, rocksdb::Slice(value.data(), value.size()));
  if (batch_->wb.GetDataSize() >= kBatchBytes) return FlushBatch();
  return Status::OK();
}

Status ZoneImport::Commit(ZoneMeta meta, bool keep_previous, uint32_t* previous) {
  Status st = FlushBatch();
  if (!st.ok()) return st;
  rocksdb::DB* db = store_->db_.get();
  // Make the unlogged node writes durable before anything points at them.
  rocksdb::FlushOptions fo;
  fo.wait = true;
  st = FromRocks(db->Flush(fo), "store flush");
  if (!st.ok()) return st;

  auto old = store_->FindZone(origin_);
  meta.origin = origin_;
  meta.generation = gen_;
  if (meta.imported_at == 0) meta.imported_at = static_cast<int64_t>(time(nullptr));
  rocksdb::WriteBatch b;
  auto* cf = db->DefaultColumnFamily();
  b.Put(MetaKey(origin_), meta.Encode());
  if (previous) *previous = old ? old->generation : 0;
  if (old && !keep_previous) {
    b.DeleteRange(cf, GenPrefix('N', old->generation), GenPrefix('N', old->generation + 1));
    b.Delete(GenPrefix('G', old->generation));
  }
  rocksdb::WriteOptions wo;
  wo.sync = true;
  st = FromRocks(store_->WriteServed(wo, &b), "store commit");
  if (st.ok()) committed_ = true;
  return st;
}

}  // namespace enumd::store
