#include "zone/zone_table.h"

#include "dns/name.h"

namespace enumd::zone {

void ZoneTable::Add(Zone zone) {
  zone.origin_labels = dns::LabelCount(reinterpret_cast<const uint8_t*>(zone.origin.data()));
  zones_.push_back(std::move(zone));
}

const Zone* ZoneTable::Find(const uint8_t* qname) const noexcept {
  const Zone* best = nullptr;
  for (const Zone& z : zones_) {
    if ((!best || z.origin_labels > best->origin_labels) &&
        dns::IsSubdomain(qname, reinterpret_cast<const uint8_t*>(z.origin.data())))
      best = &z;
  }
  return best;
}

ZoneRegistry::ZoneRegistry() : current_(nullptr), owned_(std::make_unique<ZoneTable>()) {
  current_.store(owned_.get(), std::memory_order_seq_cst);
}
ZoneRegistry::~ZoneRegistry() = default;

std::unique_ptr<ZoneTable> ZoneRegistry::Publish(std::unique_ptr<ZoneTable> table) {
  std::lock_guard<std::mutex> lock(mu_);
  current_.store(table.get(), std::memory_order_seq_cst);
  std::unique_ptr<ZoneTable> old = std::move(owned_);
  owned_ = std::move(table);
  epochs_.Synchronize();
  return old;
}

}  // namespace enumd::zone
