// CacheWarmer: loads every node of the served zones into the UDP query
// threads' node caches in the background (cache.names_mb: auto, when the
// zones fit), so that traffic spread over all numbers is answered from memory
// from the first query for each name -- what Knot and NSD get by loading the
// zone before they answer, without their wait: enumd answers from the store
// meanwhile.
//
// A thread's cache gets the names that thread will be asked: with
// udp.spread: name the kernel's choice of worker (net::UdpSocketForDatagram)
// and every empty non-terminal (the closest-encloser search of any missing
// name reads them), else all of them. Each cache is filled here, from a RocksDB iterator, and
// handed over whole (store::CacheHandoff): the thread takes it before its
// next query, and ZoneStore::AcquireView applies the changes committed since
// the fill began (the cache carries the change log's position of what it
// read), so no answer is older than the view it reads. It reads only what
// queries may see (published views' snapshots), never a change before it
// is durable. It runs at a low CPU priority
// (nice 5), once the server starts and again when
// - a zone's version is replaced (an import, a reload, a transfer): the
//   caches hold the old one's names;
// - more than an eighth as many names changed (UPDATEs, diff reloads) as were
//   loaded: a changed name is dropped from the caches and comes back only
//   once it is asked twice (the doorkeeper);
// - a thread's cache was emptied (it fell more than the change log behind:
//   a change of more names at once than the log holds);
// - a thread's cache stopped knowing absent names (more names changed, or
//   were pushed out of its slot table, than it tracks);
// - a thread's cache has used 3/4 of the room its ring had left below 7/8
//   (names changed and asked again, names that do not exist asked twice):
//   beyond 7/8 the ring starts to overwrite what was loaded. A load that
//   did not fit (the estimate was low) is done again into rings twice its
//   size.
// While a load runs the old caches still serve: memory holds both for that
// long. A loaded cache also answers that a name does not exist, without a
// store read (NodeCache::SetComplete), until one of the above: a name of its
// own share if it does not hold it, another share's if a filter of every
// key loaded (store::KeyFilter, shared by the caches) never saw it.
//
// Thread-safe: Start and Stop from one thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/node_cache.h"
#include "store/zone_store.h"
#include "zone/zone_table.h"

namespace enumd::daemon {

class CacheWarmer {
 public:
  struct Target {
    store::CacheHandoff* handoff = nullptr;  // outlives the warmer
    int worker = 0;
  };
  struct Options {
    int workers = 1;
    bool by_name = false;  // udp.spread: name with more than one worker
    // Ring bytes per cache: its share of the zones' table bytes times this,
    // plus `slack` (the records take ~1.26x the tables; the ring's untouched
    // end costs no memory), or twice what the last load wrote to it if more.
    double headroom = 2.0;
    size_t slack = size_t{1} << 20;
    uint32_t poll_ms = 1000;     // how often zone versions are compared
    size_t slice_nodes = 65536;  // nodes read per iterator
    // Distinct changed names a cache tracks before it stops knowing absent
    // names (NodeCache::TrackChanges); 0: 65,536 + an eighth of the names.
    size_t max_changes = 0;
    // Tests: called on the loading thread between two slices.
    std::function<void()> between_slices;
  };
  // What the last load did, for tests and the log.
  struct Loaded {
    uint64_t names = 0;
    uint64_t bytes = 0;  // ring bytes written, over all caches
    uint64_t loads = 0;  // completed loads since Start
    // Threads whose cache knows absent names now (NodeCache::complete), of
    // `caches`.
    uint64_t complete = 0;
    uint64_t caches = 0;
  };

  CacheWarmer(const store::ZoneStore* store, const zone::ZoneRegistry* registry, Options options,
              std::vector<Target> targets);
  ~CacheWarmer();
  CacheWarmer(const CacheWarmer&) = delete;
  CacheWarmer& operator=(const CacheWarmer&) = delete;

  void Start();
  void Stop();  // an unfinished load is abandoned
  Loaded loaded() const;

 private:
  struct ZoneRef {
    std::string origin;  // wire
    uint32_t gen = 0;
    uint64_t names = 0;  // when served (UPDATEs change it, not the version)
    bool operator==(const ZoneRef& o) const { return gen == o.gen && origin == o.origin; }
  };
  void Run();
  std::vector<ZoneRef> Served();
  // Why the caches should be loaded again ("" if not), zones as served now.
  std::string Stale(const std::vector<ZoneRef>& zones);
  // Fills and offers one cache per target; false if stopped or failed.
  bool Load(const std::vector<ZoneRef>& zones);
  bool stopping();

  const store::ZoneStore* store_;
  const zone::ZoneRegistry* registry_;
  Options options_;
  std::vector<Target> targets_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // under mu_
  Loaded loaded_;      // under mu_
  // The warmer thread's: what the last load was for.
  std::vector<ZoneRef> loaded_zones_;
  bool tried_ = false;  // a load was tried for loaded_zones_
  uint64_t loaded_log_end_ = 0;
  uint64_t loaded_names_ = 0;
  size_t ring_bytes_ = 0;                // each cache's ring
  std::vector<uint64_t> loaded_bytes_;   // per target: what the last load wrote
  std::vector<uint32_t> loaded_clears_;  // per target: its cache's clears() when offered
  std::vector<bool> loaded_complete_;    // per target: its cache knew absent names when offered
  int full_polls_ = 0;                   // consecutive polls that found a cache full
};

}  // namespace enumd::daemon
