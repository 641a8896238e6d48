#include "daemon/daemon_metrics.h"

#include <ctime>
#include <optional>

#include "daemon/dnstap.h"
#include "daemon/log.h"
#include "daemon/notifier.h"
#include "daemon/secondary.h"
#include "daemon/transfer_counters.h"
#include "daemon/update_writer.h"
#include "dns/name.h"
#include "metrics/exposition.h"
#include "net/server.h"
#include "query/rrl.h"
#include "query/transfer_policy.h"
#include "store/zone_store.h"

#ifndef ENUMD_VERSION
#define ENUMD_VERSION "unknown"
#endif

namespace enumd::daemon {

namespace {

using metrics::TextExposition;
using Type = TextExposition::Type;

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

void One(TextExposition* out, const char* name, Type type, const char* help, uint64_t value) {
  out->Family(name, type, help);
  out->Sample(name, {}, value);
}

}  // namespace

DaemonMetrics::DaemonMetrics() : started_unix_(time(nullptr)) {}
DaemonMetrics::~DaemonMetrics() { Stop(); }

Status DaemonMetrics::Serve(const config::ListenAddress& at, Sources sources) {
  sources_ = sources;
  auto e = metrics::HttpEndpoint::Start(at.host, at.port, [this] { return Render(); });
  if (!e.ok()) return e.status();
  endpoint_ = std::move(e.value());
  return Status::OK();
}

uint16_t DaemonMetrics::port() const { return endpoint_ ? endpoint_->port() : 0; }

void DaemonMetrics::Stop() {
  if (endpoint_) endpoint_->Stop();
}

void DaemonMetrics::SetZones(std::vector<std::string> origins) {
  std::lock_guard<std::mutex> lock(mu_);
  zones_ = std::move(origins);
}

void DaemonMetrics::SetZoneIds(std::vector<std::pair<std::string, uint16_t>> ids) {
  std::lock_guard<std::mutex> lock(mu_);
  zone_ids_ = std::move(ids);
}

void DaemonMetrics::ReloadDone(bool ok, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++(ok ? reloads_ok_ : reloads_failed_);
  last_reload_unix_ = time(nullptr);
  last_reload_seconds_ = seconds;
  last_reload_ok_ = ok;
}

std::string DaemonMetrics::Render() const {
  TextExposition out;
  out.Family("enumd_build_info", Type::kGauge, "Always 1; the version is a label.");
  out.Sample("enumd_build_info", {{"version", ENUMD_VERSION}}, uint64_t{1});
  out.Family("enumd_start_time_seconds", Type::kGauge, "When enumd started, in Unix time.");
  out.Sample("enumd_start_time_seconds", {}, static_cast<uint64_t>(started_unix_));

  queries_.Sum().Write(&out);

  const query::RrlCounters rrl = sources_.rrl ? sources_.rrl->Totals() : query::RrlCounters();
  One(&out, "enumd_rrl_dropped_total", Type::kCounter,
      "UDP responses the rate limiter dropped (in log-only mode: would have dropped).",
      rrl.dropped);
  One(&out, "enumd_rrl_slipped_total", Type::kCounter,
      "UDP responses the rate limiter sent truncated instead (slip).", rrl.slipped);
  One(&out, "enumd_rrl_evicted_total", Type::kCounter,
      "Live rate-limit accounts replaced because the table was full (raise "
      "rate_limit.table_size).",
      rrl.evicted);
  One(&out, "enumd_udp_replies_not_sent_total", Type::kCounter,
      "UDP replies dropped: the socket's send buffer stayed full, or the kernel refused them.",
      sources_.server ? sources_.server->UdpRepliesDropped() : 0);
  const net::TcpCounts tcp = sources_.server ? sources_.server->TcpTotals() : net::TcpCounts();
  One(&out, "enumd_tcp_connections_open", Type::kGauge, "TCP connections open now.", tcp.open);
  One(&out, "enumd_tcp_connections_accepted_total", Type::kCounter, "TCP connections taken on.",
      tcp.accepted);
  One(&out, "enumd_tcp_connections_refused_total", Type::kCounter,
      "TCP connections closed at once: their source at tcp.max_connections_per_source, or "
      "the server at tcp.max_connections with no idle connection to close.",
      tcp.refused);
  One(&out, "enumd_tcp_connections_evicted_total", Type::kCounter,
      "Idle TCP connections closed to make room at tcp.max_connections.", tcp.evicted);
  One(&out, "enumd_tcp_connections_timed_out_total", Type::kCounter,
      "TCP connections closed by tcp.idle_timeout_ms or tcp.query_timeout_ms.", tcp.timed_out);
  out.Family("enumd_serve_errors_total", Type::kCounter,
             "Queries answered SERVFAIL because of the data: a store read that failed, or an "
             "RRset too big for any message.");
  out.Sample("enumd_serve_errors_total", {{"kind", "store_read"}},
             sources_.serve_errors ? sources_.serve_errors->store_errors() : 0);
  out.Sample("enumd_serve_errors_total", {{"kind", "oversize"}},
             sources_.serve_errors ? sources_.serve_errors->oversize() : 0);

  std::vector<std::string> zones;
  std::vector<std::pair<std::string, uint16_t>> zone_ids;
  uint64_t reloads_ok, reloads_failed;
  int64_t last_reload_unix;
  double last_reload_seconds;
  bool last_reload_ok;
  {
    std::lock_guard<std::mutex> lock(mu_);
    zones = zones_;
    zone_ids = zone_ids_;
    reloads_ok = reloads_ok_;
    reloads_failed = reloads_failed_;
    last_reload_unix = last_reload_unix_;
    last_reload_seconds = last_reload_seconds_;
    last_reload_ok = last_reload_ok_;
  }
  // Per zone, from the store's record of the version it holds (a read, safe
  // from any thread): what a reload or an import left there.
  struct ZoneFigures {
    std::string origin;
    store::ZoneMeta meta;
  };
  std::vector<ZoneFigures> figures;
  for (const std::string& origin : zones) {
    std::string wire = dns::WireName(origin);
    dns::LowerName(reinterpret_cast<uint8_t*>(wire.data()));
    std::optional<store::ZoneMeta> meta;
    if (sources_.store) meta = sources_.store->FindZone(wire);
    if (meta) figures.push_back({origin, *meta});
  }
  out.Family("enumd_zone_queries_total", Type::kCounter,
             "Queries answered from the zone (zone=\"other\": zones beyond the first 63).");
  const metrics::QueryTotals zone_totals = queries_.Sum();
  for (const auto& [origin, id] : zone_ids)
    if (id < metrics::kZoneSlots - 1)
      out.Sample("enumd_zone_queries_total", {{"zone", origin}}, zone_totals.zones[id]);
  out.Sample("enumd_zone_queries_total", {{"zone", "other"}},
             zone_totals.zones[metrics::kZoneSlots - 1]);
  out.Family("enumd_zones", Type::kGauge, "Zones served.");
  out.Sample("enumd_zones", {}, static_cast<uint64_t>(zones.size()));
  out.Family("enumd_zone_serial", Type::kGauge, "SOA serial of the zone version served.");
  for (const auto& z : figures)
    out.Sample("enumd_zone_serial", {{"zone", z.origin}}, uint64_t{z.meta.serial});
  out.Family("enumd_zone_names", Type::kGauge, "Names with records in the zone.");
  for (const auto& z : figures) out.Sample("enumd_zone_names", {{"zone", z.origin}}, z.meta.names);
  out.Family("enumd_zone_records", Type::kGauge, "Records in the zone.");
  for (const auto& z : figures)
    out.Sample("enumd_zone_records", {{"zone", z.origin}}, z.meta.records);
  out.Family("enumd_zone_imported_time_seconds", Type::kGauge,
             "When the zone version served was imported, in Unix time.");
  for (const auto& z : figures)
    out.Sample("enumd_zone_imported_time_seconds", {{"zone", z.origin}},
               static_cast<uint64_t>(z.meta.imported_at));

  const store::ZoneStore::Figures store =
      sources_.store ? sources_.store->GetFigures() : store::ZoneStore::Figures();
  auto generation = [&store](uint32_t gen) {
    for (const auto& g : store.generations)
      if (g.gen == gen) return g;
    return store::ZoneStore::Figures::Generation{gen, 0, 0};
  };
  out.Family("enumd_zone_table_files", Type::kGauge,
             "Table files of the store holding the zone's version.");
  for (const auto& z : figures)
    out.Sample("enumd_zone_table_files", {{"zone", z.origin}}, generation(z.meta.generation).files);
  out.Family("enumd_zone_table_bytes", Type::kGauge,
             "Bytes of the table files that hold only the zone's version.");
  for (const auto& z : figures)
    out.Sample("enumd_zone_table_bytes", {{"zone", z.origin}}, generation(z.meta.generation).bytes);
  out.Family("enumd_store_table_files", Type::kGauge, "Live table files of the store.");
  out.Sample("enumd_store_table_files", {}, store.table_files);
  out.Family("enumd_store_table_bytes", Type::kGauge, "Bytes of the store's live table files.");
  out.Sample("enumd_store_table_bytes", {}, store.table_bytes);
  out.Family("enumd_store_block_cache_bytes", Type::kGauge,
             "Bytes in the store's block cache (cache.blocks_mb).");
  out.Sample("enumd_store_block_cache_bytes", {}, store.block_cache_usage);
  out.Family("enumd_store_block_cache_capacity_bytes", Type::kGauge,
             "Capacity of the store's block cache.");
  out.Sample("enumd_store_block_cache_capacity_bytes", {}, store.block_cache_capacity);
  if (store.have_block_stats) {
    out.Family("enumd_store_block_cache_hits_total", Type::kCounter,
               "Table blocks found in the block cache.");
    out.Sample("enumd_store_block_cache_hits_total", {}, store.block_cache_hits);
    out.Family("enumd_store_block_cache_misses_total", Type::kCounter,
               "Table blocks read from disk (or the page cache).");
    out.Sample("enumd_store_block_cache_misses_total", {}, store.block_cache_misses);
  }
  out.Family("enumd_store_compactions_total", Type::kCounter,
             "RocksDB compactions finished since enumd started.");
  out.Sample("enumd_store_compactions_total", {}, store.compactions);
  if (store.last_compaction_unix != 0) {
    out.Family("enumd_store_last_compaction_time_seconds", Type::kGauge,
               "When the last compaction finished, in Unix time.");
    out.Sample("enumd_store_last_compaction_time_seconds", {},
               static_cast<uint64_t>(store.last_compaction_unix));
  }

  out.Family("enumd_zone_journal_changes", Type::kGauge,
             "Changes (updates) in the zone's journal, the source of IXFR.");
  for (const auto& z : figures)
    out.Sample("enumd_zone_journal_changes", {{"zone", z.origin}},
               z.meta.journal_next - z.meta.journal_first);
  out.Family("enumd_zone_journal_bytes", Type::kGauge, "Bytes of the zone's journal.");
  for (const auto& z : figures)
    out.Sample("enumd_zone_journal_bytes", {{"zone", z.origin}}, z.meta.journal_bytes);

  if (sources_.updates) {
    const UpdateCounters c = sources_.updates->counters();
    out.Family("enumd_updates_total", Type::kCounter,
               "Dynamic updates (RFC 2136, and enumctl's changes) answered, by result: "
               "applied (NOERROR), refused (REFUSED, NOTAUTH: not allowed or a bad "
               "signature) or failed (any other RCODE: a prerequisite, a bad record...).");
    out.Sample("enumd_updates_total", {{"result", "applied"}}, c.applied);
    out.Sample("enumd_updates_total", {{"result", "refused"}}, c.refused);
    out.Sample("enumd_updates_total", {{"result", "failed"}}, c.failed);
  }

  if (sources_.transfers) {
    const TransferCounters::Totals t = sources_.transfers->Get();
    out.Family("enumd_transfer_requests_total", Type::kCounter,
               "Zone transfer requests (AXFR, IXFR) answered, by type and answer: rejected "
               "(an error RCODE: not allowed, not a zone, bad TSIG...), soa_only (IXFR of an "
               "up-to-date client, or over UDP), incremental (from the journal) or whole "
               "(AXFR, or IXFR answered AXFR-style).");
    for (size_t type = 0; type < TransferCounters::kTypes; ++type)
      for (size_t a = 1; a < TransferCounters::kAnswers; ++a)
        out.Sample("enumd_transfer_requests_total",
                   {{"type", type == TransferCounters::kIxfr ? "IXFR" : "AXFR"},
                    {"answer", TransferAnswerName(a)}},
                   t.requests[type][a]);
    out.Family("enumd_transfers_out_total", Type::kCounter,
               "Streamed zone transfers that ended, by result: complete, failed (a store "
               "error) or cut_short (the client went away or stopped reading).");
    for (size_t how = 0; how < TransferCounters::kEndings; ++how)
      out.Sample("enumd_transfers_out_total", {{"result", TransferEndedName(how)}}, t.ended[how]);
    if (sources_.transfer_policy)
      One(&out, "enumd_transfers_out_active", Type::kGauge,
          "Zone transfers being sent now (at most transfers_out).",
          uint64_t{sources_.transfer_policy->transfers_out()});
    One(&out, "enumd_transfer_out_records_total", Type::kCounter,
        "Records sent by the zone transfers that ended.", t.records);
    One(&out, "enumd_transfer_out_messages_total", Type::kCounter,
        "Messages sent by the zone transfers that ended.", t.messages);
    out.Family("enumd_notify_received_total", Type::kCounter,
               "NOTIFY messages answered: accepted (NOERROR) or rejected (any other RCODE).");
    out.Sample("enumd_notify_received_total", {{"result", "accepted"}}, t.notify_accepted);
    out.Sample("enumd_notify_received_total", {{"result", "rejected"}}, t.notify_rejected);
  }
  if (sources_.secondary) {
    const Secondary::Counters c = sources_.secondary->counters();
    out.Family("enumd_soa_checks_total", Type::kCounter,
               "SOA queries to primaries of secondary zones, by result: up_to_date, newer (a "
               "transfer follows) or failed (no answer, a bad one, TSIG).");
    out.Sample("enumd_soa_checks_total", {{"result", "up_to_date"}}, c.checks_up_to_date);
    out.Sample("enumd_soa_checks_total", {{"result", "newer"}}, c.checks_newer);
    out.Sample("enumd_soa_checks_total", {{"result", "failed"}}, c.checks_failed);
    out.Family("enumd_transfers_in_total", Type::kCounter,
               "Zone transfers from primaries, by type and result: applied, or failed (cut "
               "short, TSIG, a bad serial, too big or slow, did not apply).");
    for (int i = 0; i < 2; ++i) {
      const char* type = i ? "IXFR" : "AXFR";
      out.Sample("enumd_transfers_in_total", {{"type", type}, {"result", "applied"}},
                 c.transfers_applied[i]);
      out.Sample("enumd_transfers_in_total", {{"type", type}, {"result", "failed"}},
                 c.transfers_failed[i]);
    }
    One(&out, "enumd_transfer_in_records_total", Type::kCounter,
        "Records received by the transfers applied.", c.records);
    One(&out, "enumd_transfer_in_bytes_total", Type::kCounter,
        "Message bytes received by the transfers applied.", c.bytes);
    const std::vector<Secondary::ZoneReport> zones = sources_.secondary->Report();
    out.Family("enumd_zone_expired", Type::kGauge,
               "1 while a secondary zone is served SERVFAIL: never transferred, or no good "
               "check within the SOA expire.");
    for (const auto& z : zones)
      out.Sample("enumd_zone_expired", {{"zone", dns::NameToText(U8(z.origin))}},
                 uint64_t{z.expired ? 1u : 0u});
    out.Family("enumd_zone_last_refresh_time_seconds", Type::kGauge,
               "When a secondary zone was last found up to date with its primary, in Unix time "
               "(0: never).");
    for (const auto& z : zones)
      out.Sample("enumd_zone_last_refresh_time_seconds", {{"zone", dns::NameToText(U8(z.origin))}},
                 static_cast<uint64_t>(std::max<int64_t>(z.refreshed_at, 0)));
  }
  if (sources_.notifier) {
    const Notifier::Counters n = sources_.notifier->counters();
    One(&out, "enumd_notify_sent_total", Type::kCounter,
        "NOTIFY messages sent to secondaries, retries included.", n.sent);
    out.Family("enumd_notify_targets_total", Type::kCounter,
               "NOTIFYs of one serial to one secondary, by how they ended: answered, or "
               "given_up after every retry.");
    out.Sample("enumd_notify_targets_total", {{"result", "answered"}}, n.answered);
    out.Sample("enumd_notify_targets_total", {{"result", "given_up"}}, n.given_up);
  }

  if (sources_.dnstap) {
    out.Family("enumd_dnstap_messages_total", Type::kCounter,
               "dnstap messages handed to the writer (sent) or dropped because a handler's "
               "queue was full (the writer fell behind, or the collector is away).");
    out.Sample("enumd_dnstap_messages_total", {{"result", "sent"}}, sources_.dnstap->sent());
    out.Sample("enumd_dnstap_messages_total", {{"result", "dropped"}}, sources_.dnstap->dropped());
  }

  out.Family("enumd_reloads_total", Type::kCounter,
             "Reloads (SIGHUP) finished, by result: failed when a zone file or the "
             "configuration had errors (the versions served stay).");
  out.Sample("enumd_reloads_total", {{"result", "ok"}}, reloads_ok);
  out.Sample("enumd_reloads_total", {{"result", "failed"}}, reloads_failed);
  if (last_reload_unix != 0) {
    out.Family("enumd_reload_last_time_seconds", Type::kGauge,
               "When the last reload finished, in Unix time.");
    out.Sample("enumd_reload_last_time_seconds", {}, static_cast<uint64_t>(last_reload_unix));
    out.Family("enumd_reload_last_duration_seconds", Type::kGauge,
               "How long the last reload took.");
    out.Sample("enumd_reload_last_duration_seconds", {}, last_reload_seconds);
    out.Family("enumd_reload_last_success", Type::kGauge,
               "1 when the last reload had no errors, else 0.");
    out.Sample("enumd_reload_last_success", {}, uint64_t{last_reload_ok ? 1u : 0u});
  }
  return out.text();
}

}  // namespace enumd::daemon
