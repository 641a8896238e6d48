// Daemon: enumd as a library. Opens the store, brings zones up to date with
// their files (importing only what is missing or changed, so start-up costs
// nothing proportional to zone size otherwise), publishes the zone table,
// runs the network front end, and reloads on request.
//
// Threads: Start/Reload/Tick/Stop are called from one control thread (main);
// queries run on the network workers and read the published zone table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace enumd::daemon {

class Daemon {
 public:
  explicit Daemon(config::Config config);
  ~Daemon();

  Status Start();
  // SIGHUP: re-imports zone files that changed since their import, then
  // publishes the new zone table. Queries keep being answered throughout.
  Status Reload();
  // Periodic housekeeping from the control thread (about once a second):
  // frees zone tables and store generations no query can still be using.
  void Tick();
  void Stop();

  std::vector<uint16_t> ports() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Logging to stdout, one line per event, with a level filter.
enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };
void SetLogLevel(LogLevel level);
LogLevel ParseLogLevel(const std::string& name);
void Log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace enumd::daemon
