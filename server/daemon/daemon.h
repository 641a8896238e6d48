// Daemon: enumd as a library. Opens the store, brings zones up to date with
// their files (importing only what is missing or changed, so start-up costs
// nothing proportional to zone size otherwise), publishes the zone table,
// runs the network front end, and reloads on request.
//
// Threads:
//  - the caller (main: signals) calls Start, RequestReload and Stop;
//  - one writer thread does every change: reloads (zone re-imports, the
//    configuration's live settings), publishing zone tables, dropping
//    replaced store generations once no query can read them (the zone
//    registry's EpochDomain: never on a timer), and periodic log lines;
//  - the network workers answer queries from the published zone table.
// A long import never holds up the signal thread: Stop cancels it, and the
// version being served stays.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "daemon/log.h"

namespace enumd::daemon {

class Daemon {
 public:
  explicit Daemon(config::Config config);
  ~Daemon();

  // Opens the store (read-only, with a warning, when the disk is too full to
  // open it for writing), imports what is missing or changed, starts serving
  // and the writer thread. Fails when a configured zone cannot be served.
  Status Start();
  // SIGHUP: returns at once. The writer thread takes `config` as the new
  // configuration (zones added, removed or changed, log_level; other keys are
  // named in the log as waiting for a restart), re-imports zone files that
  // changed, and publishes the result. A zone whose new version fails keeps
  // its old one. Requests that arrive while a reload runs make one more
  // reload, with the newest configuration. Returns the request's number
  // (1, 2, ...): reloads_done() reaches it when a reload that took this
  // request's configuration (or a newer one) has finished.
  uint64_t RequestReload(config::Config config);
  uint64_t reloads_done() const;
  // SIGTERM: returns at once, from any thread, also while Start runs (a
  // long import at start-up then fails with "import cancelled" and Start
  // returns an error; stop_requested() tells that apart). An import in
  // progress gives up and its zone keeps the version served.
  void RequestStop();
  bool stop_requested() const;
  // Cancels an import in progress (its zone keeps the version served),
  // finishes the writer thread, stops the listeners. Idempotent. Not
  // concurrently with Start.
  void Stop();
  // The number of zones served when every one answers a SOA query
  // authoritatively (asked through a Responder, not the network); else which
  // zone does not. For readiness (systemd READY=1). Control thread.
  Result<size_t> ZonesAnswer() const;

  std::vector<uint16_t> ports() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace enumd::daemon
