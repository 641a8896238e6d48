#include "daemon/cache_warmer.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <new>

#include "common/epoch.h"
#include "common/thread_name.h"
#include "daemon/log.h"
#include "dns/constants.h"
#include "net/listen_socket.h"
#include "store/name_key.h"

namespace enumd::daemon {

CacheWarmer::CacheWarmer(const store::ZoneStore* store, const zone::ZoneRegistry* registry,
                         Options options, std::vector<Target> targets)
    : store_(store), registry_(registry), options_(options), targets_(std::move(targets)) {}

CacheWarmer::~CacheWarmer() { Stop(); }

void CacheWarmer::Start() {
  if (thread_.joinable() || targets_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void CacheWarmer::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CacheWarmer::Loaded CacheWarmer::loaded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loaded_;
}

bool CacheWarmer::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

std::vector<CacheWarmer::ZoneRef> CacheWarmer::Served() {
  // A read section only while the table is copied out: the load itself
  // reads the store with an iterator, which holds no zone table.
  EpochReader reader(registry_->epochs());
  EpochGuard section(&reader);
  std::vector<ZoneRef> zones;
  for (const zone::Zone& z : registry_->current()->zones())
    if (!z.expired) zones.push_back({z.origin, z.meta.generation});
  return zones;
}

std::string CacheWarmer::Stale(const std::vector<ZoneRef>& zones) {
  if (!tried_) return "start";
  if (zones != loaded_zones_) return "new zone versions";
  if (loaded_names_ == 0) return "";  // the last load failed: wait for a new version
  const uint64_t changed = store_->PublishedLogEnd() - loaded_log_end_;
  if (changed > loaded_names_ / 8)
    return std::to_string(changed) + " names changed since the last load";
  bool full = false;
  for (const Target& t : targets_)
    full = full || (!t.handoff->waiting() && t.handoff->written() > ring_bytes_ / 8 * 7);
  // Twice in a row: a thread reports its old cache's figure until its next
  // query after taking the new one.
  full_polls_ = full ? full_polls_ + 1 : 0;
  if (full_polls_ >= 2) return "a thread's cache has filled 7/8 of its ring";
  return "";
}

void CacheWarmer::Run() {
  NameThisThread("enumd-warm");
  // The queries' threads come first: this one only uses what they leave.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
  for (;;) {
    std::vector<ZoneRef> zones = Served();
    const std::string why = Stale(zones);
    if (!why.empty()) {
      if (tried_) Log(LogLevel::kInfo, "node caches: loading again: %s", why.c_str());
      tried_ = true;
      full_polls_ = 0;
      loaded_zones_ = zones;
      loaded_names_ = 0;  // a failed load (logged) is not retried until a new version
      if (!Load(zones) && stopping()) return;
    }
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [this] { return stop_; }))
      return;
  }
}

bool CacheWarmer::Load(const std::vector<ZoneRef>& zones) {
  const auto started = std::chrono::steady_clock::now();
  uint64_t table_bytes = 0;
  for (const ZoneRef& z : zones) table_bytes += store_->ApproximateNodeBytes(z.gen);
  const int groups = options_.by_name ? options_.workers : 1;
  const auto ring =
      static_cast<size_t>(static_cast<double>(table_bytes / groups) * options_.headroom) +
      (size_t{1} << 20);
  std::vector<std::unique_ptr<store::NodeCache>> caches;
  try {
    for (size_t i = 0; i < targets_.size(); ++i)
      caches.push_back(
          std::make_unique<store::NodeCache>(ring, store::NodeCache::Admission::kSecondSight));
  } catch (const std::bad_alloc&) {
    Log(LogLevel::kWarning, "node caches: cannot map %zu x %zu MiB to load the zones into",
        targets_.size(), ring >> 20);
    return false;
  }
  // Changes committed from here on may or may not be in what the iterators
  // read: the taking thread's AcquireView erases every one of them.
  const uint64_t log_end = store_->PublishedLogEnd();
  uint64_t names = 0;
  // A query for the name as the kernel sees it: the header, the name, NAPTR IN.
  uint8_t datagram[dns::kHeaderSize + dns::kMaxNameWire + 4] = {};
  uint8_t* const qname = datagram + dns::kHeaderSize;
  for (const ZoneRef& z : zones) {
    std::unique_ptr<store::ZoneStore::NodeCursor> cursor = store_->OpenNodes(z.gen);
    std::string_view key, value;
    while (cursor->Next(&key, &value)) {
      if ((++names & 4095) == 0 && stopping()) return false;
      int worker = -1;  // every cache
      if (options_.by_name) {
        const size_t n = store::KeyToName(key, reinterpret_cast<const uint8_t*>(z.origin.data()),
                                          z.origin.size(), qname);
        if (n != 0) {
          const uint8_t tail[4] = {0, dns::type::kNAPTR, 0, 1};
          std::copy(tail, tail + 4, qname + n);
          worker = net::UdpSocketForDatagram(datagram, dns::kHeaderSize + n + 4, options_.workers);
        }
      }
      for (size_t i = 0; i < targets_.size(); ++i)
        if (worker < 0 || targets_[i].worker == worker) caches[i]->Preload(z.gen, key, value);
    }
    if (!cursor->status().ok()) {
      Log(LogLevel::kWarning, "node caches: loading the zones stopped: %s",
          cursor->status().message().c_str());
      return false;
    }
  }
  loaded_log_end_ = log_end;
  loaded_names_ = names;
  ring_bytes_ = ring;
  uint64_t bytes = 0;
  for (size_t i = 0; i < targets_.size(); ++i) {
    caches[i]->set_sequence(log_end);
    bytes += caches[i]->bytes_written();
    targets_[i].handoff->Offer(std::move(caches[i]));
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  Log(LogLevel::kInfo,
      "node caches loaded: %llu names of %zu zones, %.1f MiB in %zu caches, in %lld ms",
      static_cast<unsigned long long>(names), zones.size(),
      static_cast<double>(bytes) / (1024.0 * 1024.0), targets_.size(), static_cast<long long>(ms));
  std::lock_guard<std::mutex> lock(mu_);
  loaded_.names = names;
  loaded_.bytes = bytes;
  ++loaded_.loads;
  return true;
}

}  // namespace enumd::daemon
