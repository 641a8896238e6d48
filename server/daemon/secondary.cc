#include "daemon/secondary.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "common/thread_name.h"
#include "daemon/log.h"
#include "daemon/primary_client.h"
#include "dns/name.h"
#include "zone/incoming_transfer.h"
#include "zone/soa_fields.h"
#include "zone/zone_transaction.h"

namespace enumd::daemon {

namespace {

// How long one SOA query may take (UDP twice, then TCP).
constexpr uint32_t kSoaTimeoutMs = 4000;

int64_t Now() { return static_cast<int64_t>(time(nullptr)); }

// The stored SOA of the zone's current version (uncompressed rdata).
std::optional<std::string> StoredSoa(const store::ZoneStore& store, const store::ZoneMeta& meta) {
  std::optional<std::string> out;
  // The apex is the generation's first node (key "").
  (void)store.ForEachNode(meta.generation, "", [&](std::string_view key, std::string_view value) {
    zone::RRsets rrsets;
    if (key.empty() && zone::ReadNode(value, &rrsets)) {
      auto it = rrsets.find(dns::type::kSOA);
      if (it != rrsets.end() && !it->second.rdatas.empty()) out = it->second.rdatas[0];
    }
    return false;
  });
  return out;
}

}  // namespace

Secondary::Secondary(store::ZoneStore* store, Hooks hooks)
    : store_(store), hooks_(std::move(hooks)) {}

Secondary::~Secondary() { Stop(); }

Status Secondary::Start() {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0)
    return Status::Error(std::string("secondary: pipe: ") + strerror(errno));
  thread_ = std::thread([this] {
    NameThisThread("enumd-secondary");
    Run();
  });
  return Status::OK();
}

void Secondary::Configure(std::vector<Zone> zones, dns::TsigKeyRing keys) {
  std::map<std::string, State> next;
  for (Zone& z : zones) {
    State s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = zones_.find(z.origin);
      if (it != zones_.end()) s = it->second;
    }
    s.zone = std::move(z);
    Load(&s);
    next[s.zone.origin] = std::move(s);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    zones_ = std::move(next);
    keys_ = std::move(keys);
    UpdateExpired(Now());
  }
  cv_.notify_all();
}

void Secondary::Load(State* s) {
  auto meta = store_->FindZone(s->zone.origin);
  s->timers.have_zone = meta.has_value();
  if (!meta) return;
  s->stored_at = meta->imported_at;
  if (meta->refreshed_at > s->timers.refreshed_at) s->timers.refreshed_at = meta->refreshed_at;
  zone::SoaFields soa;
  if (auto rdata = StoredSoa(*store_, *meta); rdata && zone::ParseSoa(*rdata, &soa))
    s->soa = TimersOf(soa);
}

void Secondary::Poke(const std::string& origin) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = zones_.find(origin);
    if (it == zones_.end()) return;
    it->second.poked = true;
  }
  cv_.notify_all();
}

bool Secondary::Expired(const std::string& origin) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = zones_.find(origin);
  return it != zones_.end() && it->second.expired;
}

std::vector<Secondary::ZoneReport> Secondary::Report() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ZoneReport> out;
  for (const auto& [origin, s] : zones_) {
    ZoneReport r;
    r.origin = origin;
    r.refreshed_at = s.timers.refreshed_at;
    r.next_check = s.poked ? Now() : std::max<int64_t>(NextCheck(s.timers, s.soa), Now());
    r.expired = s.expired;
    r.last_error = s.last_error;
    out.push_back(std::move(r));
  }
  return out;
}

void Secondary::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (wake_[1] >= 0) (void)!write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  for (int& fd : wake_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
}

bool Secondary::UpdateExpired(int64_t now) {
  bool changed = false;
  for (auto& [origin, s] : zones_) {
    const bool expired = daemon::Expired(s.timers, s.soa, s.stored_at, now);
    if (expired == s.expired) continue;
    if (expired && s.timers.have_zone)
      Log(LogLevel::kError,
          "zone %s: expired: no answer from its primaries for %u s (the SOA's expire); "
          "answering SERVFAIL until one answers",
          s.zone.name.c_str(), s.soa.expire);
    s.expired = expired;
    changed = true;
  }
  return changed;
}

void Secondary::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const int64_t now = Now();
    if (UpdateExpired(now)) {
      lock.unlock();
      hooks_.on_writer([this] { (void)hooks_.publish(); });
      lock.lock();
      continue;
    }
    // The zone most overdue, if any is due.
    State* due = nullptr;
    int64_t soonest = now + 3600;
    for (auto& [origin, s] : zones_) {
      const int64_t at = s.poked ? 0 : NextCheck(s.timers, s.soa);
      if (at <= now && (!due || at < NextCheck(due->timers, due->soa))) due = &s;
      soonest = std::min(soonest, at);
    }
    if (!due) {
      // Wake for the next check or the next expire, whichever comes first.
      for (auto& [origin, s] : zones_)
        if (!s.expired) {
          const int64_t since = s.timers.refreshed_at ? s.timers.refreshed_at : s.stored_at;
          soonest = std::min(soonest, since + static_cast<int64_t>(s.soa.expire));
        }
      cv_.wait_for(lock, std::chrono::seconds(std::max<int64_t>(1, soonest - now)));
      continue;
    }
    due->poked = false;
    const Zone zone = due->zone;
    lock.unlock();
    std::string error;
    const bool ok = Check(zone, &error);
    const int64_t at = Now();
    State loaded;
    loaded.zone = zone;
    Load(&loaded);
    lock.lock();
    auto it = zones_.find(zone.origin);
    if (it == zones_.end()) continue;  // reconfigured away meanwhile
    State& s = it->second;
    s.timers.have_zone = loaded.timers.have_zone;
    s.stored_at = loaded.stored_at;
    s.soa = loaded.soa;
    if (ok) {
      s.timers.refreshed_at = at;
      s.timers.failed_at = 0;
      s.last_error.clear();
    } else {
      s.timers.failed_at = at;
      s.last_error = error;
      Log(LogLevel::kWarning, "zone %s: refresh failed; %s; retrying in %u s", zone.name.c_str(),
          s.timers.have_zone ? "still serving the version held" : "nothing to serve yet",
          static_cast<unsigned>(NextCheck(s.timers, s.soa) - at));
    }
  }
}

bool Secondary::Check(const Zone& zone, std::string* error) {
  PrimaryClient client(wake_[0]);
  for (const config::PrimaryConfig& p : zone.primaries) {
    PrimaryEndpoint ep{p.host, p.port, nullptr};
    dns::TsigKey key;
    if (!p.key.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      const dns::TsigKey* k = keys_.Find(dns::WireName(p.key));
      if (!k) {
        *error = ep.ToString() + ": key " + p.key + " is in no key file";
        Log(LogLevel::kError, "zone %s: primary %s", zone.name.c_str(), error->c_str());
        continue;
      }
      key = *k;
      ep.key = &key;
    }
    auto serial = client.QuerySerial(ep, zone.origin, kSoaTimeoutMs);
    if (!serial.ok()) {
      checks_failed_.fetch_add(1, std::memory_order_relaxed);
      *error = serial.status().message();
      Log(LogLevel::kWarning, "zone %s: primary %s", zone.name.c_str(), error->c_str());
      continue;
    }
    auto meta = store_->FindZone(zone.origin);
    if (meta && !zone::SerialGreater(*serial, meta->serial)) {
      checks_up_to_date_.fetch_add(1, std::memory_order_relaxed);
      Log(LogLevel::kDebug, "zone %s: primary %s has serial %u, we have %u: up to date",
          zone.name.c_str(), ep.ToString().c_str(), *serial, meta->serial);
      Status st;
      hooks_.on_writer([&] { st = MarkRefreshed(zone.origin, Now()); });
      if (!st.ok()) Log(LogLevel::kWarning, "zone %s: %s", zone.name.c_str(), st.message().c_str());
      return true;
    }
    checks_newer_.fetch_add(1, std::memory_order_relaxed);
    Log(LogLevel::kInfo, "zone %s: primary %s has serial %u, we have %s: transferring",
        zone.name.c_str(), ep.ToString().c_str(), *serial,
        meta ? std::to_string(meta->serial).c_str() : "none");
    if (meta) {
      // An IXFR that failed for what it held (a primary without IXFR, a
      // difference that does not apply) is followed by an AXFR at once, as
      // BIND does; not one that timed out, failed TSIG or was stopped: an
      // AXFR would fail the same way.
      const auto failure = TransferFrom(zone, p, true, error);
      if (failure == PrimaryClient::Failure::kNone) return true;
      if (failure == PrimaryClient::Failure::kExchange) continue;
    }
    if (TransferFrom(zone, p, false, error) == PrimaryClient::Failure::kNone) return true;
  }
  return false;
}

PrimaryClient::Failure Secondary::TransferFrom(const Zone& zone, const config::PrimaryConfig& p,
                                               bool ixfr, std::string* error) {
  PrimaryEndpoint ep{p.host, p.port, nullptr};
  dns::TsigKey key;
  if (!p.key.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    const dns::TsigKey* k = keys_.Find(dns::WireName(p.key));
    if (!k) return PrimaryClient::Failure::kExchange;
    key = *k;
    ep.key = &key;
  }
  auto meta = store_->FindZone(zone.origin);
  std::optional<std::string> soa;
  if (ixfr && meta) soa = StoredSoa(*store_, *meta);
  const std::string what = std::string(soa ? "IXFR" : "AXFR") + " of " + zone.name + " from " +
                           ep.ToString() + (p.key.empty() ? "" : " key " + p.key);
  std::optional<uint32_t> from;
  if (soa) from = meta->serial;
  zone::IncomingTransfer transfer(zone.origin, from, what, hooks_.temp_dir);
  PrimaryClient client(wake_[0]);
  PrimaryClient::TransferLimits limits;
  limits.timeout_ms = zone.timeout_s * 1000;
  limits.max_bytes = zone.max_bytes;
  const auto started = std::chrono::steady_clock::now();
  Status st = client.Transfer(ep, zone.origin, soa, limits, &transfer);
  const int type = soa ? 1 : 0;
  if (!st.ok()) {
    transfers_failed_[type].fetch_add(1, std::memory_order_relaxed);
    *error = what + ": " + st.message();
    Log(LogLevel::kError, "zone %s: %s; the version held is kept", zone.name.c_str(),
        error->c_str());
    return client.failure();
  }
  Result<zone::IncomingTransfer::Applied> applied = Status::Error("enumd is stopping");
  hooks_.on_writer([&] {
    zone::IncomingTransfer::ApplyOptions o;
    o.temp_dir = hooks_.temp_dir;
    o.cancel = hooks_.cancel;
    o.journal = zone.journal;
    o.now = Now();
    applied = transfer.Apply(store_, o);
    Status published = hooks_.publish();  // whatever was applied (an IXFR may stop halfway)
    if (applied.ok()) {
      Status marked = MarkRefreshed(zone.origin, Now());
      if (!marked.ok()) applied = marked;
    }
    if (!published.ok() && applied.ok()) applied = published;
  });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!applied.ok()) {
    transfers_failed_[type].fetch_add(1, std::memory_order_relaxed);
    *error = applied.status().message();
    Log(LogLevel::kError, "zone %s: %s; the version held is kept", zone.name.c_str(),
        error->c_str());
    return PrimaryClient::Failure::kAnswer;
  }
  transfers_applied_[type].fetch_add(1, std::memory_order_relaxed);
  records_.fetch_add(transfer.records(), std::memory_order_relaxed);
  bytes_.fetch_add(transfer.bytes(), std::memory_order_relaxed);
  const char* how = transfer.kind() == zone::IncomingTransfer::Kind::kIncremental ? "incremental"
                    : transfer.kind() == zone::IncomingTransfer::Kind::kUpToDate  ? "up to date"
                                                                                  : "whole zone";
  Log(LogLevel::kInfo,
      "zone %s: %s: serial %s to %u (%s, %llu differences), %llu records in %zu messages, "
      "%llu bytes, %.2f s",
      zone.name.c_str(), what.c_str(), meta ? std::to_string(meta->serial).c_str() : "none",
      applied->meta.serial, how, static_cast<unsigned long long>(applied->sequences),
      static_cast<unsigned long long>(transfer.records()), transfer.messages(),
      static_cast<unsigned long long>(transfer.bytes()), seconds);
  return PrimaryClient::Failure::kNone;
}

Secondary::Counters Secondary::counters() const {
  Counters c;
  c.checks_up_to_date = checks_up_to_date_.load(std::memory_order_relaxed);
  c.checks_newer = checks_newer_.load(std::memory_order_relaxed);
  c.checks_failed = checks_failed_.load(std::memory_order_relaxed);
  for (int i = 0; i < 2; ++i) {
    c.transfers_applied[i] = transfers_applied_[i].load(std::memory_order_relaxed);
    c.transfers_failed[i] = transfers_failed_[i].load(std::memory_order_relaxed);
  }
  c.records = records_.load(std::memory_order_relaxed);
  c.bytes = bytes_.load(std::memory_order_relaxed);
  return c;
}

Status Secondary::MarkRefreshed(const std::string& origin, int64_t now) {
  auto meta = store_->FindZone(origin);
  if (!meta) return Status::Error("the zone is missing from the store");
  meta->refreshed_at = now;
  store::ZoneStore::ChangeOptions o;
  return store_->ApplyChanges(*meta, {}, o);
}

}  // namespace enumd::daemon
