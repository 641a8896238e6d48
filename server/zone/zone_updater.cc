#include "zone/zone_updater.h"

#include <rocksdb/slice.h>

#include <map>
#include <vector>

#include "dns/constants.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "store/node.h"

namespace enumd::zone {

namespace {

using RRsets = std::map<uint16_t, std::pair<uint32_t, std::vector<std::string>>>;

struct Node {
  bool exists = false;
  uint8_t flags = 0;
  int cut_labels = 0;
  RRsets rrsets;
};

Status ReadNode(const store::ZoneStore& store, uint32_t gen, std::string_view key, Node* out) {
  rocksdb::PinnableSlice v;
  *out = Node();
  store::ReadContext ctx;
  switch (store.GetNode(&ctx, gen, key, &v)) {
    case store::ReadStatus::kFound:
      break;
    case store::ReadStatus::kAbsent:
      return Status::OK();
    case store::ReadStatus::kError:
      return Status::Error(std::string("cannot read the store: ") + ctx.error());
  }
  store::NodeView view;
  if (!view.Parse(v.ToStringView())) return Status::Error("corrupt node in the store");
  out->exists = true;
  out->flags = view.flags();
  out->cut_labels = view.cut_labels();
  store::RRsetView rs;
  for (int i = 0; i < view.rrset_count(); ++i) {
    view.At(i, &rs);
    auto& [ttl, rdatas] = out->rrsets[rs.type];
    ttl = rs.ttl;
    size_t pos = 0;
    const uint8_t* rd;
    uint16_t len;
    while (rs.NextRdata(&pos, &rd, &len))
      rdatas.emplace_back(reinterpret_cast<const char*>(rd), len);
  }
  return Status::OK();
}

std::string Encode(const Node& n) {
  store::NodeWriter w(n.flags, n.cut_labels);
  for (const auto& [type, set] : n.rrsets) {
    w.BeginRRset(type, set.first);
    for (const std::string& rd : set.second) w.AddRdata(rd);
  }
  return w.Finish();
}

uint64_t RecordCount(const Node& n) {
  uint64_t c = 0;
  for (const auto& [type, set] : n.rrsets) c += set.second.size();
  return c;
}

// What both kinds of change start from: the zone's meta, the name's key
// and its current node (empty if the name does not exist).
struct Target {
  store::ZoneMeta meta;
  std::string key;
  Node node;
};

Result<Target> Locate(const store::ZoneStore& store, std::string_view origin, const uint8_t* owner,
                      uint16_t type) {
  if (type == dns::type::kSOA || type == dns::type::kNS)
    return Status::Error("SOA and NS records change the zone's shape: re-import the zone");
  auto meta = store.FindZone(origin);
  if (!meta) return Status::Error("no such zone in the store");
  auto o = reinterpret_cast<const uint8_t*>(origin.data());
  if (!dns::IsSubdomain(owner, o)) return Status::Error("the name is outside the zone");
  Target t;
  t.meta = *meta;
  uint8_t keybuf[store::kMaxNameKey];
  t.key.assign(reinterpret_cast<char*>(keybuf),
               store::NameToKey(owner, dns::LabelCount(o), keybuf));
  Status st = ReadNode(store, meta->generation, t.key, &t.node);
  if (!st.ok()) return st;
  return t;
}

}  // namespace

Status AddRecord(store::ZoneStore* store, std::string_view origin, const uint8_t* owner,
                 uint16_t type, uint32_t ttl, std::string_view rdata) {
  auto target = Locate(*store, origin, owner, type);
  if (!target.ok()) return target.status();
  const store::ZoneMeta& meta = target->meta;
  const std::string& key = target->key;
  Node& node = target->node;
  Status st;
  bool had_data = !node.rrsets.empty();
  if (auto same = node.rrsets.find(type); same != node.rrsets.end()) {
    for (const std::string& rd : same->second.second)
      if (rd == rdata) return Status::OK();  // already there (RFC 2136 §3.4.2.2)
  }
  if (type == dns::type::kCNAME ? (had_data && !node.rrsets.count(dns::type::kCNAME))
                                : node.rrsets.count(dns::type::kCNAME) > 0)
    return Status::Error("a CNAME cannot stand beside other data (RFC 1034 §3.6.2)");
  if (type == dns::type::kCNAME && node.rrsets.count(dns::type::kCNAME))
    return Status::Error("the name already has a CNAME");

  std::vector<store::ZoneStore::NodeChange> changes;
  if (!node.exists) {
    // Find the deepest existing ancestor (the apex always exists), then
    // create the missing ones as empty non-terminals, inheriting cut flags.
    int labels = store::KeyLabelCount(key);
    int l = labels - 1;
    Node anc;
    for (; l >= 0; --l) {
      st = ReadNode(*store, meta.generation, key.substr(0, store::KeyPrefixLength(key, l)), &anc);
      if (!st.ok()) return st;
      if (anc.exists) break;
    }
    if (l < 0) return Status::Error("the zone apex is missing from the store");
    uint8_t flags = 0;
    int cut = 0;
    if (anc.flags & store::kNodeBelowCut) {
      flags = store::kNodeBelowCut;
      cut = anc.cut_labels;
    } else if (anc.flags & store::kNodeDelegation) {
      flags = store::kNodeBelowCut;
      cut = l;
    }
    for (int k = l + 1; k < labels; ++k)
      changes.push_back(
          {key.substr(0, store::KeyPrefixLength(key, k)), store::NodeWriter(flags, cut).Finish()});
    node.exists = true;
    node.flags = flags;
    node.cut_labels = cut;
  }
  auto& [set_ttl, rdatas] = node.rrsets[type];
  set_ttl = ttl;
  rdatas.emplace_back(rdata);
  // An RRset no DNS message can carry would be answered SERVFAIL (issue 18).
  size_t rdata_bytes = 0;
  for (const std::string& rd : rdatas) rdata_bytes += rd.size();
  if (dns::MinAnswerSize(dns::WireNameLength(owner, dns::kMaxNameWire), rdatas.size(),
                         rdata_bytes) > dns::kMaxMessage)
    return Status::Error(
        "the name's RRset would be " +
        std::to_string(dns::MinAnswerSize(dns::WireNameLength(owner, dns::kMaxNameWire),
                                          rdatas.size(), rdata_bytes)) +
        " bytes in a DNS message, over the 65535 any message can hold");
  if (rdatas.size() > 0xffff)
    return Status::Error("the name's RRset would hold more than 65535 records");
  changes.push_back({key, Encode(node)});

  store::ZoneMeta m = meta;
  m.records += 1;
  if (!had_data) m.names += 1;
  return store->ApplyChanges(m, changes);
}

Result<uint64_t> DeleteRecords(store::ZoneStore* store, std::string_view origin,
                               const uint8_t* owner, uint16_t type) {
  auto target = Locate(*store, origin, owner, type);
  if (!target.ok()) return target.status();
  const store::ZoneMeta& meta = target->meta;
  const std::string& key = target->key;
  Node& node = target->node;
  Status st;
  uint64_t before = RecordCount(node);
  for (auto it = node.rrsets.begin(); it != node.rrsets.end();) {
    bool drop = type == 0 ? (it->first != dns::type::kSOA && it->first != dns::type::kNS)
                          : it->first == type;
    it = drop ? node.rrsets.erase(it) : std::next(it);
  }
  uint64_t removed = before - RecordCount(node);
  if (removed == 0) return uint64_t{0};

  std::vector<store::ZoneStore::NodeChange> changes;
  store::ZoneMeta m = meta;
  m.records -= removed;
  if (!node.rrsets.empty()) {
    changes.push_back({key, Encode(node)});
  } else {
    m.names -= 1;
    // Delete the name, and each empty ancestor left with no other descendant.
    // A node that still has descendants stays as an empty non-terminal.
    int labels = store::KeyLabelCount(key);
    for (int l = labels; l >= 1; --l) {
      std::string k = key.substr(0, store::KeyPrefixLength(key, l));
      Node n;
      if (l < labels) {
        st = ReadNode(*store, meta.generation, k, &n);
        if (!st.ok()) return st;
        if (!n.rrsets.empty()) break;
      }
      bool other = false;
      st = store->ForEachNode(meta.generation, k, [&](std::string_view d, std::string_view) {
        other = d != k && key.compare(0, d.size(), d) != 0;
        return !other;
      });
      if (!st.ok()) return st;
      if (other) {
        if (l == labels) changes.push_back({k, Encode(node)});  // keep as empty non-terminal
        break;
      }
      changes.push_back({k, std::nullopt});
    }
  }
  st = store->ApplyChanges(m, changes);
  if (!st.ok()) return st;
  return removed;
}

}  // namespace enumd::zone
