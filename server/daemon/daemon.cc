#include "daemon/daemon.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <thread>

#include "dns/name.h"
#include "net/server.h"
#include "query/responder.h"
#include "query/rrl.h"
#include "store/zone_store.h"
#include "zone/zone_importer.h"
#include "zone/zone_table.h"

namespace enumd::daemon {

namespace {

std::atomic<int> g_log_level{static_cast<int>(LogLevel::kInfo)};

// How long a replaced zone table or generation is kept for queries that may
// still be reading it. A query takes microseconds; this is ample.
constexpr auto kGrace = std::chrono::seconds(2);

// Counters (RRL, UDP replies not sent) are logged at most this often, and
// only when they moved.
constexpr auto kCounterLogInterval = std::chrono::seconds(5);

class Handler : public net::QueryHandler {
 public:
  // `rrl` (shared by every handler; may be null = off) outlives the handler.
  // `slot` is the handler's own RRL counter slot (HandlerRole::slot).
  Handler(const store::ZoneStore* store, const zone::ZoneRegistry* zones,
          query::ResponderOptions options, query::Rrl* rrl, int slot)
      : responder_(store, zones, std::move(options)),
        rrl_(rrl),
        slot_(static_cast<unsigned>(slot)) {}
  size_t Handle(const uint8_t* q, size_t len, uint8_t* out, size_t cap, net::Transport t,
                const sockaddr* peer) noexcept override {
    const bool tcp = t == net::Transport::kTcp;
    size_t n = responder_.Respond(q, len, out, cap, tcp);
    // Over UDP only: a TCP client has proved its address (BIND, Knot).
    if (!tcp && n != 0 && rrl_ != nullptr)
      n = rrl_->Apply(out, n, peer, slot_, responder_.last_wildcard_skip());
    return n;
  }

 private:
  query::Responder responder_;
  query::Rrl* rrl_;
  unsigned slot_;
};

std::string Lower(std::string wire) {
  dns::LowerName(reinterpret_cast<uint8_t*>(wire.data()));
  return wire;
}

}  // namespace

void SetLogLevel(LogLevel level) { g_log_level = static_cast<int>(level); }

LogLevel ParseLogLevel(const std::string& name) {
  if (name == "error") return LogLevel::kError;
  if (name == "warning") return LogLevel::kWarning;
  if (name == "debug") return LogLevel::kDebug;
  return LogLevel::kInfo;
}

void Log(LogLevel level, const char* format, ...) {
  if (static_cast<int>(level) > g_log_level) return;
  static const char* kNames[] = {"error", "warning", "info", "debug"};
  char when[32];
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
  char line[2048];
  va_list ap;
  va_start(ap, format);
  vsnprintf(line, sizeof(line), format, ap);
  va_end(ap);
  fprintf(stdout, "%s %s: %s\n", when, kNames[static_cast<int>(level)], line);
  fflush(stdout);
}

struct Daemon::Impl {
  config::Config config;
  std::unique_ptr<store::ZoneStore> store;
  zone::ZoneRegistry registry;
  std::unique_ptr<query::Rrl> rrl;  // before `server`: the workers use it until they stop
  query::RrlCounters rrl_logged;
  std::chrono::steady_clock::time_point rrl_logged_at;
  std::unique_ptr<net::Server> server;
  uint64_t udp_dropped_logged = 0;
  std::chrono::steady_clock::time_point udp_dropped_logged_at;
  std::vector<std::pair<uint32_t, std::chrono::steady_clock::time_point>> retired_generations;

  // Logs UDP replies not sent since the last report, if any.
  void LogUdpDropped() {
    const uint64_t total = server ? server->UdpRepliesDropped() : udp_dropped_logged;
    if (total == udp_dropped_logged) return;
    Log(LogLevel::kWarning,
        "udp: %llu replies not sent: the socket's send buffer was full for over %u ms, or the "
        "kernel refused them (total %llu)",
        static_cast<unsigned long long>(total - udp_dropped_logged),
        net::ServerOptions().udp_send_wait_ms, static_cast<unsigned long long>(total));
    udp_dropped_logged = total;
  }

  // Imports the zone's file when the store lacks the zone or the file differs
  // from the one imported (path, size, modification time).
  Status Refresh(const config::ZoneConfig& zc, bool keep_previous) {
    if (zc.file.empty()) return Status::OK();
    std::string origin = Lower(dns::WireName(zc.origin));
    auto meta = store->FindZone(origin);
    std::error_code ec;
    std::string path = std::filesystem::absolute(zc.file, ec).string();
    struct stat sb;
    if (stat(path.c_str(), &sb) != 0) {
      if (meta) {
        Log(LogLevel::kWarning, "zone %s: file %s is missing; serving the stored version",
            zc.origin.c_str(), path.c_str());
        return Status::OK();
      }
      return Status::Error("zone " + zc.origin + ": cannot read " + path);
    }
    int64_t mtime = int64_t{sb.st_mtim.tv_sec} * 1000000000 + sb.st_mtim.tv_nsec;
    if (meta && meta->source_file == path && meta->source_mtime_ns == mtime &&
        meta->source_size == static_cast<uint64_t>(sb.st_size))
      return Status::OK();
    Log(LogLevel::kInfo, "zone %s: importing %s", zc.origin.c_str(), path.c_str());
    zone::ImportOptions o;
    o.origin = zc.origin;
    o.keep_previous = keep_previous;
    o.temp_dir = config.store;  // a big zone's sort spills beside the store, not into /tmp
    auto r = zone::ImportZoneFile(store.get(), path, o);
    if (!r.ok()) {
      if (meta) {
        Log(LogLevel::kError, "zone %s: %s; still serving serial %u", zc.origin.c_str(),
            r.status().message().c_str(), meta->serial);
        return Status::OK();
      }
      return r.status();
    }
    Log(LogLevel::kInfo, "zone %s: imported serial %u, %llu records in %.2f s", zc.origin.c_str(),
        r->meta.serial, static_cast<unsigned long long>(r->meta.records), r->seconds);
    if (r->previous_generation)
      retired_generations.emplace_back(r->previous_generation, std::chrono::steady_clock::now());
    return Status::OK();
  }

  Status Publish(bool announce) {
    auto table = std::make_unique<zone::ZoneTable>();
    std::vector<config::ZoneConfig> zones = config.zones;
    if (zones.empty()) {
      // No zones configured: serve everything in the store, RFC 4592 style.
      for (const auto& m : store->Zones())
        zones.push_back({dns::NameToText(reinterpret_cast<const uint8_t*>(m.origin.data())), "",
                         config::WildcardMode::kRfc4592});
    }
    for (const auto& zc : zones) {
      zone::Zone z;
      z.origin = dns::WireName(zc.origin);
      auto meta = store->FindZone(Lower(z.origin));
      if (!meta) return Status::Error("zone " + zc.origin + " is not in the store and has no file");
      // Never serve half a zone: the version the meta points at must be there.
      if (Status ok = store->CheckZone(*meta); !ok.ok())
        return Status::Error("zone " + zc.origin + ": " + ok.message());
      z.meta = *meta;
      z.origin_labels = dns::LabelCount(reinterpret_cast<const uint8_t*>(z.origin.data()));
      z.mode = zc.wildcards == config::WildcardMode::kLongestMatch
                   ? zone::WildcardMode::kLongestMatch
                   : zone::WildcardMode::kRfc4592;
      if (announce)
        Log(LogLevel::kInfo, "zone %s serial %u: %llu names, %llu records, wildcards %s",
            zc.origin.c_str(), meta->serial, static_cast<unsigned long long>(meta->names),
            static_cast<unsigned long long>(meta->records),
            z.mode == zone::WildcardMode::kRfc4592 ? "rfc4592" : "longest-match");
      table->Add(std::move(z));
    }
    registry.Publish(std::move(table));
    return Status::OK();
  }
};

Daemon::Daemon(config::Config config) : impl_(new Impl) { impl_->config = std::move(config); }
Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  Impl& d = *impl_;
  auto started = std::chrono::steady_clock::now();
  store::ZoneStore::Options store_options;
  store_options.block_cache_bytes = size_t{d.config.cache_blocks_mb} << 20;
  auto store =
      store::ZoneStore::Open(d.config.store, store::ZoneStore::Mode::kReadWrite, store_options);
  if (!store.ok()) return store.status();
  d.store = std::move(store.value());
  for (const auto& zc : d.config.zones) {
    Status st = d.Refresh(zc, false);
    if (!st.ok()) return st;
  }
  Status st = d.Publish(true);
  if (!st.ok()) return st;

  net::ServerOptions so;
  for (const auto& l : d.config.listen) so.endpoints.push_back({l.host, l.port, l.udp, l.tcp});
  int workers = d.config.workers;
  if (workers <= 0) workers = static_cast<int>(std::thread::hardware_concurrency());
  so.workers = workers > 0 ? workers : 1;
  so.udp_spread = d.config.udp_spread_by_name ? net::UdpSpread::kName : net::UdpSpread::kFlow;
  so.tcp_idle_timeout_ms = d.config.tcp_idle_timeout_ms;
  so.tcp_query_timeout_ms = d.config.tcp_query_timeout_ms;
  so.tcp_max_connections = d.config.tcp_max_connections;
  so.tcp_max_connections_per_source = d.config.tcp_max_connections_per_source;
  so.tcp_max_queued_bytes = d.config.tcp_max_queued_bytes;
  query::ResponderOptions ro;
  ro.udp_max_payload = d.config.udp_max_payload;
  ro.version = d.config.version_string;
  // cache.names_mb is the server's total. Every handler has a cache of its
  // own: with UDP served, its threads share 7/8 of the total and the TCP
  // handlers (one per worker, carrying the little TCP traffic ENUM sees) 1/8;
  // without UDP the TCP handlers share it all.
  const size_t cache_bytes = size_t{d.config.cache_names_mb} << 20;
  const int udp_handlers = net::Server::UdpHandlers(so);
  query::ResponderOptions udp_ro = ro;
  if (udp_handlers > 0) {
    udp_ro.node_cache_bytes = cache_bytes / 8 * 7 / static_cast<size_t>(udp_handlers);
    ro.node_cache_bytes = cache_bytes / 8 / static_cast<size_t>(so.workers);
  } else {
    ro.node_cache_bytes = cache_bytes / static_cast<size_t>(so.workers);
  }
  const config::RateLimitConfig& rl = d.config.rate_limit;
  if (rl.enabled) {
    query::RrlOptions o;
    o.responses_per_second = rl.responses_per_second;
    o.nxdomains_per_second = rl.nxdomains_per_second;
    o.errors_per_second = rl.errors_per_second;
    o.window = rl.window;
    o.slip = rl.slip;
    o.ipv4_prefix_length = rl.ipv4_prefix_length;
    o.ipv6_prefix_length = rl.ipv6_prefix_length;
    std::string exempt;
    for (const config::Cidr& c : rl.exempt) {
      query::RrlPrefix p;
      p.v6 = c.v6;
      std::memcpy(p.addr, c.addr, sizeof(p.addr));
      p.length = c.length;
      o.exempt.push_back(p);
      exempt += (exempt.empty() ? ", exempt " : " ") + c.text;
    }
    o.table_size = rl.table_size;
    o.log_only = rl.log_only;
    o.counter_slots = static_cast<unsigned>(net::Server::HandlerSlots(so));
    d.rrl = std::make_unique<query::Rrl>(std::move(o));
    const query::RrlOptions& a = d.rrl->options();
    Log(LogLevel::kInfo,
        "rate limit%s: %u responses/s, %u nxdomains/s, %u errors/s per /%u and /%u, window %u s, "
        "slip %u, %zu entries%s",
        a.log_only ? " (log only)" : "", a.responses_per_second, a.nxdomains_per_second,
        a.errors_per_second, a.ipv4_prefix_length, a.ipv6_prefix_length, a.window, a.slip,
        d.rrl->capacity(), exempt.c_str());
  }
  const store::ZoneStore* s = d.store.get();
  const zone::ZoneRegistry* reg = &d.registry;
  query::Rrl* rrl = d.rrl.get();
  d.server =
      std::make_unique<net::Server>(so, [s, reg, ro, udp_ro, rrl](const net::HandlerRole& r) {
        return std::make_unique<Handler>(s, reg, r.transport == net::Transport::kUdp ? udp_ro : ro,
                                         rrl, r.slot);
      });
  st = d.server->Start();
  if (!st.ok()) return st;
  std::vector<uint16_t> ports = d.server->ports();
  for (size_t i = 0; i < so.endpoints.size(); ++i) {
    const auto& e = so.endpoints[i];
    bool v6 = e.host.find(':') != std::string::npos;
    Log(LogLevel::kInfo, "listening on %s%s%s:%u %s%s%s, %d workers", v6 ? "[" : "", e.host.c_str(),
        v6 ? "]" : "", i < ports.size() ? ports[i] : e.port, e.udp ? "udp" : "",
        e.udp && e.tcp ? "+" : "", e.tcp ? "tcp" : "", so.workers);
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  Log(LogLevel::kInfo, "ready in %.1f ms", ms);
  return Status::OK();
}

Status Daemon::Reload() {
  Impl& d = *impl_;
  Log(LogLevel::kInfo, "reload: checking zone files");
  Status first;
  for (const auto& zc : d.config.zones) {
    Status st = d.Refresh(zc, true);
    if (!st.ok() && first.ok()) first = st;
  }
  Status st = d.Publish(true);
  return first.ok() ? st : first;
}

void Daemon::Tick() {
  Impl& d = *impl_;
  d.registry.Retire();
  auto now = std::chrono::steady_clock::now();
  auto& gens = d.retired_generations;
  for (auto it = gens.begin(); it != gens.end();) {
    if (now - it->second < kGrace) {
      ++it;
      continue;
    }
    Status st = d.store->DropGeneration(it->first);
    if (!st.ok()) Log(LogLevel::kWarning, "store: %s", st.message().c_str());
    it = gens.erase(it);
  }
  if (d.rrl && now - d.rrl_logged_at >= kCounterLogInterval) {
    const query::RrlCounters c = d.rrl->Totals();
    const query::RrlCounters& was = d.rrl_logged;
    if (c.dropped != was.dropped || c.slipped != was.slipped || c.evicted != was.evicted) {
      char evicted[96] = "";
      if (c.evicted != was.evicted)
        snprintf(evicted, sizeof(evicted),
                 "; %llu live accounts evicted, raise rate_limit.table_size",
                 static_cast<unsigned long long>(c.evicted - was.evicted));
      Log(LogLevel::kInfo, "rate limit: %s %llu, slipped %llu UDP responses (totals %llu, %llu)%s",
          d.rrl->options().log_only ? "would have dropped" : "dropped",
          static_cast<unsigned long long>(c.dropped - was.dropped),
          static_cast<unsigned long long>(c.slipped - was.slipped),
          static_cast<unsigned long long>(c.dropped), static_cast<unsigned long long>(c.slipped),
          evicted);
      d.rrl_logged = c;
      d.rrl_logged_at = now;
    }
  }
  if (now - d.udp_dropped_logged_at >= kCounterLogInterval) {
    d.LogUdpDropped();
    d.udp_dropped_logged_at = now;
  }
}

void Daemon::Stop() {
  if (!impl_) return;
  if (impl_->server) impl_->server->Stop();
  impl_->LogUdpDropped();  // what the last seconds added
  impl_->server.reset();
  impl_->store.reset();
}

std::vector<uint16_t> Daemon::ports() const {
  return impl_->server ? impl_->server->ports() : std::vector<uint16_t>();
}

}  // namespace enumd::daemon
