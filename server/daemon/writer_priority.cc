// See writer_priority.h.
#include "daemon/writer_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/clock.h"
#include "daemon/log.h"

namespace enumd::daemon {

bool WriterBudget::MayBoost(int64_t wall_ns, int64_t cpu_ns) noexcept {
  if (!started_) {
    started_ = true;
    window_wall_ = wall_ns;
    window_cpu_ = cpu_ns;
    return true;
  }
  const int64_t elapsed = wall_ns - window_wall_;
  if (elapsed >= window_ns_) {
    over_ = static_cast<double>(cpu_ns - window_cpu_) > budget_ * static_cast<double>(elapsed);
    window_wall_ = wall_ns;
    window_cpu_ = cpu_ns;
  }
  return !over_;
}

WriterPriority::WriterPriority(int boost)
    : tid_(static_cast<int>(syscall(SYS_gettid))), boost_(boost) {
  errno = 0;
  const int own = getpriority(PRIO_PROCESS, static_cast<id_t>(tid_));
  own_ = errno == 0 ? own : 0;
  current_ = own_;
}

void WriterPriority::Set(int nice) noexcept {
  if (nice == current_ || refused_) return;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid_), nice) != 0) {
    refused_ = true;
    Log(LogLevel::kInfo,
        "writer: nice %d refused (%s): updates run at the process's priority and may wait for "
        "busy query threads (grant CAP_SYS_NICE or LimitNICE=, or set writer_nice: 0)",
        nice, std::strerror(errno));
    return;
  }
  current_ = nice;
}

void WriterPriority::Light() noexcept {
  if (boost_ >= own_ || refused_) return;
  Set(budget_.MayBoost(ClockNs(CLOCK_MONOTONIC), ClockNs(CLOCK_THREAD_CPUTIME_ID)) ? boost_ : own_);
}

void WriterPriority::Heavy() noexcept { Set(own_); }

}  // namespace enumd::daemon
