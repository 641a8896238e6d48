// The daemon's log: one line per event on stdout, with a level filter, safe
// from any thread (each line is one locked stdio write). ServeErrorLog turns
// the SERVFAILs that the data causes (a store read that failed, an RRset too
// big for any message) into rate-limited log lines with zone and name, and
// counts them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace enumd::query {
struct ServeError;
}

namespace enumd::daemon {

enum class LogLevel { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };
void SetLogLevel(LogLevel level);
LogLevel ParseLogLevel(const std::string& name);
void Log(LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

class ServeErrorLog {
 public:
  // At most one line per interval; the lines between are counted and the
  // next line says how many there were.
  static constexpr int64_t kIntervalNs = 1000000000;

  // From any query thread, only when a query met such an error.
  void Report(const query::ServeError& error) noexcept;
  uint64_t store_errors() const { return store_errors_.load(std::memory_order_relaxed); }
  uint64_t oversize() const { return oversize_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> store_errors_{0};
  std::atomic<uint64_t> oversize_{0};
  std::atomic<uint64_t> unlogged_{0};
  std::atomic<int64_t> next_ns_{0};
};

}  // namespace enumd::daemon
