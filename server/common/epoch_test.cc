#include "common/epoch.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace enumd {
namespace {

using namespace std::chrono_literals;

TEST_CASE("EpochDomain: Synchronize does not wait for readers outside a read section") {
  EpochDomain domain;
  EpochReader a(&domain), b(&domain);
  a.Enter();
  a.Leave();
  uint64_t before = domain.epoch();
  domain.Synchronize();
  CHECK(domain.epoch() == before + 1);
  CHECK(domain.readers() == 2);
}

TEST_CASE("EpochDomain: Synchronize waits for a reader that entered before it") {
  EpochDomain domain;
  EpochReader reader(&domain);
  reader.Enter();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    domain.Synchronize();
    done = true;
  });
  std::this_thread::sleep_for(50ms);
  CHECK_FALSE(done.load());
  reader.Leave();
  writer.join();
  CHECK(done.load());
}

TEST_CASE("EpochDomain: a reader that enters after Synchronize began is not waited for") {
  EpochDomain domain;
  EpochReader old_reader(&domain), new_reader(&domain);
  old_reader.Enter();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    domain.Synchronize();
    done = true;
  });
  // Wait until the writer has advanced the epoch, then enter with the new one.
  while (domain.epoch() == 1) std::this_thread::yield();
  new_reader.Enter();
  old_reader.Leave();
  writer.join();
  CHECK(done.load());
  new_reader.Leave();
}

TEST_CASE("EpochDomain: Retire and Passed, without waiting") {
  EpochDomain domain;
  EpochReader a(&domain), b(&domain);
  a.Enter();
  const uint64_t ticket = domain.Retire();
  CHECK_FALSE(domain.Passed(ticket));  // a entered before
  b.Enter();                           // after: not waited for
  CHECK_FALSE(domain.Passed(ticket));
  a.Leave();
  CHECK(domain.Passed(ticket));
  b.Leave();
  CHECK(domain.Passed(domain.Retire()));
}

TEST_CASE("EpochDomain: slots of destroyed readers are reused, and a stale one never blocks") {
  EpochDomain domain;
  {
    EpochReader r(&domain);
    r.Enter();  // destroyed inside: Unregister clears the slot
  }
  CHECK(domain.readers() == 0);
  domain.Synchronize();
  EpochReader again(&domain);
  CHECK(domain.readers() == 1);
  domain.Synchronize();
}

// Readers follow a published pointer and check the object; a writer replaces
// it and, after Synchronize, poisons and frees the old one. A reader that
// could see a freed object would read the poison (and ASan/TSan would report
// the access).
TEST_CASE("EpochDomain: objects freed after Synchronize are never seen by readers") {
  struct Obj {
    uint64_t magic = 0x5eed;
    uint64_t version = 0;
  };
  EpochDomain domain;
  std::atomic<Obj*> current{new Obj()};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      EpochReader reader(&domain);
      uint64_t last = 0, n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        EpochGuard g(&reader);
        Obj* o = current.load(std::memory_order_seq_cst);
        // Spend a little time inside, as a query does.
        for (int i = 0; i < 50; ++i) {
          if (o->magic != 0x5eed) bad.fetch_add(1);
        }
        if (o->version < last) bad.fetch_add(1);  // published in order
        last = o->version;
        reads.fetch_add(1, std::memory_order_relaxed);
        if ((++n & 7) == 0) std::this_thread::yield();  // let the writer run
      }
    });
  }
  // Every reader is running before the writer starts replacing.
  while (reads.load() < 100) std::this_thread::yield();
  for (uint64_t v = 1; v <= 300; ++v) {
    Obj* next = new Obj();
    next->version = v;
    Obj* old = current.exchange(next, std::memory_order_seq_cst);
    domain.Synchronize();
    old->magic = 0xdead;
    delete old;
  }
  stop = true;
  for (auto& t : readers) t.join();
  delete current.load();
  CHECK(bad.load() == 0);
  CHECK(reads.load() > 0);
}

}  // namespace
}  // namespace enumd
