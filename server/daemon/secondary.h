// Secondary: enumd following primaries for the zones configured with
// zones[].primaries (RFC 1034 §4.3.5, RFC 1996). One thread checks each
// zone's primary when its timer is due (refresh_timers.h: at start when
// the store has no copy or the last check is a refresh ago, every refresh
// after a good check, every retry after a failed one) or at once after an
// accepted NOTIFY (Poke): it asks each primary in order for its SOA and,
// when the serial is newer (RFC 1982), transfers the zone (PrimaryClient:
// IXFR from the stored serial when there is one, else AXFR) and has the
// writer thread apply it (IncomingTransfer::Apply; an incremental one that
// does not apply is followed at once by an AXFR). Nothing is applied before
// the transfer is whole; a failed check or transfer is logged with the zone
// and the primary, the served version stays, and the zone is retried.
//
// Each good check (up to date, or a transfer applied) is written to the
// zone's meta (ZoneMeta::refreshed_at), so timers and expire continue across
// a restart and a restarted enumd does not transfer again. A zone whose last
// good check is `expire` ago, or that has no version yet, is expired: the
// daemon serves it SERVFAIL (as BIND and Knot do) until a check succeeds.
//
// Thread-safe: Configure, Poke, Expired, Report and Stop from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "config/config.h"
#include "daemon/primary_client.h"
#include "daemon/refresh_timers.h"
#include "dns/tsig_key.h"
#include "store/zone_store.h"

namespace enumd::daemon {

class Secondary {
 public:
  struct Zone {
    std::string origin;  // wire, lower-case
    std::string name;    // as configured, for logs
    std::vector<config::PrimaryConfig> primaries;
    uint32_t timeout_s = 300;
    uint64_t max_bytes = uint64_t{1} << 30;
    store::JournalLimits journal;
  };
  struct Hooks {
    // Runs fn on the writer thread and waits; false when enumd is stopping.
    std::function<bool(const std::function<void()>&)> on_writer;
    // On the writer thread: serve the store's zones as they now are, and
    // the expired flags (the daemon's zone table).
    std::function<Status()> publish;
    std::string temp_dir;                       // the importer's spill directory
    const std::atomic<bool>* cancel = nullptr;  // an import in progress stops
  };
  // What `enumctl status` shows of a secondary zone.
  struct ZoneReport {
    std::string origin;  // wire, lower-case
    int64_t refreshed_at = 0;
    int64_t next_check = 0;
    bool expired = false;
    std::string last_error;  // "" after a good check
  };

  // `store` outlives the secondary.
  Secondary(store::ZoneStore* store, Hooks hooks);
  ~Secondary();
  Secondary(const Secondary&) = delete;
  Secondary& operator=(const Secondary&) = delete;

  Status Start();
  // The secondary zones and the keys their primaries use (replacing the
  // previous set; a zone that stays keeps its timers).
  void Configure(std::vector<Zone> zones, dns::TsigKeyRing keys);
  // A NOTIFY for `origin` (wire, lower-case) was accepted: check it now.
  void Poke(const std::string& origin);
  // Whether `origin` is a secondary zone that must not be served.
  bool Expired(const std::string& origin) const;
  std::vector<ZoneReport> Report() const;
  void Stop();

  // What the secondary has done since start (/metrics, `enumctl status`).
  struct Counters {
    uint64_t checks_up_to_date = 0, checks_newer = 0, checks_failed = 0;  // SOA queries
    uint64_t transfers_applied[2] = {}, transfers_failed[2] = {};         // [0] AXFR, [1] IXFR
    uint64_t records = 0, bytes = 0;  // received by the transfers applied
  };
  Counters counters() const;

 private:
  struct State {
    Zone zone;
    RefreshState timers;
    RefreshTimers soa{3600, 600, 86400};  // the SOA's, once the zone has one
    int64_t stored_at = 0;
    bool poked = false;
    bool expired = true;
    std::string last_error;
  };
  void Run();
  // Loads what the store says of the zone (version, SOA timers, last check).
  void Load(State* s);
  // One check of the zone with its primaries; true when one answered.
  bool Check(const Zone& zone, std::string* error);
  // One transfer from `p` and its application. What failed, if anything:
  // kAnswer also covers an IXFR that does not apply to the zone held.
  PrimaryClient::Failure TransferFrom(const Zone& zone, const config::PrimaryConfig& p, bool ixfr,
                                      std::string* error);
  // Writer thread: records a good check in the zone's meta.
  Status MarkRefreshed(const std::string& origin, int64_t now);
  bool UpdateExpired(int64_t now);  // under mu_; true when a flag changed

  store::ZoneStore* store_;
  Hooks hooks_;
  int wake_[2] = {-1, -1};  // pipe: Stop writes to [1]; sockets give up
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, State> zones_;  // under mu_, by origin
  dns::TsigKeyRing keys_;               // under mu_
  bool stopping_ = false;               // under mu_

  // The counters: only the secondary's thread writes them.
  std::atomic<uint64_t> checks_up_to_date_{0}, checks_newer_{0}, checks_failed_{0};
  std::atomic<uint64_t> transfers_applied_[2] = {}, transfers_failed_[2] = {};
  std::atomic<uint64_t> records_{0}, bytes_{0};
};

}  // namespace enumd::daemon
