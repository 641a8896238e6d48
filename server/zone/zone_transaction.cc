// See zone_transaction.h.
#include "zone/zone_transaction.h"

#include <rocksdb/slice.h>

#include <algorithm>
#include <ctime>

#include "common/byte_order.h"
#include "dns/canonical_rdata.h"
#include "dns/constants.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "store/node.h"

namespace enumd::zone {

namespace {

using dns::type::kANY;
using dns::type::kCNAME;
using dns::type::kNS;
using dns::type::kNSEC;
using dns::type::kRRSIG;
using dns::type::kSOA;

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// Where the serial sits in an SOA rdata (after MNAME and RNAME); 0 if the
// rdata is malformed.
size_t SerialOffset(std::string_view rdata) {
  auto p = reinterpret_cast<const uint8_t*>(rdata.data());
  size_t m = dns::WireNameLength(p, rdata.size());
  if (m == 0) return 0;
  size_t r = dns::WireNameLength(p + m, rdata.size() - m);
  if (r == 0 || rdata.size() < m + r + 20) return 0;
  return m + r;
}

// Data beside which a CNAME may not stand (RFC 1034 §3.6.2, RFC 4035 §2.5).
bool HasNonCnameData(const std::map<uint16_t, RRsetData>& rrsets) {
  for (const auto& [type, set] : rrsets)
    if (type != kCNAME && !dns::type::MayStandBesideCname(type)) return true;
  return false;
}

bool SameSets(const std::map<uint16_t, RRsetData>& a, const std::map<uint16_t, RRsetData>& b) {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j) {
    if (i->first != j->first || i->second.ttl != j->second.ttl ||
        i->second.rdatas != j->second.rdatas)
      return false;
  }
  return true;
}

uint64_t RecordCount(const std::map<uint16_t, RRsetData>& rrsets) {
  uint64_t n = 0;
  for (const auto& [type, set] : rrsets) n += set.rdatas.size();
  return n;
}

std::string Encode(uint8_t flags, int cut_labels, const std::map<uint16_t, RRsetData>& rrsets) {
  store::NodeWriter w(flags, cut_labels);
  for (const auto& [type, set] : rrsets) {
    w.BeginRRset(type, set.ttl);
    for (const std::string& rd : set.rdatas) w.AddRdata(rd);
  }
  return w.Finish();
}

bool IsPrefixOf(std::string_view prefix, std::string_view key) {
  return key.size() >= prefix.size() && key.compare(0, prefix.size(), prefix) == 0;
}

std::string Parent(const std::string& key) {
  return key.substr(0, store::KeyPrefixLength(key, store::KeyLabelCount(key) - 1));
}

void PutRecord(std::string* out, const std::string& owner, uint16_t type, uint32_t ttl,
               const std::string& rdata) {
  out->append(owner);
  Append16(out, type);
  Append32(out, ttl);
  Append16(out, static_cast<uint16_t>(rdata.size()));
  out->append(rdata);
}

}  // namespace

ZoneTransaction::ZoneTransaction(store::ZoneStore* store, store::ZoneMeta meta)
    : store_(store), meta_(std::move(meta)), origin_labels_(dns::LabelCount(U8(meta_.origin))) {}

ZoneTransaction::~ZoneTransaction() = default;

Result<std::unique_ptr<ZoneTransaction>> ZoneTransaction::Begin(store::ZoneStore* store,
                                                                std::string_view origin) {
  auto meta = store->FindZone(origin);
  if (!meta) return Status::Error("no such zone in the store");
  return std::unique_ptr<ZoneTransaction>(new ZoneTransaction(store, std::move(*meta)));
}

bool ZoneTransaction::InZone(const uint8_t* owner) const {
  return dns::IsSubdomain(owner, U8(meta_.origin));
}

std::string ZoneTransaction::Key(const uint8_t* owner) const {
  uint8_t buf[store::kMaxNameKey];
  return std::string(reinterpret_cast<char*>(buf), store::NameToKey(owner, origin_labels_, buf));
}

Status ZoneTransaction::ReadStore(const std::string& key, Node* out) const {
  *out = Node();
  rocksdb::PinnableSlice v;
  store::ReadContext ctx;
  switch (store_->GetNode(&ctx, meta_.generation, key, &v)) {
    case store::ReadStatus::kFound:
      break;
    case store::ReadStatus::kAbsent:
      return Status::OK();
    case store::ReadStatus::kError:
      return Status::Error(std::string("cannot read the store: ") + ctx.error());
  }
  if (!ReadNode(v.ToStringView(), &out->rrsets, &out->flags, &out->cut_labels))
    return Status::Error("corrupt node in the store");
  out->exists = true;
  return Status::OK();
}

Result<ZoneTransaction::Entry*> ZoneTransaction::Load(const std::string& key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) return &it->second;
  Entry e;
  Status st = ReadStore(key, &e.before);
  if (!st.ok()) return st;
  e.after = e.before;
  return &entries_.emplace(key, std::move(e)).first->second;
}

Result<ZoneTransaction::Entry*> ZoneTransaction::Touch(const uint8_t* owner, std::string* key) {
  if (done_) return Status::Error("transaction already committed");
  if (!InZone(owner)) return Status::Error("the name is outside the zone");
  *key = Key(owner);
  return Load(*key);
}

Result<bool> ZoneTransaction::NameInUse(const uint8_t* owner) {
  auto e = Load(Key(owner));
  if (!e.ok()) return e.status();
  return !(*e)->after.rrsets.empty();
}

Result<std::optional<RRsetData>> ZoneTransaction::Get(const uint8_t* owner, uint16_t type) {
  auto e = Load(Key(owner));
  if (!e.ok()) return e.status();
  auto it = (*e)->after.rrsets.find(type);
  if (it == (*e)->after.rrsets.end()) return std::optional<RRsetData>();
  return std::optional<RRsetData>(it->second);
}

Result<std::map<uint16_t, RRsetData>> ZoneTransaction::GetAll(const uint8_t* owner) {
  auto e = Load(Key(owner));
  if (!e.ok()) return e.status();
  return (*e)->after.rrsets;
}

Result<bool> ZoneTransaction::Add(const uint8_t* owner, uint16_t type, uint32_t ttl,
                                  std::string_view rdata) {
  std::string key;
  auto e = Touch(owner, &key);
  if (!e.ok()) return e.status();
  Node& n = (*e)->after;
  const bool apex = key.empty();
  if (type == kSOA) {
    // RFC 2136 §3.4.2.2: only at the apex, and only a newer serial.
    if (!apex) return false;
    auto soa = n.rrsets.find(kSOA);
    size_t at = SerialOffset(rdata);
    if (at == 0) return Status::Error("malformed SOA record");
    if (soa != n.rrsets.end() && !soa->second.rdatas.empty()) {
      const std::string& old = soa->second.rdatas[0];
      size_t old_at = SerialOffset(old);
      if (old_at != 0 && !SerialGreater(Load32(reinterpret_cast<const uint8_t*>(rdata.data()) + at),
                                        Load32(U8(old) + old_at)))
        return false;
    }
    n.rrsets[kSOA] = RRsetData{ttl, {std::string(rdata)}};
    n.exists = true;
    soa_set_ = true;
    return true;
  }
  const bool has_cname = n.rrsets.count(kCNAME) > 0;
  if (type == kCNAME) {
    if (HasNonCnameData(n.rrsets)) return false;  // CNAME beside data: ignored
    if (has_cname) {
      // A CNAME replaces the one there (RFC 2136 §3.4.2.2).
      RRsetData& set = n.rrsets[kCNAME];
      if (set.rdatas.size() == 1 && dns::SameRdata(kCNAME, set.rdatas[0], rdata) && set.ttl == ttl)
        return false;
      set = RRsetData{ttl, {std::string(rdata)}};
      return true;
    }
  } else if (has_cname && !dns::type::MayStandBesideCname(type)) {
    return false;  // data beside a CNAME: ignored
  }
  auto existing = n.rrsets.find(type);
  if (existing == n.rrsets.end() && n.rrsets.size() >= 255)
    return Status::Error("the name would hold more than 255 record types");
  RRsetData& set = n.rrsets[type];
  bool changed = false;
  if (existing == n.rrsets.end() || set.ttl != ttl) changed = true;
  set.ttl = ttl;
  bool dup = false;
  for (const std::string& rd : set.rdatas) dup = dup || dns::SameRdata(type, rd, rdata);
  if (!dup) {
    set.rdatas.emplace_back(rdata);
    changed = true;
    size_t bytes = 0;
    for (const std::string& rd : set.rdatas) bytes += rd.size();
    const size_t size =
        dns::MinAnswerSize(dns::WireNameLength(owner, dns::kMaxNameWire), set.rdatas.size(), bytes);
    if (size > dns::kMaxMessage)
      return Status::Error("the RRset would be " + std::to_string(size) +
                           " bytes in a DNS message, over the 65535 any message can hold");
  }
  n.exists = true;
  return changed;
}

Result<bool> ZoneTransaction::DeleteRRset(const uint8_t* owner, uint16_t type) {
  std::string key;
  auto e = Touch(owner, &key);
  if (!e.ok()) return e.status();
  Node& n = (*e)->after;
  const bool apex = key.empty();
  // RFC 2136 §3.4.2.3: the apex SOA and NS RRsets are never deleted.
  if (apex && (type == kSOA || type == kNS)) return false;
  bool changed = false;
  for (auto it = n.rrsets.begin(); it != n.rrsets.end();) {
    bool drop =
        type == kANY ? !(apex && (it->first == kSOA || it->first == kNS)) : it->first == type;
    if (drop) {
      it = n.rrsets.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  return changed;
}

Result<bool> ZoneTransaction::DeleteRecord(const uint8_t* owner, uint16_t type,
                                           std::string_view rdata) {
  std::string key;
  auto e = Touch(owner, &key);
  if (!e.ok()) return e.status();
  Node& n = (*e)->after;
  if (type == kSOA) return false;  // RFC 2136 §3.4.2.4
  auto it = n.rrsets.find(type);
  if (it == n.rrsets.end()) return false;
  std::vector<std::string>& rds = it->second.rdatas;
  for (size_t i = 0; i < rds.size(); ++i) {
    if (!dns::SameRdata(type, rds[i], rdata)) continue;
    if (key.empty() && type == kNS && rds.size() == 1) return false;  // the last apex NS
    rds.erase(rds.begin() + static_cast<ptrdiff_t>(i));
    if (rds.empty()) n.rrsets.erase(it);
    return true;
  }
  return false;
}

bool ZoneTransaction::changed() const {
  if (soa_set_) return true;
  for (const auto& [key, e] : entries_)
    if (!SameSets(e.before.rrsets, e.after.rrsets)) return true;
  return false;
}

Result<bool> ZoneTransaction::HasDescendant(const std::string& key) {
  // Names this transaction knows about come first: they override the store.
  for (auto it = entries_.upper_bound(key); it != entries_.end() && IsPrefixOf(key, it->first);
       ++it) {
    if (it->second.after.exists) return true;
  }
  bool found = false;
  Status st = store_->ForEachNode(meta_.generation, key, [&](std::string_view d, std::string_view) {
    if (d.size() == key.size()) return true;  // the name itself
    auto e = entries_.find(std::string(d));
    if (e != entries_.end() && !e->second.after.exists) return true;  // deleted here
    found = true;
    return false;
  });
  if (!st.ok()) return st;
  return found;
}

Status ZoneTransaction::CreateAncestors(const std::string& key) {
  if (key.empty()) return Status::OK();  // the apex has no ancestor in the zone
  // The deepest ancestor that exists (the apex always does), then every
  // missing one below it as an empty non-terminal, inheriting the cut.
  const int labels = store::KeyLabelCount(key);
  int l = labels - 1;
  Entry* anc = nullptr;
  for (; l >= 0; --l) {
    auto e = Load(key.substr(0, store::KeyPrefixLength(key, l)));
    if (!e.ok()) return e.status();
    if ((*e)->after.exists) {
      anc = *e;
      break;
    }
  }
  if (!anc) return Status::Error("the zone apex is missing from the store");
  uint8_t flags = 0;
  int cut = 0;
  if (anc->after.flags & store::kNodeBelowCut) {
    flags = store::kNodeBelowCut;
    cut = anc->after.cut_labels;
  } else if (anc->after.flags & store::kNodeDelegation) {
    flags = store::kNodeBelowCut;
    cut = l;
  }
  for (int k = l + 1; k <= labels; ++k) {
    auto e = Load(key.substr(0, store::KeyPrefixLength(key, k)));
    if (!e.ok()) return e.status();
    if (k == labels && (*e)->before.exists) break;  // not new: its flags are right
    Node& n = (*e)->after;
    n.exists = true;
    n.flags = flags;
    n.cut_labels = cut;
  }
  return Status::OK();
}

Status ZoneTransaction::PruneEmpty(const std::string& key) {
  std::string k = key;
  while (!k.empty()) {
    auto e = Load(k);
    if (!e.ok()) return e.status();
    Node& n = (*e)->after;
    if (!n.rrsets.empty()) break;
    auto below = HasDescendant(k);
    if (!below.ok()) return below.status();
    if (*below) break;  // stays, as an empty non-terminal
    n.exists = false;
    k = Parent(k);
  }
  return Status::OK();
}

Status ZoneTransaction::FixCuts(const std::string& key) {
  // Every name of the subtree in memory (the store's and this transaction's).
  Status st = store_->ForEachNode(meta_.generation, key, [&](std::string_view d, std::string_view) {
    return Load(std::string(d)).ok();
  });
  if (!st.ok()) return st;
  auto parent = Load(Parent(key));
  if (!parent.ok()) return parent.status();
  const Node& p = (*parent)->after;
  int outer = 0;  // a cut above the subtree: everything in it is below it
  if (p.flags & store::kNodeBelowCut)
    outer = p.cut_labels;
  else if (p.flags & store::kNodeDelegation)
    outer = store::KeyLabelCount(Parent(key));
  std::string cut_key;
  int cut = 0;
  for (auto it = entries_.lower_bound(key); it != entries_.end() && IsPrefixOf(key, it->first);
       ++it) {
    Node& n = it->second.after;
    if (!n.exists) continue;
    if (cut > 0 && !IsPrefixOf(cut_key, it->first)) cut = 0;
    if (outer > 0) {
      n.flags = store::kNodeBelowCut;
      n.cut_labels = outer;
    } else if (cut > 0) {
      n.flags = store::kNodeBelowCut;
      n.cut_labels = cut;
    } else if (n.rrsets.count(kNS)) {
      n.flags = store::kNodeDelegation;
      n.cut_labels = 0;
      cut_key = it->first;
      cut = store::KeyLabelCount(it->first);
    } else {
      n.flags = 0;
      n.cut_labels = 0;
    }
  }
  return Status::OK();
}

Status ZoneTransaction::BumpSerial(SerialPolicy policy, int64_t now, CommitResult* result) {
  auto e = Load("");
  if (!e.ok()) return e.status();
  Entry& apex = **e;
  auto before = apex.before.rrsets.find(kSOA);
  auto after = apex.after.rrsets.find(kSOA);
  if (before == apex.before.rrsets.end() || after == apex.after.rrsets.end() ||
      after->second.rdatas.empty() || before->second.rdatas.empty())
    return Status::Error("the zone apex has no SOA");
  const std::string& old_soa = before->second.rdatas[0];
  std::string& soa = after->second.rdatas[0];
  const size_t old_at = SerialOffset(old_soa), at = SerialOffset(soa);
  if (old_at == 0 || at == 0) return Status::Error("the zone's SOA is malformed");
  result->old_serial = Load32(U8(old_soa) + old_at);
  uint32_t serial = Load32(U8(soa) + at);
  if (!soa_set_) {
    const uint32_t next = result->old_serial + 1 == 0 ? 1 : result->old_serial + 1;
    uint32_t wanted = next;
    if (policy == SerialPolicy::kUnixTime) {
      wanted = static_cast<uint32_t>(now);
    } else if (policy == SerialPolicy::kDateSerial) {
      time_t t = static_cast<time_t>(now);
      struct tm tm;
      gmtime_r(&t, &tm);
      wanted = static_cast<uint32_t>((tm.tm_year + 1900) * 1000000 + (tm.tm_mon + 1) * 10000 +
                                     tm.tm_mday * 100);
    }
    serial = SerialGreater(wanted, result->old_serial) ? wanted : next;
    Store32(reinterpret_cast<uint8_t*>(soa.data()) + at, serial);
  }
  result->new_serial = serial;
  meta_.serial = serial;
  return Status::OK();
}

std::string ZoneTransaction::JournalEntry(uint32_t old_serial, uint32_t new_serial) const {
  JournalBuilder journal;
  for (const auto& [key, e] : entries_) {
    if (SameSets(e.before.rrsets, e.after.rrsets)) continue;
    uint8_t wire[dns::kMaxNameWire];
    size_t len = store::KeyToName(key, U8(meta_.origin), meta_.origin.size(), wire);
    journal.AddNode(std::string_view(reinterpret_cast<char*>(wire), len), e.before.rrsets,
                    e.after.rrsets);
  }
  return journal.Finish(old_serial, new_serial);
}

bool SerialGreater(uint32_t a, uint32_t b) {
  return (a < b && b - a > 0x80000000u) || (a > b && a - b < 0x80000000u);
}

bool ReadNode(std::string_view value, RRsets* out, uint8_t* flags, int* cut_labels) {
  out->clear();
  store::NodeView view;
  if (!view.Parse(value)) return false;
  if (flags) *flags = view.flags();
  if (cut_labels) *cut_labels = view.cut_labels();
  store::RRsetView rs;
  for (int i = 0; i < view.rrset_count(); ++i) {
    view.At(i, &rs);
    RRsetData& set = (*out)[rs.type];
    set.ttl = rs.ttl;
    size_t pos = 0;
    const uint8_t* rd;
    uint16_t len;
    while (rs.NextRdata(&pos, &rd, &len))
      set.rdatas.emplace_back(reinterpret_cast<const char*>(rd), len);
  }
  return true;
}

void JournalBuilder::AddNode(std::string_view owner, const RRsets& before, const RRsets& after) {
  auto in = [](const RRsets& sets, uint16_t type, uint32_t ttl, const std::string& rd) {
    auto it = sets.find(type);
    if (it == sets.end() || it->second.ttl != ttl) return false;
    return std::find(it->second.rdatas.begin(), it->second.rdatas.end(), rd) !=
           it->second.rdatas.end();
  };
  const std::string name(owner);
  for (const auto& [type, set] : before)
    for (const std::string& rd : set.rdatas)
      if (!in(after, type, set.ttl, rd)) {
        PutRecord(&removed_, name, type, set.ttl, rd);
        ++n_removed_;
      }
  for (const auto& [type, set] : after)
    for (const std::string& rd : set.rdatas)
      if (!in(before, type, set.ttl, rd)) {
        PutRecord(&added_, name, type, set.ttl, rd);
        ++n_added_;
      }
}

std::string JournalBuilder::Finish(uint32_t old_serial, uint32_t new_serial) const {
  std::string out;
  Append32(&out, old_serial);
  Append32(&out, new_serial);
  Append32(&out, n_removed_);
  out += removed_;
  Append32(&out, n_added_);
  out += added_;
  return out;
}

Result<CommitResult> ZoneTransaction::Commit(SerialPolicy policy, int64_t now,
                                             const store::JournalLimits& limits, bool sync) {
  if (done_) return Status::Error("transaction already committed");
  done_ = true;
  CommitResult result;
  result.meta = meta_;
  if (!changed()) return result;

  // Keys whose data changed, deepest first (so that pruning sees what went
  // below), then the structure around them.
  std::vector<std::string> changed;
  for (const auto& [key, e] : entries_)
    if (!SameSets(e.before.rrsets, e.after.rrsets)) changed.push_back(key);
  std::sort(changed.begin(), changed.end(), [](const std::string& a, const std::string& b) {
    int la = store::KeyLabelCount(a), lb = store::KeyLabelCount(b);
    return la != lb ? la > lb : a < b;
  });
  for (const std::string& key : changed) {
    Entry& e = entries_.at(key);
    Status st = e.after.rrsets.empty() ? PruneEmpty(key) : CreateAncestors(key);
    if (!st.ok()) return st;
  }
  for (const std::string& key : changed) {
    if (key.empty()) continue;
    const Entry& e = entries_.at(key);
    if (e.before.rrsets.count(kNS) != e.after.rrsets.count(kNS) && e.after.exists) {
      Status st = FixCuts(key);
      if (!st.ok()) return st;
    }
  }
  Status st = BumpSerial(policy, now, &result);
  if (!st.ok()) return st;

  std::vector<store::ZoneStore::NodeChange> changes;
  int64_t names = 0, records = 0;
  for (auto& [key, e] : entries_) {
    const Node& b = e.before;
    const Node& a = e.after;
    names += (a.exists && !a.rrsets.empty()) - (b.exists && !b.rrsets.empty());
    records +=
        static_cast<int64_t>(RecordCount(a.rrsets)) - static_cast<int64_t>(RecordCount(b.rrsets));
    if (a.exists == b.exists && a.flags == b.flags && a.cut_labels == b.cut_labels &&
        SameSets(a.rrsets, b.rrsets))
      continue;
    if (!a.exists && !b.exists) continue;
    if (a.exists) {
      uint8_t flags = a.flags;
      if (key.empty()) flags |= store::kNodeApex;
      changes.push_back({key, Encode(flags, a.cut_labels, a.rrsets)});
    } else {
      changes.push_back({key, std::nullopt});
    }
    result.changed_keys.push_back(key);
  }
  meta_.names = static_cast<uint64_t>(static_cast<int64_t>(meta_.names) + names);
  meta_.records = static_cast<uint64_t>(static_cast<int64_t>(meta_.records) + records);
  const std::string journal = JournalEntry(result.old_serial, result.new_serial);
  store::ZoneStore::ChangeOptions options;
  options.journal = &journal;
  options.limits = limits;
  options.sync = sync;
  options.written = &result.meta;
  st = store_->ApplyChanges(meta_, changes, options);
  if (!st.ok()) return st;
  result.changed = true;
  return result;
}

bool DecodeJournalEntry(std::string_view v, JournalDiff* out) {
  auto take32 = [&](uint32_t* x) {
    if (v.size() < 4) return false;
    *x = Load32(reinterpret_cast<const uint8_t*>(v.data()));
    v.remove_prefix(4);
    return true;
  };
  auto records = [&](std::vector<JournalRecord>* list) {
    uint32_t n;
    if (!take32(&n)) return false;
    for (uint32_t i = 0; i < n; ++i) {
      JournalRecord r;
      size_t len = dns::WireNameLength(reinterpret_cast<const uint8_t*>(v.data()), v.size());
      if (len == 0 || v.size() < len + 8) return false;
      r.owner.assign(v.data(), len);
      v.remove_prefix(len);
      auto p = reinterpret_cast<const uint8_t*>(v.data());
      r.type = Load16(p);
      r.ttl = Load32(p + 2);
      uint16_t rdlen = Load16(p + 6);
      v.remove_prefix(8);
      if (v.size() < rdlen) return false;
      r.rdata.assign(v.data(), rdlen);
      v.remove_prefix(rdlen);
      list->push_back(std::move(r));
    }
    return true;
  };
  *out = JournalDiff();
  return take32(&out->old_serial) && take32(&out->new_serial) && records(&out->removed) &&
         records(&out->added) && v.empty();
}

}  // namespace enumd::zone
