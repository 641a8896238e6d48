// See transfer_policy.h.
#include "query/transfer_policy.h"

#include <algorithm>

namespace enumd::query {

bool TransferAcl::Admits(const std::string& key, const sockaddr* peer) const {
  if (!key.empty() && std::find(keys.begin(), keys.end(), key) != keys.end()) return true;
  uint8_t addr[16];
  const bool v6 = zone::PeerAddress(peer, addr);
  if (peer == nullptr || (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)) return false;
  for (const zone::UpdatePrefix& p : addresses)
    if (zone::InPrefix(p, v6, addr)) return true;
  return false;
}

const TransferAcl* TransferPolicy::Find(std::string_view origin_lower) const {
  auto it = zones.find(origin_lower);
  return it == zones.end() ? nullptr : &it->second;
}

bool TransferPolicy::AcceptsNotify(std::string_view origin_lower, const std::string& key,
                                   const sockaddr* peer) const {
  auto it = primaries.find(origin_lower);
  if (it == primaries.end() || peer == nullptr ||
      (peer->sa_family != AF_INET && peer->sa_family != AF_INET6))
    return false;
  uint8_t addr[16];
  const bool v6 = zone::PeerAddress(peer, addr);
  for (const NotifySource& p : it->second)
    if (zone::InPrefix(p.address, v6, addr) && (p.key.empty() || p.key == key)) return true;
  return false;
}

void TransferPolicyHolder::Set(std::shared_ptr<const TransferPolicy> policy) {
  std::lock_guard<std::mutex> lock(mu_);
  policy_ = std::move(policy);
}

std::shared_ptr<void> TransferPolicyHolder::TakeTransferSlot(uint32_t max) const {
  uint32_t n = active_.load(std::memory_order_relaxed);
  do {
    if (n >= max) return nullptr;
  } while (!active_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  // A non-null pointer that owns nothing, whose deleter gives the place back.
  static char token;
  return std::shared_ptr<void>(&token,
                               [this](void*) { active_.fetch_sub(1, std::memory_order_relaxed); });
}

std::shared_ptr<const TransferPolicy> TransferPolicyHolder::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return policy_;
}

}  // namespace enumd::query
