#include "metrics/query_metrics.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "alloc_counter.h"

namespace enumd::metrics {
namespace {

QueryOutcome Naptr(Transport t, Family f, size_t bytes) {
  QueryOutcome o;
  o.transport = t;
  o.family = f;
  o.sent = true;
  o.has_question = true;
  o.qtype = 35;
  o.response_bytes = bytes;
  return o;
}

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST_CASE("QueryMetrics: counts by transport, family, type, rcode; sizes in buckets") {
  QueryMetricsSet set;
  QueryMetrics* a = set.Add();
  QueryMetrics* b = set.Add();
  a->Record(Naptr(Transport::kUdp, Family::kIpv4, 100));
  a->Record(Naptr(Transport::kUdp, Family::kIpv4, 1232));
  QueryOutcome nx = Naptr(Transport::kTcp, Family::kIpv6, 3000);
  nx.rcode = 3;
  nx.edns = nx.do_bit = true;
  b->Record(nx);
  QueryOutcome tc = Naptr(Transport::kUdp, Family::kIpv4, 40);
  tc.truncated = true;
  tc.qtype = 99;  // SPF: no series of its own
  b->Record(tc);
  QueryOutcome dropped;
  dropped.sent = false;
  b->Record(dropped);
  QueryOutcome badvers = Naptr(Transport::kUdp, Family::kIpv6, 50);
  badvers.rcode = 16;
  badvers.opcode = 5;
  a->Record(badvers);

  TextExposition out;
  set.Sum().Write(&out);
  const std::string& t = out.text();
  CHECK(Has(t, "enumd_queries_total{transport=\"udp\",family=\"ipv4\"} 4"));
  CHECK(Has(t, "enumd_queries_total{transport=\"udp\",family=\"ipv6\"} 1"));
  CHECK(Has(t, "enumd_queries_total{transport=\"tcp\",family=\"ipv6\"} 1"));
  CHECK(Has(t, "enumd_queries_total{transport=\"tcp\",family=\"ipv4\"} 0"));
  CHECK(Has(t, "enumd_queries_dropped_total 1"));
  CHECK(Has(t, "enumd_query_types_total{qtype=\"NAPTR\"} 4"));
  CHECK(Has(t, "enumd_query_types_total{qtype=\"other\"} 1"));
  CHECK(Has(t, "enumd_query_types_total{qtype=\"A\"} 0"));
  CHECK(Has(t, "enumd_query_opcodes_total{opcode=\"QUERY\"} 5"));
  CHECK(Has(t, "enumd_query_opcodes_total{opcode=\"UPDATE\"} 1"));
  CHECK(Has(t, "enumd_responses_total{rcode=\"NOERROR\"} 3"));
  CHECK(Has(t, "enumd_responses_total{rcode=\"NXDOMAIN\"} 1"));
  CHECK(Has(t, "enumd_responses_total{rcode=\"BADVERS\"} 1"));
  CHECK(Has(t, "enumd_responses_total{rcode=\"REFUSED\"} 0"));
  CHECK(Has(t, "enumd_responses_truncated_total 1"));
  CHECK(Has(t, "enumd_queries_edns_total 1"));
  CHECK(Has(t, "enumd_queries_edns_do_total 1"));
  // 40, 50, 100 <= 128; 1232 <= 1232; per transport.
  CHECK(Has(t, "enumd_response_size_bytes_bucket{transport=\"udp\",le=\"64\"} 2"));
  CHECK(Has(t, "enumd_response_size_bytes_bucket{transport=\"udp\",le=\"128\"} 3"));
  CHECK(Has(t, "enumd_response_size_bytes_bucket{transport=\"udp\",le=\"1024\"} 3"));
  CHECK(Has(t, "enumd_response_size_bytes_bucket{transport=\"udp\",le=\"1232\"} 4"));
  CHECK(Has(t, "enumd_response_size_bytes_count{transport=\"udp\"} 4"));
  CHECK(Has(t, "enumd_response_size_bytes_sum{transport=\"udp\"} 1422"));
  CHECK(Has(t, "enumd_response_size_bytes_bucket{transport=\"tcp\",le=\"1500\"} 0"));
  CHECK(Has(t, "enumd_response_size_bytes_bucket{transport=\"tcp\",le=\"4096\"} 1"));
}

TEST_CASE("QueryMetrics: one query in kTimeSampleEvery is timed") {
  QueryMetricsSet set;
  QueryMetrics* m = set.Add();
  int timed = 0;
  for (unsigned i = 0; i < 10 * kTimeSampleEvery; ++i)
    if (m->ShouldTime()) {
      m->RecordDuration(timed % 2 ? 3000 : 400000);  // 3 us, 400 us
      ++timed;
    }
  CHECK(timed == 10);
  TextExposition out;
  set.Sum().Write(&out);
  CHECK(Has(out.text(), "enumd_query_duration_seconds_bucket{le=\"2e-06\"} 0"));
  CHECK(Has(out.text(), "enumd_query_duration_seconds_bucket{le=\"5e-06\"} 5"));
  CHECK(Has(out.text(), "enumd_query_duration_seconds_bucket{le=\"0.00025\"} 5"));
  CHECK(Has(out.text(), "enumd_query_duration_seconds_bucket{le=\"0.0005\"} 10"));
  CHECK(Has(out.text(), "enumd_query_duration_seconds_count 10"));
  CHECK(Has(out.text(), "enumd_query_duration_seconds_sum 0.002015"));
}

TEST_CASE("QueryMetrics: recording allocates nothing") {
  QueryMetricsSet set;
  QueryMetrics* m = set.Add();
  testing::AllocationScope scope;
  for (int i = 0; i < 10000; ++i) {
    m->Record(Naptr(Transport::kUdp, Family::kIpv4, static_cast<size_t>(i)));
    if (m->ShouldTime()) m->RecordDuration(static_cast<uint64_t>(i));
  }
  CHECK(scope.count() == 0);
}

TEST_CASE("QueryMetricsSet: a scrape reads while the owners count") {
  QueryMetricsSet set;
  QueryMetrics* blocks[2] = {set.Add(), set.Add()};
  constexpr int kPerThread = 200000;
  std::thread writers[2];
  for (int w = 0; w < 2; ++w)
    writers[w] = std::thread([&, w] {
      for (int i = 0; i < kPerThread; ++i)
        blocks[w]->Record(Naptr(Transport::kUdp, Family::kIpv4, 100));
    });
  uint64_t last = 0;
  for (int i = 0; i < 100; ++i) {
    uint64_t now = set.Sum().queries[0][0];
    CHECK(now >= last);  // never goes back
    last = now;
  }
  for (auto& w : writers) w.join();
  CHECK(set.Sum().queries[0][0] == 2 * kPerThread);
}

TEST_CASE("QtypeSlot: named types and other") {
  CHECK(std::string(QtypeName(QtypeSlot(35))) == "NAPTR");
  CHECK(std::string(QtypeName(QtypeSlot(1))) == "A");
  CHECK(std::string(QtypeName(QtypeSlot(255))) == "ANY");
  CHECK(std::string(QtypeName(QtypeSlot(65535))) == "other");
  CHECK(std::string(QtypeName(QtypeSlot(0))) == "other");
}

}  // namespace
}  // namespace enumd::metrics
