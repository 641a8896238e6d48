// metrics_record_bench: the CPU time the query path spends on metrics, per
// query, measured without a server: what the handler does for /metrics
// (metrics::QueryMetrics::Record with a varied outcome, and the clock reads
// of the one query in kTimeSampleEvery that is timed), N times in a loop,
// timed with the thread's CPU clock (so a busy machine changes it little).
//   metrics_record_bench [N]        default 50,000,000; prints ns per query
// Compare with enumd's CPU per answered query in serve_bench.sh (about 7 us
// with one worker on the benchmark machine).
#include <time.h>

#include <cstdio>
#include <cstdlib>

#include "metrics/query_metrics.h"

namespace {

double CpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

uint64_t MonotonicNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000u + static_cast<uint64_t>(t.tv_nsec);
}

}  // namespace

int main(int argc, char** argv) {
  using enumd::metrics::QueryOutcome;
  const long n = argc > 1 ? std::atol(argv[1]) : 50000000;
  if (n <= 0) {
    fprintf(stderr, "usage: metrics_record_bench [N]\n");
    return 2;
  }
  enumd::metrics::QueryMetricsSet set;
  enumd::metrics::QueryMetrics* m = set.Add();
  for (int round = 1; round <= 3; ++round) {
    const double t0 = CpuSeconds();
    for (long i = 0; i < n; ++i) {
      QueryOutcome o;
      o.sent = true;
      o.has_question = true;
      o.qtype = (i & 3) ? 35 : 1;
      o.rcode = (i & 7) == 0 ? 3 : 0;
      o.edns = (i & 1) != 0;
      o.response_bytes = 100 + static_cast<size_t>(i & 1023);
      const bool timed = m->ShouldTime();
      const uint64_t start = timed ? MonotonicNs() : 0;
      m->Record(o);
      if (timed) m->RecordDuration(MonotonicNs() - start);
    }
    const double ns = (CpuSeconds() - t0) / static_cast<double>(n) * 1e9;
    printf("round %d: %.2f ns of CPU per query\n", round, ns);
  }
  // Read the counts, so the loop above cannot be optimised away.
  return set.Sum().queries[0][0] == 3 * static_cast<uint64_t>(n) ? 0 : 1;
}
