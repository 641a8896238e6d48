// EpochDomain: reclamation by reader quiescence (the idea behind Knot DNS's
// use of RCU: rcu_xchg_pointer, then synchronize_rcu, then free). Readers
// (query threads) mark the span in which they may hold pointers into shared,
// replaceable state -- a zone table, a store generation -- with Enter() and
// Leave(). A writer that has unpublished something calls Synchronize(): it
// returns once every reader that could have seen the old thing has left, so
// the old thing can be freed. Nothing is freed on a timer, so a query stuck
// for seconds on a slow disk only makes the writer wait longer.
//
// Protocol (all sequentially consistent, so the argument is the textbook one):
//   reader:  slot = epoch (Enter); load the published pointer; ...; slot = 0 (Leave)
//   writer:  store the new pointer; epoch += 1; wait until every slot is 0
//            or >= the new epoch
// A reader whose Enter comes after the writer's look at its slot loads the
// pointer after the writer stored the new one; a reader whose Enter came
// before is waited for. Leave is a release store, so everything the reader
// did with the old state happens before the writer frees it (what
// ThreadSanitizer checks).
//
// Cost for a reader: one atomic exchange and one plain store per read
// section, on a cache line of its own. Readers never wait for writers.
//
// Thread-safety: Enter/Leave on one EpochReader from one thread at a time
// (the reader's own). Synchronize from any thread; concurrent writers are
// serialised. EpochReaders register at construction and must be destroyed
// before their domain.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace enumd {

class EpochReader;

class EpochDomain {
 public:
  EpochDomain() = default;
  ~EpochDomain();
  EpochDomain(const EpochDomain&) = delete;
  EpochDomain& operator=(const EpochDomain&) = delete;

  // Blocks until no reader is inside a read section that began before this
  // call. Call after unpublishing; then free. Never call it from inside a
  // read section of this domain (it would wait for itself).
  void Synchronize();

  // The same without waiting, for a writer that frees things later: Retire
  // advances the epoch and returns a ticket; once Passed(ticket) is true, no
  // reader is still inside a read section that began before the Retire.
  uint64_t Retire();
  bool Passed(uint64_t ticket) const;

  // The current epoch (starts at 1; +1 per Synchronize or Retire).
  uint64_t epoch() const noexcept { return epoch_.load(std::memory_order_seq_cst); }
  // Registered readers (tests, diagnostics).
  size_t readers() const;

 private:
  friend class EpochReader;
  struct alignas(64) Slot {
    std::atomic<uint64_t> active{0};  // 0: outside; else the epoch at Enter
  };
  Slot* Register();
  void Unregister(Slot* slot);

  std::atomic<uint64_t> epoch_{1};
  mutable std::mutex mu_;                     // slots_, free_, live_
  std::mutex sync_mu_;                        // one Synchronize at a time
  std::vector<std::unique_ptr<Slot>> slots_;  // every slot ever made (stable addresses)
  std::vector<Slot*> free_;                   // slots of destroyed readers, for reuse
  size_t live_ = 0;
};

class EpochReader {
 public:
  explicit EpochReader(EpochDomain* domain);
  ~EpochReader();
  EpochReader(const EpochReader&) = delete;
  EpochReader& operator=(const EpochReader&) = delete;

  // Starts a read section: from here until Leave() the reader may hold what
  // it loads from published pointers. Not nested.
  void Enter() noexcept {
    slot_->active.store(domain_->epoch_.load(std::memory_order_relaxed), std::memory_order_seq_cst);
  }
  // Ends it: the reader holds nothing from the domain any more.
  void Leave() noexcept { slot_->active.store(0, std::memory_order_release); }
  bool inside() const noexcept { return slot_->active.load(std::memory_order_relaxed) != 0; }

 private:
  EpochDomain* domain_;
  EpochDomain::Slot* slot_;
};

// Enter() for a scope.
class EpochGuard {
 public:
  explicit EpochGuard(EpochReader* reader) noexcept : reader_(reader) { reader_->Enter(); }
  ~EpochGuard() { reader_->Leave(); }
  EpochGuard(const EpochGuard&) = delete;
  EpochGuard& operator=(const EpochGuard&) = delete;

 private:
  EpochReader* reader_;
};

}  // namespace enumd
