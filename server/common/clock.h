// Reading a clock in nanoseconds: one place for the timespec arithmetic that
// the log's rate limit, the query-duration histogram and the writer's CPU
// budget each need (CLOCK_MONOTONIC is a vDSO read, no system call;
// CLOCK_THREAD_CPUTIME_ID is one).
#pragma once

#include <cstdint>
#include <ctime>

namespace enumd {

inline int64_t ClockNs(clockid_t clock) noexcept {
  timespec ts{};
  clock_gettime(clock, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace enumd
