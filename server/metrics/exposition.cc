#include "metrics/exposition.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace enumd::metrics {

namespace {

// HELP text: backslash and newline escaped (format 0.0.4).
void AppendHelp(std::string* out, std::string_view text) {
  for (char c : text) {
    if (c == '\\')
      *out += "\\\\";
    else if (c == '\n')
      *out += "\\n";
    else
      *out += c;
  }
}

// Label values: backslash, double quote and newline escaped.
void AppendLabelValue(std::string* out, std::string_view text) {
  for (char c : text) {
    if (c == '\\' || c == '"')
      (*out += '\\') += c;
    else if (c == '\n')
      *out += "\\n";
    else
      *out += c;
  }
}

}  // namespace

std::string FormatNumber(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char buf[32];
  // The shortest of %.15g..%.17g that reads back as the same double.
  for (int precision = 15; precision <= 17; ++precision) {
    snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

void TextExposition::Family(std::string_view name, Type type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  AppendHelp(&text_, help);
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += type == Type::kCounter ? " counter\n"
           : type == Type::kGauge ? " gauge\n"
                                  : " histogram\n";
}

void TextExposition::Start(std::string_view name, Labels labels, std::string_view extra_name,
                           std::string_view extra_value) {
  text_ += name;
  if (labels.size() == 0 && extra_name.empty()) {
    text_ += ' ';
    return;
  }
  text_ += '{';
  bool first = true;
  auto label = [&](std::string_view k, std::string_view v) {
    if (!first) text_ += ',';
    first = false;
    text_ += k;
    text_ += "=\"";
    AppendLabelValue(&text_, v);
    text_ += '"';
  };
  for (const auto& [k, v] : labels) label(k, v);
  if (!extra_name.empty()) label(extra_name, extra_value);
  text_ += "} ";
}

void TextExposition::Sample(std::string_view name, Labels labels, uint64_t value) {
  Start(name, labels);
  text_ += std::to_string(value);
  text_ += '\n';
}

void TextExposition::Sample(std::string_view name, Labels labels, double value) {
  Start(name, labels);
  text_ += FormatNumber(value);
  text_ += '\n';
}

void TextExposition::Histogram(std::string_view name, Labels labels, const double* bounds, size_t n,
                               const uint64_t* counts, double sum) {
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= n; ++i) {
    cumulative += counts[i];
    Start(bucket, labels, "le", i < n ? FormatNumber(bounds[i]) : "+Inf");
    text_ += std::to_string(cumulative);
    text_ += '\n';
  }
  Sample(std::string(name) + "_sum", labels, sum);
  Sample(std::string(name) + "_count", labels, cumulative);
}

}  // namespace enumd::metrics
