#include "zone/zone_importer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <unordered_set>
#include <vector>

#include "common/byte_order.h"
#include "common/temp_file.h"
#include "dns/canonical_rdata.h"
#include "dns/constants.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "store/node.h"
#include "zone/soa_fields.h"
#include "zone/zone_file_reader.h"
#include "zone/zone_transaction.h"

namespace enumd::zone {

namespace {

// --- records in canonical name order, with bounded memory ---------------------

// One record as the sorter holds it:
//   u16 key length, key, u16 type, u16 file index, u32 ttl, u32 line,
//   u16 rdata length, rdata
constexpr size_t kFixed = 2 + 2 + 2 + 4 + 4 + 2;

struct Staged {
  std::string_view key;
  uint16_t type = 0;
  uint16_t file = 0;
  uint32_t ttl = 0;
  uint32_t line = 0;
  uint32_t seq = 0;  // position in the name's records, in file order
  std::string_view rdata;
};

inline const uint8_t* U8(const char* p) { return reinterpret_cast<const uint8_t*>(p); }

inline std::string_view KeyAt(const char* p) { return {p + 2, Load16(U8(p))}; }

// Size of the encoded record at p, given its first 2 + key length + 14 bytes.
inline size_t RecordSize(const char* p) {
  size_t k = Load16(U8(p));
  return kFixed + k + Load16(U8(p + 2 + k + 12));
}

Staged DecodeRecord(const char* p) {
  Staged s;
  s.key = KeyAt(p);
  const char* q = p + 2 + s.key.size();
  s.type = Load16(U8(q));
  s.file = Load16(U8(q + 2));
  s.ttl = Load32(U8(q + 4));
  s.line = Load32(U8(q + 8));
  s.rdata = std::string_view(q + 14, Load16(U8(q + 12)));
  return s;
}

void EncodeRecord(std::string_view key, uint16_t type, uint16_t file, uint32_t ttl, uint32_t line,
                  std::string_view rdata, std::string* out) {
  Append16(out, static_cast<uint16_t>(key.size()));
  out->append(key);
  Append16(out, type);
  Append16(out, file);
  Append32(out, ttl);
  Append32(out, line);
  Append16(out, static_cast<uint16_t>(rdata.size()));
  out->append(rdata);
}

// Where a merge reads sorted records from: a run file or the in-memory chunk.
class Cursor {
 public:
  virtual ~Cursor() = default;
  // Moves to the next record; false at the end (or on error: see status()).
  virtual bool Next() = 0;
  // The current record's encoded bytes (valid until Next()).
  virtual std::string_view record() const = 0;
  virtual Status status() const { return Status::OK(); }
  std::string_view key() const { return KeyAt(record().data()); }
};

// A sorted run in an unlinked temporary file, read back in large blocks.
class RunCursor : public Cursor {
 public:
  RunCursor(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  ~RunCursor() override { close(fd_); }

  bool Next() override {
    pos_ += size_;
    size_ = 0;
    // Make the whole next record contiguous in the buffer.
    if (!Fill(2)) return pos_ == end_ ? false : Corrupt();
    size_t klen = Load16(U8(buf_.data() + pos_));
    if (!Fill(2 + klen + 14)) return Corrupt();
    size_t need = RecordSize(buf_.data() + pos_);
    if (!Fill(need)) return Corrupt();
    size_ = need;
    return true;
  }
  std::string_view record() const override { return {buf_.data() + pos_, size_}; }
  Status status() const override { return status_; }

  // Rewinds to the start after the run was written.
  Status Rewind() {
    if (lseek(fd_, 0, SEEK_SET) != 0) return Status::Error("cannot read " + name_);
    buf_.resize(kBlock);  // only now: runs are merged after the reading is done
    pos_ = end_ = size_ = 0;
    return Status::OK();
  }

 private:
  static constexpr size_t kBlock = 1u << 20;  // > the largest record (~66 KB)

  // Ensures n bytes from pos_ are in the buffer; false at a clean end of file.
  bool Fill(size_t n) {
    if (end_ - pos_ >= n) return true;
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
    while (end_ < n) {
      ssize_t got = read(fd_, buf_.data() + end_, buf_.size() - end_);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        status_ = Status::Error("cannot read " + name_ + ": " + strerror(errno));
        return false;
      }
      if (got == 0) return false;
      end_ += static_cast<size_t>(got);
    }
    return true;
  }
  bool Corrupt() {
    if (status_.ok()) status_ = Status::Error("truncated temporary file " + name_);
    return false;
  }

  int fd_;
  std::string name_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0, size_ = 0;
  Status status_;
};

// The sorted in-memory chunk.
class ChunkCursor : public Cursor {
 public:
  ChunkCursor(const std::string* arena, const std::vector<uint32_t>* index)
      : arena_(arena), index_(index) {}
  bool Next() override {
    if (next_ >= index_->size()) return false;
    const char* p = arena_->data() + (*index_)[next_++];
    current_ = std::string_view(p, RecordSize(p));
    return true;
  }
  std::string_view record() const override { return current_; }

 private:
  const std::string* arena_;
  const std::vector<uint32_t>* index_;
  size_t next_ = 0;
  std::string_view current_;
};

// Collects records in any order and hands them back grouped by name key in
// key (= canonical) order, each name's records in the order they were added.
class RecordSorter {
 public:
  RecordSorter(size_t memory, std::string temp_dir)
      // Offsets into the chunk are 32-bit.
      : memory_(std::clamp<size_t>(memory, 4096, size_t{0xffffffff} - (1u << 20))),
        temp_dir_(std::move(temp_dir)) {}

  Status Add(std::string_view key, uint16_t type, uint16_t file, uint32_t ttl, uint32_t line,
             std::string_view rdata) {
    if (arena_.size() + kFixed + key.size() + rdata.size() > memory_ && !index_.empty()) {
      Status st = WriteRun();
      if (!st.ok()) return st;
    }
    uint32_t off = static_cast<uint32_t>(arena_.size());
    if (sorted_ && !index_.empty() && key < KeyAt(arena_.data() + index_.back())) sorted_ = false;
    // Grow by doubling, but never past the budget (std::string would).
    size_t need = arena_.size() + kFixed + key.size() + rdata.size();
    if (need > arena_.capacity())
      arena_.reserve(std::max(need, std::min(memory_, 2 * arena_.capacity())));
    index_.push_back(off);
    EncodeRecord(key, type, file, ttl, line, rdata, &arena_);
    return Status::OK();
  }

  // Reserves memory for about `bytes` of records (up to the budget), so that a
  // large chunk is not copied as it grows.
  void Expect(uint64_t bytes) {
    arena_.reserve(static_cast<size_t>(std::min<uint64_t>(bytes, memory_)));
    index_.reserve(arena_.capacity() / 64);
  }

  uint32_t runs() const { return runs_written_; }

  // Calls fn(key, records) for each name in key order; stops at fn's first error.
  Status ForEachName(const std::function<Status(std::string_view, std::vector<Staged>*)>& fn) {
    SortChunk();
    std::vector<std::unique_ptr<Cursor>> cursors;
    for (auto& r : runs_) {
      Status st = r->Rewind();
      if (!st.ok()) return st;
      cursors.push_back(std::move(r));
    }
    runs_.clear();
    cursors.push_back(std::make_unique<ChunkCursor>(&arena_, &index_));

    // A min-heap of cursors by (key, cursor number): runs hold earlier records
    // than later runs and the chunk, so ties keep the file order.
    std::vector<size_t> heap;
    auto greater = [&](size_t a, size_t b) {
      int c = cursors[a]->key().compare(cursors[b]->key());
      return c != 0 ? c > 0 : a > b;
    };
    for (size_t i = 0; i < cursors.size(); ++i) {
      if (cursors[i]->Next()) {
        heap.push_back(i);
      } else if (!cursors[i]->status().ok()) {
        return cursors[i]->status();
      }
    }
    std::make_heap(heap.begin(), heap.end(), greater);

    std::string group_key;
    std::string group;            // the name's encoded records, back to back
    std::vector<size_t> offsets;  // where each starts in `group`
    std::vector<Staged> records;
    auto flush = [&]() -> Status {
      records.clear();
      for (size_t i = 0; i < offsets.size(); ++i) {
        records.push_back(DecodeRecord(group.data() + offsets[i]));
        records.back().seq = static_cast<uint32_t>(i);
      }
      Status st = fn(group_key, &records);
      group.clear();
      offsets.clear();
      return st;
    };
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end(), greater);
      size_t c = heap.back();
      std::string_view rec = cursors[c]->record();
      std::string_view key = KeyAt(rec.data());
      if (!offsets.empty() && key != group_key) {
        Status st = flush();
        if (!st.ok()) return st;
      }
      if (offsets.empty()) group_key.assign(key);
      offsets.push_back(group.size());
      group.append(rec);
      if (cursors[c]->Next()) {
        std::push_heap(heap.begin(), heap.end(), greater);
      } else {
        if (!cursors[c]->status().ok()) return cursors[c]->status();
        heap.pop_back();
      }
    }
    if (!offsets.empty()) return flush();
    return Status::OK();
  }

 private:
  void SortChunk() {
    if (sorted_) return;
    const char* a = arena_.data();
    // Offsets grow with arrival, so (key, offset) is a stable order.
    std::sort(index_.begin(), index_.end(), [a](uint32_t x, uint32_t y) {
      int c = KeyAt(a + x).compare(KeyAt(a + y));
      return c != 0 ? c < 0 : x < y;
    });
    sorted_ = true;
  }

  // Sorts the chunk and writes it to a new run file; empties the chunk.
  Status WriteRun() {
    SortChunk();
    std::string name;
    auto fd = OpenTempFile(temp_dir_, &name);
    if (!fd.ok()) return fd.status();
    auto run = std::make_unique<RunCursor>(*fd, name);
    std::string out;
    out.reserve(1u << 20);
    auto write_out = [&]() -> Status {
      Status st = WriteAll(*fd, out.data(), out.size(), name);
      out.clear();
      return st;
    };
    for (uint32_t off : index_) {
      const char* p = arena_.data() + off;
      out.append(p, RecordSize(p));
      if (out.size() >= (1u << 20)) {
        Status st = write_out();
        if (!st.ok()) return st;
      }
    }
    Status st = write_out();
    if (!st.ok()) return st;
    runs_.push_back(std::move(run));
    ++runs_written_;
    arena_.clear();
    index_.clear();
    sorted_ = true;
    return Status::OK();
  }

  size_t memory_;
  std::string temp_dir_;
  std::string arena_;
  std::vector<uint32_t> index_;  // record offsets in arena_, in arrival order until sorted
  bool sorted_ = true;           // index_ is in (key, arrival) order
  std::vector<std::unique_ptr<RunCursor>> runs_;
  uint32_t runs_written_ = 0;
};

// --- the import ----------------------------------------------------------------

// A type's mnemonic for error messages.
std::string TypeText(uint16_t type) {
  switch (type) {
    case dns::type::kA:
      return "A";
    case dns::type::kNS:
      return "NS";
    case dns::type::kSOA:
      return "SOA";
    case dns::type::kPTR:
      return "PTR";
    case dns::type::kMX:
      return "MX";
    case dns::type::kTXT:
      return "TXT";
    case dns::type::kAAAA:
      return "AAAA";
    case dns::type::kSRV:
      return "SRV";
    case dns::type::kNAPTR:
      return "NAPTR";
    default:
      return "TYPE" + std::to_string(type);
  }
}

// The serial of an SOA rdata (after MNAME and RNAME), or 0 if malformed.
uint32_t SoaSerial(std::string_view rdata) {
  SoaFields soa;
  return ParseSoa(rdata, &soa) ? soa.serial : 0;
}

// The difference between the zone's current version and the nodes an
// import builds (both in key order): a merge that records each node added,
// changed or gone, and the journal entry that says the same in records.
class NodeDiff {
 public:
  NodeDiff(const store::ZoneStore* store, const store::ZoneMeta& current, uint64_t max_names,
           uint64_t max_bytes)
      : current_(current),
        cursor_(store->OpenNodes(current.generation)),
        max_names_(max_names),
        max_bytes_(max_bytes) {
    Advance();
  }

  // The next node of the new version. False: the difference grew past the
  // limits (overflowed()) or the store could not be read (status()).
  bool Put(std::string_view key, std::string_view value) {
    while (have_old_ && old_key_ < key) {
      if (!Record(old_key_, old_value_, std::nullopt)) return false;
      Advance();
    }
    if (have_old_ && old_key_ == key) {
      bool same = old_value_ == value;
      if (!same && !Record(key, old_value_, value)) return false;
      Advance();
      return true;
    }
    return Record(key, std::nullopt, value);
  }
  // The nodes of the current version after the last Put are gone.
  bool Finish() {
    while (have_old_) {
      if (!Record(old_key_, old_value_, std::nullopt)) return false;
      Advance();
    }
    return status_.ok();
  }

  bool overflowed() const { return overflowed_; }
  const Status& status() const { return status_; }
  const std::vector<store::ZoneStore::NodeChange>& changes() const { return changes_; }
  const JournalBuilder& journal() const { return journal_; }

 private:
  void Advance() {
    std::string_view k, v;
    have_old_ = cursor_->Next(&k, &v);
    if (have_old_) {
      old_key_.assign(k);
      old_value_.assign(v);
    } else {
      status_ = cursor_->status();
    }
  }

  bool Record(std::string_view key, std::optional<std::string_view> before,
              std::optional<std::string_view> after) {
    if (!status_.ok()) return false;
    if (changes_.size() >= max_names_) {
      overflowed_ = true;
      return false;
    }
    RRsets b, a;
    if ((before && !ReadNode(*before, &b)) || (after && !ReadNode(*after, &a))) {
      status_ = Status::Error("corrupt node in the store");
      return false;
    }
    uint8_t wire[dns::kMaxNameWire];
    const size_t len =
        store::KeyToName(key, reinterpret_cast<const uint8_t*>(current_.origin.data()),
                         current_.origin.size(), wire);
    journal_.AddNode(std::string_view(reinterpret_cast<char*>(wire), len), b, a);
    changes_.push_back(
        {std::string(key), after ? std::optional<std::string>(*after) : std::nullopt});
    bytes_ += key.size() + (after ? after->size() : 0);
    if (bytes_ + journal_.bytes() > max_bytes_) {
      overflowed_ = true;
      return false;
    }
    return true;
  }

  store::ZoneMeta current_;
  std::unique_ptr<store::ZoneStore::NodeCursor> cursor_;
  uint64_t max_names_, max_bytes_;
  bool have_old_ = false;
  std::string old_key_, old_value_;
  std::vector<store::ZoneStore::NodeChange> changes_;
  uint64_t bytes_ = 0;
  bool overflowed_ = false;
  JournalBuilder journal_;
  Status status_;
};

class Importer {
 public:
  // `store` null: check only, nothing is written.
  Importer(store::ZoneStore* store, const std::string& path, const ImportOptions& options)
      : store_(store),
        path_(path),
        options_(options),
        sorter_(options.sort_memory, options.temp_dir) {}
  // Records from `source` instead of the file `what` names.
  Importer(store::ZoneStore* store, RecordSource* source, const std::string& what,
           const ImportOptions& options)
      : Importer(store, what, options) {
    source_ = source;
    options_.diff = false;
  }

  Result<ImportResult> Run() {
    auto start = std::chrono::steady_clock::now();
    // The file's identity (size, modification time) is taken before it is
    // opened: if it is replaced while being read, the store records the older
    // identity and the next reload imports the file again. Taken after, it
    // would record the new file's identity with the old file's records, and
    // no reload would ever notice.
    struct stat sb;
    const bool have_stat = source_ == nullptr && stat(path_.c_str(), &sb) == 0;
    Status st;
    if (source_ != nullptr) {
      origin_ = dns::WireName(options_.origin);
      if (origin_.empty()) return Status::Error(path_ + ": bad origin " + options_.origin);
    } else {
      st = reader_.Open(path_, options_.origin);
      if (!st.ok()) return st;
      origin_ = reader_.origin_wire();
    }
    std::string lower = origin_;
    dns::LowerName(reinterpret_cast<uint8_t*>(lower.data()));
    origin_labels_ = dns::LabelCount(U8(origin_.data()));

    // Records take about as many bytes in the sorter as in the file.
    if (have_stat) sorter_.Expect(static_cast<uint64_t>(sb.st_size) + 4096);
    st = ReadAll();
    if (!st.ok()) return st;
    std::optional<store::ZoneMeta> current;
    if (store_ && options_.diff) current = store_->FindZone(lower);
    if (current) {
      diff_ = std::make_unique<NodeDiff>(store_, *current, options_.diff_max_names,
                                         options_.diff_max_bytes);
    } else if (store_) {
      // Only now: a file that fails to read costs the store nothing.
      auto imp = store_->BeginImport(lower);
      if (!imp.ok()) return imp.status();
      import_ = std::move(imp.value());
    }
    st = sorter_.ForEachName([this](std::string_view key, std::vector<Staged>* records) {
      return BuildNode(key, records);
    });
    if (diff_ && diff_->overflowed()) return Whole("more than " + Limits() + " changed");
    if (!st.ok()) return st;
    if (diff_ && !diff_->Finish()) {
      if (diff_->overflowed()) return Whole("more than " + Limits() + " changed");
      return diff_->status();
    }
    if (!apex_has_ns_) return Error(soa_file_, soa_line_, "no NS records at the zone apex");
    for (NsTarget& t : ns_targets_) {
      // A name that does not exist may still have an address through a
      // wildcard at its closest encloser (BIND finds it so).
      if (!t.seen && wildcard_addresses_.count(t.encloser)) t.address = true;
      if (t.below_dname)
        return Error(t.file, t.line, "NS target " + t.name + " is below a DNAME (RFC 6672 §2.4)");
      if (t.cname)
        return Error(t.file, t.line, "NS target " + t.name + " is a CNAME (RFC 2181 §10.3)");
      if (!t.address)
        return Error(t.file, t.line,
                     "NS target " + t.name + " is in the zone but has no A or AAAA record");
    }
    if (Cancelled()) return CancelledError();

    ImportResult result;
    store::ZoneMeta meta;
    meta.serial = serial_;
    meta.names = names_;
    meta.records = records_;
    std::error_code ec;
    if (source_ == nullptr) meta.source_file = std::filesystem::absolute(path_, ec).string();
    if (have_stat) {
      meta.source_mtime_ns = int64_t{sb.st_mtim.tv_sec} * 1000000000 + sb.st_mtim.tv_nsec;
      meta.source_size = static_cast<uint64_t>(sb.st_size);
    }
    if (diff_) {
      if (!diff_->changes().empty() && !SerialGreater(serial_, current->serial))
        return Error(soa_file_, soa_line_,
                     "the zone changed but its serial did not increase (" +
                         std::to_string(current->serial) + " to " + std::to_string(serial_) +
                         "): secondaries would not see the change; raise the serial");
      store::ZoneMeta next = *current;
      next.serial = serial_;
      next.names = names_;
      next.records = records_;
      next.source_file = meta.source_file;
      next.source_mtime_ns = meta.source_mtime_ns;
      next.source_size = meta.source_size;
      next.imported_at = static_cast<int64_t>(time(nullptr));
      const std::string entry = diff_->journal().Finish(current->serial, serial_);
      store::ZoneStore::ChangeOptions co;
      co.journal = diff_->changes().empty() ? nullptr : &entry;
      co.limits = options_.journal;
      st = store_->ApplyChanges(next, diff_->changes(), co);
      if (!st.ok()) return st;
      auto committed = store_->FindZone(lower);
      if (!committed) return Status::Error("the zone is missing from the store");
      meta = *committed;
      result.diffed = true;
      result.names_changed = diff_->changes().size();
    } else if (import_) {
      st = import_->Commit(meta, options_.keep_previous, &result.previous_generation);
      if (!st.ok()) return st;
      auto committed = store_->FindZone(lower);
      if (!committed) return Status::Error("the imported zone is missing from the store");
      meta = *committed;
    } else {
      meta.origin = lower;
    }
    result.meta = meta;
    result.origin_text = dns::NameToText(U8(lower.data()));
    result.empty_non_terminals = ents_;
    result.sort_runs = sorter_.runs();
    result.out_of_zone = out_of_zone_;
    result.warning_count = warning_count_;
    result.warnings = warnings_;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  bool Cancelled() const {
    return options_.cancel && options_.cancel->load(std::memory_order_relaxed);
  }
  static Status CancelledError() { return Status::Error("import cancelled"); }

  // The difference is too large (or unusable): the zone imported whole.
  Result<ImportResult> Whole(const std::string& why) {
    diff_.reset();
    ImportOptions o = options_;
    o.diff = false;
    auto r = Importer(store_, path_, o).Run();
    if (r.ok()) r->full_reason = why;
    return r;
  }
  std::string Limits() const {
    return std::to_string(options_.diff_max_names) + " names or " +
           std::to_string(options_.diff_max_bytes >> 20) + " MiB";
  }

  Status Error(uint16_t file, uint32_t line, const std::string& reason) const {
    return Status::Error(Where(file, line) + ": " + reason);
  }
  void Warn(uint16_t file, uint32_t line, const std::string& what) {
    AddWarning(Where(file, line) + ": " + what);
  }
  void AddWarning(const std::string& text) {
    if (warnings_.size() < 100) warnings_.push_back(text);
    ++warning_count_;
  }
  std::string Where(uint16_t file, uint32_t line) const {
    return files_[file] + ":" + std::to_string(line);
  }

  // Sets *index to the number of `file` (files are few: the zone and its
  // $INCLUDEs); false when there are more than fit in 16 bits.
  bool FileIndex(const std::string* file, uint16_t* index) {
    if (file_ptrs_.empty() || file_ptrs_[last_file_] != file) {
      size_t i = 0;
      while (i < file_ptrs_.size() && file_ptrs_[i] != file) ++i;
      if (i == file_ptrs_.size()) {
        if (i >= 0xffff) return false;
        file_ptrs_.push_back(file);
        files_.push_back(*file);
      }
      last_file_ = static_cast<uint16_t>(i);
    }
    *index = last_file_;
    return true;
  }

  // Reads and checks every record, handing it to the sorter.
  Status ReadAll() {
    ZoneRecord rec;
    uint8_t key[store::kMaxNameKey];
    auto origin = U8(origin_.data());
    bool any = false;
    for (uint64_t count = 0;; ++count) {
      if ((count & 1023) == 0 && Cancelled()) return CancelledError();
      ZoneFileReader::Next n = source_ ? source_->Read(&rec) : reader_.Read(&rec);
      if (n == ZoneFileReader::Next::kError) return source_ ? source_->error() : reader_.error();
      if (n == ZoneFileReader::Next::kEnd) break;
      uint16_t file;
      if (!FileIndex(rec.file, &file))
        return Status::Error(*rec.file + ":" + std::to_string(rec.line) + ": too many zone files");
      uint32_t line = static_cast<uint32_t>(rec.line);
      if (!any) {
        first_file_ = file;
        first_line_ = line;
        any = true;
      }
      if (rec.rrclass != dns::rrclass::kIN)
        return Error(file, line, "class " + std::to_string(rec.rrclass) + " is not IN");
      if (!dns::IsSubdomain(rec.owner, origin)) {
        // BIND ignores out-of-zone data with a warning (stray glue is common).
        Warn(file, line,
             "ignoring " + dns::NameToText(rec.owner) + ": outside the origin " +
                 dns::NameToText(origin));
        ++out_of_zone_;
        continue;
      }
      // DS lives on the parent side of a cut (RFC 4035 §2.4): never at the
      // apex of the zone it is about. BIND refuses the zone ("at top of zone").
      if (rec.type == dns::type::kDS && dns::NameEqual(rec.owner, origin))
        return Error(file, line, "DS record at the zone apex (it belongs in the parent zone)");
      // BIND applies check-names to the records written out, not to those
      // $GENERATE makes.
      if (options_.check_names != CheckNamesMode::kIgnore && !rec.generated) {
        if (const char* bad =
                CheckNames(rec.owner, rec.type, U8(rec.rdata.data()), rec.rdata.size())) {
          std::string what = dns::NameToText(rec.owner) + ": " + bad;
          if (options_.check_names == CheckNamesMode::kFail || bad == kBadNsec3Owner)
            return Error(file, line, what);
          Warn(file, line, what);
        }
      }
      if (rec.type == dns::type::kSOA) {
        if (!dns::NameEqual(rec.owner, origin))
          return Error(file, line, "SOA record is not at the zone apex");
        if (soa_line_ != 0) {
          // An identical SOA again, as `dig AXFR` output ends: one record.
          if (rec.rdata == soa_rdata_) continue;
          return Error(file, line,
                       "a second, different SOA record (the first is at " +
                           Where(soa_file_, soa_line_) + ")");
        }
        soa_file_ = file;
        soa_line_ = line;
        soa_rdata_ = rec.rdata;
        serial_ = SoaSerial(rec.rdata);
      }
      size_t klen = store::NameToKey(rec.owner, origin_labels_, key);
      Status st = sorter_.Add(std::string_view(reinterpret_cast<char*>(key), klen), rec.type, file,
                              rec.ttl, line, rec.rdata);
      if (!st.ok()) return st;
    }
    for (const std::string& w : reader_.warnings()) AddWarning(w);
    warning_count_ += reader_.warning_count() - reader_.warnings().size();
    if (!any) return Status::Error(path_ + ":1: the zone holds no records");
    if (soa_line_ == 0) return Error(first_file_, first_line_, "no SOA record at the zone apex");
    return Status::OK();
  }

  // RFC 1034 §3.6.2, RFC 2181 §10.1: a CNAME stands alone (DNSSEC records
  // aside: dns::type::MayStandBesideCname). The error names the record that breaks the rule -- the
  // later one in the file -- and where the other one is.
  Status CheckCname(std::string_view key, const std::vector<Staged>& records) const {
    const Staged* cname = nullptr;
    const Staged* other = nullptr;
    for (const Staged& s : records) {
      if (s.type == dns::type::kCNAME) {
        if (cname && cname->rdata != s.rdata)
          return Error(s.file, s.line,
                       "more than one CNAME at " + Name(key) + " (the first is at " +
                           Where(cname->file, cname->line) + ")");
        if (!cname) cname = &s;
        if (other)
          return Error(s.file, s.line,
                       "CNAME beside other data at " + Name(key) + " (" + TypeText(other->type) +
                           " at " + Where(other->file, other->line) + ")");
      } else if (!dns::type::MayStandBesideCname(s.type)) {
        if (cname)
          return Error(s.file, s.line,
                       "CNAME beside other data at " + Name(key) + " (the CNAME is at " +
                           Where(cname->file, cname->line) + ")");
        if (!other) other = &s;
      }
    }
    return Status::OK();
  }

  // Called for each name in canonical order with all its records (file order).
  Status BuildNode(std::string_view key, std::vector<Staged>* records) {
    if ((names_ & 1023) == 0 && Cancelled()) return CancelledError();
    Status st = CheckCname(key, *records);
    if (!st.ok()) return st;
    // Group by type, file order within a type (its first record sets the TTL).
    std::sort(records->begin(), records->end(), [](const Staged& a, const Staged& b) {
      return a.type != b.type ? a.type < b.type : a.seq < b.seq;
    });
    bool apex = key.empty();
    bool has_ns = false, has_address = false, has_cname = false, has_dname = false;
    for (const Staged& s : *records) {
      has_ns = has_ns || s.type == dns::type::kNS;
      has_address = has_address || s.type == dns::type::kA || s.type == dns::type::kAAAA;
      has_cname = has_cname || s.type == dns::type::kCNAME;
      has_dname = has_dname || s.type == 39;
    }
    if (apex && has_ns) apex_has_ns_ = true;
    if (has_dname) {  // RFC 6672 §2.4: one DNAME per name, as one CNAME
      const Staged* first = nullptr;
      for (const Staged& s : *records) {
        if (s.type != 39) continue;
        if (!first) {
          first = &s;
          continue;
        }
        dns::CanonicalRdata(39, first->rdata, &canon_a_);
        dns::CanonicalRdata(39, s.rdata, &canon_b_);
        if (canon_a_ != canon_b_)
          return Error(s.file, s.line,
                       "more than one DNAME at " + Name(key) + " (the first is at " +
                           Where(first->file, first->line) + ")");
      }
    }
    if (has_ns && store::KeyIsWildcard(key)) {
      const Staged& ns = *std::find_if(records->begin(), records->end(),
                                       [](const Staged& s) { return s.type == dns::type::kNS; });
      return Error(ns.file, ns.line, "NS at a wildcard name " + Name(key) + " (RFC 4592 §4.2)");
    }
    bool below_dname = dname_active_ && key.size() > dname_key_.size() &&
                       key.substr(0, dname_key_.size()) == dname_key_;
    if (!below_dname) dname_active_ = false;
    if (has_dname && !below_dname) {
      dname_key_.assign(key);
      dname_active_ = true;
    }
    if (apex && has_ns) CollectNsTargets(*records);
    if (apex) {
      st = CheckCdsConsistency(*records);
      if (!st.ok()) return st;
    }
    for (NsTarget& t : ns_targets_) {
      if (t.key != key) continue;
      t.seen = true;
      t.address = has_address;
      t.cname = has_cname;
      t.below_dname = below_dname;
    }
    int labels = store::KeyLabelCount(key);
    if (has_address && store::KeyIsWildcard(key))
      wildcard_addresses_.emplace(key.substr(0, store::KeyPrefixLength(key, labels - 1)));

    // Zone cuts: names in canonical order visit a cut before everything below it.
    if (cut_labels_ > 0 && key.substr(0, cut_key_.size()) != cut_key_) cut_labels_ = 0;
    uint8_t flags = apex ? store::kNodeApex : 0;
    int cut = 0;
    if (cut_labels_ > 0) {
      flags |= store::kNodeBelowCut;
      cut = cut_labels_;
    } else if (!apex && has_ns) {
      flags |= store::kNodeDelegation;
      cut_key_.assign(key);
      cut_labels_ = labels;
    }

    st = AddEmptyNonTerminals(key, labels);
    if (!st.ok()) return st;

    store::NodeWriter w(flags, cut);
    size_t i = 0;
    int rrsets = 0;
    while (i < records->size()) {
      size_t end = i;
      while (end < records->size() && (*records)[end].type == (*records)[i].type) ++end;
      const Staged& first = (*records)[i];
      // The node format counts RRsets in one octet (store/node.h).
      if (++rrsets > 255)
        return Error(first.file, first.line,
                     "more than 255 record types at " + Name(key) + " (enumd's limit per name)");
      w.BeginRRset(first.type, first.ttl);
      st = AddUnique(key, *records, i, end, &w);
      if (!st.ok()) return st;
      i = end;
    }
    ++names_;
    prev_key_.assign(key);
    return Emit(key, w.Finish());
  }

  // A node of the new version, in key order: to the new version's tables,
  // or to the difference with the current one (or nowhere: a check).
  Status Emit(std::string_view key, const std::string& value) {
    // Names in canonical order: an ancestor of an NS target comes before it,
    // the shallower ones first, so the last one is its closest encloser.
    for (NsTarget& t : ns_targets_)
      if (key.size() < t.key.size() && t.key.compare(0, key.size(), key) == 0 &&
          (key.empty() || key.back() == '\0'))
        t.encloser.assign(key);
    if (diff_) {
      if (diff_->Put(key, value)) return Status::OK();
      return diff_->overflowed() ? Status::Error("difference too large") : diff_->status();
    }
    if (import_) return import_->PutNode(key, value);
    return Status::OK();
  }

  // BIND's CDS/CDNSKEY consistency check (RFC 7344, RFC 8078) at the apex:
  // every algorithm of a CDS (CDNSKEY) has a DNSKEY of that algorithm, and a
  // deletion record ("0 0 0 00", "0 3 0 AA==") stands alone in its RRset.
  Status CheckCdsConsistency(const std::vector<Staged>& records) const {
    constexpr uint16_t kDnskey = 48, kCds = 59, kCdnskey = 60;
    bool dnskey_algorithms[256] = {};
    for (const Staged& s : records)
      if (s.type == kDnskey && s.rdata.size() >= 4)
        dnskey_algorithms[static_cast<uint8_t>(s.rdata[3])] = true;
    for (uint16_t type : {kCds, kCdnskey}) {
      const char* name = type == kCds ? "CDS" : "CDNSKEY";
      const std::string deletion =
          type == kCds ? std::string("\0\0\0\0\0", 5) : std::string("\0\0\3\0\0", 5);
      const Staged* deleting = nullptr;
      const Staged* other = nullptr;
      for (const Staged& s : records) {
        if (s.type != type) continue;
        if (s.rdata == deletion) {
          deleting = &s;
          continue;
        }
        other = &s;
        const size_t at = type == kCds ? 2 : 3;  // the algorithm octet
        const uint8_t alg = s.rdata.size() > at ? static_cast<uint8_t>(s.rdata[at]) : 0;
        if (!dnskey_algorithms[alg])
          return Error(s.file, s.line,
                       std::string(name) + " for algorithm " + std::to_string(alg) +
                           " but no DNSKEY of that algorithm at the apex (RFC 7344 §4.1; BIND's "
                           "CDS/CDNSKEY consistency check)");
      }
      if (deleting && other)
        return Error(other->file, other->line,
                     std::string(name) + " deletion record (at " +
                         Where(deleting->file, deleting->line) + ") beside other " + name +
                         " records (RFC 8078 §4)");
    }
    return Status::OK();
  }

  // Remembers the in-zone targets of the apex NS records.
  void CollectNsTargets(const std::vector<Staged>& records) {
    auto origin = U8(origin_.data());
    for (const Staged& s : records) {
      if (s.type != dns::type::kNS) continue;
      uint8_t target[dns::kMaxNameWire];
      size_t n = dns::WireNameLength(U8(s.rdata.data()), s.rdata.size());
      if (n == 0 || n > sizeof(target)) continue;
      std::memcpy(target, s.rdata.data(), n);
      if (!dns::IsSubdomain(target, origin)) continue;
      dns::LowerName(target);
      uint8_t key[store::kMaxNameKey];
      size_t klen = store::NameToKey(target, origin_labels_, key);
      NsTarget t;
      t.key.assign(reinterpret_cast<char*>(key), klen);
      t.name = dns::NameToText(target);
      t.file = s.file;
      t.line = s.line;
      ns_targets_.push_back(std::move(t));
    }
  }

  // Adds records [begin, end) (one type) to `w`, dropping repeats (records
  // equal in canonical form, the first one kept), and checks that the RRset
  // fits in a DNS message (BIND refuses larger ones; a server could not send
  // it even over TCP).
  Status AddUnique(std::string_view key, const std::vector<Staged>& r, size_t begin, size_t end,
                   store::NodeWriter* w) {
    const uint16_t type = r[begin].type;
    const bool canonical = dns::CanonicalRdata(type, {}, &canon_a_);
    constexpr size_t kLinear = 16;  // below this, comparing pairs beats hashing
    size_t kept = 0, bytes = 0;
    const size_t owner_len = key.size() + origin_.size();  // at least the name's length
    auto add = [&](const Staged& s) -> Status {
      ++kept;
      bytes += s.rdata.size();
      if (dns::MinAnswerSize(owner_len, kept, bytes) > dns::kMaxMessage) {
        return Error(s.file, s.line,
                     "the " + TypeText(type) + " RRset at " + Name(key) +
                         " does not fit in a DNS message (65535 octets) with this record");
      }
      w->AddRdata(s.rdata);
      ++records_;
      return Status::OK();
    };
    if (end - begin <= kLinear) {
      for (size_t k = begin; k < end; ++k) {
        bool dup = false;
        if (canonical) dns::CanonicalRdata(type, r[k].rdata, &canon_a_);
        for (size_t j = begin; j < k && !dup; ++j) {
          if (!canonical) {
            dup = r[j].rdata == r[k].rdata;
          } else if (r[j].rdata.size() == r[k].rdata.size()) {
            dns::CanonicalRdata(type, r[j].rdata, &canon_b_);
            dup = canon_a_ == canon_b_;
          }
        }
        if (dup) continue;
        Status st = add(r[k]);
        if (!st.ok()) return st;
      }
      return Status::OK();
    }
    seen_.clear();
    canon_store_.clear();
    for (size_t k = begin; k < end; ++k) {
      std::string_view form = r[k].rdata;
      if (canonical) {
        dns::CanonicalRdata(type, r[k].rdata, &canon_a_);
        canon_store_.push_back(canon_a_);
        form = canon_store_.back();
      }
      if (!seen_.insert(form).second) continue;
      Status st = add(r[k]);
      if (!st.ok()) return st;
    }
    return Status::OK();
  }

  // RFC 4592 §2.2.2: every ancestor of a name exists. Ancestors that hold data
  // come earlier in canonical order; the ones that do not are written here as
  // empty nodes. An ancestor exists already when it is also an ancestor (or
  // the key) of the previous name.
  Status AddEmptyNonTerminals(std::string_view key, int labels) {
    // Bytes the key shares with the previous name's: the labels inside them
    // are common ancestors. Every label of a key ends with 0x00 (name_key.h).
    size_t same = 0;
    size_t n = std::min(key.size(), prev_key_.size());
    while (same < n && key[same] == prev_key_[same]) ++same;
    size_t len = 0;
    for (int l = 1; l < labels; ++l) {
      len = key.find('\0', len) + 1;
      if (len <= same) continue;
      uint8_t flags = 0;
      int cut = 0;
      if (cut_labels_ > 0 && l > cut_labels_) {
        flags = store::kNodeBelowCut;
        cut = cut_labels_;
      }
      ++ents_;
      Status st = Emit(key.substr(0, len), store::NodeWriter(flags, cut).Finish());
      if (!st.ok()) return st;
    }
    return Status::OK();
  }

  std::string Name(std::string_view key) const {
    uint8_t wire[dns::kMaxNameWire];
    size_t n = store::KeyToName(key, U8(origin_.data()), origin_.size(), wire);
    return n ? dns::NameToText(wire) : std::string("?");
  }

  store::ZoneStore* store_;
  std::string path_;  // the file, or what `source_` is
  ImportOptions options_;
  ZoneFileReader reader_;
  RecordSource* source_ = nullptr;  // not null: records from here, not from a file
  RecordSorter sorter_;
  std::unique_ptr<store::ZoneImport> import_;
  std::unique_ptr<NodeDiff> diff_;
  std::string origin_;
  int origin_labels_ = 0;
  std::vector<const std::string*> file_ptrs_;
  std::vector<std::string> files_;
  uint16_t last_file_ = 0;
  uint16_t first_file_ = 0, soa_file_ = 0;
  uint32_t first_line_ = 0, soa_line_ = 0, serial_ = 0;
  bool apex_has_ns_ = false;
  std::string soa_rdata_;
  uint64_t out_of_zone_ = 0, warning_count_ = 0;
  std::vector<std::string> warnings_;
  // In-zone targets of the apex NS RRset (lower-case keys), each with the
  // record that names it and what the zone has there (RFC 1034 §4.2.2;
  // BIND's integrity checks).
  struct NsTarget {
    std::string key;
    std::string name;
    uint16_t file = 0;
    uint32_t line = 0;
    bool address = false, cname = false, below_dname = false, seen = false;
    std::string encloser;  // the key of its deepest existing ancestor
  };
  std::vector<NsTarget> ns_targets_;
  // The parents (keys) of the wildcards that hold A or AAAA records.
  std::set<std::string> wildcard_addresses_;
  std::string dname_key_;  // the last DNAME owner; names below it are occluded
  bool dname_active_ = false;
  std::string canon_a_, canon_b_;
  std::string prev_key_;
  std::string cut_key_;
  int cut_labels_ = 0;
  uint64_t names_ = 0, records_ = 0, ents_ = 0;
  std::unordered_set<std::string_view> seen_;
  std::deque<std::string> canon_store_;  // the canonical forms seen_ points at
};

}  // namespace

Result<ImportResult> ImportZoneFile(store::ZoneStore* store, const std::string& path,
                                    const ImportOptions& options) {
  if (store == nullptr) return Status::Error("no store");
  return Importer(store, path, options).Run();
}

Result<ImportResult> ImportRecords(store::ZoneStore* store, RecordSource* source,
                                   const std::string& what, const ImportOptions& options) {
  if (store == nullptr) return Status::Error("no store");
  return Importer(store, source, what, options).Run();
}

Result<ImportResult> CheckZoneFile(const std::string& path, const ImportOptions& options) {
  return Importer(nullptr, path, options).Run();
}

}  // namespace enumd::zone
