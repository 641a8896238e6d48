#include "zone/zone_table.h"

#include "dns/name.h"

namespace enumd::zone {

void ZoneTable::Add(Zone zone) { zones_.push_back(std::move(zone)); }

const Zone* ZoneTable::Find(const uint8_t* qname) const noexcept {
  const Zone* best = nullptr;
  for (const Zone& z : zones_) {
    if ((!best || z.origin_labels > best->origin_labels) &&
        dns::IsSubdomain(qname, reinterpret_cast<const uint8_t*>(z.origin.data())))
      best = &z;
  }
  return best;
}

ZoneRegistry::ZoneRegistry() : current_(nullptr) { Publish(std::make_unique<ZoneTable>()); }
ZoneRegistry::~ZoneRegistry() = default;

void ZoneRegistry::Publish(std::unique_ptr<ZoneTable> table) {
  std::lock_guard<std::mutex> lock(mu_);
  current_.store(table.get(), std::memory_order_release);
  owned_.push_back(std::move(table));
}

void ZoneRegistry::Retire() {
  std::lock_guard<std::mutex> lock(mu_);
  // Tables replaced before the previous Retire() have had a whole period to drain.
  size_t n = std::min(retire_upto_, owned_.size() - 1);
  owned_.erase(owned_.begin(), owned_.begin() + static_cast<ptrdiff_t>(n));
  retire_upto_ = owned_.size() - 1;
}

}  // namespace enumd::zone
