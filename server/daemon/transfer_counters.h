// TransferCounters: what enumd counts about zone transfers it serves
// (AXFR/IXFR out) and NOTIFY messages it receives, for /metrics and
// `enumctl status`. Transfers are the admin path (a handful a minute), so
// these are shared atomics, written by whichever worker handles the request
// and read by a scrape.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "query/zone_transfer.h"

namespace enumd::daemon {

class TransferCounters {
 public:
  enum Type : size_t { kAxfr, kIxfr, kTypes };
  // How a transfer that was sent ended.
  enum Ended : size_t { kComplete, kFailed, kCutShort, kEndings };
  static constexpr size_t kAnswers = static_cast<size_t>(query::TransferAnswer::kWhole) + 1;

  struct Totals {
    uint64_t requests[kTypes][kAnswers] = {};  // [type][query::TransferAnswer]
    uint64_t ended[kEndings] = {};
    uint64_t records = 0, messages = 0;  // sent by the transfers that ended
    uint64_t notify_accepted = 0, notify_rejected = 0;
  };

  // A request was answered (`answer` kDropped: nothing was sent).
  void Request(bool ixfr, query::TransferAnswer answer) noexcept {
    requests_[ixfr ? kIxfr : kAxfr][static_cast<size_t>(answer)].fetch_add(
        1, std::memory_order_relaxed);
  }
  // A streamed transfer ended after sending `records` in `messages`.
  void End(Ended how, uint64_t records, uint64_t messages) noexcept {
    ended_[how].fetch_add(1, std::memory_order_relaxed);
    records_.fetch_add(records, std::memory_order_relaxed);
    messages_.fetch_add(messages, std::memory_order_relaxed);
  }
  void Notify(bool accepted) noexcept {
    (accepted ? notify_accepted_ : notify_rejected_).fetch_add(1, std::memory_order_relaxed);
  }

  Totals Get() const noexcept {
    Totals t;
    for (size_t i = 0; i < kTypes; ++i)
      for (size_t j = 0; j < kAnswers; ++j)
        t.requests[i][j] = requests_[i][j].load(std::memory_order_relaxed);
    for (size_t i = 0; i < kEndings; ++i) t.ended[i] = ended_[i].load(std::memory_order_relaxed);
    t.records = records_.load(std::memory_order_relaxed);
    t.messages = messages_.load(std::memory_order_relaxed);
    t.notify_accepted = notify_accepted_.load(std::memory_order_relaxed);
    t.notify_rejected = notify_rejected_.load(std::memory_order_relaxed);
    return t;
  }

 private:
  std::atomic<uint64_t> requests_[kTypes][kAnswers] = {};
  std::atomic<uint64_t> ended_[kEndings] = {};
  std::atomic<uint64_t> records_{0}, messages_{0};
  std::atomic<uint64_t> notify_accepted_{0}, notify_rejected_{0};
};

// Label values for the metrics and the status table.
inline const char* TransferAnswerName(size_t answer) {
  static const char* const kNames[] = {"dropped", "rejected", "soa_only", "incremental", "whole"};
  return answer < sizeof(kNames) / sizeof(kNames[0]) ? kNames[answer] : "other";
}
inline const char* TransferEndedName(size_t how) {
  static const char* const kNames[] = {"complete", "failed", "cut_short"};
  return how < sizeof(kNames) / sizeof(kNames[0]) ? kNames[how] : "other";
}

}  // namespace enumd::daemon
