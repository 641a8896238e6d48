// TextExposition: writes metrics in the Prometheus text exposition format
// (version 0.0.4: `# HELP`, `# TYPE`, then `name{label="value"} number` lines),
// the format `promtool check metrics` validates and every scraper reads.
// Families must be written whole, one after the other; names follow
// Prometheus conventions (enumd_..._total for counters, base units).
// Admin path (scrapes): allocates, not thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace enumd::metrics {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class TextExposition {
 public:
  enum class Type { kCounter, kGauge, kHistogram };

  // Starts a family: its # HELP and # TYPE lines.
  void Family(std::string_view name, Type type, std::string_view help);
  // One sample of the current family (`name` may carry a suffix: _bucket,
  // _sum, _count for histograms).
  void Sample(std::string_view name, Labels labels, uint64_t value);
  void Sample(std::string_view name, Labels labels, double value);

  // A whole histogram family from per-bucket (not cumulative) counts:
  // `counts[i]` observations <= bounds[i] and > bounds[i-1], and counts[n]
  // above the last bound. Writes cumulative _bucket lines with le="bound" and
  // le="+Inf", then _sum and _count.
  void Histogram(std::string_view name, Labels labels, const double* bounds, size_t n,
                 const uint64_t* counts, double sum);

  const std::string& text() const { return text_; }

 private:
  void Start(std::string_view name, Labels labels, std::string_view extra_name = {},
             std::string_view extra_value = {});
  std::string text_;
};

// A number as Prometheus writes it: shortest form that reads back exactly
// ("0.001", "1232", "+Inf").
std::string FormatNumber(double value);

}  // namespace enumd::metrics
