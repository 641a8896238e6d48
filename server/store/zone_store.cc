#include "store/zone_store.h"

#include <fcntl.h>
#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/listener.h>
#include <rocksdb/metadata.h>
#include <rocksdb/sst_file_manager.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/statistics.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <thread>

#include "common/byte_order.h"
#include "dns/constants.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "store/node.h"
#include "store/zone_snapshot.h"

namespace enumd::store {

namespace {

// An import's table files are cut at this size (RocksDB's own default
// target file size): a dropped generation frees its space file by file.
constexpr uint64_t kImportFileBytes = 64u << 20;

// How to recover from a damaged store, said with every refusal.
constexpr const char* kRecover =
    "restore it from a backup, see what is damaged with `enumctl verify --store DIR`, or "
    "re-import the zone files into a new store";

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
std::string JournalKey(std::string_view origin, uint64_t seq) {
  std::string k = "J" + std::string(origin);
  Append64(&k, seq);
  return k;
}

// The pid holding RocksDB's LOCK file (it uses fcntl locks), or 0. Read
// from /proc/locks: asking with F_GETLK needs a descriptor of the file, and
// closing it would drop every fcntl lock this process holds on it (POSIX),
// the store's own included when this process has it open.
pid_t LockHolder(const std::string& path) {
  struct stat sb;
  if (stat((path + "/LOCK").c_str(), &sb) != 0) return 0;
  FILE* f = fopen("/proc/locks", "r");
  if (!f) return 0;
  pid_t pid = 0;
  char line[256];
  while (!pid && fgets(line, sizeof(line), f)) {
    // "1: POSIX  ADVISORY  WRITE 1234 08:01:56789 0 EOF"
    char kind[16], mode[16], access[16];
    long holder = 0;
    unsigned major = 0, minor = 0;
    unsigned long inode = 0;
    if (sscanf(line, "%*[^:]: %15s %15s %15s %ld %x:%x:%lu", kind, mode, access, &holder, &major,
               &minor, &inode) == 7 &&
        inode == sb.st_ino && makedev(major, minor) == sb.st_dev)
      pid = static_cast<pid_t>(holder);
  }
  fclose(f);
  return pid;
}

// A read-only open of a store that a running enumd writes can meet a table
// file named by the MANIFEST it read that a compaction deleted a moment
// later: not damage. While another process holds the store, such an open is
// tried again, briefly, before it counts.
rocksdb::Status OpenReadOnlyBeside(const rocksdb::Options& opts, const std::string& path,
                                   rocksdb::DB** db) {
  rocksdb::Status s;
  for (int attempt = 0; attempt < 20; ++attempt) {
    s = rocksdb::DB::OpenForReadOnly(opts, path, db);
    if (s.ok() || s.ToString().find("No such file") == std::string::npos || LockHolder(path) == 0)
      return s;
    usleep(25000);
  }
  return s;
}

Status LockedError(const std::string& path, pid_t pid) {
  return Status::Error("store " + path + " is locked by " +
                       (pid ? "process " + std::to_string(pid) : std::string("another process")) +
                       " (a running enumd?); stop it first, or change a running server "
                       "through it");
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
         name == "enumd.sock" || name == "lost+found" || starts("LOG.old.") ||
         starts("MANIFEST-") || starts("OPTIONS-") || starts("enumd-import") || ends(".log") ||
         ends(".sst") || ends(".blob") || ends(".dbtmp");
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

// RocksDB's data files in `path` with no CURRENT file naming them: CURRENT
// was lost (a bad copy, a careless clean-up). Opening with create_if_missing
// would start a new, empty database there, and the next open would delete the
// old tables and logs as files the new MANIFEST does not know. A store whose
// creation was killed before CURRENT was written has no tables and no data in
// its logs, and is not refused.
Status CheckNotHeadless(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path + "/CURRENT", ec)) return Status::OK();
  if (!std::filesystem::is_directory(path, ec)) return Status::OK();
  for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
    std::string name = e.path().filename().string();
    bool data = name.size() > 4 && name.compare(name.size() - 4, 4, ".sst") == 0;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".log") == 0 &&
        !name.starts_with("LOG"))
      data = e.file_size(ec) > 0;
    if (data)
      return Status::Error("store " + path +
                           " is damaged: its CURRENT file is missing but it holds " + name +
                           " and other database files; nothing was changed; " + kRecover);
  }
  return Status::OK();
}

bool IsNoSpace(const rocksdb::Status& s) {
  return s.IsNoSpace() || s.ToString().find("No space left") != std::string::npos;
}

}  // namespace

// Counts the compactions RocksDB finishes (for /metrics).
struct ZoneStore::CompactionCounter : rocksdb::EventListener {
  void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo& info) override {
    if (!info.status.ok()) return;
    count.fetch_add(1, std::memory_order_relaxed);
    last_unix.store(static_cast<int64_t>(time(nullptr)), std::memory_order_relaxed);
  }
  std::atomic<uint64_t> count{0};
  std::atomic<int64_t> last_unix{0};
};

// The log of changed names that travels with the views: one writer appends,
// any number of readers apply the entries between their last view and the
// current one to their caches. A ring: a reader that fell more than a ring
// behind (its entries overwritten) clears its cache instead. Every field is
// an atomic and each entry carries the index it was written for, checked
// before and after it is read (a seqlock), so a reader never applies a torn
// entry. All accesses are sequentially consistent (no fences, which
// ThreadSanitizer cannot model): if a reader saw a rewrite's action or hash,
// the rewrite's zeroed stamp comes before it in the single total order, so
// the reader's second stamp load cannot still see the old index. On x86 the
// reader's loads are plain moves; only the writer pays.
class ChangeLog {
 public:
  static constexpr uint64_t kEntries = 1 << 16;
  enum Action : uint64_t { kErase = 0, kClearAll = 1 };

  // Writer only.
  void Append(Action action, uint64_t hash) {
    Entry& e = ring_[end_ % kEntries];
    e.stamp.store(0);  // being written
    e.action.store(action);
    e.hash.store(hash);
    e.stamp.store(end_ + 1);
    ++end_;
  }
  uint64_t end() const { return end_; }  // writer only

  // Reader: applies entries [from, to) to `cache`.
  void Apply(uint64_t from, uint64_t to, NodeCache* cache) const noexcept {
    if (to - from > kEntries) {
      cache->Clear();
      return;
    }
    for (uint64_t i = from; i < to; ++i) {
      const Entry& e = ring_[i % kEntries];
      const uint64_t before = e.stamp.load();
      const uint64_t action = e.action.load();
      const uint64_t hash = e.hash.load();
      if (before != i + 1 || e.stamp.load() != i + 1) {
        cache->Clear();  // overwritten: the writer went a whole ring ahead
        return;
      }
      if (action == kClearAll) {
        cache->Clear();
      } else {
        cache->EraseHashed(hash);
      }
    }
  }

 private:
  struct Entry {
    std::atomic<uint64_t> stamp{0};  // index + 1 once written
    std::atomic<uint64_t> action{0};
    std::atomic<uint64_t> hash{0};
  };
  std::unique_ptr<Entry[]> ring_{new Entry[kEntries]};
  uint64_t end_ = 0;
};

std::string ZoneMeta::Encode() const {
  std::string s(1, refreshed_at != 0 ? '\x03' : '\x02');
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
  Append64(&s, journal_first);
  Append64(&s, journal_next);
  Append64(&s, journal_bytes);
  if (refreshed_at != 0) Append64(&s, static_cast<uint64_t>(refreshed_at));
  return s;
}

bool ZoneMeta::Decode(std::string_view v) {
  if (v.empty() || v[0] < '\x01' || v[0] > '\x03') return false;
  const bool journal = v[0] >= '\x02';
  const bool refreshed = v[0] == '\x03';
  v.remove_prefix(1);
  uint64_t at = 0, mtime = 0, refreshed_unix = 0;
  journal_first = journal_next = journal_bytes = 0;
  bool ok = GetBytes(&v, &origin) && Get32(&v, &generation) && Get32(&v, &serial) &&
            Get64(&v, &names) && Get64(&v, &records) && Get64(&v, &at) &&
            GetBytes(&v, &source_file) && Get64(&v, &mtime) && Get64(&v, &source_size) &&
            (!journal || (Get64(&v, &journal_first) && Get64(&v, &journal_next) &&
                          Get64(&v, &journal_bytes))) &&
            (!refreshed || Get64(&v, &refreshed_unix)) && v.empty();
  refreshed_at = static_cast<int64_t>(refreshed_unix);
  imported_at = static_cast<int64_t>(at);
  source_mtime_ns = static_cast<int64_t>(mtime);
  return ok;
}

namespace {

// RocksDB reserves the space of each log file ahead (fallocate) but keeps
// the file's size at what was written, so every append grows it and every
// sync of an UPDATE writes the inode as well as the data: a third I/O,
// each one a wait on the disk and, on a virtual disk, an exit to the
// hypervisor. Reserved with its size (the tail reads as zeros, which the
// log reader skips as the preallocated end of a log; a log closed cleanly
// is cut to what was written), an append only fills blocks already there.
// Measured on a virtual disk: a small write and its sync cost 18-30% less
// CPU and 15-28% less time; at 1,000 updates/s (one sync each) the writer's
// CPU per update and the round trip's p50 and p99 fell in most A/B pairs
// (tests/bench/README.md, "The log file sized ahead").
//
// Reserved blocks are still "unwritten" to the file system, though: the
// first write into one changes the file's extent map, and the sync that
// follows writes that too (on ext4 with a journal, a journal commit). So a
// log file also writes zeros a little ahead of what RocksDB appends
// (ZeroAheadLog): one extent change per MiB instead of one per 4 KiB block
// (every third or fourth update), so the sync of an update writes its data
// and no journal commit (tests/bench/README.md, "Zeros ahead of the log").
class ZeroAheadLog : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  static constexpr uint64_t kChunk = uint64_t{1} << 20;

  ZeroAheadLog(std::unique_ptr<rocksdb::FSWritableFile> file, int fd)
      : FSWritableFileOwnerWrapper(std::move(file)), fd_(fd) {}
  ~ZeroAheadLog() override { Stop(); }

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    ZeroAhead(data.size());
    return Appended(target()->Append(data, options, dbg), data.size());
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    ZeroAhead(data.size());
    return Appended(target()->Append(data, options, info, dbg), data.size());
  }
  // Anything but appends in order, and zeros ahead could land on data:
  // stop writing them.
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    Stop();
    return target()->PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    Stop();
    return target()->PositionedAppend(data, offset, options, info, dbg);
  }
  rocksdb::IOStatus Truncate(uint64_t size, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
    Stop();
    return target()->Truncate(size, options, dbg);
  }
  rocksdb::IOStatus Close(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    Stop();
    return target()->Close(options, dbg);
  }

 private:
  // Before an append of `n` bytes at written_: zeros up to a chunk past
  // its end, so each chunk is written (and its writeback started) while
  // the appends are still a chunk before it, and no sync of an update
  // waits for a whole chunk. Best effort: a failed write of zeros only
  // stops them (the append itself reports the disk's state). They are
  // written at or past written_, before the data, so never over it.
  void ZeroAhead(uint64_t n) noexcept {
    static const char zeros[64 << 10] = {};
    while (fd_ >= 0 && written_ + n + kChunk > zeroed_) {
      const uint64_t start = zeroed_;
      for (uint64_t at = start; at < start + kChunk;) {
        const ssize_t w =
            ::pwrite(fd_, zeros, std::min<uint64_t>(sizeof(zeros), start + kChunk - at),
                     static_cast<off_t>(at));
        if (w <= 0) return Stop();
        at += static_cast<uint64_t>(w);
      }
      (void)::sync_file_range(fd_, static_cast<off_t>(start), kChunk, SYNC_FILE_RANGE_WRITE);
      zeroed_ = start + kChunk;
    }
  }
  rocksdb::IOStatus Appended(rocksdb::IOStatus s, uint64_t n) noexcept {
    if (s.ok())
      written_ += n;
    else
      Stop();  // where the next append lands is RocksDB's business now
    return s;
  }
  void Stop() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int fd_;
  uint64_t written_ = 0;
  uint64_t zeroed_ = 0;
};

class SizedLogFs : public rocksdb::FileSystemWrapper {
 public:
  using FileSystemWrapper::FileSystemWrapper;
  const char* Name() const override { return "SizedLogFs"; }
  rocksdb::FileOptions OptimizeForLogWrite(const rocksdb::FileOptions& file_options,
                                           const rocksdb::DBOptions& db_options) const override {
    rocksdb::FileOptions o = target()->OptimizeForLogWrite(file_options, db_options);
    o.fallocate_with_keep_size = false;
    return o;
  }
  // A new write-ahead log (NNNNNN.log; RocksDB names nothing else so) gets
  // zeros ahead of its appends.
  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    rocksdb::IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
    if (!s.ok() || !fname.ends_with(".log") || options.use_direct_writes) return s;
    const int fd = ::open(fname.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return s;  // the log works without
    *result = std::make_unique<ZeroAheadLog>(std::move(*result), fd);
    return s;
  }
};

}  // namespace

ReadContext::ReadContext() = default;
ReadContext::~ReadContext() = default;

void ReadContext::SetError(const char* what, const char* detail) noexcept {
  snprintf(error_, sizeof(error_), "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

Result<std::unique_ptr<ZoneStore>> ZoneStore::Open(const std::string& path, Mode mode,
                                                   const Options& options) {
  std::unique_ptr<ZoneStore> store(new ZoneStore());
  store->read_only_ = mode == Mode::kReadOnly;

  store->options_ = std::make_unique<rocksdb::Options>();
  rocksdb::Options& opts = *store->options_;
  opts.create_if_missing = !store->read_only_ && options.create_if_missing;
  opts.max_background_jobs = 2;
  opts.max_open_files = 512;
  opts.write_buffer_size = 64u << 20;
  opts.max_write_buffer_number = 3;
  // Under a stream of UPDATEs the memtable fills with changed names, and
  // every Get searched its skip list first (memcmp of long keys at each of
  // ~20 levels): 12% of enumd's time in the update profile (issue 19), and
  // a query that misses the caches paid it too. A whole-key bloom filter
  // (2% of the memtable) answers "not here" for the names not changed lately.
  opts.memtable_prefix_bloom_size_ratio = 0.02;
  opts.memtable_whole_key_filtering = true;
  opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  opts.keep_log_file_num = 2;
  if (options.in_memory) {
    store->mem_env_.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
    opts.env = store->mem_env_.get();
  } else {
    // After a write that found the disk full RocksDB stops writing; its
    // SstFileManager watches for free space and resumes on its own (without
    // one, Resume answers Busy until a restart).
    opts.sst_file_manager.reset(rocksdb::NewSstFileManager(rocksdb::Env::Default()));
    store->disk_env_ =
        rocksdb::NewCompositeEnv(std::make_shared<SizedLogFs>(rocksdb::FileSystem::Default()));
    opts.env = store->disk_env_.get();
  }
  // Point reads dominate: bloom filters on whole keys. Index and filter
  // blocks stay with the table readers (about 1.2 MiB of filter per million
  // names) rather than in the block cache: a full filter is bigger than one
  // shard of a sharded LRU cache (64 MiB / 64 shards), so it was evicted as
  // soon as it was released and re-read and checksummed on every Get -- 55% of
  // the server's time in the profile.
  if (options.statistics) {
    store->compactions_ = std::make_shared<CompactionCounter>();
    opts.listeners.push_back(store->compactions_);
    opts.statistics = rocksdb::CreateDBStatistics();
    opts.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
  }
  rocksdb::BlockBasedTableOptions table;
  store->cache_ = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.block_cache = store->cache_;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.whole_key_filtering = true;
  table.cache_index_and_filter_blocks = false;
  // Random traffic over a large zone misses every cache: what a miss costs is
  // what a query costs (issue 22). Measured at 10M numbers, one worker: with
  // Snappy blocks each miss went pread -> decompress -> checksum -> LRU
  // insert (~60% of RocksDB's time). Tables written from here on are
  // uncompressed and read through mmap: a miss parses the block where the
  // page cache holds it, checksummed, with no copy, no allocation and no
  // block-cache traffic; 15.6-17.6 -> 11.6-13.3 us of CPU per answer. The
  // data blocks' hash index answers a Get inside its block without a binary
  // search. Both are per table file: stores written before keep their
  // Snappy tables (read as before, through the block cache) until an import
  // or compaction rewrites them. The price is disk: ~100 bytes per name
  // instead of ~25 (1 GB at 10M numbers).
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  opts.compression = rocksdb::kNoCompression;
  opts.allow_mmap_reads = options.mmap_reads && !options.in_memory;  // a memory Env has no files

  store->path_ = path;
  std::error_code ec;
  const bool exists = options.in_memory || std::filesystem::exists(path + "/CURRENT", ec);
  if (!store->read_only_ && !options.in_memory && options.create_if_missing) {
    Status foreign = CheckNotForeign(path);
    if (!foreign.ok()) return foreign;
    Status headless = CheckNotHeadless(path);
    if (!headless.ok()) return headless;
    std::filesystem::create_directories(path, ec);
    if (ec) return Status::Error("cannot create store " + path + ": " + ec.message());
  }

  // Explains a failed open in one line.
  auto open_error = [&](const rocksdb::Status& s) -> Status {
    if (!store->read_only_ && s.IsIOError() && s.ToString().find("lock") != std::string::npos)
      return LockedError(path, LockHolder(path));
    if (s.IsInvalidArgument() && s.ToString().find("does not exist") != std::string::npos)
      return Status::Error("no store at " + path);
    std::error_code e;
    bool has_current = options.in_memory || std::filesystem::exists(path + "/CURRENT", e);
    if (s.IsIOError() && s.ToString().find("No such file") != std::string::npos && !has_current) {
      Status headless = CheckNotHeadless(path);
      if (!headless.ok()) return headless;
      return Status::Error("no store at " + path);
    }
    // A missing file named by CURRENT or the MANIFEST, a short or garbled
    // table: the store is damaged, and nothing in it is served. (A short
    // table read through mmap is an I/O error "... larger than file length",
    // where pread said Corruption.)
    const bool io = has_current && s.IsIOError();
    if (s.IsCorruption() || (io && s.ToString().find("No such file") != std::string::npos) ||
        (io && s.ToString().find("larger than file length") != std::string::npos))
      return Status::Error("store " + path + " is damaged (" + s.ToString() + "); " + kRecover);
    return FromRocks(s, "cannot open store " + path);
  };

  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  if (!store->read_only_ && exists && !options.in_memory) {
    // Held by another process (a running enumd): say so before anything
    // else. (Reading a store another process writes can also fail for a
    // moment, which would read as damage.)
    if (pid_t pid = LockHolder(path); pid != 0 && pid != getpid()) return LockedError(path, pid);
  }
  if (!store->read_only_ && exists && options.validate && !options.in_memory) {
    // Check an existing store read-only first: a read-write open already
    // writes (a new MANIFEST, a new log) and deletes (files the MANIFEST does
    // not name), and our own clean-up deletes generations no zone points at.
    // None of that may happen to a store that is damaged.
    rocksdb::Options ro = opts;
    ro.create_if_missing = false;
    s = OpenReadOnlyBeside(ro, path, &db);
    if (!s.ok()) return open_error(s);
    store->db_.reset(db);
    store->read_only_ = true;
    Status valid = store->Validate();
    store->db_->Close().PermitUncheckedError();
    store->db_.reset();
    store->read_only_ = false;
    if (!valid.ok()) return valid;
  }
  if (store->read_only_) {
    s = OpenReadOnlyBeside(opts, path, &db);
  } else {
    s = rocksdb::DB::Open(opts, path, &db);
  }
  if (!s.ok() && !store->read_only_ && options.read_only_if_full && exists && IsNoSpace(s)) {
    // A full disk: serve what the store holds rather than nothing.
    store->read_only_reason_ = s.ToString();
    store->read_only_ = true;
    s = rocksdb::DB::OpenForReadOnly(opts, path, &db);
  }
  if (!s.ok()) return open_error(s);
  store->db_.reset(db);

  std::string tag;
  s = db->Get(rocksdb::ReadOptions(), "V", &tag);
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekToFirst();
    if (it->Valid()) return Status::Error("store " + path + " is not an enumd store");
    if (!it->status().ok()) return open_error(it->status());
    if (store->read_only_) return Status::Error("store " + path + " is empty");
    Status init = store->Init(true);
    if (!init.ok()) return init;
  } else if (!s.ok()) {
    return open_error(s);
  } else if (tag != kStoreFormat) {
    return Status::Error("store " + path + " has format '" + tag + "', this build reads '" +
                         std::string(kStoreFormat) + "'");
  }
  if (options.validate && (store->read_only_ || options.in_memory || !exists)) {
    Status valid = store->Validate();
    if (!valid.ok()) return valid;
  }
  store->readers_ = options.readers;
  store->log_ = std::make_unique<ChangeLog>();
  if (!store->read_only_) {
    Status gc = store->CollectGarbage();
    if (!gc.ok()) return gc;
  }
  Status view = store->Publish();
  if (!view.ok()) return view;
  return store;
}

Status ZoneStore::Validate() const {
  std::string tag;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), "V", &tag);
  if (s.IsNotFound()) return Status::OK();  // a new, empty store
  if (!s.ok())
    return Status::Error("store " + path_ + " is damaged (" + s.ToString() + "); " + kRecover);
  if (tag != kStoreFormat)
    return Status::Error("store " + path_ + " has format '" + tag + "', this build reads '" +
                         std::string(kStoreFormat) + "'");
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("M"); it->Valid() && it->key().starts_with("M"); it->Next()) {
    ZoneMeta m;
    std::string_view origin(it->key().data() + 1, it->key().size() - 1);
    if (!m.Decode(it->value().ToStringView()) || m.origin != origin) {
      auto o = reinterpret_cast<const uint8_t*>(origin.data());
      std::string shown = dns::WireNameLength(o, origin.size()) == origin.size()
                              ? dns::NameToText(o)
                              : std::string("(unreadable name)");
      return Status::Error("store " + path_ + " is damaged: zone " + shown +
                           ": its record does not decode; nothing was changed; " + kRecover);
    }
    Status z = CheckZone(m);
    if (!z.ok())
      return Status::Error("store " + path_ + " is damaged: " + z.message() +
                           "; nothing was changed; " + kRecover);
  }
  if (!it->status().ok())
    return Status::Error("store " + path_ + " is damaged (" + it->status().ToString() + "); " +
                         kRecover);
  return Status::OK();
}

ZoneStore::~ZoneStore() {
  // Whoever read views has stopped: free them all before the database.
  for (const auto& [ticket, view] : retired_) FreeView(view);
  retired_.clear();
  if (const StoreView* v = view_.exchange(nullptr)) FreeView(v);
  if (db_) db_->Close().PermitUncheckedError();
  db_.reset();
}

void ZoneStore::FreeView(const StoreView* view) {
  if (view->snapshot && db_) db_->ReleaseSnapshot(view->snapshot);
  delete view;
}

Status ZoneStore::Publish() {
  auto* v = new StoreView();
  v->snapshot = read_only_ ? nullptr : db_->GetSnapshot();
  v->log_end = log_->end();
  const StoreView* old = view_.exchange(v, std::memory_order_seq_cst);
  published_log_end_.store(v->log_end, std::memory_order_seq_cst);
  if (old) retired_.emplace_back(readers_ ? readers_->Retire() : 0, old);
  ReclaimViews();
  return Status::OK();
}

Status ZoneStore::DeleteGenerationFiles(uint32_t gen) {
  const std::string begin = GenPrefix('N', gen), end = GenPrefix('N', gen + 1);
  rocksdb::Slice b(begin), e(end);
  rocksdb::RangePtr range(&b, &e);
  Status st = FromRocks(rocksdb::DeleteFilesInRanges(db_.get(), db_->DefaultColumnFamily(), &range,
                                                     1, /*include_end=*/false),
                        "cannot drop generation " + std::to_string(gen));
  if (!st.ok()) return st;
  // A file a compaction holds (RocksDB rewrites ingested files once their
  // sequence numbers can be zeroed) is skipped: try again later, so that its
  // space comes back within moments rather than at some later compaction.
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  bool held = false;
  for (const auto& f : files) held = held || (f.smallestkey >= begin && f.largestkey < end);
  auto it = std::find(pending_drops_.begin(), pending_drops_.end(), gen);
  if (held && it == pending_drops_.end()) pending_drops_.push_back(gen);
  if (!held && it != pending_drops_.end()) pending_drops_.erase(it);
  return Status::OK();
}

void ZoneStore::ReclaimViews() {
  for (uint32_t gen : std::vector<uint32_t>(pending_drops_)) (void)DeleteGenerationFiles(gen);
  for (auto it = retired_.begin(); it != retired_.end();) {
    if (readers_ && !readers_->Passed(it->first)) {
      ++it;
      continue;
    }
    FreeView(it->second);
    it = retired_.erase(it);
  }
}

const StoreView* ZoneStore::AcquireView(NodeCache* cache) const noexcept {
  const StoreView* v = view_.load(std::memory_order_seq_cst);
  if (cache && cache->enabled() && cache->sequence() != v->log_end) {
    log_->Apply(cache->sequence(), v->log_end, cache);
    cache->set_sequence(v->log_end);
  }
  return v;
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
  // replaced by a newer version. Open validated every zone record first, so
  // a record that does not decode never makes its zone's data look dead.
  std::vector<uint32_t> dead;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek("G"); it->Valid() && it->key().starts_with("G"); it->Next()) {
      std::string_view k(it->key().data() + 1, it->key().size() - 1);
      uint32_t gen;
      if (!Get32(&k, &gen)) continue;
      std::string raw;
      rocksdb::Status s =
          db_->Get(rocksdb::ReadOptions(), MetaKey(it->value().ToStringView()), &raw);
      if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "cannot read store " + path_);
      ZoneMeta meta;
      // A zone record that does not decode may still point at this
      // generation: keep it (a damaged store is never made worse).
      if (s.ok() && !meta.Decode(raw)) continue;
      if (s.IsNotFound() || meta.generation != gen) dead.push_back(gen);
    }
    if (!it->status().ok()) return FromRocks(it->status(), "cannot read store " + path_);
  }
  for (uint32_t gen : dead) {
    Status st = DropGeneration(gen);
    if (!st.ok()) return st.Prefixed("cannot clean store " + path_);
  }
  // Directories of imports that were killed before they finished.
  std::error_code ec;
  if (!mem_env_) {
    for (const auto& e : std::filesystem::directory_iterator(path_, ec)) {
      if (e.path().filename().string().starts_with("enumd-import-") && e.is_directory(ec))
        std::filesystem::remove_all(e.path(), ec);
    }
  }
  return Status::OK();
}

Status ZoneStore::CheckRoomFor(uint64_t bytes) const {
  if (mem_env_) return Status::OK();
  struct statvfs fs;
  if (statvfs(path_.c_str(), &fs) != 0) return Status::OK();  // unknown: let RocksDB try
  const uint64_t free_bytes = uint64_t{fs.f_bavail} * fs.f_frsize;
  // The log record, a memtable flush of about the same, and room for the
  // MANIFEST and the info log.
  const uint64_t wanted = 2 * bytes + (uint64_t{1} << 20);
  if (free_bytes >= wanted) return Status::OK();
  return Status::Error("store " + path_ + ": No space left on device (" +
                       std::to_string(free_bytes) + " bytes free, " + std::to_string(wanted) +
                       " wanted); nothing was written");
}

Status ZoneStore::Resume() {
  if (read_only_) return Status::Error("store " + path_ + " is open read-only");
  // After a failed write (a full disk) RocksDB retries on its own thread,
  // and Resume answers Busy while it does: wait for that attempt (about a
  // second apart) rather than fail a write that would succeed.
  rocksdb::Status s = db_->Resume();
  for (int i = 0; i < 50 && s.IsBusy(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    s = db_->Resume();
  }
  if (s.IsBusy())
    return Status::Error("store " + path_ +
                         " stopped writing after an I/O error and has not recovered; restart "
                         "enumd to write again (it keeps serving meanwhile)");
  return FromRocks(s, "store " + path_);
}

std::string ZoneStore::ImportDir(uint32_t gen) const {
  return path_ + "/enumd-import-" + std::to_string(gen);
}

Status ZoneStore::CheckZone(const ZoneMeta& meta) const {
  const auto* o = reinterpret_cast<const uint8_t*>(meta.origin.data());
  std::string what = "zone " +
                     (dns::WireNameLength(o, meta.origin.size()) == meta.origin.size()
                          ? dns::NameToText(o)
                          : std::string("(unreadable name)")) +
                     ": its version (generation " + std::to_string(meta.generation) + ") ";
  std::string owner;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), GenPrefix('G', meta.generation), &owner);
  if (!s.ok() && !s.IsNotFound())
    return Status::Error(what + "cannot be read (" + s.ToString() + ")");
  if (s.IsNotFound() || owner != meta.origin) return Status::Error(what + "is not registered");
  rocksdb::PinnableSlice apex;
  s = ReadNode(meta.generation, "", &apex);
  if (!s.ok() && !s.IsNotFound())
    return Status::Error(what + "cannot be read (" + s.ToString() + ")");
  if (s.IsNotFound()) return Status::Error(what + "has no apex node");
  NodeView node;
  RRsetView soa;
  if (!node.Parse(apex.ToStringView()) || !node.Find(dns::type::kSOA, &soa))
    return Status::Error(what + "has no SOA at its apex");
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

std::vector<std::pair<std::string, std::optional<ZoneMeta>>> ZoneStore::ZoneRecords() const {
  std::vector<std::pair<std::string, std::optional<ZoneMeta>>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("M"); it->Valid() && it->key().starts_with("M"); it->Next()) {
    ZoneMeta m;
    std::string origin(it->key().data() + 1, it->key().size() - 1);
    bool ok = m.Decode(it->value().ToStringView()) && m.origin == origin;
    out.emplace_back(std::move(origin), ok ? std::optional<ZoneMeta>(std::move(m)) : std::nullopt);
  }
  return out;
}

std::vector<std::pair<uint32_t, std::string>> ZoneStore::Generations() const {
  std::vector<std::pair<uint32_t, std::string>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("G"); it->Valid() && it->key().starts_with("G"); it->Next()) {
    std::string_view k(it->key().data() + 1, it->key().size() - 1);
    uint32_t gen;
    if (Get32(&k, &gen)) out.emplace_back(gen, it->value().ToString());
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
                                    rocksdb::PinnableSlice* value,
                                    const rocksdb::Snapshot* snapshot) const noexcept {
  char buf[5 + kMaxNameKey];
  if (key.size() > sizeof(buf) - 5) return rocksdb::Status::NotFound();
  buf[0] = 'N';
  for (int i = 0; i < 4; ++i) buf[1 + i] = static_cast<char>(gen >> (8 * (3 - i)));
  std::memcpy(buf + 5, key.data(), key.size());
  value->Reset();
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;
  return db_->Get(ro, db_->DefaultColumnFamily(), rocksdb::Slice(buf, 5 + key.size()), value);
}

namespace {

// RocksDB's verdict as a ReadStatus; the reason goes to ctx (no allocation:
// getState() is the status's own text).
ReadStatus Verdict(const rocksdb::Status& s, ReadContext* ctx) noexcept {
  if (s.ok()) return ReadStatus::kFound;
  if (s.IsNotFound()) return ReadStatus::kAbsent;
  if (ctx) {
    const char* kind = s.IsCorruption() ? "corruption"
                       : s.IsIOError()  ? "I/O error"
                                        : "store error";
    ctx->SetError(kind, s.getState());
  }
  return ReadStatus::kError;
}

}  // namespace

ReadStatus ZoneStore::GetNode(uint32_t gen, std::string_view key,
                              rocksdb::PinnableSlice* value) const noexcept {
  return Verdict(ReadNode(gen, key, value), nullptr);
}

rocksdb::Status ZoneStore::WriteServed(const rocksdb::WriteOptions& options,
                                       rocksdb::WriteBatch* batch) {
  rocksdb::Status s = db_->Write(options, batch);
  // Synced: make it visible now. Unsynced (group commit): the writer
  // publishes after SyncWal, so nothing is seen before it is durable.
  if (s.ok() && options.sync) (void)Publish();
  return s;
}

ReadStatus ZoneStore::GetNode(ReadContext* ctx, uint32_t gen, std::string_view key,
                              rocksdb::PinnableSlice* value) const noexcept {
  const rocksdb::Snapshot* snapshot = ctx->view_ ? ctx->view_->snapshot : nullptr;
  NodeCache* cache = CacheOf(ctx);
  if (!cache) return Verdict(ReadNode(gen, key, value, snapshot), ctx);
  std::string_view cached;
  switch (cache->Find(gen, key, &cached)) {
    case NodeCache::Hit::kPresent:
      value->Reset();
      value->PinSelf(rocksdb::Slice(cached.data(), cached.size()));
      return ReadStatus::kFound;
    case NodeCache::Hit::kAbsent:
      return ReadStatus::kAbsent;
    case NodeCache::Hit::kUnknown:
      break;
  }
  rocksdb::Status s = ReadNode(gen, key, value, snapshot);
  // What the store said is remembered; a failed read (I/O, corruption) is
  // not, so it is retried next time rather than turned into NXDOMAIN.
  if (s.ok())
    cache->InsertMissed(gen, key, std::string_view(value->data(), value->size()), true);
  else if (s.IsNotFound())
    cache->InsertMissed(gen, key, {}, false);
  return Verdict(s, ctx);
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

ZoneStore::NodeCursor::NodeCursor() = default;
ZoneStore::NodeCursor::~NodeCursor() = default;

uint64_t ZoneStore::ApproximateNodeBytes(uint32_t gen) const {
  const std::string begin = GenPrefix('N', gen), end = GenPrefix('N', gen + 1);
  rocksdb::Range range(begin, end);
  uint64_t size = 0;
  rocksdb::SizeApproximationOptions o;
  o.include_memtables = true;
  o.include_files = true;
  if (!db_->GetApproximateSizes(o, db_->DefaultColumnFamily(), &range, 1, &size).ok()) return 0;
  return size;
}

std::unique_ptr<ZoneStore::NodeCursor> ZoneStore::OpenNodes(
    uint32_t gen, const std::string* after, const rocksdb::Snapshot* snapshot) const {
  auto c = std::make_unique<NodeCursor>();
  c->prefix_ = GenPrefix('N', gen);
  if (after) c->after_ = c->prefix_ + *after;
  rocksdb::ReadOptions ro;
  ro.readahead_size = 2u << 20;
  ro.fill_cache = false;  // a whole-zone walk would evict what queries need
  ro.snapshot = snapshot;
  c->it_.reset(db_->NewIterator(ro));
  return c;
}

bool ZoneStore::NodeCursor::Next(std::string_view* key, std::string_view* value) {
  if (!started_) {
    it_->Seek(after_.empty() ? prefix_ : after_);
    if (!after_.empty() && it_->Valid() && it_->key() == after_) it_->Next();
    started_ = true;
  } else if (it_->Valid()) {
    it_->Next();
  }
  if (!it_->Valid() || !it_->key().starts_with(prefix_)) return false;
  *key = it_->key().ToStringView().substr(prefix_.size());
  *value = it_->value().ToStringView();
  return true;
}

Status ZoneStore::NodeCursor::status() const { return FromRocks(it_->status(), "store read"); }

std::vector<std::string> ZoneStore::TableFiles() const {
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  std::vector<std::string> paths;
  for (const auto& f : files) paths.push_back(f.db_path + f.name);
  return paths;
}

uint64_t ZoneStore::TableBytesOnDisk(const std::string& path) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".sst") continue;
    std::error_code size_ec;
    const uintmax_t size = it->file_size(size_ec);
    if (!size_ec) bytes += size;
  }
  return bytes;
}

void ZoneStore::Prefetch(const std::vector<std::string>& paths) noexcept {
  for (const std::string& p : paths) {
    int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // gone meanwhile (a compaction): nothing to warm
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
    close(fd);
  }
}

ZoneStore::Figures ZoneStore::GetFigures() const {
  Figures f;
  std::vector<rocksdb::LiveFileMetaData> files;
  db_->GetLiveFilesMetaData(&files);
  for (const auto& file : files) {
    ++f.table_files;
    f.table_bytes += file.size;
    // A node key is "N" + 4-byte generation + name; a file may span several.
    auto gen_of = [](const std::string& key, uint32_t* gen) {
      if (key.size() < 5 || key[0] != 'N') return false;
      *gen = Load32(reinterpret_cast<const uint8_t*>(key.data() + 1));
      return true;
    };
    uint32_t lo, hi;
    const bool has_lo = gen_of(file.smallestkey, &lo), has_hi = gen_of(file.largestkey, &hi);
    if (!has_lo && !has_hi) continue;
    if (!has_lo) lo = hi;
    if (!has_hi) hi = lo;
    for (uint32_t g = lo; g <= hi && g - lo < 64; ++g) {
      auto it = std::find_if(f.generations.begin(), f.generations.end(),
                             [g](const Figures::Generation& x) { return x.gen == g; });
      if (it == f.generations.end()) it = f.generations.insert(f.generations.end(), {g, 0, 0});
      ++it->files;
      if (lo == hi) it->bytes += file.size;  // a file shared by generations: counted, not sized
    }
  }
  if (cache_) {
    f.block_cache_usage = cache_->GetUsage();
    f.block_cache_capacity = cache_->GetCapacity();
  }
  if (options_->statistics) {
    f.have_block_stats = true;
    f.block_cache_hits = options_->statistics->getTickerCount(rocksdb::BLOCK_CACHE_HIT);
    f.block_cache_misses = options_->statistics->getTickerCount(rocksdb::BLOCK_CACHE_MISS);
  }
  if (compactions_) {
    f.compactions = compactions_->count.load(std::memory_order_relaxed);
    f.last_compaction_unix = compactions_->last_unix.load(std::memory_order_relaxed);
  }
  return f;
}

std::vector<ZoneStore::TableCheck> ZoneStore::VerifyTables() const {
  auto live = [&] {
    std::vector<rocksdb::LiveFileMetaData> files;
    db_->GetLiveFilesMetaData(&files);
    std::vector<TableCheck> out;
    for (const auto& f : files) {
      TableCheck c;
      c.file = f.db_path + (f.name.starts_with("/") ? "" : "/") + f.name;
      c.size = f.size;
      c.level = f.level;
      c.largest_seqno = f.largest_seqno;
      out.push_back(std::move(c));
    }
    return out;
  };
  std::vector<TableCheck> out = live();
  bool failed = false;
  for (TableCheck& c : out) {
    rocksdb::ReadOptions ro;
    ro.verify_checksums = true;
    // An ingested file carries a global sequence number that must match
    // its largest one, which the reader is told.
    rocksdb::Status s = rocksdb::VerifySstFileChecksum(*options_, rocksdb::EnvOptions(*options_),
                                                       ro, c.file, c.largest_seqno);
    if (!s.ok()) {
      c.error = s.ToString();
      failed = true;
    }
  }
  if (failed) {
    // A file that a compaction (this process's, or a running enumd's)
    // replaced while it was being read is gone, not damaged.
    std::vector<TableCheck> now = live();
    for (TableCheck& c : out) {
      if (c.error.empty()) continue;
      bool still = false;
      for (const TableCheck& n : now) still = still || n.file == c.file;
      if (!still) c.error.clear();
    }
  }
  return out;
}

Result<std::unique_ptr<ZoneImport>> ZoneStore::BeginImport(std::string_view origin) {
  if (read_only_) return Status::Error("store " + path_ + " is open read-only");
  Status st = Resume();
  if (!st.ok()) return st;
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
  std::unique_ptr<ZoneImport> imp(new ZoneImport(this, std::string(origin), gen));
  rocksdb::Env* env = options_->env;
  s = env->CreateDirIfMissing(ImportDir(gen));
  if (!s.ok()) return FromRocks(s, "cannot start import");  // ~ZoneImport unregisters gen
  return imp;
}

Status ZoneStore::DropZone(std::string_view origin) {
  auto meta = FindZone(origin);
  if (!meta) return Status::Error("no such zone");
  Status st = Resume();
  if (!st.ok()) return st;
  rocksdb::WriteBatch b;
  b.Delete(MetaKey(origin));
  if (meta->journal_next > meta->journal_first)
    b.DeleteRange(db_->DefaultColumnFamily(), JournalKey(origin, meta->journal_first),
                  JournalKey(origin, meta->journal_next));
  rocksdb::WriteOptions wo;
  wo.sync = true;
  st = FromRocks(WriteServed(wo, &b), "cannot drop zone");
  if (!st.ok()) return st;
  {
    std::lock_guard<std::mutex> lock(journal_sizes_mu_);
    auto it = journal_sizes_.find(origin);
    if (it != journal_sizes_.end()) journal_sizes_.erase(it);
  }
  return DropGeneration(meta->generation);
}

Status ZoneStore::DropGeneration(uint32_t gen) {
  for (const ZoneMeta& m : Zones()) {
    if (m.generation == gen) return Status::Error("generation is current");
  }
  Status st = Resume();
  if (!st.ok()) return st;
  const std::string begin = GenPrefix('N', gen), end = GenPrefix('N', gen + 1);
  auto* cf = db_->DefaultColumnFamily();
  // The generation's own table files (an import's) go at once, space and all.
  st = DeleteGenerationFiles(gen);
  if (!st.ok()) return st;
  rocksdb::Slice b(begin), e(end);
  // Whatever is left (per-name changes that went through the memtable) is
  // covered by a range tombstone, only when there is some: tombstones cost
  // every later read that overlaps them.
  bool left = false;
  {
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &e;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    it->Seek(b);
    left = it->Valid() || !it->status().ok();
  }
  rocksdb::WriteBatch batch;
  if (left) batch.DeleteRange(cf, begin, end);
  batch.Delete(GenPrefix('G', gen));
  st = FromRocks(WriteServed(rocksdb::WriteOptions(), &batch),
                 "cannot drop generation " + std::to_string(gen));
  std::error_code ec;
  if (!mem_env_) std::filesystem::remove_all(ImportDir(gen), ec);
  return st;
}

Status ZoneStore::ApplyChanges(const ZoneMeta& meta, const std::vector<NodeChange>& changes) {
  return ApplyChanges(meta, changes, ChangeOptions());
}

Status ZoneStore::ApplyChanges(ZoneMeta meta, const std::vector<NodeChange>& changes,
                               const ChangeOptions& options) {
  const std::string* journal = options.journal;
  const JournalLimits& limits = options.limits;
  if (read_only_) return Status::Error("store " + path_ + " is open read-only");
  Status st = Resume();
  if (!st.ok()) return st;
  rocksdb::WriteBatch b;
  std::string prefix = GenPrefix('N', meta.generation);
  for (const NodeChange& c : changes) {
    if (c.value)
      b.Put(prefix + c.key, *c.value);
    else
      b.Delete(prefix + c.key);
  }
  if (journal) {
    if (meta.journal_next < meta.journal_first) meta.journal_next = meta.journal_first;
    b.Put(JournalKey(meta.origin, meta.journal_next), *journal);
    ++meta.journal_next;
    meta.journal_bytes += journal->size();
    // The oldest entries go while a bound is passed (never the new one).
    while (meta.journal_next - meta.journal_first > 1 &&
           ((limits.max_entries && meta.journal_next - meta.journal_first > limits.max_entries) ||
            (limits.max_bytes && meta.journal_bytes > limits.max_bytes))) {
      uint64_t size = 0;
      if (!KnownJournalSize(meta, meta.journal_first, &size)) {
        std::string old;
        rocksdb::Status s =
            db_->Get(rocksdb::ReadOptions(), JournalKey(meta.origin, meta.journal_first), &old);
        if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "cannot read the journal");
        size = old.size();
      }
      meta.journal_bytes -= std::min<uint64_t>(meta.journal_bytes, size);
      b.Delete(JournalKey(meta.origin, meta.journal_first));
      ++meta.journal_first;
    }
  }
  b.Put(MetaKey(meta.origin), meta.Encode());
  // RocksDB cannot recover from a log write that found the disk full (its
  // log file stays failed until the store is reopened): refuse the write
  // here instead while the disk lacks room for it, cleanly, and it works
  // again once space is freed.
  st = CheckRoomFor(b.GetDataSize());
  if (!st.ok()) return st;
  // The caches forget exactly what changed, once the change is published.
  for (const NodeChange& c : changes)
    log_->Append(ChangeLog::kErase, NodeCache::KeyHash(meta.generation, c.key));
  rocksdb::WriteOptions wo;
  wo.sync = options.sync;
  st = FromRocks(WriteServed(wo, &b), "cannot update zone");
  if (st.ok() && journal && (limits.max_entries || limits.max_bytes))
    KeepJournalSize(meta, journal->size());
  if (st.ok() && options.written) *options.written = std::move(meta);
  return st;
}

bool ZoneStore::KnownJournalSize(const ZoneMeta& meta, uint64_t seq, uint64_t* size) {
  std::lock_guard<std::mutex> lock(journal_sizes_mu_);
  auto it = journal_sizes_.find(meta.origin);
  if (it == journal_sizes_.end()) return false;
  const JournalSizes& j = it->second;
  if (j.generation != meta.generation || seq < j.first || seq - j.first >= j.sizes.size())
    return false;
  *size = j.sizes[seq - j.first];
  return true;
}

// After a write of `meta` whose newest entry (journal_next - 1) was `size`
// bytes: that size kept, those of the entries trimmed dropped.
void ZoneStore::KeepJournalSize(const ZoneMeta& meta, uint64_t size) {
  constexpr size_t kMaxKept = size_t{1} << 20;  // older entries are read when trimmed
  const uint64_t seq = meta.journal_next - 1;
  std::lock_guard<std::mutex> lock(journal_sizes_mu_);
  auto it = journal_sizes_.find(meta.origin);
  if (it == journal_sizes_.end()) it = journal_sizes_.emplace(meta.origin, JournalSizes()).first;
  JournalSizes& j = it->second;
  if (j.generation != meta.generation || j.first + j.sizes.size() != seq) {
    j.generation = meta.generation;  // another version, or entries written elsewhere
    j.first = seq;
    j.sizes.clear();
  }
  j.sizes.push_back(static_cast<uint32_t>(std::min<uint64_t>(size, UINT32_MAX)));
  while (!j.sizes.empty() && (j.first < meta.journal_first || j.sizes.size() > kMaxKept)) {
    j.sizes.pop_front();
    ++j.first;
  }
}

Status ZoneStore::SyncWal() {
  if (mem_env_) return Status::OK();  // a memory store (tests) has nothing to make durable
  return FromRocks(db_->SyncWAL(), "cannot sync the store's log");
}

Status ZoneStore::ForEachJournalEntry(
    const ZoneMeta& meta, uint64_t from_seq,
    const std::function<bool(uint64_t, std::string_view)>& fn) const {
  const std::string begin = JournalKey(meta.origin, std::max(from_seq, meta.journal_first));
  const std::string end = JournalKey(meta.origin, meta.journal_next);
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper(end);
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  for (it->Seek(begin); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    k.remove_prefix(1 + meta.origin.size());
    uint64_t seq;
    if (!Get64(&k, &seq)) break;
    if (!fn(seq, it->value().ToStringView())) break;
  }
  return FromRocks(it->status(), "cannot read the journal");
}

Result<std::unique_ptr<ZoneSnapshot>> ZoneStore::OpenSnapshot(std::string_view origin) const {
  std::unique_ptr<ZoneSnapshot> z(new ZoneSnapshot());
  z->store_ = this;
  z->snapshot_ = read_only_ ? nullptr : db_->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = z->snapshot_;
  std::string raw;
  rocksdb::Status s = db_->Get(ro, MetaKey(origin), &raw);
  if (s.IsNotFound()) return Status::Error("no such zone in the store");
  if (!s.ok()) return FromRocks(s, "cannot read the zone");
  if (!z->meta_.Decode(raw)) return Status::Error("the zone's record does not decode");
  z->node_prefix_ = GenPrefix('N', z->meta_.generation);
  z->journal_prefix_ = "J" + std::string(origin);
  // Made now, so that all three read the files of this moment (a dropped
  // generation's files are gone from later reads, snapshot or not).
  ro.fill_cache = false;
  ro.readahead_size = 2u << 20;
  z->nodes_.reset(db_->NewIterator(ro));
  ro.readahead_size = 0;
  z->probe_.reset(db_->NewIterator(ro));
  z->journal_.reset(db_->NewIterator(ro));
  return z;
}

void ZoneSnapshot::Release() noexcept {
  nodes_.reset();
  probe_.reset();
  journal_.reset();
  if (snapshot_) store_->db_->ReleaseSnapshot(snapshot_);
  snapshot_ = nullptr;
}

// --- ZoneImport ---

struct ZoneImport::Files {
  std::string dir;
  std::unique_ptr<rocksdb::SstFileWriter> writer;  // the file being written, if any
  std::vector<std::string> done;                   // finished files, in key order
  std::string last_key;                            // the last key put (full, with prefix)
  std::string key;                                 // scratch
};

ZoneImport::ZoneImport(ZoneStore* store, std::string origin, uint32_t gen)
    : store_(store), origin_(std::move(origin)), gen_(gen), files_(new Files) {
  files_->dir = store_->ImportDir(gen_);
}

ZoneImport::~ZoneImport() {
  if (!committed_) Discard();
}

void ZoneImport::Discard() noexcept {
  // Abandoned (an error, a cancel): its files go now, not at the next import.
  // A crash before this point is cleaned by the next writer's CollectGarbage.
  files_->writer.reset();
  rocksdb::Env* env = store_->options_->env;
  std::vector<std::string> names;
  if (env->GetChildren(files_->dir, &names).ok()) {
    for (const std::string& n : names) {
      if (n != "." && n != "..") env->DeleteFile(files_->dir + "/" + n).PermitUncheckedError();
    }
  }
  env->DeleteDir(files_->dir).PermitUncheckedError();
  if (ingested_) {
    // In the database but never made current: drop it like a replaced one.
    (void)store_->DropGeneration(gen_);
    return;
  }
  rocksdb::WriteBatch b;
  b.Delete(GenPrefix('G', gen_));
  store_->db_->Write(rocksdb::WriteOptions(), &b).PermitUncheckedError();
}

Status ZoneImport::FinishFile() {
  if (!files_->writer) return Status::OK();
  rocksdb::Status s = files_->writer->Finish();
  files_->writer.reset();
  if (!s.ok()) return FromRocks(s, "cannot write the new zone version");
  return Status::OK();
}

Status ZoneImport::PutNode(std::string_view key, std::string_view value) {
  Files& f = *files_;
  f.key = GenPrefix('N', gen_);
  f.key.append(key);
  if (!f.last_key.empty() && f.key <= f.last_key)
    return Status::Error("import: node keys out of order (internal error)");
  if (f.writer && f.writer->FileSize() >= kImportFileBytes) {
    Status st = FinishFile();
    if (!st.ok()) return st;
  }
  if (!f.writer) {
    rocksdb::EnvOptions eo(*store_->options_);
    // The new version is served next: keep what was written in the page
    // cache (RocksDB's default drops it as it goes, so the first queries
    // after an import read the tables back from disk).
    f.writer = std::make_unique<rocksdb::SstFileWriter>(eo, *store_->options_, nullptr,
                                                        /*invalidate_page_cache=*/false);
    char name[32];
    snprintf(name, sizeof(name), "/%06zu.sst", f.done.size());
    std::string path = f.dir + name;
    rocksdb::Status s = f.writer->Open(path);
    if (!s.ok()) {
      f.writer.reset();
      return FromRocks(s, "cannot write the new zone version");
    }
    f.done.push_back(path);
  }
  rocksdb::Status s = f.writer->Put(f.key, rocksdb::Slice(value.data(), value.size()));
  if (!s.ok()) return FromRocks(s, "cannot write the new zone version");
  f.last_key.swap(f.key);
  return Status::OK();
}

Status ZoneImport::Commit(ZoneMeta meta, bool keep_previous, uint32_t* previous) {
  Status st = FinishFile();
  if (!st.ok()) return st;
  rocksdb::DB* db = store_->db_.get();
  if (!files_->done.empty()) {
    // The files join the database whole (linked, not copied: the same disk).
    // Their keys belong to a generation nothing reads yet, so no reader sees
    // them before the flip below.
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;
    // Generations are never reused (the counter "C" only grows), so no
    // snapshot taken before this ingest -- a served view, this import's own
    // -- can ever look up these keys: snapshot consistency buys nothing. With
    // it, any snapshot made RocksDB give the files a sequence number, and
    // once the snapshots moved on it rewrote every file of the version only
    // to zero those numbers ("BottommostFiles" compactions): the whole store
    // (1 GB at 10M numbers, 10 GB at 100M) read and written again at the
    // first update after each import, a quarter of a served core for ~10 s at
    // 10M (issue 19). Without it the files go in with sequence number 0.
    io.snapshot_consistency = false;
    rocksdb::Status s = db->IngestExternalFile(files_->done, io);
    if (!s.ok()) return FromRocks(s, "cannot add the new zone version to the store");
    ingested_ = true;
  }

  auto old = store_->FindZone(origin_);
  meta.origin = origin_;
  meta.generation = gen_;
  if (meta.imported_at == 0) meta.imported_at = static_cast<int64_t>(time(nullptr));
  rocksdb::WriteBatch b;
  // A new version starts a new journal: the old one described another.
  if (old && old->journal_next > old->journal_first)
    b.DeleteRange(db->DefaultColumnFamily(), JournalKey(origin_, old->journal_first),
                  JournalKey(origin_, old->journal_next));
  meta.journal_first = meta.journal_next = old ? old->journal_next : 0;
  meta.journal_bytes = 0;
  b.Put(MetaKey(origin_), meta.Encode());
  store_->log_->Append(ChangeLog::kClearAll, 0);
  if (previous) *previous = old ? old->generation : 0;
  rocksdb::WriteOptions wo;
  wo.sync = true;
  st = FromRocks(store_->WriteServed(wo, &b), "store commit");
  if (!st.ok()) return st;
  committed_ = true;
  std::error_code ec;
  if (!store_->mem_env_) std::filesystem::remove_all(files_->dir, ec);
  if (old && !keep_previous) {
    // The flip is durable; a failure here leaves garbage that the next
    // writer's open collects, never a wrong zone.
    (void)store_->DropGeneration(old->generation);
  }
  return Status::OK();
}

}  // namespace enumd::store
