// See store_verify.h.
#include "store/store_verify.h"

#include <set>

#include "dns/constants.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "store/node.h"

namespace enumd::store {

namespace {

std::string Text(const std::string& origin_wire) {
  const auto* o = reinterpret_cast<const uint8_t*>(origin_wire.data());
  return dns::WireNameLength(o, origin_wire.size()) == origin_wire.size()
             ? dns::NameToText(o)
             : std::string("(unreadable name)");
}

void VerifyZone(const ZoneStore& store, const ZoneMeta& meta, VerifyReport* report) {
  const std::string zone = "zone " + Text(meta.origin);
  Status sound = store.CheckZone(meta);
  if (!sound.ok()) report->problems.push_back(sound.message());

  const auto* origin = reinterpret_cast<const uint8_t*>(meta.origin.data());
  std::vector<std::string> path;  // keys of the ancestors of the current name
  std::string last = "(none)";
  uint64_t names = 0, records = 0;
  Status st =
      store.ForEachNode(meta.generation, "", [&](std::string_view key, std::string_view value) {
        ++report->nodes;
        uint8_t wire[dns::kMaxNameWire];
        if (KeyToName(key, origin, meta.origin.size(), wire) == 0) {
          report->problems.push_back(zone + ": a key after " + last +
                                     " does not decode to a name of at most 255 octets");
          return true;
        }
        const std::string name = dns::NameToText(wire);
        last = name;
        NodeView node;
        if (!node.Parse(value)) {
          report->problems.push_back(zone + ": " + name + ": its node does not parse");
          return true;
        }
        if (!node.empty()) ++names;
        RRsetView rs;
        for (int i = 0; i < node.rrset_count(); ++i) {
          node.At(i, &rs);
          records += rs.count;
        }
        if (!key.empty()) {
          // Keys come in canonical order, ancestors first: the parent is the
          // deepest key on the path that is a prefix of this one.
          const int labels = KeyLabelCount(key);
          const std::string_view parent = key.substr(0, KeyPrefixLength(key, labels - 1));
          while (!path.empty() && key.substr(0, path.back().size()) != path.back()) path.pop_back();
          if (path.empty() || path.back() != parent)
            report->problems.push_back(
                zone + ": " + name +
                ": its parent name is missing (an empty non-terminal "
                "was lost; wildcard and NXDOMAIN answers below it are wrong)");
        } else if (!(node.flags() & kNodeApex)) {
          report->problems.push_back(zone + ": the apex node is not flagged as the apex");
        }
        path.emplace_back(key);
        return true;
      });
  if (!st.ok())
    report->problems.push_back(zone + ": reading stopped after " + last + ": " + st.message());
  report->records += records;
  if (st.ok() && (names != meta.names || records != meta.records))
    report->notes.push_back(zone + ": holds " + std::to_string(names) + " names and " +
                            std::to_string(records) + " records; its record says " +
                            std::to_string(meta.names) + " and " + std::to_string(meta.records));
}

}  // namespace

VerifyReport VerifyStore(const ZoneStore& store) {
  VerifyReport report;
  for (const auto& t : store.VerifyTables()) {
    ++report.tables;
    report.table_bytes += t.size;
    if (!t.error.empty())
      report.problems.push_back("table file " + t.file + " (level " + std::to_string(t.level) +
                                ", " + std::to_string(t.size) + " bytes) is damaged: " + t.error);
  }
  std::set<uint32_t> current;
  for (const auto& [origin, meta] : store.ZoneRecords()) {
    ++report.zones;
    if (!meta) {
      report.problems.push_back("zone " + Text(origin) + ": its record does not decode");
      continue;
    }
    current.insert(meta->generation);
    VerifyZone(store, *meta, &report);
  }
  for (const auto& [gen, origin] : store.Generations()) {
    if (!current.count(gen))
      report.notes.push_back("generation " + std::to_string(gen) + " (zone " + Text(origin) +
                             ") is left over from an import or a replaced version; the next "
                             "writer removes it");
  }
  return report;
}

}  // namespace enumd::store
