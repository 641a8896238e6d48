#include "daemon/daemon.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/hash.h"
#include "common/memory.h"
#include "common/thread_name.h"
#include "daemon/cache_warmer.h"
#include "daemon/control_server.h"
#include "daemon/daemon_metrics.h"
#include "daemon/dnstap.h"
#include "daemon/notifier.h"
#include "daemon/secondary.h"
#include "daemon/status_report.h"
#include "daemon/transfer_counters.h"
#include "daemon/update_writer.h"
#include "daemon/writer_priority.h"
#include "daemon/zone_probe.h"
#include "dns/name.h"
#include "dns/tsig_key_file.h"
#include "net/server.h"
#include "query/responder.h"
#include "query/rrl.h"
#include "query/signed_answer.h"
#include "query/transfer_policy.h"
#include "query/zone_transfer.h"
#include "store/zone_store.h"
#include "zone/zone_file_reader.h"
#include "zone/zone_importer.h"
#include "zone/zone_table.h"
#include "zone/zone_transaction.h"

namespace enumd::daemon {

namespace {

using Clock = std::chrono::steady_clock;

// Counters (RRL, UDP replies not sent) are logged at most this often, and
// only when they moved.
constexpr auto kCounterLogInterval = std::chrono::seconds(5);
// The writer thread's housekeeping period.
constexpr auto kTick = std::chrono::seconds(1);
// cache.names_mb auto: the memory loaded caches take per byte of tables
// (at 10M numbers the records take 1.26x the tables, whose keys RocksDB
// stores prefix-compressed, and the slot tables ~0.25x).
constexpr double kCacheBytesPerTableByte = 1.5;

// A zone transfer as the TCP connection pulls it; logs how it ended.
class TransferOut : public net::ResponseStream {
 public:
  // `counters` outlives the stream.
  TransferOut(std::unique_ptr<query::TransferStream> stream, std::string what,
              TransferCounters* counters)
      : stream_(std::move(stream)), what_(std::move(what)), counters_(counters) {}
  ~TransferOut() override {
    TransferCounters::Ended how = TransferCounters::kComplete;
    if (stream_->done()) {
      Log(LogLevel::kInfo, "%s: ended, %llu records in %llu messages", what_.c_str(),
          static_cast<unsigned long long>(stream_->records()),
          static_cast<unsigned long long>(stream_->messages()));
    } else if (!stream_->status().ok()) {
      how = TransferCounters::kFailed;
      Log(LogLevel::kError, "%s: failed: %s", what_.c_str(), stream_->status().message().c_str());
    } else {
      how = TransferCounters::kCutShort;
      Log(LogLevel::kWarning,
          "%s: cut short after %llu records (the client went away or stopped "
          "reading)",
          what_.c_str(), static_cast<unsigned long long>(stream_->records()));
    }
    counters_->End(how, stream_->records(), stream_->messages());
  }
  size_t Next(uint8_t* out, size_t cap) noexcept override {
    const size_t n = stream_->Next(out, cap);
    return n == query::TransferStream::kFailed ? kFailed : n;
  }

 private:
  std::unique_ptr<query::TransferStream> stream_;
  std::string what_;
  TransferCounters* counters_;
};

class Handler : public net::QueryHandler {
 public:
  // `rrl` (shared by every handler; may be null = off) and `errors` outlive
  // the handler. `slot` is the handler's own RRL counter slot.
  // `metrics` (null: metrics off) is this handler's own block. UPDATEs go
  // to `updates` (the writer), answered over UDP through `udp_fd`.
  Handler(const store::ZoneStore* store, const zone::ZoneRegistry* zones,
          query::ResponderOptions options, query::Rrl* rrl, int slot, ServeErrorLog* errors,
          metrics::QueryMetrics* metrics, UpdateWriter* updates, int udp_fd, Dnstap::Tap* tap,
          const query::TransferPolicyHolder* transfer_policy, TransferCounters* transfer_counters)
      : responder_(store, zones, std::move(options)),
        transfers_(store, zones, transfer_policy),
        transfer_policy_(transfer_policy),
        transfer_counters_(transfer_counters),
        rrl_(rrl),
        slot_(static_cast<unsigned>(slot)),
        errors_(errors),
        metrics_(metrics),
        updates_(updates),
        udp_fd_(udp_fd),
        tap_(tap) {
    if (metrics_ != nullptr)
      responder_.set_cache_counters(metrics_->cache_hits(), metrics_->cache_misses());
  }
  size_t Handle(const uint8_t* q, size_t len, uint8_t* out, size_t cap, net::Transport t,
                const sockaddr* peer) noexcept override {
    const bool tcp = t == net::Transport::kTcp;
    // dnstap (null: off): the sampled queries, with what they were answered.
    timespec received{};
    const bool tapped = tap_ != nullptr && tap_->Sample();
    if (tapped) clock_gettime(CLOCK_REALTIME, &received);
    // RFC 2136 UPDATE (opcode 5, not a response): the writer's. Over UDP it
    // answers later on this socket; over TCP this thread waits for it.
    if (updates_ != nullptr && len >= dns::kHeaderSize && (q[2] & 0x80) == 0 &&
        ((q[2] >> 3) & 0xF) == 5) {
      if (!tcp && udp_fd_ >= 0 && peer != nullptr) {
        if (tapped) tap_->Log(q, len, nullptr, 0, tcp, peer, received);  // answered later
        updates_->SubmitUdp(q, len, peer, udp_fd_);
        return 0;
      }
      const size_t n = updates_->SubmitAndWait(q, len, peer, out, cap);
      if (tapped) tap_->Log(q, len, out, n, tcp, peer, received);
      return n;
    }
    // NOTIFY (RFC 1996): for a secondary zone, from its primary; else we
    // are the zone's primary.
    if (query::ZoneTransfers::IsNotify(q, len)) {
      const size_t n =
          transfers_.AnswerNotify(q, len, out, cap, peer, static_cast<uint64_t>(time(nullptr)));
      if (!transfers_.last_log().empty())
        Log(LogLevel::kDebug, "%s", transfers_.last_log().c_str());
      if (n >= dns::kHeaderSize) transfer_counters_->Notify((out[3] & 0x0F) == 0);
      return n;
    }
    // AXFR and IXFR (RFC 5936, RFC 1995): admin path, logged.
    if (query::ZoneTransfers::IsTransfer(q, len)) {
      const size_t n = transfers_.Answer(q, len, out, cap, tcp, peer,
                                         static_cast<uint64_t>(time(nullptr)), &stream_);
      if (!transfers_.last_log().empty())
        Log(LogLevel::kInfo, "%s%s", transfers_.last_log().c_str(), stream_ ? ": started" : "");
      transfer_counters_->Request(transfers_.last_was_ixfr(), transfers_.last_answer());
      if (tapped) tap_->Log(q, len, out, n, tcp, peer, received);  // a stream: the query only
      return n;
    }
    const bool timed = metrics_ != nullptr && metrics_->ShouldTime();
    const uint64_t t0 = timed ? MonotonicNs() : 0;
    size_t n = responder_.Respond(q, len, out, cap, tcp);
    if (responder_.TakeError(&error_)) errors_->Report(error_);
    // Over UDP only: a TCP client has proved its address (BIND, Knot).
    if (!tcp && n != 0 && rrl_ != nullptr)
      n = rrl_->Apply(out, n, responder_.last_response(), peer, slot_);
    // A signed query (a secondary's refresh check): the answer is signed
    // with the key, or is the TSIG error (RFC 8945 §5.3).
    if (n != 0 && responder_.last_info().tsig)
      n = query::SignQueryAnswer(q, len, transfer_policy_->Get()->keys,
                                 static_cast<uint64_t>(time(nullptr)), out, n, cap);
    if (metrics_ != nullptr) {
      metrics_->Record(OutcomeOf(responder_.last_info(), out, n, tcp, peer));
      if (timed) metrics_->RecordDuration(MonotonicNs() - t0);
    }
    if (tapped) tap_->Log(q, len, out, n, tcp, peer, received);
    return n;
  }
  void Prefetch(const uint8_t* const* queries, const size_t* lens, size_t n) noexcept override {
    responder_.Prefetch(queries, lens, n);
  }
  void set_cache_handoff(store::CacheHandoff* handoff) { responder_.set_cache_handoff(handoff); }
  std::unique_ptr<net::ResponseStream> TakeStream() noexcept override {
    if (!stream_) return nullptr;
    try {
      return std::make_unique<TransferOut>(std::move(stream_), transfers_.last_log(),
                                           transfer_counters_);
    } catch (...) {
      stream_.reset();
      return nullptr;
    }
  }

 private:
  query::Responder responder_;
  query::ZoneTransfers transfers_;
  const query::TransferPolicyHolder* transfer_policy_;
  TransferCounters* transfer_counters_;
  std::unique_ptr<query::TransferStream> stream_;  // started by the last Handle
  query::Rrl* rrl_;
  unsigned slot_;
  ServeErrorLog* errors_;
  query::ServeError error_;
  metrics::QueryMetrics* metrics_;
  UpdateWriter* updates_;
  int udp_fd_;
  Dnstap::Tap* tap_;
};

std::string Lower(std::string wire) {
  dns::LowerName(reinterpret_cast<uint8_t*>(wire.data()));
  return wire;
}

std::vector<zone::UpdatePrefix> Prefixes(const std::vector<config::Cidr>& cidrs) {
  std::vector<zone::UpdatePrefix> out;
  for (const config::Cidr& c : cidrs) {
    zone::UpdatePrefix p;
    p.v6 = c.v6;
    std::memcpy(p.addr, c.addr, sizeof(p.addr));
    p.length = c.length;
    out.push_back(p);
  }
  return out;
}

const char* ModeName(zone::WildcardMode mode) {
  return mode == zone::WildcardMode::kRfc4592 ? "rfc4592" : "longest-match";
}

}  // namespace

struct Daemon::Impl {
  // The running configuration. After Start only the writer thread uses it.
  config::Config config;
  std::unique_ptr<store::ZoneStore> store;
  // Before `server`: the handlers' epoch readers and error log outlive them.
  zone::ZoneRegistry registry;
  ServeErrorLog serve_errors;
  std::unique_ptr<query::Rrl> rrl;
  // Before `server`: the handlers' counter blocks outlive them.
  std::unique_ptr<DaemonMetrics> metrics;  // null: metrics.listen not set
  query::RrlCounters rrl_logged;
  Clock::time_point rrl_logged_at;
  // Before `server`: the handlers queue UPDATEs on it.
  std::unique_ptr<UpdateWriter> updates;
  // Before `server`: the handlers' taps (null: dnstap off).
  std::unique_ptr<Dnstap> dnstap;
  uint64_t dnstap_dropped_logged = 0;
  // Before `server`: who may transfer which zone, read by the handlers.
  query::TransferPolicyHolder transfer_policy;
  // Before `server`: what the handlers count of transfers and NOTIFYs.
  TransferCounters transfer_counters;
  // After `store`, which it reads: NOTIFY to the secondaries.
  std::unique_ptr<Notifier> notifier;
  // After `store`: follows the primaries of zones[].primaries. Before
  // `server`: handlers poke it on NOTIFY (through transfer_policy).
  std::unique_ptr<Secondary> secondary;
  ControlServer control;
  // Before `server`: where the UDP handlers take the caches `warmer` loads
  // (cache.names_mb auto); a deque, so that their addresses stay put.
  std::deque<store::CacheHandoff> cache_handoffs;
  std::vector<CacheWarmer::Target> warm_targets;
  std::unique_ptr<net::Server> server;
  std::unique_ptr<CacheWarmer> warmer;  // reads store and registry; stopped first
  uint64_t udp_dropped_logged = 0;
  Clock::time_point udp_dropped_logged_at;
  // Each origin's per-zone metrics counter (zone::Zone::metrics_id), by
  // lower-case wire origin. Writer thread.
  std::map<std::string, uint16_t> zone_metric_ids;
  // For `enumctl status`: set by Start.
  int64_t started_unix = time(nullptr);
  std::vector<std::string> listeners;
  int workers = 0;

  // The writer thread and what it is asked to do.
  std::thread writer;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;                  // under mu
  std::optional<config::Config> pending;  // under mu: the newest reload request
  uint64_t reloads_requested = 0;         // under mu: RequestReload's numbers
  uint64_t pending_number = 0;            // under mu: the number of `pending`
  std::atomic<uint64_t> reloads_done{0};  // the number of the last reload finished
  std::atomic<bool> cancel{false};        // an import in progress stops
  // Work for the writer thread from the control socket, run in order.
  std::deque<std::function<void()>> tasks;  // under mu

  // Runs `fn` on the writer thread and waits for it (the control socket's
  // requests that are not UPDATEs). False when enumd is stopping.
  bool OnWriter(const std::function<void()>& fn) {
    std::mutex done_mu;
    std::condition_variable done_cv;
    bool done = false;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (stopping) return false;
      tasks.push_back([&] {
        fn();
        std::lock_guard<std::mutex> l(done_mu);
        done = true;
        done_cv.notify_all();
      });
    }
    wake.notify_one();
    std::unique_lock<std::mutex> l(done_mu);
    done_cv.wait(l, [&] { return done; });
    return true;
  }

  // Loads the TSIG keys and each zone's update settings into the writer.
  // Problems are logged (a zone naming an unknown key takes no updates from
  // it); `strict` (start-up) makes them errors.
  Status ConfigureUpdates(bool strict) {
    dns::TsigKeyRing keys;
    Status first;
    auto problem = [&](const std::string& what) {
      Log(strict ? LogLevel::kError : LogLevel::kWarning, "%s", what.c_str());
      if (first.ok()) first = Status::Error(what);
    };
    for (const std::string& file : config.key_files) {
      auto loaded = dns::LoadTsigKeyFile(file);
      if (!loaded.ok()) {
        problem(loaded.status().message());
        continue;
      }
      for (dns::TsigKey& k : *loaded) {
        Status st = keys.Add(std::move(k));
        if (!st.ok()) problem(file + ": " + st.message());
      }
    }
    // A key name as the policies hold it; one in no key file is a problem.
    auto KeyWire = [&](const config::ZoneConfig& zc, const std::string& name, const char* what) {
      std::string w = Lower(dns::WireName(name));
      if (!w.empty() && !keys.Find(w))
        problem("zone " + zc.origin + ": " + what + " key " + name + " is in no key file");
      return w;
    };
    std::map<std::string, ZoneUpdateSettings> zones;
    std::vector<config::ZoneConfig> served = config.zones;
    if (served.empty()) {
      for (const zone::Zone& z : registry.served().zones()) {
        config::ZoneConfig zc;
        zc.origin = dns::NameToText(reinterpret_cast<const uint8_t*>(z.origin.data()));
        served.push_back(std::move(zc));
      }
    }
    for (const config::ZoneConfig& zc : served) {
      if (zc.catalog_generate) continue;  // enumd writes it; nobody updates it
      ZoneUpdateSettings s;
      s.policy.origin = Lower(dns::WireName(zc.origin));
      s.serial = zc.serial == config::SerialPolicy::kUnixTime     ? zone::SerialPolicy::kUnixTime
                 : zc.serial == config::SerialPolicy::kDateSerial ? zone::SerialPolicy::kDateSerial
                                                                  : zone::SerialPolicy::kIncrement;
      s.journal.max_entries = zc.journal_max_entries;
      s.journal.max_bytes = zc.journal_max_bytes;
      s.secondary = zc.secondary();
      auto key_wire = [&](const std::string& name) { return KeyWire(zc, name, "update"); };
      for (const std::string& k : zc.update.keys) s.policy.keys.push_back(key_wire(k));
      s.policy.addresses = Prefixes(zc.update.allow);
      for (const std::string& text : zc.update.policy) {
        auto words = config::ParseUpdateRule(text);
        if (!words.ok()) {
          problem("zone " + zc.origin + ": " + words.status().message());
          continue;
        }
        const std::vector<std::string>& w = *words;
        zone::UpdateRule r;
        r.grant = w[0] == "grant";
        r.key = key_wire(w[1]);
        r.match = w[2] == "zonesub"     ? zone::UpdateRule::Match::kZoneSub
                  : w[2] == "subdomain" ? zone::UpdateRule::Match::kSubdomain
                  : w[2] == "name"      ? zone::UpdateRule::Match::kName
                                        : zone::UpdateRule::Match::kWildcard;
        size_t at = 3;
        if (r.match != zone::UpdateRule::Match::kZoneSub) r.name = Lower(dns::WireName(w[at++]));
        bool bad = false;
        for (; at < w.size(); ++at) {
          if (w[at] == "ANY" || w[at] == "any") {
            r.any = true;
            continue;
          }
          uint16_t type = zone::RecordTypeFromText(w[at]);
          if (type == 0) {
            problem("zone " + zc.origin + ": update policy \"" + text + "\": unknown type " +
                    w[at]);
            bad = true;
          }
          r.types.push_back(type);
        }
        if (!bad) s.policy.rules.push_back(std::move(r));
      }
      zones[s.policy.origin] = std::move(s);
    }
    auto transfers = std::make_shared<query::TransferPolicy>();
    transfers->keys = keys;
    transfers->max_out = config.transfers_out;
    for (const config::ZoneConfig& zc : served) {
      query::TransferAcl acl;
      for (const std::string& k : zc.transfer.keys) acl.keys.push_back(KeyWire(zc, k, "transfer"));
      acl.addresses = Prefixes(zc.transfer.allow);
      for (const config::NotifyTarget& n : zc.notify)
        if (!n.key.empty()) KeyWire(zc, n.key, "notify");
      transfers->zones[Lower(dns::WireName(zc.origin))] = std::move(acl);
    }
    // Secondary zones: who may NOTIFY them, and what a NOTIFY does.
    std::vector<Secondary::Zone> secondaries;
    for (const config::ZoneConfig& zc : served) {
      if (!zc.secondary()) continue;
      std::vector<query::NotifySource> sources;
      for (const config::PrimaryConfig& p : zc.primaries) {
        query::NotifySource n;
        if (auto c = config::ParseCidr(p.host); c.ok()) n.address = Prefixes({*c})[0];
        if (!p.key.empty()) n.key = KeyWire(zc, p.key, "primary");
        sources.push_back(std::move(n));
      }
      transfers->primaries[Lower(dns::WireName(zc.origin))] = std::move(sources);
      Secondary::Zone z;
      z.origin = Lower(dns::WireName(zc.origin));
      z.name = zc.origin;
      z.primaries = zc.primaries;
      z.timeout_s = zc.transfer_in_timeout_s;
      z.max_bytes = zc.transfer_in_max_bytes;
      z.journal.max_entries = zc.journal_max_entries;
      z.journal.max_bytes = zc.journal_max_bytes;
      secondaries.push_back(std::move(z));
    }
    Secondary* follow = secondary.get();
    transfers->on_notify = [follow](const std::string& origin) { follow->Poke(origin); };
    if (secondary) secondary->Configure(std::move(secondaries), keys);
    transfer_policy.Set(std::move(transfers));
    updates->Configure(std::move(keys), std::move(zones));
    return strict ? first : Status::OK();
  }

  // Each zone's NOTIFY targets and the timing, from the running config.
  void ConfigureNotify() {
    if (!notifier) return;
    std::vector<Notifier::Zone> zones;
    const std::shared_ptr<const query::TransferPolicy> policy = transfer_policy.Get();
    for (const config::ZoneConfig& zc : config.zones) {
      Notifier::Zone z;
      z.origin = dns::WireName(zc.origin);
      for (const config::NotifyTarget& a : zc.notify) {
        Notifier::Target t{a.host, a.port, nullptr};
        if (!a.key.empty()) {
          // Checked with the other keys (ConfigureUpdates); one missing
          // from every key file leaves the target out.
          const dns::TsigKey* k = policy->keys.Find(Lower(dns::WireName(a.key)));
          if (k == nullptr) continue;
          t.key = std::make_shared<const dns::TsigKey>(*k);
        }
        z.targets.push_back(std::move(t));
      }
      zones.push_back(std::move(z));
    }
    Notifier::Options o;
    o.retries = config.notify_retries;
    o.retry_interval_ms = config.notify_retry_interval_ms;
    o.rate = config.notify_rate;
    notifier->Configure(std::move(zones), o);
  }

  // The control socket's requests (see control_server.h).
  uint8_t Control(uint8_t command, const std::string& payload, std::string* reply) {
    switch (command) {
      case 'U':
        *reply = updates->SubmitLocal(payload);
        return reply->empty() ? 1 : 0;
      case 'I': {
        const size_t nul = payload.find('\0');
        if (nul == std::string::npos) {
          *reply = "malformed import request";
          return 1;
        }
        config::ZoneConfig zc;
        zc.origin = payload.substr(0, nul);
        zc.file = payload.substr(nul + 1);
        const size_t flag = zc.file.find('\0');
        const bool whole = flag != std::string::npos && zc.file.substr(flag + 1) == "whole";
        if (flag != std::string::npos) zc.file.resize(flag);
        // The zone's settings (journal bounds, reload mode) when configured.
        for (const config::ZoneConfig& c : config.zones)
          if (Lower(dns::WireName(c.origin)) == Lower(dns::WireName(zc.origin))) {
            const std::string file = zc.file;
            zc = c;
            zc.file = file;
          }
        if (whole) zc.reload_difference = false;
        if (!zc.primaries.empty()) {
          *reply = "zone " + zc.origin +
                   " is a secondary zone: it is transferred from its primaries, not imported";
          return 1;
        }
        bool ok = true;
        std::string why;
        Status st;
        if (!OnWriter([&] {
              st = Refresh(zc, true, &ok, /*force=*/true, &why);
              if (st.ok()) st = Publish(false);
            })) {
          *reply = "enumd is stopping";
          return 1;
        }
        if (!st.ok() || !ok) {
          *reply = !st.ok() ? st.message() : why.empty() ? "import failed; see enumd's log" : why;
          return 1;
        }
        auto meta = store->FindZone(Lower(dns::WireName(zc.origin)));
        *reply = "zone " + zc.origin + " serial " + std::to_string(meta ? meta->serial : 0);
        return 0;
      }
      case 'S':
        *reply = StatusText(payload == "json");
        return 0;
      default:
        *reply = "unknown command";
        return 1;
    }
  }

  // The status `enumctl status` prints (JSON when `json`). Any thread: the
  // zones are read on the writer thread.
  std::string StatusText(bool json) {
    StatusReport r;
    r.version = ENUMD_VERSION;
    r.pid = getpid();
    r.started_unix = started_unix;
    r.now_unix = time(nullptr);
    r.listeners = listeners;
    r.workers = workers;
    r.store = store->path();
    if (store->read_only()) r.read_only = store->read_only_reason();
    std::vector<Secondary::ZoneReport> secondaries;
    if (secondary) secondaries = secondary->Report();
    OnWriter([&] {
      for (const zone::Zone& served : registry.served().zones()) {
        const std::string origin = Lower(served.origin);
        auto meta = store->FindZone(origin);
        StatusReport::Zone z;
        z.origin = dns::NameToText(reinterpret_cast<const uint8_t*>(served.origin.data()));
        z.wildcards = ModeName(served.mode);
        for (const config::ZoneConfig& zc : config.zones)
          if (Lower(dns::WireName(zc.origin)) == origin) z.file = zc.file;
        if (meta) {
          z.serial = meta->serial;
          z.names = meta->names;
          z.records = meta->records;
          z.journal_changes = meta->journal_next - meta->journal_first;
          z.journal_bytes = meta->journal_bytes;
        }
        for (const Secondary::ZoneReport& s : secondaries)
          if (s.origin == origin) {
            z.secondary = true;
            z.refreshed_unix = s.refreshed_at;
            z.next_check_unix = s.next_check;
            z.expired = s.expired;
            z.refresh_error = s.last_error;
          }
        r.zones.push_back(std::move(z));
      }
    });
    auto add = [&r](const char* group, const char* name, uint64_t value) {
      r.counters.push_back({group, name, value});
    };
    if (metrics) {
      const metrics::QueryTotals q = metrics->QueryTotals();
      add("queries", "udp", q.queries[0][0] + q.queries[0][1]);
      add("queries", "tcp", q.queries[1][0] + q.queries[1][1]);
      add("queries", "unanswered", q.dropped);
      add("queries", "truncated", q.truncated);
      add("responses", "noerror", q.rcodes[0]);
      add("responses", "servfail", q.rcodes[2]);
      add("responses", "nxdomain", q.rcodes[3]);
      add("responses", "refused", q.rcodes[5]);
    } else {
      r.not_counted.emplace_back("queries", "counted only with metrics.listen set");
    }
    const UpdateCounters u = updates->counters();
    add("updates", "received", u.received);
    add("updates", "applied", u.applied);
    add("updates", "refused", u.refused);
    add("updates", "failed", u.failed);
    if (server) {
      const net::TcpCounts t = server->TcpTotals();
      add("tcp", "open", t.open);
      add("tcp", "accepted", t.accepted);
      add("tcp", "refused", t.refused);
      add("tcp", "evicted", t.evicted);
      add("tcp", "timed_out", t.timed_out);
      add("udp", "replies_not_sent", server->UdpRepliesDropped());
    }
    if (warmer) {
      const CacheWarmer::Loaded l = warmer->loaded();
      add("node_caches", "loads", l.loads);
      add("node_caches", "names_loaded", l.names);
      add("node_caches", "bytes_loaded", l.bytes);
      // Of `caches`, those answering absent names from memory.
      add("node_caches", "caches", l.caches);
      add("node_caches", "knowing_absence", l.complete);
    } else {
      r.not_counted.emplace_back("node_caches",
                                 "names are cached as they are asked (cache.names_mb)");
    }
    if (rrl) {
      const query::RrlCounters c = rrl->Totals();
      add("rate_limit", "dropped", c.dropped);
      add("rate_limit", "slipped", c.slipped);
    }
    if (dnstap) {
      add("dnstap", "sent", dnstap->sent());
      add("dnstap", "dropped", dnstap->dropped());
    }
    const TransferCounters::Totals t = transfer_counters.Get();
    for (size_t a = 1; a < TransferCounters::kAnswers; ++a)
      add("transfers_out", TransferAnswerName(a),
          t.requests[TransferCounters::kAxfr][a] + t.requests[TransferCounters::kIxfr][a]);
    for (size_t how = 0; how < TransferCounters::kEndings; ++how)
      add("transfers_out", TransferEndedName(how), t.ended[how]);
    add("transfers_out", "records", t.records);
    add("transfers_out", "active", transfer_policy.transfers_out());
    if (secondary) {
      const Secondary::Counters c = secondary->counters();
      add("transfers_in", "checks_up_to_date", c.checks_up_to_date);
      add("transfers_in", "checks_newer", c.checks_newer);
      add("transfers_in", "checks_failed", c.checks_failed);
      add("transfers_in", "axfr_applied", c.transfers_applied[0]);
      add("transfers_in", "ixfr_applied", c.transfers_applied[1]);
      add("transfers_in", "axfr_failed", c.transfers_failed[0]);
      add("transfers_in", "ixfr_failed", c.transfers_failed[1]);
      add("transfers_in", "records", c.records);
    }
    add("notify", "received_accepted", t.notify_accepted);
    add("notify", "received_rejected", t.notify_rejected);
    if (notifier) {
      const Notifier::Counters n = notifier->counters();
      add("notify", "sent", n.sent);
      add("notify", "answered", n.answered);
      add("notify", "given_up", n.given_up);
    }
    add("serve_errors", "store", serve_errors.store_errors());
    add("serve_errors", "oversize", serve_errors.oversize());
    return json ? RenderJson(r) : RenderText(r);
  }

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
  // from the one imported (path, size, modification time). A zone that has a
  // version keeps it when the new one fails; only a zone without any is an
  // error. `*ok` (may be null) becomes false when the file could not be read
  // or imported, whatever is served.
  Status Refresh(const config::ZoneConfig& zc, bool keep_previous, bool* ok = nullptr,
                 bool force = false, std::string* why_failed = nullptr) {
    if (zc.catalog_generate) {
      if (force) {  // enumctl import
        if (ok) *ok = false;
        if (why_failed)
          *why_failed = "zone " + zc.origin + " is a generated catalog zone: enumd writes it";
        return Status::OK();
      }
      return RefreshCatalog(zc, ok);
    }
    if (zc.file.empty()) return Status::OK();
    std::string origin = Lower(dns::WireName(zc.origin));
    auto meta = store->FindZone(origin);
    std::error_code ec;
    std::string path = std::filesystem::absolute(zc.file, ec).string();
    struct stat sb;
    if (stat(path.c_str(), &sb) != 0) {
      std::string why = "cannot read " + path + ": " + strerror(errno);
      if (ok) *ok = false;
      if (meta) {
        Log(LogLevel::kWarning, "zone %s: %s; serving the stored version (serial %u)",
            zc.origin.c_str(), why.c_str(), meta->serial);
        return Status::OK();
      }
      return Status::Error("zone " + zc.origin + ": " + why);
    }
    int64_t mtime = int64_t{sb.st_mtim.tv_sec} * 1000000000 + sb.st_mtim.tv_nsec;
    if (!force && meta && meta->source_file == path && meta->source_mtime_ns == mtime &&
        meta->source_size == static_cast<uint64_t>(sb.st_size))
      return Status::OK();
    if (store->read_only()) {
      std::string why = "the store is open read-only (" + store->read_only_reason() +
                        "); the zone file is not imported";
      if (meta) {
        Log(LogLevel::kWarning, "zone %s: %s; serving serial %u", zc.origin.c_str(), why.c_str(),
            meta->serial);
        return Status::OK();
      }
      return Status::Error("zone " + zc.origin + ": " + why);
    }
    Log(LogLevel::kInfo, "zone %s: importing %s", zc.origin.c_str(), path.c_str());
    zone::ImportOptions o;
    o.origin = zc.origin;
    o.keep_previous = keep_previous;
    o.temp_dir = config.store;  // a big zone's sort spills beside the store, not into /tmp
    o.cancel = &cancel;
    o.diff = zc.reload_difference;  // only what changed (ixfr-from-differences)
    o.journal.max_entries = zc.journal_max_entries;
    o.journal.max_bytes = zc.journal_max_bytes;
    auto r = zone::ImportZoneFile(store.get(), path, o);
    if (!r.ok()) {
      if (ok) *ok = false;
      if (why_failed) *why_failed = r.status().message();
      if (meta) {
        Log(LogLevel::kError, "zone %s: %s; still serving serial %u", zc.origin.c_str(),
            r.status().message().c_str(), meta->serial);
        return Status::OK();
      }
      return Status::Error("zone " + zc.origin + ": " + r.status().message());
    }
    if (r->diffed) {
      Log(LogLevel::kInfo,
          "zone %s: serial %u, %llu names changed, written in place (journal: %llu changes) in "
          "%.2f s",
          zc.origin.c_str(), r->meta.serial, static_cast<unsigned long long>(r->names_changed),
          static_cast<unsigned long long>(r->meta.journal_next - r->meta.journal_first),
          r->seconds);
      return Status::OK();
    }
    if (!r->full_reason.empty())
      Log(LogLevel::kInfo, "zone %s: imported whole, a new journal: %s", zc.origin.c_str(),
          r->full_reason.c_str());
    Log(LogLevel::kInfo, "zone %s: imported serial %u, %llu records in %.2f s", zc.origin.c_str(),
        r->meta.serial, static_cast<unsigned long long>(r->meta.records), r->seconds);
    return Status::OK();
  }

  // Calls fn for every configured zone, the generated catalog zones last
  // (they list the zones the store holds by then), until it returns false.
  void ForEachZoneCatalogsLast(const std::function<bool(const config::ZoneConfig&)>& fn) {
    for (bool catalogs : {false, true})
      for (const auto& zc : config.zones)
        if (zc.catalog_generate == catalogs && !fn(zc)) return;
  }

  // A generated catalog zone (RFC 9432, version 2): every other configured
  // zone in the store as a member, under a label derived from its name (a
  // zone keeps its label while it is listed). Rewritten only when the list
  // changed, with the serial raised, as a difference: journaled, so
  // consumers follow by IXFR, and NOTIFY goes out. The list's digest is in
  // the name of the file it was imported from (ZoneMeta::source_file),
  // which is how an unchanged list is recognised, across restarts too.
  Status RefreshCatalog(const config::ZoneConfig& zc, bool* ok) {
    const std::string origin = Lower(dns::WireName(zc.origin));
    std::vector<std::string> members;
    for (const config::ZoneConfig& m : config.zones) {
      const std::string wire = Lower(dns::WireName(m.origin));
      if (!m.catalog_generate && store->FindZone(wire))
        members.push_back(dns::NameToText(reinterpret_cast<const uint8_t*>(wire.data())));
    }
    std::sort(members.begin(), members.end());
    members.erase(std::unique(members.begin(), members.end()), members.end());
    uint64_t digest = kFnvOffset;
    for (const std::string& m : members) digest = Fnv1a(digest, m + "\n");
    char name[64];
    snprintf(name, sizeof(name), "catalog-%016llx.zone", static_cast<unsigned long long>(digest));
    auto meta = store->FindZone(origin);
    if (meta && std::filesystem::path(meta->source_file).filename() == name) return Status::OK();
    if (store->read_only()) {
      if (ok) *ok = false;
      Log(LogLevel::kWarning, "catalog zone %s: the store is read-only; not rewritten",
          zc.origin.c_str());
      return meta ? Status::OK()
                  : Status::Error("catalog zone " + zc.origin + ": the store is read-only");
    }
    uint32_t serial = static_cast<uint32_t>(time(nullptr));
    if (meta && !zone::SerialGreater(serial, meta->serial)) serial = meta->serial + 1;
    std::string text = "$ORIGIN " + zc.origin + "\n$TTL 0\n@ SOA invalid. invalid. " +
                       std::to_string(serial) + " 3600 600 2147483646 0\n@ NS invalid.\n" +
                       "version TXT \"2\"\n";
    for (const std::string& m : members) {
      char label[32];
      snprintf(label, sizeof(label), "%016llx",
               static_cast<unsigned long long>(Fnv1a(kFnvOffset, m)));
      text += std::string(label) + ".zones PTR " + m + "\n";
    }
    const char* tmp = getenv("TMPDIR");
    std::string dir_pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/enumd-catalog-XXXXXX";
    std::vector<char> pattern(dir_pattern.begin(), dir_pattern.end());
    pattern.push_back('\0');
    if (mkdtemp(pattern.data()) == nullptr) {
      if (ok) *ok = false;
      return Status::Error("catalog zone " + zc.origin + ": cannot make a directory " +
                           dir_pattern + ": " + strerror(errno));
    }
    const std::string dir = pattern.data();
    const std::string path = dir + "/" + name;
    Status st;
    {
      FILE* f = fopen(path.c_str(), "w");
      if (f == nullptr || fwrite(text.data(), 1, text.size(), f) != text.size() || fclose(f) != 0)
        st = Status::Error("catalog zone " + zc.origin + ": cannot write " + path + ": " +
                           strerror(errno));
    }
    if (st.ok()) {
      config::ZoneConfig file_zone = zc;
      file_zone.catalog_generate = false;
      file_zone.file = path;
      file_zone.reload_difference = true;
      st = Refresh(file_zone, true, ok);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (st.ok())
      Log(LogLevel::kInfo, "catalog zone %s: %zu member zones, serial %u", zc.origin.c_str(),
          members.size(), serial);
    return st;
  }

  // Builds the zone table from the configuration and the store and serves
  // it. A zone whose version in the store cannot be served keeps the version
  // it is served from now (logged); at start-up (`starting`) that is an
  // error instead. Generations that only the replaced table used are dropped
  // once no query can be reading them.
  Status Publish(bool starting) {
    auto table = std::make_unique<zone::ZoneTable>();
    std::vector<config::ZoneConfig> zones = config.zones;
    if (zones.empty()) {
      // No zones configured: serve everything in the store, RFC 4592 style.
      for (const auto& m : store->Zones()) {
        config::ZoneConfig z;
        z.origin = dns::NameToText(reinterpret_cast<const uint8_t*>(m.origin.data()));
        zones.push_back(std::move(z));
      }
    }
    const zone::ZoneTable& served = registry.served();
    for (const auto& zc : zones) {
      zone::Zone z;
      z.origin = dns::WireName(zc.origin);
      z.mode = zc.wildcards == config::WildcardMode::kLongestMatch
                   ? zone::WildcardMode::kLongestMatch
                   : zone::WildcardMode::kRfc4592;
      const zone::Zone* was = nullptr;
      for (const zone::Zone& s : served.zones())
        if (dns::NameEqual(reinterpret_cast<const uint8_t*>(s.origin.data()),
                           reinterpret_cast<const uint8_t*>(z.origin.data())))
          was = &s;
      auto meta = store->FindZone(Lower(z.origin));
      // A secondary zone is served SERVFAIL while it has no version or has
      // expired (as BIND and Knot).
      z.expired = secondary && zc.secondary() && secondary->Expired(Lower(z.origin));
      if (!meta && zc.secondary()) {
        z.meta.origin = Lower(z.origin);
        z.expired = true;
        table->Add(std::move(z));
        continue;
      }
      Status problem;
      if (!meta)
        problem = Status::Error("zone " + zc.origin + " is not in the store and has no file");
      else if (Status ok = store->CheckZone(*meta); !ok.ok())
        problem = Status::Error("store " + store->path() + " is damaged: " + ok.message() +
                                "; restore it from a backup, or re-import the zone with "
                                "`enumctl import`");
      if (!problem.ok()) {
        // Never serve half a zone: the version the meta points at must be there.
        if (starting) return problem;
        if (was) {
          Log(LogLevel::kError, "%s; still serving serial %u", problem.message().c_str(),
              was->meta.serial);
          zone::Zone keep = *was;
          keep.mode = z.mode;
          table->Add(std::move(keep));
        } else {
          Log(LogLevel::kError, "%s; not served", problem.message().c_str());
        }
        continue;
      }
      z.meta = *meta;
      if (starting || !was || was->meta.generation != z.meta.generation || was->mode != z.mode ||
          was->meta.serial != z.meta.serial)
        Log(LogLevel::kInfo, "zone %s serial %u: %llu names, %llu records, wildcards %s",
            zc.origin.c_str(), meta->serial, static_cast<unsigned long long>(meta->names),
            static_cast<unsigned long long>(meta->records), ModeName(z.mode));
      // The zone's per-zone query counter: one per origin for good, so a
      // reload that drops and re-adds a zone keeps counting in the same one.
      auto id = zone_metric_ids.find(Lower(z.origin));
      if (id == zone_metric_ids.end()) {
        const uint16_t next =
            static_cast<uint16_t>(std::min(zone_metric_ids.size(), metrics::kZoneSlots - 1));
        id = zone_metric_ids.emplace(Lower(z.origin), next).first;
      }
      z.metrics_id = id->second;
      table->Add(std::move(z));
    }
    std::set<uint32_t> kept;
    for (const zone::Zone& z : table->zones()) kept.insert(z.meta.generation);
    if (metrics) {
      std::vector<std::string> origins;
      for (const zone::Zone& z : table->zones())
        origins.push_back(dns::NameToText(reinterpret_cast<const uint8_t*>(z.origin.data())));
      metrics->SetZones(std::move(origins));
      std::vector<std::pair<std::string, uint16_t>> ids;
      for (const auto& [origin, id] : zone_metric_ids)
        ids.emplace_back(dns::NameToText(reinterpret_cast<const uint8_t*>(origin.data())), id);
      metrics->SetZoneIds(std::move(ids));
    }
    // Returns once no query can still be reading the old table.
    std::unique_ptr<zone::ZoneTable> old = registry.Publish(std::move(table));
    if (store->read_only()) return Status::OK();
    std::set<uint32_t> current;
    for (const auto& m : store->Zones()) current.insert(m.generation);
    for (const zone::Zone& z : old->zones()) {
      uint32_t gen = z.meta.generation;
      if (kept.count(gen) || current.count(gen)) continue;
      Status st = store->DropGeneration(gen);
      if (!st.ok())
        Log(LogLevel::kWarning, "store: %s (the next start cleans it up)", st.message().c_str());
    }
    return Status::OK();
  }

  void Reload(config::Config wanted) {
    auto started = Clock::now();
    bool ok = true;  // for the metrics: no part failed
    Log(LogLevel::kInfo, "reload: checking the configuration and zone files");
    for (const std::string& key : config::RestartOnlyChanges(config, wanted))
      Log(LogLevel::kWarning, "reload: %s changed; it takes effect at the next restart",
          key.c_str());
    config.zones = std::move(wanted.zones);
    config.key_files = std::move(wanted.key_files);
    config.transfers_out = wanted.transfers_out;
    config.notify_retries = wanted.notify_retries;
    config.notify_retry_interval_ms = wanted.notify_retry_interval_ms;
    config.notify_rate = wanted.notify_rate;
    if (config.log_level != wanted.log_level) {
      config.log_level = wanted.log_level;
      SetLogLevel(ParseLogLevel(config.log_level));
      Log(LogLevel::kInfo, "reload: log_level is now %s", config.log_level.c_str());
    }
    ForEachZoneCatalogsLast([&](const config::ZoneConfig& zc) {
      if (cancel.load()) return false;
      Status st = Refresh(zc, true, &ok);
      if (!st.ok()) {
        Log(LogLevel::kError, "reload: %s", st.message().c_str());
        ok = false;
      }
      return true;
    });
    if (cancel.load()) return;
    Status st = Publish(false);
    if (!st.ok()) {
      Log(LogLevel::kError, "reload: %s", st.message().c_str());
      ok = false;
    }
    (void)ConfigureUpdates(false);
    ConfigureNotify();
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    Log(LogLevel::kInfo, "reload: done in %.1f ms, %zu zones served", seconds * 1000,
        registry.served().zones().size());
    if (metrics) metrics->ReloadDone(ok, seconds);
  }

  void Tick() {
    store->ReclaimViews();
    auto now = Clock::now();
    if (rrl && now - rrl_logged_at >= kCounterLogInterval) {
      const query::RrlCounters c = rrl->Totals();
      const query::RrlCounters& was = rrl_logged;
      if (c.dropped != was.dropped || c.slipped != was.slipped || c.evicted != was.evicted) {
        char evicted[96] = "";
        if (c.evicted != was.evicted)
          snprintf(evicted, sizeof(evicted),
                   "; %llu live accounts evicted, raise rate_limit.table_size",
                   static_cast<unsigned long long>(c.evicted - was.evicted));
        Log(LogLevel::kInfo,
            "rate limit: %s %llu, slipped %llu UDP responses (totals %llu, %llu)%s",
            rrl->options().log_only ? "would have dropped" : "dropped",
            static_cast<unsigned long long>(c.dropped - was.dropped),
            static_cast<unsigned long long>(c.slipped - was.slipped),
            static_cast<unsigned long long>(c.dropped), static_cast<unsigned long long>(c.slipped),
            evicted);
        rrl_logged = c;
        rrl_logged_at = now;
      }
    }
    if (now - udp_dropped_logged_at >= kCounterLogInterval) {
      LogUdpDropped();
      if (dnstap && dnstap->dropped() != dnstap_dropped_logged) {
        const uint64_t total = dnstap->dropped();
        Log(LogLevel::kWarning,
            "dnstap: %llu messages dropped, the writer fell behind or the collector is away "
            "(total %llu)",
            static_cast<unsigned long long>(total - dnstap_dropped_logged),
            static_cast<unsigned long long>(total));
        dnstap_dropped_logged = total;
      }
      udp_dropped_logged_at = now;
    }
  }

  void WriterLoop() {
    WriterPriority priority(config.writer_nice);
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      priority.Light();  // waiting for updates, or about to apply them
      wake.wait_for(lock, kTick, [&] {
        return stopping || pending.has_value() || !tasks.empty() || updates->pending();
      });
      if (stopping) {
        lock.unlock();
        updates->Close();  // whoever waits gets an answer
        lock.lock();
        for (auto& t : tasks) t();
        tasks.clear();
        return;
      }
      // Updates first: each batch is short, and senders wait for it.
      // After each change the notifier compares serials (NOTIFY out).
      if (updates->pending()) {
        lock.unlock();
        updates->Process();
        if (notifier) notifier->Poke();
        lock.lock();
        continue;
      }
      if (!tasks.empty()) {
        std::function<void()> task = std::move(tasks.front());
        tasks.pop_front();
        lock.unlock();
        priority.Heavy();
        task();
        if (notifier) notifier->Poke();
        lock.lock();
        continue;
      }
      if (pending) {
        config::Config wanted = std::move(*pending);
        pending.reset();
        const uint64_t number = pending_number;
        lock.unlock();
        priority.Heavy();
        Reload(std::move(wanted));
        if (notifier) notifier->Poke();
        reloads_done = number;
        lock.lock();
        continue;  // a request that came meanwhile goes first
      }
      lock.unlock();
      Tick();
      lock.lock();
    }
  }
};

namespace {

// How many copies of the zones the UDP threads' node caches would hold if
// every name were loaded: one per UDP address with udp.spread: name (each
// thread holds the names the kernel sends it), one per UDP thread with flow.
int ZoneCopiesInCaches(const config::Config& config, int workers) {
  int udp = 0;
  for (const config::ListenAddress& l : config.listen) udp += l.udp ? 1 : 0;
  return udp * (config.udp_spread_by_name || workers == 1 ? 1 : workers);
}

// What cache.names_mb: auto and store_reads: auto come to: the zones loaded
// into the node caches while they fit in a quarter of the memory enumd may
// use (their tables, about the caches' size, times the copies); the tables
// read with mmap while they fit in a quarter and the caches do not hold them
// (else they would count twice in enumd's RSS). The tables are those on
// disk, or the zone files to import when they are bigger (a store's tables
// are about its zone files' size). Said in the log.
struct MemoryUse {
  bool mmap = false;
  bool load_names = false;
};
MemoryUse ChooseMemoryUse(const config::Config& config, int workers) {
  using Reads = config::Config::StoreReads;
  const uint64_t on_disk = store::ZoneStore::TableBytesOnDisk(config.store);
  uint64_t files = 0;
  for (const config::ZoneConfig& zc : config.zones) {
    std::error_code ec;
    const uintmax_t size = zc.file.empty() ? 0 : std::filesystem::file_size(zc.file, ec);
    if (!ec) files += size;
  }
  const uint64_t tables = std::max(on_disk, files);
  const UsableMemory memory = FindUsableMemory();
  const double mib = 1024.0 * 1024, gib = mib * 1024;
  MemoryUse use;
  if (config.cache_names_auto && config.cache_names_mb != 0) {
    const int copies = ZoneCopiesInCaches(config, workers);
    const double wanted = static_cast<double>(tables) * copies * kCacheBytesPerTableByte;
    use.load_names =
        copies > 0 && store::ZoneStore::MmapFits(static_cast<uint64_t>(wanted), memory.bytes);
    Log(LogLevel::kInfo,
        "cache.names_mb auto: %s (%.1f MiB of tables, %d %s in the UDP threads' caches: %.1f "
        "MiB; %.2f GiB of memory (%s))",
        use.load_names ? "every name of the zones loaded in the background"
                       : "256 MiB, names cached as they are asked",
        static_cast<double>(tables) / mib, copies, copies == 1 ? "copy" : "copies", wanted / mib,
        static_cast<double>(memory.bytes) / gib, memory.source.c_str());
  }
  if (config.store_reads != Reads::kAuto) {
    use.mmap = config.store_reads == Reads::kMmap;
    return use;
  }
  use.mmap = !use.load_names && store::ZoneStore::MmapFits(tables, memory.bytes);
  Log(LogLevel::kInfo, "store_reads auto: %s (%.2f GiB of tables, %.2f GiB of memory (%s)%s)",
      use.mmap ? "mmap" : "pread", static_cast<double>(tables) / gib,
      static_cast<double>(memory.bytes) / gib, memory.source.c_str(),
      use.mmap ? ""
      : use.load_names
          ? ": the node caches hold the zones; mapped, the tables would count twice in enumd's RSS"
          : ": mapped, they would count in enumd's RSS; the page cache holds them instead");
  return use;
}

}  // namespace

Daemon::Daemon(config::Config config) : impl_(new Impl) { impl_->config = std::move(config); }
Daemon::~Daemon() { Stop(); }

Status Daemon::Start() {
  Impl& d = *impl_;
  auto started = Clock::now();
  store::ZoneStore::Options store_options;
  store_options.statistics = d.config.metrics_enabled;  // block cache hits, for /metrics
  store_options.block_cache_bytes = size_t{d.config.cache_blocks_mb} << 20;
  store_options.read_only_if_full = true;
  int workers = d.config.workers;
  if (workers <= 0) workers = static_cast<int>(std::thread::hardware_concurrency());
  if (workers <= 0) workers = 1;
  const MemoryUse memory_use = ChooseMemoryUse(d.config, workers);
  store_options.mmap_reads = memory_use.mmap;
  // Queries read store views inside their read sections of the registry's
  // domain: a replaced view is freed once none can hold it.
  store_options.readers = d.registry.epochs();
  auto store =
      store::ZoneStore::Open(d.config.store, store::ZoneStore::Mode::kReadWrite, store_options);
  if (!store.ok()) return store.status();
  d.store = std::move(store.value());
  if (d.store->read_only())
    Log(LogLevel::kWarning,
        "store %s: cannot open it for writing (%s); serving it read-only: changed zone files are "
        "not imported until space is freed and enumd restarted",
        d.config.store.c_str(), d.store->read_only_reason().c_str());
  if (d.config.metrics_enabled) d.metrics = std::make_unique<DaemonMetrics>();
  Secondary::Hooks hooks;
  hooks.on_writer = [&d](const std::function<void()>& fn) { return d.OnWriter(fn); };
  hooks.publish = [&d] { return d.Publish(false); };
  hooks.temp_dir = d.config.store;
  hooks.cancel = &d.cancel;
  d.secondary = std::make_unique<Secondary>(d.store.get(), std::move(hooks));
  Status st;
  d.ForEachZoneCatalogsLast([&](const config::ZoneConfig& zc) {
    st = d.Refresh(zc, false);
    return st.ok();
  });
  if (!st.ok()) return st;
  st = d.Publish(true);
  if (!st.ok()) return st;
  if (d.cancel) return Status::Error("stopped during start-up");
  d.updates = std::make_unique<UpdateWriter>(d.store.get(), [&d] { d.wake.notify_one(); });
  st = d.ConfigureUpdates(true);
  if (!st.ok()) return st;
  st = d.Publish(false);  // the secondary zones' states, now known
  if (!st.ok()) return st;
  d.notifier = std::make_unique<Notifier>(d.store.get());
  st = d.notifier->Start();
  if (!st.ok()) return st;
  d.ConfigureNotify();

  net::ServerOptions so;
  for (const auto& l : d.config.listen) so.endpoints.push_back({l.host, l.port, l.udp, l.tcp});
  so.workers = workers;
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
  ServeErrorLog* errors = &d.serve_errors;
  DaemonMetrics* metrics = d.metrics.get();
  UpdateWriter* updates = d.store->read_only() ? nullptr : d.updates.get();
  if (d.config.dnstap.enabled()) {
    auto tap = Dnstap::Open(d.config.dnstap, net::Server::HandlerSlots(so),
                            std::string("enumd ") + ENUMD_VERSION);
    if (!tap.ok()) return tap.status();
    d.dnstap = std::move(tap.value());
    Log(LogLevel::kInfo, "dnstap: logging %s%s%s of 1 in %u queries to %s",
        d.config.dnstap.queries ? "queries" : "",
        d.config.dnstap.queries && d.config.dnstap.responses ? " and " : "",
        d.config.dnstap.responses ? "responses" : "", d.config.dnstap.sample,
        d.config.dnstap.file.empty() ? ("socket " + d.config.dnstap.socket).c_str()
                                     : d.config.dnstap.file.c_str());
  }
  Dnstap* dnstap = d.dnstap.get();
  const query::TransferPolicyHolder* transfer_policy = &d.transfer_policy;
  TransferCounters* transfer_counters = &d.transfer_counters;
  // cache.names_mb auto: each UDP thread takes the caches CacheWarmer loads.
  std::deque<store::CacheHandoff>* handoffs = memory_use.load_names ? &d.cache_handoffs : nullptr;
  std::vector<CacheWarmer::Target>* warm_targets = &d.warm_targets;
  d.server = std::make_unique<net::Server>(
      so, [s, reg, ro, udp_ro, rrl, errors, metrics, updates, dnstap, transfer_policy,
           transfer_counters, handoffs, warm_targets](const net::HandlerRole& r) {
        auto handler = std::make_unique<Handler>(
            s, reg, r.transport == net::Transport::kUdp ? udp_ro : ro, rrl, r.slot, errors,
            metrics ? metrics->ForHandler() : nullptr, updates, r.udp_fd,
            dnstap ? dnstap->ForHandler(r.slot) : nullptr, transfer_policy, transfer_counters);
        if (handoffs != nullptr && r.transport == net::Transport::kUdp) {
          store::CacheHandoff* h = &handoffs->emplace_back();
          handler->set_cache_handoff(h);
          warm_targets->push_back({h, r.worker});
        }
        return handler;
      });
  st = d.server->Start();
  if (!st.ok()) return st;
  if (memory_use.load_names) {
    CacheWarmer::Options wo;
    wo.workers = so.workers;
    wo.by_name = so.udp_spread == net::UdpSpread::kName && so.workers > 1;
    d.warmer = std::make_unique<CacheWarmer>(d.store.get(), &d.registry, wo, d.warm_targets);
    d.warmer->Start();
  }
  if (metrics) {
    const config::ListenAddress& at = d.config.metrics_listen;
    st = metrics->Serve(
        at, {d.store.get(), d.server.get(), d.rrl.get(), &d.serve_errors,
             d.store->read_only() ? nullptr : d.updates.get(), d.dnstap.get(), &d.transfer_counters,
             &d.transfer_policy, d.notifier.get(), d.secondary.get()});
    if (!st.ok()) return st;
    const bool v6 = at.host.find(':') != std::string::npos;
    Log(LogLevel::kInfo, "metrics on http://%s%s%s:%u/metrics", v6 ? "[" : "", at.host.c_str(),
        v6 ? "]" : "", metrics->port());
  }
  std::vector<uint16_t> ports = d.server->ports();
  d.workers = so.workers;
  for (size_t i = 0; i < so.endpoints.size(); ++i) {
    const auto& e = so.endpoints[i];
    bool v6 = e.host.find(':') != std::string::npos;
    char listener[160];
    snprintf(listener, sizeof(listener), "%s%s%s:%u %s%s%s", v6 ? "[" : "", e.host.c_str(),
             v6 ? "]" : "", i < ports.size() ? ports[i] : e.port, e.udp ? "udp" : "",
             e.udp && e.tcp ? "+" : "", e.tcp ? "tcp" : "");
    d.listeners.emplace_back(listener);
    Log(LogLevel::kInfo, "listening on %s, %d workers", listener, so.workers);
  }
  {
    std::lock_guard<std::mutex> lock(d.mu);
    if (d.stopping) return Status::Error("stopped during start-up");
    d.writer = std::thread([&d] {
      NameThisThread("enumd-writer");
      d.WriterLoop();
    });
  }
  // After the writer: it applies what the secondary transfers.
  if (!d.store->read_only()) {
    st = d.secondary->Start();
    if (!st.ok()) return st;
  }
  // Warm the page cache with the store's tables after the listeners are up,
  // so it never delays the first answer; the thread holds only the paths.
  std::thread([files = d.store->TableFiles()] {
    NameThisThread("enumd-prefetch");
    store::ZoneStore::Prefetch(files);
  }).detach();
  if (!d.store->read_only()) {
    const std::string socket_path =
        d.config.control_socket.empty() ? d.config.store + "/enumd.sock" : d.config.control_socket;
    st = d.control.Start(socket_path,
                         [&d](uint8_t command, const std::string& payload, std::string* reply) {
                           return d.Control(command, payload, reply);
                         });
    if (!st.ok()) return st;
    Log(LogLevel::kInfo, "control socket %s", socket_path.c_str());
  }
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  Log(LogLevel::kInfo, "ready in %.1f ms", ms);
  return Status::OK();
}

uint64_t Daemon::RequestReload(config::Config config) {
  Impl& d = *impl_;
  uint64_t number;
  {
    std::lock_guard<std::mutex> lock(d.mu);
    d.pending = std::move(config);
    number = d.pending_number = ++d.reloads_requested;
  }
  d.wake.notify_one();
  return number;
}

uint64_t Daemon::reloads_done() const { return impl_->reloads_done.load(); }

void Daemon::RequestStop() {
  Impl& d = *impl_;
  d.cancel = true;  // an import in progress gives up; its zone keeps the version served
  {
    std::lock_guard<std::mutex> lock(d.mu);
    d.stopping = true;
  }
  d.wake.notify_one();
}

bool Daemon::stop_requested() const { return impl_->cancel.load(); }

void Daemon::Stop() {
  if (!impl_) return;
  Impl& d = *impl_;
  RequestStop();
  if (d.warmer) d.warmer->Stop();
  if (d.writer.joinable()) d.writer.join();
  // After the writer: the secondary's writer tasks have run or been refused.
  if (d.secondary) d.secondary->Stop();
  d.control.Stop();                  // after the writer: a waiting request has had its answer
  if (d.metrics) d.metrics->Stop();  // scrapes read the server and the store
  if (d.server) d.server->Stop();
  d.LogUdpDropped();  // what the last seconds added
  d.server.reset();
  if (d.notifier) d.notifier->Stop();
  d.notifier.reset();
  d.store.reset();
}

Result<size_t> Daemon::ZonesAnswer() const {
  if (!impl_->store) return Status::Error("not started");
  return ProbeZones(impl_->store.get(), &impl_->registry);
}

std::vector<uint16_t> Daemon::ports() const {
  return impl_->server ? impl_->server->ports() : std::vector<uint16_t>();
}

}  // namespace enumd::daemon
