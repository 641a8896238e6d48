#include "daemon/cache_warmer.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/counter.h"
#include "query/query_test_support.h"

namespace enumd::daemon {
namespace {

// `count` numbers under 4.4.e164.arpa. beside the apex.
std::string NumbersZone(int count, uint32_t serial) {
  std::string z = "$ORIGIN e164.arpa.\n$TTL 300\n@ SOA ns.example. h.example. " +
                  std::to_string(serial) + " 3600 600 86400 300\n@ NS ns.example.\n";
  for (int i = 0; i < count; ++i) {
    std::string n = std::to_string(1000000 + i);
    std::string owner;
    for (char d : n) owner.insert(0, std::string(1, d) + ".");
    z += owner + "4.4 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:" + n + "@a!\" .\n";
  }
  return z;
}

std::vector<uint8_t> Query(const std::string& name) {
  std::vector<uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  const std::string wire = dns::WireName(name);
  q.insert(q.end(), wire.begin(), wire.end());
  q.insert(q.end(), {0, 35, 0, 1});
  return q;
}

template <typename F>
bool WaitFor(F done) {
  for (int i = 0; i < 1000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

struct Warmed {
  query::ServedZone served;
  store::CacheHandoff handoff;
  Counter hits, misses;
  std::unique_ptr<CacheWarmer> warmer;

  explicit Warmed(int count, double headroom = 2.0) : served(NumbersZone(count, 1), Options()) {
    served.responder->set_cache_handoff(&handoff);
    served.responder->set_cache_counters(&hits, &misses);
    CacheWarmer::Options o;
    o.poll_ms = 10;
    o.headroom = headroom;
    o.slack = headroom < 1 ? 0 : o.slack;
    warmer = std::make_unique<CacheWarmer>(served.store.get(), &served.registry, o,
                                           std::vector<CacheWarmer::Target>{{&handoff, 0}});
    warmer->Start();
  }
  ~Warmed() { warmer->Stop(); }
  static query::ResponderOptions Options() {
    query::ResponderOptions o;
    o.node_cache_bytes = 1 << 16;  // the cold cache: a few hundred names
    return o;
  }
  // Answers `name`: its rcode.
  int Ask(const std::string& name) {
    std::vector<uint8_t> q = Query(name), out(4096);
    const size_t n = served.responder->Respond(q.data(), q.size(), out.data(), out.size(), false);
    REQUIRE(n >= 12);
    return out[3] & 0x0F;
  }
};

std::string Number(int i) {
  std::string owner;
  for (char d : std::to_string(1000000 + i)) owner.insert(0, std::string(1, d) + ".");
  return owner + "4.4.e164.arpa.";
}

TEST_CASE("CacheWarmer loads every name; the first query for each is a cache hit") {
  Warmed w(3000);
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 1; }));
  CHECK(w.warmer->loaded().names > 3000);  // and the empty non-terminals
  for (int i = 0; i < 3000; i += 7) CHECK(w.Ask(Number(i)) == 0);
  CHECK(w.misses.Get() == 0);
  CHECK(w.hits.Get() >= 3000 / 7);
  // Nothing changed: no second load.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(w.warmer->loaded().loads == 1);
}

TEST_CASE("CacheWarmer loads again when the ring fills up or a new version is served") {
  Warmed w(3000);
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 1; }));
  REQUIRE(w.Ask(Number(1)) == 0);  // takes the loaded cache
  // Names that do not exist, each asked twice, are remembered as absent:
  // they fill the ring until the loaded names would be overwritten.
  const uint64_t loads = w.warmer->loaded().loads;
  int asked = 0;
  for (; asked < 200000 && w.warmer->loaded().loads == loads; ++asked) {
    const std::string missing = std::to_string(asked) + ".9.9.e164.arpa.";
    CHECK(w.Ask(missing) == 3);
    CHECK(w.Ask(missing) == 3);
    if (asked % 1000 == 999) std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  CHECK(w.warmer->loaded().loads == loads + 1);
  CHECK(asked > 1000);  // not at once: the ring had room for some
  // A new version of the zone (an import, as a reload does it).
  query::ServedZone& s = w.served;
  const std::string file = s.dir.Write("zone2.db", NumbersZone(3000, 2));
  zone::ImportOptions io;
  io.origin = "e164.arpa.";
  auto r = zone::ImportZoneFile(s.store.get(), file, io);
  REQUIRE(r.ok());
  auto table = std::make_unique<zone::ZoneTable>();
  zone::Zone z;
  z.meta = r->meta;
  z.origin = dns::WireName("e164.arpa.");
  z.origin_labels = 2;
  table->Add(z);
  s.registry.Publish(std::move(table));
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == loads + 2; }));
  const uint64_t misses = w.misses.Get();
  for (int i = 0; i < 3000; i += 11) CHECK(w.Ask(Number(i)) == 0);
  CHECK(w.misses.Get() == misses);
}

TEST_CASE("CacheWarmer loads again into bigger caches when the zones did not fit") {
  // Rings of half the tables' bytes: the records (which take more than the
  // tables' prefix-compressed keys) overflow the first load.
  Warmed w(3000, 0.5);
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(w.warmer->loaded().loads == 2);  // and no more: they fit now
  for (int i = 0; i < 3000; i += 7) CHECK(w.Ask(Number(i)) == 0);
  CHECK(w.misses.Get() == 0);
}

}  // namespace
}  // namespace enumd::daemon
