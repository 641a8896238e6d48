#include "daemon/config_check.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "dns/name.h"
#include "dns/tsig_key_file.h"
#include "store/zone_store.h"
#include "zone/zone_importer.h"

namespace enumd::daemon {

namespace {

std::string LowerWire(const std::string& origin_text) {
  std::string wire = dns::WireName(origin_text);
  dns::LowerName(reinterpret_cast<uint8_t*>(wire.data()));
  return wire;
}

}  // namespace

CheckVerdict CheckConfig(const config::Config& config, FILE* out, FILE* err) {
  int problems = 0;
  bool would_start = true;
  // `fatal`: enumd would not start because of it.
  auto problem = [&](const std::string& text, bool fatal) {
    fflush(out);  // in order when both go to one terminal or file
    fprintf(err, "enumd: %s\n", text.c_str());
    ++problems;
    if (fatal) would_start = false;
  };

  // The store: opened read-only when it is there, so a running enumd (which
  // holds the write lock) does not make the check fail.
  std::unique_ptr<store::ZoneStore> store;
  std::error_code ec;
  // A relative store is relative to where enumd starts: show where that is.
  const std::string where = std::filesystem::absolute(config.store, ec).lexically_normal();
  if (!std::filesystem::exists(config.store, ec) ||
      (std::filesystem::is_directory(config.store, ec) &&
       std::filesystem::is_empty(config.store, ec))) {
    fprintf(out, "store %s: not there yet; enumd creates it at start\n", where.c_str());
  } else {
    store::ZoneStore::Options o;
    o.block_cache_bytes = 1 << 20;  // a few point reads
    auto opened = store::ZoneStore::Open(config.store, store::ZoneStore::Mode::kReadOnly, o);
    if (!opened.ok()) {
      problem(opened.status().message(), true);
    } else {
      store = std::move(opened.value());
      fprintf(out, "store %s: %zu zone(s)\n", where.c_str(), store->Zones().size());
    }
  }
  auto stored = [&](const std::string& origin) -> std::optional<store::ZoneMeta> {
    if (!store) return std::nullopt;
    return store->FindZone(LowerWire(origin));
  };

  if (config.zones.empty()) {
    fprintf(out, "no zones configured: enumd serves every zone in the store%s\n",
            store && !store->Zones().empty() ? "" : " (none: every query gets REFUSED)");
  }
  // The keys the key files hold (names, wire, lower-case): a primary's key
  // must be among them, or enumd does not start.
  std::set<std::string> keys;
  for (const std::string& file : config.key_files)
    if (auto loaded = dns::LoadTsigKeyFile(file); loaded.ok())
      for (const dns::TsigKey& k : *loaded) keys.insert(k.name);
  int zones_ok = 0;
  for (const config::ZoneConfig& zc : config.zones) {
    const std::optional<store::ZoneMeta> meta = stored(zc.origin);
    if (zc.secondary()) {
      // Transferred from its primaries: nothing to read here but the keys.
      std::string from;
      bool keys_ok = true;
      for (const config::PrimaryConfig& p : zc.primaries) {
        from += (from.empty() ? "" : ", ") + p.host + " port " + std::to_string(p.port) +
                (p.key.empty() ? "" : " key " + p.key);
        if (!p.key.empty() && !keys.count(LowerWire(p.key))) {
          problem("zone " + zc.origin + ": primary " + p.host + " key " + p.key +
                      " is in no key file (keys:)",
                  true);
          keys_ok = false;
        }
      }
      if (!keys_ok) continue;
      if (meta)
        fprintf(out, "zone %s: secondary of %s; serial %u, %llu records in the store: OK\n",
                zc.origin.c_str(), from.c_str(), meta->serial,
                static_cast<unsigned long long>(meta->records));
      else
        fprintf(out,
                "zone %s: secondary of %s; not in the store yet: transferred at start "
                "(SERVFAIL until then): OK\n",
                zc.origin.c_str(), from.c_str());
      ++zones_ok;
      continue;
    }
    if (zc.file.empty()) {
      if (!meta) {
        problem("zone " + zc.origin + ": no file, and the store " + where +
                    " does not hold it; give the zone a file: or import it with enumctl",
                true);
        continue;
      }
      fprintf(out, "zone %s: serial %u, %llu names, %llu records in the store: OK\n",
              zc.origin.c_str(), meta->serial, static_cast<unsigned long long>(meta->names),
              static_cast<unsigned long long>(meta->records));
      ++zones_ok;
      continue;
    }
    auto r = zone::CheckZoneFile(zc.file, zc.origin);
    if (!r.ok()) {
      std::string text = "zone " + zc.origin + ": " + r.status().message();
      if (meta)
        text += " (enumd keeps serving the stored serial " + std::to_string(meta->serial) +
                " until the file is fixed)";
      else
        text += " (the store has no copy: enumd would not start)";
      problem(text, !meta);
      continue;
    }
    fprintf(out, "zone %s: serial %u, %llu names, %llu records from %s: OK\n", zc.origin.c_str(),
            r->meta.serial, static_cast<unsigned long long>(r->meta.names),
            static_cast<unsigned long long>(r->meta.records), zc.file.c_str());
    ++zones_ok;
  }
  if (problems == 0) {
    fprintf(out, "configuration OK: %d zone(s)\n", zones_ok);
    return CheckVerdict::kOk;
  }
  fprintf(
      out, "configuration has %d problem(s); %d of %zu zone(s) OK; enumd %s\n", problems, zones_ok,
      config.zones.size(),
      would_start ? "would start and serve the stored version of the others" : "would not start");
  return would_start ? CheckVerdict::kServesStored : CheckVerdict::kWouldNotStart;
}

}  // namespace enumd::daemon
