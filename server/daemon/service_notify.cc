#include "daemon/service_notify.h"

#include <systemd/sd-daemon.h>

#include "daemon/log.h"

namespace enumd::daemon {

namespace {

void Send(const std::string& message) {
  // 0 = no $NOTIFY_SOCKET, < 0 = the manager went away: neither stops enumd
  // (a notify message is advice; serving matters more).
  sd_notify(0, message.c_str());
}

// STATUS= is one line.
std::string StatusLine(const std::string& status) {
  std::string line = status;
  for (char& c : line)
    if (c == '\n') c = ' ';
  return "STATUS=" + line;
}

}  // namespace

void NotifyReady(const std::string& status) { Send("READY=1\n" + StatusLine(status)); }
void NotifyReloading() { Send("RELOADING=1\n" + StatusLine("reloading")); }
void NotifyStopping() { Send("STOPPING=1\n" + StatusLine("stopping")); }
void NotifyStatus(const std::string& status) { Send(StatusLine(status)); }

void Readiness::Check(uint64_t reloads_done) {
  if (ready_ || reloads_done < reload_) return;
  Result<size_t> zones = probe_();
  if (!zones.ok()) {
    if (zones.status().message() != not_ready_)
      Log(LogLevel::kWarning, "not ready: %s", zones.status().message().c_str());
    not_ready_ = zones.status().message();
    return;
  }
  ready_ = true;
  not_ready_.clear();
  NotifyReady("serving " + std::to_string(*zones) + " zone(s)");
}

void Readiness::Reloading(uint64_t reload) {
  ready_ = false;
  reload_ = reload;
  NotifyReloading();
}

}  // namespace enumd::daemon
