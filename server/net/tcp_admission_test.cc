// TcpAdmission: the total and per-source TCP connection caps.
#include "net/tcp_admission.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>

#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace enumd::net {

namespace {

TcpSource Source(const std::string& address) {
  sockaddr_storage storage{};
  if (address.find(':') == std::string::npos) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, address.c_str(), &in->sin_addr) == 1);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    REQUIRE(inet_pton(AF_INET6, address.c_str(), &in6->sin6_addr) == 1);
  }
  return TcpSource::From(reinterpret_cast<const sockaddr*>(&storage));
}

}  // namespace

TEST_CASE("TcpAdmission: sources are IPv4 addresses and IPv6 /64 prefixes") {
  CHECK(Source("192.0.2.1") == Source("192.0.2.1"));
  CHECK_FALSE(Source("192.0.2.1") == Source("192.0.2.2"));
  CHECK(Source("2001:db8:1:2::1") == Source("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  CHECK_FALSE(Source("2001:db8:1:2::1") == Source("2001:db8:1:3::1"));
  CHECK(Source("::ffff:192.0.2.1") == Source("192.0.2.1"));
  // No IPv6 prefix looks like an IPv4 address, including ::/64 and 0.0.0.0.
  CHECK_FALSE(Source("::") == Source("0.0.0.0"));
  CHECK_FALSE(Source("::c000:201") == Source("192.0.2.1"));
  CHECK(Source("::").known());
  CHECK(Source("0.0.0.0").known());
  sockaddr unknown{};
  unknown.sa_family = AF_UNSPEC;
  CHECK_FALSE(TcpSource::From(&unknown).known());
  CHECK_FALSE(TcpSource::From(nullptr).known());
}

TEST_CASE("TcpAdmission: the total cap counts slots") {
  TcpAdmission admission(3, 0);
  CHECK(admission.TakeSlot());
  CHECK(admission.TakeSlot());
  CHECK(admission.TakeSlot());
  CHECK_FALSE(admission.TakeSlot());
  CHECK(admission.open() == 3);
  admission.ReturnSlot();
  CHECK(admission.TakeSlot());
  CHECK_FALSE(admission.TakeSlot());
}

TEST_CASE("TcpAdmission: the per-source cap holds per source, and not without a cap") {
  TcpAdmission capped(100, 2);
  TcpSource a = Source("127.0.0.2");
  TcpSource b = Source("127.0.0.3");
  CHECK(capped.TakeSource(a));
  CHECK(capped.TakeSource(a));
  CHECK_FALSE(capped.TakeSource(a));
  CHECK(capped.TakeSource(b));
  CHECK(capped.SourceCount(a) == 2);
  CHECK(capped.SourceCount(b) == 1);
  capped.ReturnSource(a);
  CHECK(capped.TakeSource(a));
  capped.ReturnSource(a);
  capped.ReturnSource(a);
  capped.ReturnSource(b);
  CHECK(capped.sources() == 0);
  // An unknown source is never refused and never counted.
  for (int i = 0; i < 10; ++i) CHECK(capped.TakeSource(TcpSource{}));
  CHECK(capped.sources() == 0);

  TcpAdmission uncapped(100, 0);
  for (int i = 0; i < 1000; ++i) CHECK(uncapped.TakeSource(a));
  CHECK(uncapped.SourceCount(a) == 0);
}

TEST_CASE("TcpAdmission: random churn over many sources matches a reference count") {
  // Exercises collisions and backward-shift deletion in the table.
  constexpr uint32_t kCap = 3;
  constexpr uint32_t kConnections = 4000;
  TcpAdmission admission(kConnections, kCap);
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> reference;
  std::vector<TcpSource> held;
  std::mt19937 random(7);
  for (int step = 0; step < 200000; ++step) {
    bool take = held.empty() || (held.size() < kConnections && random() % 2 == 0);
    if (take) {
      // Few enough distinct sources that caps are hit, many enough to collide.
      uint32_t host = random() % 3000;
      TcpSource s =
          Source("10." + std::to_string(host >> 8) + "." + std::to_string(host & 255) + ".1");
      uint32_t& count = reference[{s.high, s.low}];
      bool taken = admission.TakeSource(s);
      REQUIRE(taken == (count < kCap));
      if (taken) {
        ++count;
        held.push_back(s);
      }
    } else {
      size_t i = random() % held.size();
      TcpSource s = held[i];
      held[i] = held.back();
      held.pop_back();
      admission.ReturnSource(s);
      if (--reference[{s.high, s.low}] == 0) reference.erase({s.high, s.low});
    }
    if (step % 10007 == 0) {
      REQUIRE(admission.sources() == reference.size());
      for (const auto& [key, count] : reference) {
        REQUIRE(admission.SourceCount(TcpSource{key.first, key.second}) == count);
      }
    }
  }
  for (const TcpSource& s : held) admission.ReturnSource(s);
  CHECK(admission.sources() == 0);
}

TEST_CASE("TcpAdmission: workers taking and returning at once never exceed the caps") {
  // 4 threads on 2 sources, per-source cap 1 and total cap 1: each cap is
  // contended; at no time may more holders exist than it allows.
  TcpAdmission admission(1, 1);
  std::atomic<int> slot_holders{0};
  std::atomic<int> source_holders[2] = {0, 0};
  std::atomic<int> over{0};
  std::atomic<int> slots_taken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      TcpSource s = Source("127.0.0." + std::to_string(2 + t % 2));
      for (int i = 0; i < 20000; ++i) {
        if (!admission.TakeSource(s)) continue;
        if (source_holders[t % 2].fetch_add(1) + 1 > 1) over.fetch_add(1);
        if (admission.TakeSlot()) {
          slots_taken.fetch_add(1);
          if (slot_holders.fetch_add(1) + 1 > 1) over.fetch_add(1);
          slot_holders.fetch_sub(1);
          admission.ReturnSlot();
        }
        source_holders[t % 2].fetch_sub(1);
        admission.ReturnSource(s);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(over.load() == 0);
  CHECK(slots_taken.load() > 0);
  CHECK(admission.open() == 0);
  CHECK(admission.sources() == 0);
}

}  // namespace enumd::net
