// Helpers shared by the zone import/update/export unit tests: scratch
// directories, an in-memory store, imports of zone text, and a dump of a
// zone's nodes as text so that tests compare readable strings. Tests only.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dns/name.h"
#include "store/name_key.h"
#include "store/node.h"
#include "store/zone_store.h"
#include "zone/zone_exporter.h"
#include "zone/zone_importer.h"

namespace enumd::zone::testing {

// The repository's copy of the ENUM playground zone (origin e164.arpa.).
inline const std::string kPlaygroundZone =
    std::string(ENUMD_SOURCE_DIR) + "/zones/playground/e164.arpa.db";

// A scratch directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/enumd_zone_test_XXXXXX";
    const char* p = mkdtemp(tmpl);
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` to `name` (relative; directories created); returns the full path.
  std::string Write(const std::string& name, const std::string& content) const {
    std::string full = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(full).parent_path());
    std::ofstream(full, std::ios::binary) << content;
    return full;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `readers`: the domain whose read sections hold the store's views (as the
// daemon's registry's); null: none.
inline std::unique_ptr<store::ZoneStore> OpenMemoryStore(EpochDomain* readers = nullptr) {
  store::ZoneStore::Options o;
  o.in_memory = true;
  o.readers = readers;
  auto r = store::ZoneStore::Open("/mem/store", store::ZoneStore::Mode::kReadWrite, o);
  REQUIRE(r.ok());
  return std::move(r.value());
}

// Lower-case wire form of a text origin ("e164.arpa.").
inline std::string OriginWire(const std::string& text) {
  std::string w = dns::WireName(text);
  dns::LowerName(reinterpret_cast<uint8_t*>(w.data()));
  return w;
}

// The zone header used by many tests: 4 lines, so a test's first record is on line 5.
inline constexpr const char* kHead =
    "$ORIGIN e164.arpa.\n"
    "$TTL 3600\n"
    "@ IN SOA ns.e164.arpa. hostmaster.e164.arpa. 7 3600 600 86400 60\n"
    "@ IN NS ns.example.net.\n";

// NAPTR rdata: ORDER 100 "u" "E2U+sip" "!^.*$!URI!" .
inline std::string NaptrRdata(uint16_t order, const std::string& uri) {
  std::string rd;
  rd.push_back(static_cast<char>(order >> 8));
  rd.push_back(static_cast<char>(order));
  rd += std::string("\x00\x64", 2);
  rd += "\x01u";
  rd +=
      "\x07"
      "E2U+sip";
  std::string re = "!^.*$!" + uri + "!";
  rd.push_back(static_cast<char>(re.size()));
  rd += re;
  rd.push_back('\0');
  return rd;
}

// A rdata 10.0.0.`last`.
inline std::string ARdata(uint8_t last) {
  return std::string("\x0a\x00\x00", 3) + static_cast<char>(last);
}

// One node of a zone, as text.
struct NodeDump {
  uint8_t flags = 0;
  int cut_labels = 0;
  std::vector<std::string> records;  // RecordToText lines, in store order
  bool operator==(const NodeDump&) const = default;
};
using ZoneDump = std::map<std::string, NodeDump>;  // by owner name text

// Every node (empty non-terminals included) of the current version of `origin_text`.
inline ZoneDump DumpZone(const store::ZoneStore& s, const std::string& origin_text) {
  ZoneDump out;
  std::string origin = OriginWire(origin_text);
  auto meta = s.FindZone(origin);
  REQUIRE(meta.has_value());
  auto o = reinterpret_cast<const uint8_t*>(origin.data());
  Status st = s.ForEachNode(meta->generation, "", [&](std::string_view key, std::string_view v) {
    uint8_t owner[dns::kMaxNameWire];
    REQUIRE(store::KeyToName(key, o, origin.size(), owner) != 0);
    store::NodeView node;
    REQUIRE(node.Parse(v));
    NodeDump d;
    d.flags = node.flags();
    d.cut_labels = node.cut_labels();
    store::RRsetView rs;
    for (int i = 0; i < node.rrset_count(); ++i) {
      REQUIRE(node.At(i, &rs));
      size_t pos = 0;
      const uint8_t* rd;
      uint16_t len;
      while (rs.NextRdata(&pos, &rd, &len))
        d.records.push_back(RecordToText(owner, rs.type, rs.ttl, rd, len));
    }
    out[dns::NameToText(owner)] = d;
    return true;
  });
  REQUIRE(st.ok());
  return out;
}

// All records of a dump, sorted: a zone's record set.
inline std::vector<std::string> RecordSet(const ZoneDump& dump) {
  std::vector<std::string> out;
  for (const auto& [name, node] : dump)
    out.insert(out.end(), node.records.begin(), node.records.end());
  std::sort(out.begin(), out.end());
  return out;
}

// Imports `text` (written to dir/name) into `s`.
inline Result<ImportResult> ImportText(store::ZoneStore* s, const TempDir& dir,
                                       const std::string& text, const std::string& origin = "",
                                       const std::string& name = "zone.db") {
  ImportOptions o;
  o.origin = origin;
  return ImportZoneFile(s, dir.Write(name, text), o);
}

// The zone exported to a string.
inline std::string ExportToString(const store::ZoneStore& s, const std::string& origin,
                                  const ExportOptions& options = ExportOptions()) {
  char* buf = nullptr;
  size_t size = 0;
  FILE* f = open_memstream(&buf, &size);
  REQUIRE(f != nullptr);
  Status st = ExportZone(s, origin, f, options);
  fclose(f);
  std::string out(buf, size);
  free(buf);
  REQUIRE(st.ok());
  return out;
}

// The zone as changed (by updates) must equal a fresh import of its own
// export: the same names (empty non-terminals included), flags, records and
// counters.
inline void CheckEqualsReimport(const store::ZoneStore& s, const std::string& origin_text) {
  std::string text = ExportToString(s, origin_text);
  TempDir d;
  auto fresh = OpenMemoryStore();
  auto r = ImportText(fresh.get(), d, text);
  INFO(text);
  REQUIRE(r.ok());
  ZoneDump mine = DumpZone(s, origin_text);
  ZoneDump theirs = DumpZone(*fresh, origin_text);
  CHECK(mine.size() == theirs.size());
  for (const auto& [name, node] : theirs) {
    INFO(name);
    REQUIRE(mine.count(name));
    CHECK(mine.at(name).flags == node.flags);
    CHECK(mine.at(name).cut_labels == node.cut_labels);
    CHECK(mine.at(name).records == node.records);
  }
  auto meta = s.FindZone(OriginWire(origin_text));
  REQUIRE(meta.has_value());
  CHECK(meta->names == r->meta.names);
  CHECK(meta->records == r->meta.records);
}

}  // namespace enumd::zone::testing
