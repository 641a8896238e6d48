// WriterPriority: the scheduling priority of the thread that applies zone
// changes (enumd-writer), so that an update is not kept waiting by a query
// thread that keeps its core busy.
//
// Why: an update wakes the writer (the request, then the sync's completion).
// A woken writer of the same weight as a query thread that never sleeps is
// sometimes not let in before the next scheduler tick (4 ms at HZ=250); as
// we read Linux's EEVDF, when it has just used time (a batch, two updates
// close together) and is owed none. Measured on 2
// CPUs with the query core saturated and the store on tmpfs (no disk in the
// way): ~1.6% of the writer's wake-ups waited ~3.8 ms, the update round
// trip's p99 4.3 ms on the server's side; at nice -10 (9.3x the weight)
// none did, p99 0.9-1.7 ms (tests/bench/README.md, stop 36).
//
// The cost of weight is throughput taken from queries when updates flood
// in: at nice -10 a writer kept busy by 16 closed-loop clients took ~70% of
// the shared core instead of half. So the boost is a budget: the writer
// asks for `boost` only while it used less than `budget` of a CPU over the
// last window; beyond, it runs at the priority it started with (the
// process's), and queries and updates share the core as equals.
//
// Lowering a nice value needs CAP_SYS_NICE or an RLIMIT_NICE that allows it
// (root, or systemd's LimitNICE=); without, the first refusal is logged
// and the writer keeps its priority. Linux's nice is per thread.
//
// Not thread-safe: used by the writer thread alone.
#pragma once

#include <cstdint>

namespace enumd::daemon {

// The decision alone, on given clocks (tested without a scheduler).
class WriterBudget {
 public:
  // `budget`: the share of one CPU (0..1) the writer may use and still be
  // boosted; `window_ns`: how long a measurement lasts.
  WriterBudget(double budget, int64_t window_ns) : budget_(budget), window_ns_(window_ns) {}
  // At `wall_ns` (monotonic), the thread having used `cpu_ns` of CPU in all:
  // whether it may be boosted now. The first call opens a window (boosted);
  // a window that ended over budget withholds the boost for the next one.
  bool MayBoost(int64_t wall_ns, int64_t cpu_ns) noexcept;

 private:
  double budget_;
  int64_t window_ns_;
  bool started_ = false;
  bool over_ = false;
  int64_t window_wall_ = 0, window_cpu_ = 0;
};

class WriterPriority {
 public:
  // `boost`: the nice value asked for while within budget (-20..19); one
  // not below the thread's own (e.g. 0 when it runs at 0) never boosts.
  // Call on the writer thread: the thread's priority now is its own.
  explicit WriterPriority(int boost);
  // Before the writer waits for work or applies updates: boosted if the
  // budget allows.
  void Light() noexcept;
  // Before a long task (a reload, a zone file's difference, a transfer in
  // applied): the thread's own priority, whatever the budget.
  void Heavy() noexcept;
  // The nice value asked for last (the thread's own until boosted).
  int nice() const noexcept { return current_; }

  // The writer's budget: a quarter of a CPU over 100 ms windows. At 1,000
  // updates/s the writer used 7-14% (tmpfs, disk).
  static constexpr double kBudget = 0.25;
  static constexpr int64_t kWindowNs = 100'000'000;

 private:
  void Set(int nice) noexcept;

  int tid_;
  int own_;
  int boost_;
  int current_;
  bool refused_ = false;  // the kernel said no: never asked again
  WriterBudget budget_{kBudget, kWindowNs};
};

}  // namespace enumd::daemon
