#include "metrics/query_metrics.h"

#include <array>
#include <string>

namespace enumd::metrics {

namespace {

struct NamedType {
  uint16_t type;
  const char* name;
};
// The query types worth a series of their own; everything else is "other".
constexpr NamedType kNamedTypes[kQtypeSlots - 1] = {
    {1, "A"},   {2, "NS"},      {5, "CNAME"},  {6, "SOA"},    {12, "PTR"},
    {15, "MX"}, {16, "TXT"},    {28, "AAAA"},  {33, "SRV"},   {35, "NAPTR"},
    {43, "DS"}, {48, "DNSKEY"}, {251, "IXFR"}, {252, "AXFR"}, {255, "ANY"}};
constexpr size_t kOtherType = kQtypeSlots - 1;

constexpr std::array<uint8_t, 256> MakeTypeSlots() {
  std::array<uint8_t, 256> slots{};
  for (auto& s : slots) s = kOtherType;
  for (size_t i = 0; i < kQtypeSlots - 1; ++i) slots[kNamedTypes[i].type] = static_cast<uint8_t>(i);
  return slots;
}
constexpr std::array<uint8_t, 256> kTypeSlots = MakeTypeSlots();

std::string RcodeName(size_t rcode) {
  static const char* kNames[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                 "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  if (rcode < sizeof(kNames) / sizeof(kNames[0])) return kNames[rcode];
  if (rcode == 16) return "BADVERS";
  if (rcode == kRcodeSlots - 1) return "other";
  return "RCODE" + std::to_string(rcode);
}

std::string OpcodeName(size_t opcode) {
  switch (opcode) {
    case 0:
      return "QUERY";
    case 1:
      return "IQUERY";
    case 2:
      return "STATUS";
    case 4:
      return "NOTIFY";
    case 5:
      return "UPDATE";
    case 6:
      return "DSO";
    default:
      return "OPCODE" + std::to_string(opcode);
  }
}

template <size_t N>
size_t Bucket(const double (&bounds)[N], double value) noexcept {
  size_t i = 0;
  while (i < N && value > bounds[i]) ++i;
  return i;
}

const char* kTransports[] = {"udp", "tcp"};
const char* kFamilies[] = {"ipv4", "ipv6"};

}  // namespace

const char* QtypeName(size_t slot) { return slot < kOtherType ? kNamedTypes[slot].name : "other"; }

size_t QtypeSlot(uint16_t qtype) noexcept { return qtype < 256 ? kTypeSlots[qtype] : kOtherType; }

void QueryMetrics::Record(const QueryOutcome& o) noexcept {
  const size_t t = static_cast<size_t>(o.transport);
  queries_[t][static_cast<size_t>(o.family)].Add();
  if (o.has_question) qtypes_[QtypeSlot(o.qtype)].Add();
  opcodes_[o.opcode & 0x0f].Add();
  if (o.zone >= 0) zones_[static_cast<size_t>(o.zone) < kZoneSlots ? o.zone : kZoneSlots - 1].Add();
  if (o.edns) edns_.Add();
  if (o.do_bit) do_bit_.Add();
  if (!o.sent) {
    dropped_.Add();
    return;
  }
  rcodes_[o.rcode < kRcodeSlots - 1 ? o.rcode : kRcodeSlots - 1].Add();
  if (o.truncated) truncated_.Add();
  sizes_[t][Bucket(kSizeBounds, static_cast<double>(o.response_bytes))].Add();
  size_sum_[t].Add(o.response_bytes);
}

void QueryMetrics::RecordDuration(uint64_t nanoseconds) noexcept {
  times_[Bucket(kTimeBounds, static_cast<double>(nanoseconds) / 1e9)].Add();
  time_sum_ns_.Add(nanoseconds);
}

void QueryMetrics::AddTo(QueryTotals* t) const noexcept {
  for (size_t i = 0; i < 2; ++i)
    for (size_t j = 0; j < 2; ++j) t->queries[i][j] += queries_[i][j].Get();
  t->dropped += dropped_.Get();
  for (size_t i = 0; i < kQtypeSlots; ++i) t->qtypes[i] += qtypes_[i].Get();
  for (size_t i = 0; i < kOpcodes; ++i) t->opcodes[i] += opcodes_[i].Get();
  for (size_t i = 0; i < kRcodeSlots; ++i) t->rcodes[i] += rcodes_[i].Get();
  t->truncated += truncated_.Get();
  for (size_t i = 0; i < kZoneSlots; ++i) t->zones[i] += zones_[i].Get();
  t->cache_hits += cache_hits_.Get();
  t->cache_misses += cache_misses_.Get();
  t->edns += edns_.Get();
  t->do_bit += do_bit_.Get();
  for (size_t i = 0; i < 2; ++i) {
    for (size_t b = 0; b <= kSizeBuckets; ++b) t->sizes[i][b] += sizes_[i][b].Get();
    t->size_sum[i] += size_sum_[i].Get();
  }
  for (size_t b = 0; b <= kTimeBuckets; ++b) t->times[b] += times_[b].Get();
  t->time_sum_ns += time_sum_ns_.Get();
}

void QueryTotals::Write(TextExposition* out) const {
  using Type = TextExposition::Type;
  out->Family("enumd_node_cache_hits_total", Type::kCounter,
              "Names found in the query threads' node caches (cache.names_mb), present or "
              "known absent.");
  out->Sample("enumd_node_cache_hits_total", {}, cache_hits);
  out->Family("enumd_node_cache_misses_total", Type::kCounter,
              "Names looked for in the node caches and read from the store.");
  out->Sample("enumd_node_cache_misses_total", {}, cache_misses);
  out->Family("enumd_queries_total", Type::kCounter,
              "DNS messages received, by transport and address family.");
  for (size_t i = 0; i < 2; ++i)
    for (size_t j = 0; j < 2; ++j)
      out->Sample("enumd_queries_total", {{"transport", kTransports[i]}, {"family", kFamilies[j]}},
                  queries[i][j]);
  out->Family("enumd_queries_dropped_total", Type::kCounter,
              "Messages given no answer: shorter than a header or QR set (a response).");
  out->Sample("enumd_queries_dropped_total", {}, dropped);
  out->Family("enumd_query_types_total", Type::kCounter,
              "Queries by QTYPE (other: every type without a series of its own).");
  for (size_t i = 0; i < kQtypeSlots; ++i)
    out->Sample("enumd_query_types_total", {{"qtype", QtypeName(i)}}, qtypes[i]);
  out->Family("enumd_query_opcodes_total", Type::kCounter, "Messages by OPCODE.");
  for (size_t i = 0; i < kOpcodes; ++i)
    if (i == 0 || opcodes[i] != 0)
      out->Sample("enumd_query_opcodes_total", {{"opcode", OpcodeName(i)}}, opcodes[i]);
  out->Family("enumd_queries_edns_total", Type::kCounter, "Queries with a valid EDNS OPT record.");
  out->Sample("enumd_queries_edns_total", {}, edns);
  out->Family("enumd_queries_edns_do_total", Type::kCounter,
              "Queries with the EDNS DO bit set (RFC 3225).");
  out->Sample("enumd_queries_edns_do_total", {}, do_bit);
  out->Family("enumd_responses_total", Type::kCounter,
              "Responses sent, by RCODE (extended, so BADVERS is its own).");
  for (size_t i = 0; i < kRcodeSlots; ++i)
    if (i <= 5 || rcodes[i] != 0)
      out->Sample("enumd_responses_total", {{"rcode", RcodeName(i)}}, rcodes[i]);
  out->Family("enumd_responses_truncated_total", Type::kCounter,
              "Responses sent with TC=1: the answer did not fit the client's UDP size.");
  out->Sample("enumd_responses_truncated_total", {}, truncated);
  out->Family("enumd_response_size_bytes", Type::kHistogram,
              "Size of the responses sent, by transport.");
  for (size_t i = 0; i < 2; ++i)
    out->Histogram("enumd_response_size_bytes", {{"transport", kTransports[i]}}, kSizeBounds,
                   kSizeBuckets, sizes[i], static_cast<double>(size_sum[i]));
  out->Family("enumd_query_duration_seconds", Type::kHistogram,
              "Time from a query's bytes to its answer's (parse, lookup, encode, rate "
              "limit), measured on one query in " +
                  std::to_string(kTimeSampleEvery) + ".");
  out->Histogram("enumd_query_duration_seconds", {}, kTimeBounds, kTimeBuckets, times,
                 static_cast<double>(time_sum_ns) / 1e9);
}

QueryMetrics* QueryMetricsSet::Add() {
  std::lock_guard<std::mutex> lock(mu_);
  blocks_.push_back(std::make_unique<QueryMetrics>());
  return blocks_.back().get();
}

QueryTotals QueryMetricsSet::Sum() const {
  QueryTotals t;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& b : blocks_) b->AddTo(&t);
  return t;
}

}  // namespace enumd::metrics
