#include "daemon/status_report.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace enumd::daemon {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

namespace {

// The counters by group, the groups in the order they first appear.
std::vector<std::pair<std::string, std::vector<const StatusReport::Counter*>>> Groups(
    const StatusReport& r) {
  std::vector<std::pair<std::string, std::vector<const StatusReport::Counter*>>> out;
  for (const StatusReport::Counter& c : r.counters) {
    auto it =
        std::find_if(out.begin(), out.end(), [&c](const auto& g) { return g.first == c.group; });
    if (it == out.end()) it = out.insert(out.end(), {c.group, {}});
    it->second.push_back(&c);
  }
  return out;
}

}  // namespace

std::string RenderText(const StatusReport& r) {
  std::string out;
  char line[512];
  const int64_t up = r.now_unix - r.started_unix;
  snprintf(line, sizeof(line), "enumd %s, pid %lld, up %lldd %02lld:%02lld:%02lld\n",
           r.version.c_str(), static_cast<long long>(r.pid), static_cast<long long>(up / 86400),
           static_cast<long long>(up / 3600 % 24), static_cast<long long>(up / 60 % 60),
           static_cast<long long>(up % 60));
  out += line;
  for (const std::string& l : r.listeners) out += "listening on " + l + "\n";
  out += "workers " + std::to_string(r.workers) + "\n";
  out +=
      "store " + r.store + (r.read_only.empty() ? "" : " (read-only: " + r.read_only + ")") + "\n";
  for (const StatusReport::Zone& z : r.zones) {
    out += z.origin + "\tserial " + std::to_string(z.serial) + "\t" + std::to_string(z.names) +
           " names\t" + std::to_string(z.records) + " records\tjournal " +
           std::to_string(z.journal_changes) + " changes (" + std::to_string(z.journal_bytes) +
           " bytes)\t" + z.wildcards + (z.file.empty() ? "" : "\t" + z.file);
    if (z.secondary) {
      out += "\tsecondary, " +
             (z.refreshed_unix
                  ? "refreshed " + std::to_string(r.now_unix - z.refreshed_unix) + " s ago"
                  : std::string("never refreshed")) +
             ", next check in " +
             std::to_string(std::max<int64_t>(0, z.next_check_unix - r.now_unix)) + " s" +
             (z.expired ? ", EXPIRED (SERVFAIL)" : "") +
             (z.refresh_error.empty() ? "" : ", last failure: " + z.refresh_error);
    }
    out += "\n";
  }
  // Counters: one line per group, "group\tname value\t...".
  for (const auto& [group, counters] : Groups(r)) {
    out += group;
    for (const StatusReport::Counter* c : counters)
      out += "\t" + c->name + " " + std::to_string(c->value);
    out += "\n";
  }
  for (const auto& [group, why] : r.not_counted) out += group + "\t(" + why + ")\n";
  return out;
}

std::string RenderJson(const StatusReport& r) {
  std::string out = "{";
  out += "\"version\":" + JsonString(r.version);
  out += ",\"pid\":" + std::to_string(r.pid);
  out += ",\"started\":" + std::to_string(r.started_unix);
  out += ",\"uptime_seconds\":" + std::to_string(r.now_unix - r.started_unix);
  out += ",\"listeners\":[";
  for (size_t i = 0; i < r.listeners.size(); ++i)
    out += (i ? "," : "") + JsonString(r.listeners[i]);
  out += "],\"workers\":" + std::to_string(r.workers);
  out += ",\"store\":" + JsonString(r.store);
  out += ",\"read_only\":" + (r.read_only.empty() ? std::string("null") : JsonString(r.read_only));
  out += ",\"zones\":[";
  for (size_t i = 0; i < r.zones.size(); ++i) {
    const StatusReport::Zone& z = r.zones[i];
    out += std::string(i ? "," : "") + "{\"origin\":" + JsonString(z.origin) +
           ",\"serial\":" + std::to_string(z.serial) + ",\"names\":" + std::to_string(z.names) +
           ",\"records\":" + std::to_string(z.records) +
           ",\"journal_changes\":" + std::to_string(z.journal_changes) +
           ",\"journal_bytes\":" + std::to_string(z.journal_bytes) +
           ",\"wildcards\":" + JsonString(z.wildcards) + ",\"file\":" + JsonString(z.file) +
           ",\"role\":" + (z.secondary ? "\"secondary\"" : "\"primary\"");
    if (z.secondary)
      out += ",\"refreshed\":" +
             (z.refreshed_unix ? std::to_string(z.refreshed_unix) : std::string("null")) +
             ",\"next_check\":" + std::to_string(z.next_check_unix) +
             ",\"expired\":" + (z.expired ? "true" : "false") + ",\"refresh_error\":" +
             (z.refresh_error.empty() ? std::string("null") : JsonString(z.refresh_error));
    out += "}";
  }
  out += "],\"counters\":{";
  bool first_group = true;
  for (const auto& [group, counters] : Groups(r)) {
    out += (first_group ? "" : ",") + JsonString(group) + ":{";
    first_group = false;
    for (size_t i = 0; i < counters.size(); ++i)
      out +=
          (i ? "," : "") + JsonString(counters[i]->name) + ":" + std::to_string(counters[i]->value);
    out += "}";
  }
  out += "},\"not_counted\":{";
  for (size_t i = 0; i < r.not_counted.size(); ++i)
    out += (i ? "," : "") + JsonString(r.not_counted[i].first) + ":" +
           JsonString(r.not_counted[i].second);
  return out + "}}\n";
}

}  // namespace enumd::daemon
