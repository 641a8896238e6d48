#include "metrics/exposition.h"

#include <doctest/doctest.h>

namespace enumd::metrics {
namespace {

TEST_CASE("TextExposition: a family's HELP and TYPE, then its samples") {
  TextExposition t;
  t.Family("enumd_x_total", TextExposition::Type::kCounter, "Things.\nMore \\ things.");
  t.Sample("enumd_x_total", {}, uint64_t{7});
  t.Sample("enumd_x_total", {{"a", "1"}, {"b", "q\"uo\\te\n"}}, uint64_t{18446744073709551615u});
  t.Family("enumd_y", TextExposition::Type::kGauge, "A gauge.");
  t.Sample("enumd_y", {{"zone", "e164.arpa."}}, 0.25);
  CHECK(t.text() ==
        "# HELP enumd_x_total Things.\\nMore \\\\ things.\n"
        "# TYPE enumd_x_total counter\n"
        "enumd_x_total 7\n"
        "enumd_x_total{a=\"1\",b=\"q\\\"uo\\\\te\\n\"} 18446744073709551615\n"
        "# HELP enumd_y A gauge.\n"
        "# TYPE enumd_y gauge\n"
        "enumd_y{zone=\"e164.arpa.\"} 0.25\n");
}

TEST_CASE("TextExposition: histograms are cumulative, with +Inf, _sum and _count") {
  TextExposition t;
  const double bounds[] = {0.001, 0.5, 512};
  const uint64_t counts[] = {1, 0, 2, 3};  // per bucket; 3 above the last bound
  t.Family("enumd_h", TextExposition::Type::kHistogram, "H.");
  t.Histogram("enumd_h", {{"transport", "udp"}}, bounds, 3, counts, 1234.5);
  CHECK(t.text() ==
        "# HELP enumd_h H.\n"
        "# TYPE enumd_h histogram\n"
        "enumd_h_bucket{transport=\"udp\",le=\"0.001\"} 1\n"
        "enumd_h_bucket{transport=\"udp\",le=\"0.5\"} 1\n"
        "enumd_h_bucket{transport=\"udp\",le=\"512\"} 3\n"
        "enumd_h_bucket{transport=\"udp\",le=\"+Inf\"} 6\n"
        "enumd_h_sum{transport=\"udp\"} 1234.5\n"
        "enumd_h_count{transport=\"udp\"} 6\n");
}

TEST_CASE("FormatNumber: shortest exact form") {
  CHECK(FormatNumber(0.1) == "0.1");
  CHECK(FormatNumber(2e-6) == "2e-06");
  CHECK(FormatNumber(1232) == "1232");
  CHECK(FormatNumber(1.0 / 3) == "0.3333333333333333");
  CHECK(FormatNumber(1e300 * 1e300) == "+Inf");
}

}  // namespace
}  // namespace enumd::metrics
