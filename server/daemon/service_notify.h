// ServiceNotify: tells the service manager where enumd is, through systemd's
// sd_notify protocol (libsystemd), for a Type=notify unit
// (packaging/enumd.service):
//   READY=1      once every zone answers (daemon::ProbeZones), not before:
//                `systemctl start` returns, and units ordered After=enumd
//                start, only when queries get answers;
//   RELOADING=1  from SIGHUP until the reload is done (then READY=1 again);
//   STOPPING=1   when SIGTERM/SIGINT starts the shutdown;
//   STATUS=...   one line `systemctl status` shows.
// Without $NOTIFY_SOCKET (enumd not started by systemd) every call does
// nothing. Control thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"

namespace enumd::daemon {

void NotifyReady(const std::string& status);
void NotifyReloading();
void NotifyStopping();
void NotifyStatus(const std::string& status);

// The readiness state of the signal loop: READY=1 once `probe` (the number
// of zones, all answering; Daemon::ZonesAnswer) succeeds and no reload is
// pending; while the probe fails, each Check() asks again and each new
// reason is logged once.
class Readiness {
 public:
  explicit Readiness(std::function<Result<size_t>()> probe) : probe_(std::move(probe)) {}
  // `reloads_done`: Daemon::reloads_done(). Sends READY=1 when not ready,
  // the reload asked for last is done, and the probe succeeds.
  void Check(uint64_t reloads_done);
  // A reload was asked for (Daemon::RequestReload's number): RELOADING=1;
  // READY=1 again once it is done and every zone answers.
  void Reloading(uint64_t reload);
  void Stopping() { NotifyStopping(); }

 private:
  std::function<Result<size_t>()> probe_;
  bool ready_ = false;
  uint64_t reload_ = 0;    // the reload to wait for
  std::string not_ready_;  // the reason last logged
};

}  // namespace enumd::daemon
