// What `enumctl status` shows of a running enumd (the control socket's 'S'
// request): the process, its listeners, the store, each zone, and the
// counters it keeps, as a human table or as JSON (`enumctl status --json`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace enumd::daemon {

struct StatusReport {
  std::string version;
  int64_t pid = 0;
  int64_t started_unix = 0, now_unix = 0;
  std::vector<std::string> listeners;  // "127.0.0.1:53 udp+tcp"
  int workers = 0;
  std::string store;
  std::string read_only;  // why the store is read-only; "" = read-write

  struct Zone {
    std::string origin, wildcards, file;
    uint32_t serial = 0;
    uint64_t names = 0, records = 0, journal_changes = 0, journal_bytes = 0;
    // A secondary zone (zones[].primaries): its last good refresh (0: none),
    // when it is checked next, whether it has expired, the last failure.
    bool secondary = false;
    int64_t refreshed_unix = 0, next_check_unix = 0;
    bool expired = false;
    std::string refresh_error = {};
  };
  std::vector<Zone> zones;

  // A named counter, in a group ("queries", "updates", "tcp", ...).
  struct Counter {
    std::string group, name;
    uint64_t value = 0;
  };
  std::vector<Counter> counters;
  // Groups that exist but are not counted, with why ("queries": "metrics off").
  std::vector<std::pair<std::string, std::string>> not_counted;
};

std::string RenderText(const StatusReport& r);
std::string RenderJson(const StatusReport& r);
// A JSON string literal of `s` (quotes and escapes; bytes >= 0x80 pass as is).
std::string JsonString(const std::string& s);

}  // namespace enumd::daemon
