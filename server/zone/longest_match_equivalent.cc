// See longest_match_equivalent.h.
#include "zone/longest_match_equivalent.h"

#include <cstring>

#include "dns/constants.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "store/node.h"

namespace enumd::zone {

bool LongestMatchEquivalent::Feed(std::string_view key, std::string_view value,
                                  const uint8_t* owner, const HasNode& has_node, const Emit& emit) {
  store::NodeView node;
  if (!node.Parse(value)) return false;
  while (!wildcards_.empty() &&
         key.substr(0, wildcards_.back().first.size()) != wildcards_.back().first)
    wildcards_.pop_back();
  // "*.<owner>" holding `wc`, unless the zone has its own wildcard there.
  bool ok = true;
  auto wildcard_below = [&](std::string_view wc) {
    const size_t olen = dns::WireNameLength(owner, dns::kMaxNameWire);
    if (olen + 2 > dns::kMaxNameWire) return;
    switch (has_node(store::WildcardKey(key))) {
      case store::ReadStatus::kFound:
        return;
      case store::ReadStatus::kError:
        ok = false;
        return;
      case store::ReadStatus::kAbsent:
        break;
    }
    uint8_t star[dns::kMaxNameWire];
    star[0] = 1;
    star[1] = '*';
    std::memcpy(star + 2, owner, olen);
    emit(star, wc);
  };
  const bool below_cut = node.flags() & (store::kNodeBelowCut | store::kNodeDelegation);
  if (store::KeyIsWildcard(key)) {
    emit(owner, value);
    std::string_view parent =
        key.substr(0, store::KeyPrefixLength(key, store::KeyLabelCount(key) - 1));
    wildcards_.emplace_back(std::string(parent), std::string(value));
    // Names below the wildcard node itself are governed by it.
    if (!below_cut) wildcard_below(value);
    return ok;
  }
  if (!wildcards_.empty() && !below_cut) {
    const std::string wc = wildcards_.back().second;
    emit(owner, node.empty() ? std::string_view(wc) : value);
    wildcard_below(wc);
    return ok;
  }
  emit(owner, value);
  return ok;
}

}  // namespace enumd::zone
