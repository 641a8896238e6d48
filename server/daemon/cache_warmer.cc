#include "daemon/cache_warmer.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <new>

#include "common/epoch.h"
#include "common/thread_name.h"
#include "daemon/log.h"
#include "dns/constants.h"
#include "net/listen_socket.h"
#include "store/name_key.h"
#include "store/node.h"

namespace enumd::daemon {

namespace {
constexpr int kNice = 5;

// The UDP thread the kernel sends a query for the node `key` of the zone
// `origin` (wire) to with udp.spread: name over `workers`; -1: every one (a
// name shorter than 12 bytes puts its type and class, or the datagram's end,
// into the bytes the kernel hashes).
int WorkerOfNode(std::string_view key, const std::string& origin, int workers) noexcept {
  // A query for the name as the kernel sees it: the header, the name, NAPTR IN.
  uint8_t datagram[dns::kHeaderSize + dns::kMaxNameWire + 4] = {};
  uint8_t* const qname = datagram + dns::kHeaderSize;
  const size_t n =
      store::KeyToName(key, reinterpret_cast<const uint8_t*>(origin.data()), origin.size(), qname);
  if (n < 12) return -1;
  const uint8_t tail[4] = {0, dns::type::kNAPTR, 0, 1};
  std::copy(tail, tail + 4, qname + n);
  return net::UdpSocketForDatagram(datagram, dns::kHeaderSize + n + 4, workers);
}
}  // namespace

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
  Loaded l;
  {
    std::lock_guard<std::mutex> lock(mu_);
    l = loaded_;
  }
  l.caches = targets_.size();
  for (const Target& t : targets_) l.complete += t.handoff->complete();
  return l;
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
    if (!z.expired) zones.push_back({z.origin, z.meta.generation, z.meta.names});
  return zones;
}

std::string CacheWarmer::Stale(const std::vector<ZoneRef>& zones) {
  if (!tried_) return "start";
  if (zones != loaded_zones_) return "new zone versions";
  if (loaded_names_ == 0) return "";  // the last load failed: wait for a new version
  const uint64_t end = store_->PublishedLogEnd();
  const uint64_t changed = end > loaded_log_end_ ? end - loaded_log_end_ : 0;
  if (changed > loaded_names_ / 8)
    return std::to_string(changed) + " names changed since the last load";
  // Where a ring starts to overwrite loaded records (Find's second chance
  // moves records out of the oldest eighth, each move evicting another).
  const uint64_t limit = ring_bytes_ / 8 * 7;
  bool full = false, cleared = false, lost = false;
  for (size_t i = 0; i < targets_.size(); ++i) {
    if (loaded_bytes_[i] >= limit) return "the zones did not fit the caches; into bigger ones";
    const store::CacheHandoff& h = *targets_[i].handoff;
    if (h.waiting()) continue;
    const uint64_t written = h.written();
    const uint64_t room = limit - loaded_bytes_[i];
    full = full || (written > loaded_bytes_[i] && written - loaded_bytes_[i] > room / 4 * 3);
    cleared = cleared || h.clears() != loaded_clears_[i];
    lost = lost || (loaded_complete_[i] && !h.complete());
  }
  // Twice in a row: for a moment after taking the new cache a thread's
  // figures may still be its old one's.
  full_polls_ = full || cleared || lost ? full_polls_ + 1 : 0;
  if (full_polls_ >= 2)
    return cleared ? "a thread's cache was emptied (more names changed at once than the change "
                     "log holds)"
           : full  ? "a thread's cache has used 3/4 of its ring's room"
                   : "a thread's cache no longer knows which names do not exist (more names "
                     "changed than it tracks)";
  return "";
}

void CacheWarmer::Run() {
  NameThisThread("enumd-warm");
  // The queries' threads come first: this one uses what they leave, and on
  // cores they keep busy about a quarter of one (weight 335 against 1024), so
  // that a load ends within a minute or so even then (at 10M numbers it takes
  // ~10 s of CPU) while the old caches and the new take memory side by side.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kNice);
  for (;;) {
    std::vector<ZoneRef> zones = Served();
    const std::string why = Stale(zones);
    if (!why.empty()) {
      if (tried_) Log(LogLevel::kInfo, "node caches: loading again: %s", why.c_str());
      tried_ = true;
      full_polls_ = 0;
      loaded_zones_ = zones;
      loaded_names_ = 0;  // a failed load (logged) is not retried until a new version
      bool loaded = false;
      try {
        loaded = Load(zones);
      } catch (const std::bad_alloc&) {  // the walk's own buffers, the filters
        Log(LogLevel::kWarning, "node caches: out of memory while loading the zones");
      }
      if (!loaded && stopping()) return;
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
  // Twice what the last load wrote to a cache, if more: that load did not fit.
  uint64_t last_most = 0;
  for (uint64_t b : loaded_bytes_) last_most = std::max(last_most, b);
  const size_t ring =
      std::max(static_cast<size_t>(static_cast<double>(table_bytes / groups) * options_.headroom) +
                   options_.slack,
               static_cast<size_t>(2 * last_most));
  // The names that may change before a cache stops knowing absence (8 bytes
  // each, twice over): the reload after an eighth of them changed usually
  // comes first.
  uint64_t names_served = 0;
  for (const ZoneRef& z : zones) names_served += z.names;
  const size_t max_changes = options_.max_changes ? options_.max_changes : 65536 + names_served / 8;
  std::vector<std::unique_ptr<store::NodeCache>> caches;
  // By name, each cache holds its thread's share; every key also goes into
  // one filter they share, which knows the other shares' absent names.
  std::shared_ptr<store::KeyFilter> filter;
  try {
    if (options_.by_name) filter = std::make_shared<store::KeyFilter>(names_served / 4 * 5);
    for (size_t i = 0; i < targets_.size(); ++i) {
      caches.push_back(
          std::make_unique<store::NodeCache>(ring, store::NodeCache::Admission::kSecondSight));
      caches.back()->TrackChanges(max_changes);
    }
  } catch (const std::bad_alloc&) {
    Log(LogLevel::kWarning, "node caches: cannot map %zu x %zu MiB to load the zones into",
        targets_.size(), ring >> 20);
    return false;
  }
  // The walk goes in slices, each on a new iterator at the snapshot of the
  // view queries read then: only what is published (durable), never a
  // change the writer has not synced yet. Before each slice, and after the
  // last, the change log up to that view is applied to the caches
  // (AcquireView: a changed name is dropped) and their position moves to its
  // end: a slice reads data at least that new, and every later change comes
  // after it in the log, so no cache holds a value older than its position.
  // Slices also keep the entries to apply few, however long the load and
  // however busy the updates (a cache more than the log's length behind is
  // emptied instead).
  EpochReader reader(registry_->epochs());
  {
    // The caches start where the log is now: the first slice reads a view at
    // least this new (the log before it is history they never held).
    EpochGuard section(&reader);
    const uint64_t now = store_->AcquireView(nullptr)->log_end;
    for (auto& c : caches) c->set_sequence(now);
  }
  // Returns a cursor for the next slice of `gen` (null: none wanted).
  const auto catch_up =
      [&](const uint32_t* gen,
          const std::string* after) -> std::unique_ptr<store::ZoneStore::NodeCursor> {
    EpochGuard section(&reader);
    for (auto& c : caches) (void)store_->AcquireView(c.get());
    if (gen == nullptr) return nullptr;
    // The iterator keeps the data it reads (RocksDB pins it) after the view
    // it was opened at is freed.
    return store_->OpenNodes(*gen, after, store_->AcquireView(nullptr)->snapshot);
  };
  uint64_t names = 0;
  // The hashes of the wildcard names loaded (few: a filter of them fits the
  // CPU's caches, where an NXDOMAIN's probe of "*.<closest encloser>" in the
  // slot table waits on memory).
  std::vector<uint64_t> wildcards;
  for (const ZoneRef& z : zones) {
    std::string last;  // the slice's last key
    for (bool first = true, more = true; more; first = false) {
      if (!first && options_.between_slices) options_.between_slices();
      if (stopping()) return false;
      std::unique_ptr<store::ZoneStore::NodeCursor> cursor =
          catch_up(&z.gen, first ? nullptr : &last);
      std::string_view key, value;
      more = false;
      for (size_t in_slice = 0; cursor->Next(&key, &value);) {
        ++names;
        // An empty non-terminal goes to every cache: the closest-encloser
        // search of every thread's missing names reads it (~1/6 of the nodes
        // of a numbers zone, and small).
        store::NodeView node;
        const int worker = options_.by_name && !(node.Parse(value) && node.empty())
                               ? WorkerOfNode(key, z.origin, options_.workers)
                               : -1;
        const uint64_t hash = store::NodeCache::KeyHash(z.gen, key);
        if (filter) filter->Add(hash);
        if (store::KeyIsWildcard(key)) wildcards.push_back(hash);
        for (size_t i = 0; i < targets_.size(); ++i)
          if (worker < 0 || targets_[i].worker == worker) caches[i]->Preload(z.gen, key, value);
        if (++in_slice == options_.slice_nodes) {
          last.assign(key);
          more = true;
          break;
        }
      }
      if (!cursor->status().ok()) {
        Log(LogLevel::kWarning, "node caches: loading the zones stopped: %s",
            cursor->status().message().c_str());
        return false;
      }
    }
  }
  catch_up(nullptr, nullptr);
  // Each cache now holds every node of these versions its thread is sent
  // (the changes since their slices forgotten and remembered as changed).
  auto gens = std::make_shared<std::vector<std::pair<uint32_t, std::string>>>();
  for (const ZoneRef& z : zones) gens->emplace_back(z.gen, z.origin);
  std::sort(gens->begin(), gens->end());
  const auto loaded_gen = [gens](uint32_t gen) {
    auto it = std::lower_bound(gens->begin(), gens->end(), gen,
                               [](const auto& g, uint32_t v) { return g.first < v; });
    return it == gens->end() || it->first != gen ? nullptr : &it->second;
  };
  // A wildcard key is in this filter if the load saw it, in any thread's
  // share: one it does not hold was not loaded anywhere.
  auto wild = std::make_shared<store::KeyFilter>(wildcards.size());
  for (uint64_t h : wildcards) wild->Add(h);
  for (size_t i = 0; i < targets_.size(); ++i) {
    caches[i]->SetComplete(
        [loaded_gen, filter, workers = options_.workers, worker = targets_[i].worker](
            uint32_t gen, std::string_view key, uint64_t hash) {
          const std::string* origin = loaded_gen(gen);
          if (!origin) return false;
          if (!filter || !filter->MayContain(hash)) return true;
          const int w = WorkerOfNode(key, *origin, workers);
          return w < 0 || w == worker;
        },
        [loaded_gen, wild](uint32_t gen, std::string_view key, uint64_t hash) {
          return store::KeyIsWildcard(key) && !wild->MayContain(hash) && loaded_gen(gen);
        });
  }
  loaded_log_end_ = caches[0]->sequence();  // Start runs no loader without targets
  loaded_names_ = names;
  ring_bytes_ = ring;
  loaded_bytes_.assign(targets_.size(), 0);
  loaded_clears_.assign(targets_.size(), 0);
  loaded_complete_.assign(targets_.size(), false);
  uint64_t bytes = 0;
  for (size_t i = 0; i < targets_.size(); ++i) {
    loaded_bytes_[i] = caches[i]->bytes_written();
    loaded_clears_[i] = caches[i]->clears();
    loaded_complete_[i] = caches[i]->complete();
    bytes += loaded_bytes_[i];
    targets_[i].handoff->Offer(std::move(caches[i]));
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  Log(LogLevel::kInfo,
      "node caches loaded: %llu names of %zu zones, %.1f MiB in %zu caches, in %lld ms%s",
      static_cast<unsigned long long>(names), zones.size(),
      static_cast<double>(bytes) / (1024.0 * 1024.0), targets_.size(), static_cast<long long>(ms),
      std::count(loaded_complete_.begin(), loaded_complete_.end(), false) == 0
          ? ""
          : " (absent names still read from the store: a cache lost records)");
  std::lock_guard<std::mutex> lock(mu_);
  loaded_.names = names;
  loaded_.bytes = bytes;
  ++loaded_.loads;
  return true;
}

}  // namespace enumd::daemon
