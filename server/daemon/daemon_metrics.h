// DaemonMetrics: what enumd shows at /metrics (config `metrics.listen`),
// gathered from the parts that own each figure, when a scrape asks:
//   - the query path: one metrics::QueryMetrics per query handler thread,
//     counted without locks or shared atomics and summed here;
//   - the rate limiter's and the UDP sender's totals, the serve-error log;
//   - per served zone: serial, names, records, when it was imported (the store);
//   - reloads: how many, their result, the last one's time and duration.
// The HTTP endpoint runs on a thread of its own (metrics::HttpEndpoint).
//
// Threads: ForHandler while the server starts; SetZones and ReloadDone from
// the daemon's writer thread; Render on the endpoint's thread. Stop the
// endpoint (Stop) before any of Sources goes away; the QueryMetrics blocks
// live as long as this object (so it must outlive the server's handlers).
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "config/config.h"
#include "metrics/http_endpoint.h"
#include "metrics/query_metrics.h"
#include "query/responder.h"

namespace enumd::net {
class Server;
}
namespace enumd::query {
class Rrl;
class TransferPolicyHolder;
}  // namespace enumd::query
namespace enumd::store {
class ZoneStore;
}

namespace enumd::daemon {

class ServeErrorLog;
class UpdateWriter;
class Dnstap;
class TransferCounters;
class Notifier;
class Secondary;

class DaemonMetrics {
 public:
  struct Sources {
    const store::ZoneStore* store = nullptr;
    const net::Server* server = nullptr;
    const query::Rrl* rrl = nullptr;  // null: rate limiting off
    const ServeErrorLog* serve_errors = nullptr;
    const UpdateWriter* updates = nullptr;  // null: the store is read-only
    const Dnstap* dnstap = nullptr;         // null: dnstap off
    const TransferCounters* transfers = nullptr;
    const query::TransferPolicyHolder* transfer_policy = nullptr;  // transfers going out
    const Notifier* notifier = nullptr;
    const Secondary* secondary = nullptr;  // zones followed from primaries
  };

  DaemonMetrics();
  ~DaemonMetrics();

  // A block for one query handler (the server's handler factory).
  metrics::QueryMetrics* ForHandler() { return queries_.Add(); }
  // The handlers' counts summed (`enumctl status`). Any thread.
  metrics::QueryTotals QueryTotals() const { return queries_.Sum(); }
  // Starts the HTTP endpoint at `at`. Errors name the address.
  Status Serve(const config::ListenAddress& at, Sources sources);
  uint16_t port() const;
  void Stop();

  // The zones served now, as text origins ("e164.arpa."). Writer thread.
  void SetZones(std::vector<std::string> origins);
  // Every origin that was given a per-zone counter (zone::Zone::metrics_id),
  // by id. Writer thread.
  void SetZoneIds(std::vector<std::pair<std::string, uint16_t>> ids);
  // A reload finished: `ok` false when any part of it failed (logged).
  void ReloadDone(bool ok, double seconds);

  // The /metrics body. Any thread.
  std::string Render() const;

 private:
  metrics::QueryMetricsSet queries_;
  Sources sources_;
  int64_t started_unix_;
  mutable std::mutex mu_;           // zones_ and the reload figures
  std::vector<std::string> zones_;  // text origins
  std::vector<std::pair<std::string, uint16_t>> zone_ids_;
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
  int64_t last_reload_unix_ = 0;
  double last_reload_seconds_ = 0;
  bool last_reload_ok_ = true;
  std::unique_ptr<metrics::HttpEndpoint> endpoint_;
};

// A monotonic clock in nanoseconds (vDSO: no system call), for the sampled
// query-duration histogram.
inline uint64_t MonotonicNs() noexcept { return static_cast<uint64_t>(ClockNs(CLOCK_MONOTONIC)); }

// What the metrics record about one handled query: the responder's decision
// (`info`), the response as sent (`out`, `sent` bytes; 0 when it was dropped,
// by the responder or the rate limiter), the transport and the client's
// address family. TC and the RCODE come from the header sent, so a rate
// limiter's slip (TC=1) counts as truncated.
inline metrics::QueryOutcome OutcomeOf(const query::ResponseInfo& info, const uint8_t* out,
                                       size_t sent, bool tcp, const sockaddr* peer) noexcept {
  metrics::QueryOutcome o;
  o.transport = tcp ? metrics::Transport::kTcp : metrics::Transport::kUdp;
  o.family = peer != nullptr && peer->sa_family == AF_INET6 ? metrics::Family::kIpv6
                                                            : metrics::Family::kIpv4;
  o.sent = sent >= 12;
  o.has_question = info.has_question;
  o.qtype = info.qtype;
  o.opcode = info.opcode;
  o.edns = info.edns;
  o.do_bit = info.do_bit;
  o.zone = info.zone;
  if (o.sent) {
    o.rcode = static_cast<uint16_t>((info.rcode & ~0x0fu) | (out[3] & 0x0fu));
    o.truncated = (out[2] & 0x02) != 0;
    o.response_bytes = sent;
  }
  return o;
}

}  // namespace enumd::daemon
