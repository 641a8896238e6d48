#include "zone/zone_importer.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <vector>

#include "dns/constants.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "store/node.h"
#include "zone/zone_file_reader.h"

namespace enumd::zone {

namespace {

// Staged record payload: u16 type, u16 file index, u32 ttl, u32 line, rdata.
struct Staged {
  uint16_t type;
  uint16_t file;
  uint32_t ttl;
  uint32_t line;
  std::string_view rdata;
};

void Put16(std::string* s, uint16_t v) {
  s->push_back(static_cast<char>(v >> 8));
  s->push_back(static_cast<char>(v));
}
void Put32(std::string* s, uint32_t v) {
  Put16(s, static_cast<uint16_t>(v >> 16));
  Put16(s, static_cast<uint16_t>(v));
}
uint16_t Get16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) << 8 | static_cast<uint8_t>(p[1]));
}
uint32_t Get32(const char* p) { return uint32_t{Get16(p)} << 16 | Get16(p + 2); }

bool Decode(const std::string& payload, Staged* out) {
  if (payload.size() < 12) return false;
  out->type = Get16(payload.data());
  out->file = Get16(payload.data() + 2);
  out->ttl = Get32(payload.data() + 4);
  out->line = Get32(payload.data() + 8);
  out->rdata = std::string_view(payload).substr(12);
  return true;
}

// The serial of an SOA rdata (after MNAME and RNAME), or 0 if malformed.
uint32_t SoaSerial(std::string_view rdata) {
  auto p = reinterpret_cast<const uint8_t*>(rdata.data());
  size_t m = dns::WireNameLength(p, rdata.size());
  if (m == 0) return 0;
  size_t r = dns::WireNameLength(p + m, rdata.size() - m);
  if (r == 0 || rdata.size() < m + r + 20) return 0;
  return Get32(rdata.data() + m + r);
}

class Importer {
 public:
  Importer(store::ZoneStore* store, const std::string& path, const ImportOptions& options)
      : store_(store), path_(path), options_(options) {}

  Result<ImportResult> Run() {
    auto start = std::chrono::steady_clock::now();
    Status st = reader_.Open(path_, options_.origin);
    if (!st.ok()) return st;
    origin_ = reader_.origin_wire();
    std::string lower = origin_;
    dns::LowerName(reinterpret_cast<uint8_t*>(lower.data()));
    origin_labels_ = dns::LabelCount(reinterpret_cast<const uint8_t*>(origin_.data()));

    auto imp = store_->BeginImport(lower);
    if (!imp.ok()) return imp.status();
    import_ = std::move(imp.value());

    st = StageAll();
    if (!st.ok()) return st;
    st = import_->ForEachStagedName(
        [this](std::string_view key, const std::vector<std::string>& payloads) {
          return BuildNode(key, payloads);
        });
    if (!st.ok()) return st;
    if (!apex_has_ns_) return Error(soa_file_, soa_line_, "no NS records at the zone apex");

    store::ZoneMeta meta;
    meta.serial = serial_;
    meta.names = names_;
    meta.records = records_;
    struct stat sb;
    std::error_code ec;
    meta.source_file = std::filesystem::absolute(path_, ec).string();
    if (stat(path_.c_str(), &sb) == 0) {
      meta.source_mtime_ns = int64_t{sb.st_mtim.tv_sec} * 1000000000 + sb.st_mtim.tv_nsec;
      meta.source_size = static_cast<uint64_t>(sb.st_size);
    }
    ImportResult result;
    st = import_->Commit(meta, options_.keep_previous, &result.previous_generation);
    if (!st.ok()) return st;
    result.meta = *store_->FindZone(lower);
    result.origin_text = dns::NameToText(reinterpret_cast<const uint8_t*>(origin_.data()));
    result.empty_non_terminals = ents_;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

 private:
  Status Error(uint16_t file, uint32_t line, const std::string& reason) const {
    return Status::Error(files_[file] + ":" + std::to_string(line) + ": " + reason);
  }

  uint16_t FileIndex(const std::string* file) {
    for (size_t i = 0; i < file_ptrs_.size(); ++i)
      if (file_ptrs_[i] == file) return static_cast<uint16_t>(i);
    file_ptrs_.push_back(file);
    files_.push_back(*file);
    return static_cast<uint16_t>(files_.size() - 1);
  }

  Status StageAll() {
    ZoneRecord rec;
    std::string payload;
    uint8_t key[store::kMaxNameKey];
    auto origin = reinterpret_cast<const uint8_t*>(origin_.data());
    bool any = false;
    for (;;) {
      ZoneFileReader::Next n = reader_.Read(&rec);
      if (n == ZoneFileReader::Next::kError) return reader_.error();
      if (n == ZoneFileReader::Next::kEnd) break;
      uint16_t file = FileIndex(rec.file);
      uint32_t line = static_cast<uint32_t>(rec.line);
      if (!any) {
        first_file_ = file;
        first_line_ = line;
        any = true;
      }
      if (rec.rrclass != dns::rrclass::kIN)
        return Error(file, line, "class " + std::to_string(rec.rrclass) + " is not IN");
      if (!dns::IsSubdomain(rec.owner, origin))
        return Error(file, line,
                     "name " + dns::NameToText(rec.owner) + " is outside the origin " +
                         dns::NameToText(origin));
      bool at_apex = dns::NameEqual(rec.owner, origin);
      if (rec.type == dns::type::kSOA) {
        if (!at_apex) return Error(file, line, "SOA record is not at the zone apex");
        if (soa_line_ != 0)
          return Error(file, line,
                       "more than one SOA record (the first is at " + files_[soa_file_] + ":" +
                           std::to_string(soa_line_) + ")");
        soa_file_ = file;
        soa_line_ = line;
        serial_ = SoaSerial(rec.rdata);
      }
      size_t klen = store::NameToKey(rec.owner, origin_labels_, key);
      payload.clear();
      Put16(&payload, rec.type);
      Put16(&payload, file);
      Put32(&payload, rec.ttl);
      Put32(&payload, line);
      payload.append(rec.rdata);
      Status st = import_->Stage(std::string_view(reinterpret_cast<char*>(key), klen), payload);
      if (!st.ok()) return st;
    }
    if (!any) return Status::Error(path_ + ":1: the zone holds no records");
    if (soa_line_ == 0) return Error(first_file_, first_line_, "no SOA record at the zone apex");
    return Status::OK();
  }

  // Called for each name in canonical order with all its staged records.
  Status BuildNode(std::string_view key, const std::vector<std::string>& payloads) {
    // Group by type (stable: first record's TTL wins), dropping duplicates.
    std::map<uint16_t, std::vector<Staged>> by_type;
    for (const std::string& p : payloads) {
      Staged s;
      if (!Decode(p, &s)) return Status::Error("corrupt staged record");
      auto& v = by_type[s.type];
      bool dup = false;
      for (const Staged& o : v) dup = dup || o.rdata == s.rdata;
      if (!dup) v.push_back(s);
    }
    bool apex = key.empty();
    int labels = store::KeyLabelCount(key);
    if (auto c = by_type.find(dns::type::kCNAME); c != by_type.end()) {
      if (c->second.size() > 1)
        return Error(c->second[1].file, c->second[1].line, "more than one CNAME at " + Name(key));
      for (auto& [t, v] : by_type) {
        if (t != dns::type::kCNAME && t != dns::type::kRRSIG && t != dns::type::kNSEC)
          return Error(c->second[0].file, c->second[0].line,
                       "CNAME beside other data at " + Name(key));
      }
    }
    if (apex && by_type.count(dns::type::kNS)) apex_has_ns_ = true;

    // Zone cuts: names in canonical order visit a cut before everything below it.
    if (cut_labels_ > 0 && key.substr(0, cut_key_.size()) != cut_key_) cut_labels_ = 0;
    uint8_t flags = apex ? store::kNodeApex : 0;
    int cut = 0;
    if (cut_labels_ > 0) {
      flags |= store::kNodeBelowCut;
      cut = cut_labels_;
    } else if (!apex && by_type.count(dns::type::kNS)) {
      flags |= store::kNodeDelegation;
      cut_key_.assign(key);
      cut_labels_ = labels;
    }

    Status st = AddEmptyNonTerminals(key, labels);
    if (!st.ok()) return st;

    store::NodeWriter w(flags, cut);
    for (auto& [t, v] : by_type) {
      w.BeginRRset(t, v[0].ttl);
      for (const Staged& s : v) w.AddRdata(s.rdata);
      records_ += v.size();
    }
    ++names_;
    prev_key_.assign(key);
    return import_->PutNode(key, w.Finish());
  }

  // RFC 4592 §2.2.2: every ancestor of a name exists. Ancestors that hold data
  // come earlier in canonical order; the ones that do not are written here as
  // empty nodes. An ancestor exists already when it is also an ancestor (or
  // the key) of the previous name.
  Status AddEmptyNonTerminals(std::string_view key, int labels) {
    size_t common = 0;
    for (int l = 1; l < labels; ++l) {
      size_t len = store::KeyPrefixLength(key, l);
      if (len <= prev_key_.size() && prev_key_.compare(0, len, key.substr(0, len)) == 0) {
        common = static_cast<size_t>(l);
      } else {
        break;
      }
    }
    for (int l = static_cast<int>(common) + 1; l < labels; ++l) {
      size_t len = store::KeyPrefixLength(key, l);
      uint8_t flags = 0;
      int cut = 0;
      if (cut_labels_ > 0 && l > cut_labels_) {
        flags = store::kNodeBelowCut;
        cut = cut_labels_;
      }
      Status st = import_->PutNode(key.substr(0, len), store::NodeWriter(flags, cut).Finish());
      if (!st.ok()) return st;
      ++ents_;
    }
    return Status::OK();
  }

  std::string Name(std::string_view key) const {
    uint8_t wire[dns::kMaxNameWire];
    size_t n = store::KeyToName(key, reinterpret_cast<const uint8_t*>(origin_.data()),
                                origin_.size(), wire);
    return n ? dns::NameToText(wire) : std::string("?");
  }

  store::ZoneStore* store_;
  std::string path_;
  ImportOptions options_;
  ZoneFileReader reader_;
  std::unique_ptr<store::ZoneImport> import_;
  std::string origin_;
  int origin_labels_ = 0;
  std::vector<const std::string*> file_ptrs_;
  std::vector<std::string> files_;
  uint16_t first_file_ = 0, soa_file_ = 0;
  uint32_t first_line_ = 0, soa_line_ = 0, serial_ = 0;
  bool apex_has_ns_ = false;
  std::string prev_key_;
  std::string cut_key_;
  int cut_labels_ = 0;
  uint64_t names_ = 0, records_ = 0, ents_ = 0;
};

}  // namespace

Result<ImportResult> ImportZoneFile(store::ZoneStore* store, const std::string& path,
                                    const ImportOptions& options) {
  return Importer(store, path, options).Run();
}

Result<ImportResult> CheckZoneFile(const std::string& path, const std::string& origin) {
  const char* tmp = getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/enumctl-check-XXXXXX";
  if (!mkdtemp(tmpl.data())) return Status::Error("cannot create a scratch directory in " + tmpl);
  Result<ImportResult> result = Status::Error("unreachable");
  {
    auto s = store::ZoneStore::Open(tmpl, store::ZoneStore::Mode::kReadWrite);
    if (!s.ok()) {
      result = s.status();
    } else {
      ImportOptions o;
      o.origin = origin;
      result = ImportZoneFile(s->get(), path, o);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return result;
}

}  // namespace enumd::zone
