// See epoch.h.
#include "common/epoch.h"

#include <cassert>
#include <chrono>
#include <thread>

namespace enumd {

EpochDomain::~EpochDomain() { assert(live_ == 0 && "EpochReaders must not outlive their domain"); }

EpochDomain::Slot* EpochDomain::Register() {
  std::lock_guard<std::mutex> lock(mu_);
  ++live_;
  if (!free_.empty()) {
    Slot* s = free_.back();
    free_.pop_back();
    return s;
  }
  slots_.push_back(std::make_unique<Slot>());
  return slots_.back().get();
}

void EpochDomain::Unregister(Slot* slot) {
  std::lock_guard<std::mutex> lock(mu_);
  slot->active.store(0, std::memory_order_release);
  free_.push_back(slot);
  --live_;
}

size_t EpochDomain::readers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_;
}

void EpochDomain::Synchronize() {
  std::lock_guard<std::mutex> sync(sync_mu_);
  const uint64_t target = epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
  // The slots to look at: a reader registered after this point enters with
  // an epoch >= target, so it need not be waited for.
  std::vector<Slot*> slots;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots.reserve(slots_.size());
    for (const auto& s : slots_) slots.push_back(s.get());
  }
  for (Slot* s : slots) {
    // Read sections last microseconds, unless a read waits on the disk:
    // spin a little, then sleep in short steps.
    for (int spins = 0;; ++spins) {
      const uint64_t active = s->active.load(std::memory_order_seq_cst);
      if (active == 0 || active >= target) break;
      if (spins < 64)
        std::this_thread::yield();
      else
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
}

uint64_t EpochDomain::Retire() { return epoch_.fetch_add(1, std::memory_order_seq_cst) + 1; }

bool EpochDomain::Passed(uint64_t ticket) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& s : slots_) {
    const uint64_t active = s->active.load(std::memory_order_seq_cst);
    if (active != 0 && active < ticket) return false;
  }
  return true;
}

EpochReader::EpochReader(EpochDomain* domain) : domain_(domain), slot_(domain->Register()) {}

EpochReader::~EpochReader() { domain_->Unregister(slot_); }

}  // namespace enumd
