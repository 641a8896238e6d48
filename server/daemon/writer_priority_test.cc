#include "daemon/writer_priority.h"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace enumd::daemon {

namespace {

constexpr int64_t kMs = 1'000'000;

int ThreadNice() {
  errno = 0;
  return getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
}

}  // namespace

TEST_CASE("writer budget: boosted while under a quarter of a CPU per window") {
  WriterBudget b(0.25, 100 * kMs);
  CHECK(b.MayBoost(0, 0));                // the first window starts boosted
  CHECK(b.MayBoost(50 * kMs, 40 * kMs));  // within a window: no judgement yet
  // The window ends with 20 ms of CPU in 100 ms: under budget.
  CHECK(b.MayBoost(100 * kMs, 20 * kMs));
  // The next: 30 ms of CPU in 100 ms, over: no boost for the window after.
  CHECK_FALSE(b.MayBoost(200 * kMs, 50 * kMs));
  CHECK_FALSE(b.MayBoost(250 * kMs, 50 * kMs));  // still that window
  // A quiet window (5 ms) gives the boost back.
  CHECK(b.MayBoost(300 * kMs, 55 * kMs));
  // Exactly the budget is not over it.
  CHECK(b.MayBoost(400 * kMs, 80 * kMs));
  // A long gap counts as one window: 30 ms over 1 s is light.
  CHECK(b.MayBoost(1400 * kMs, 110 * kMs));
  // A saturated writer (all of a CPU) loses the boost.
  CHECK_FALSE(b.MayBoost(1500 * kMs, 210 * kMs));
}

TEST_CASE("writer priority: heavy work and an impossible boost leave the thread's own") {
  // A thread of its own: the nice value is per thread, and the test must
  // not change the test runner's.
  std::thread([] {
    const int own = ThreadNice();
    {
      WriterPriority p(own);  // not below its own: never boosts
      p.Light();
      CHECK(p.nice() == own);
      CHECK(ThreadNice() == own);
    }
    WriterPriority p(own - 5);
    p.Light();
    // Boosted where the process may lower its nice value (root,
    // CAP_SYS_NICE, RLIMIT_NICE); else refused once, the thread unchanged.
    CHECK(ThreadNice() == p.nice());
    const bool boosted = p.nice() == own - 5;
    if (!boosted) CHECK(p.nice() == own);
    p.Heavy();
    CHECK(p.nice() == own);
    CHECK(ThreadNice() == own);
    p.Light();
    CHECK(p.nice() == (boosted ? own - 5 : own));
    CHECK(ThreadNice() == p.nice());
  }).join();
}

}  // namespace enumd::daemon
