#include "daemon/log.h"

#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "common/clock.h"
#include "dns/name.h"
#include "query/responder.h"

namespace enumd::daemon {

namespace {

std::atomic<int> g_log_level{static_cast<int>(LogLevel::kInfo)};

// A wire name as text into `out`, without allocating (logs only).
void NameText(const uint8_t* name, char* out, size_t cap) {
  size_t o = 0;
  auto put = [&](char c) {
    if (o + 1 < cap) out[o++] = c;
  };
  if (*name == 0) put('.');
  for (const uint8_t* p = name; *p != 0 && static_cast<size_t>(p - name) < dns::kMaxNameWire;
       p += 1 + *p) {
    for (int i = 1; i <= *p; ++i) {
      uint8_t c = p[i];
      if (c == '.' || c == '\\' || c <= ' ' || c >= 0x7f) {
        char esc[5];
        snprintf(esc, sizeof(esc), c == '.' || c == '\\' ? "\\%c" : "\\%03u",
                 c == '.' || c == '\\' ? c : static_cast<unsigned>(c));
        for (char* e = esc; *e; ++e) put(*e);
      } else {
        put(static_cast<char>(c));
      }
    }
    put('.');
  }
  out[o] = 0;
}

}  // namespace

void SetLogLevel(LogLevel level) { g_log_level = static_cast<int>(level); }

LogLevel ParseLogLevel(const std::string& name) {
  if (name == "error") return LogLevel::kError;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "debug") return LogLevel::kDebug;
  return LogLevel::kInfo;
}

void Log(LogLevel level, const char* format, ...) {
  if (static_cast<int>(level) > g_log_level) return;
  static const char* kNames[] = {"error", "warning", "info", "debug"};
  char when[32];
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  char line[2048];
  va_list ap;
  va_start(ap, format);
  vsnprintf(line, sizeof(line), format, ap);
  va_end(ap);
  fprintf(stdout, "%s %s: %s\n", when, kNames[static_cast<int>(level)], line);
  fflush(stdout);
}

void ServeErrorLog::Report(const query::ServeError& e) noexcept {
  (e.oversize ? oversize_ : store_errors_).fetch_add(1, std::memory_order_relaxed);
  const int64_t now = ClockNs(CLOCK_MONOTONIC);
  int64_t next = next_ns_.load(std::memory_order_relaxed);
  if (now < next || !next_ns_.compare_exchange_strong(next, now + kIntervalNs)) {
    unlogged_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t more = unlogged_.exchange(0, std::memory_order_relaxed);
  char zone[1024], name[1024], tail[128] = "";
  NameText(e.zone, zone, sizeof(zone));
  NameText(e.name, name, sizeof(name));
  if (more != 0)
    snprintf(tail, sizeof(tail), " (%llu more such answers since the last report)",
             static_cast<unsigned long long>(more));
  if (e.oversize)
    Log(LogLevel::kError,
        "zone %s: %s: answered SERVFAIL over TCP: %s (the zone holds an RRset no DNS message can "
        "carry; split it)%s",
        zone, name, e.reason, tail);
  else
    Log(LogLevel::kError,
        "zone %s: %s: answered SERVFAIL: the store cannot be read: %s (run `enumctl verify`; "
        "%llu store errors in all)%s",
        zone, name, e.reason, static_cast<unsigned long long>(store_errors()), tail);
}

}  // namespace enumd::daemon
