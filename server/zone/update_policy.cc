// See update_policy.h.
#include "zone/update_policy.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "dns/constants.h"
#include "dns/name.h"

namespace enumd::zone {

namespace {

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// What a BIND update-policy rule without types covers: every type but
// these (named refuses SOA and NS under such a rule, and takes DS, DNSKEY,
// CDS; RRSIG and NSEC are server-made).
bool UserType(uint16_t type) {
  return type != dns::type::kSOA && type != dns::type::kNS && type != dns::type::kRRSIG &&
         type != dns::type::kNSEC && type != 50 /* NSEC3 */;
}

bool Matches(const UpdateRule& r, const std::string& origin, const uint8_t* owner) {
  switch (r.match) {
    case UpdateRule::Match::kZoneSub:
      return dns::IsSubdomain(owner, U8(origin));
    case UpdateRule::Match::kSubdomain:
      return dns::IsSubdomain(owner, U8(r.name));
    case UpdateRule::Match::kName:
      return dns::NameEqual(owner, U8(r.name));
    case UpdateRule::Match::kWildcard: {
      // "*.parent": strictly below the parent.
      const uint8_t* n = U8(r.name);
      if (n[0] != 1 || n[1] != '*') return false;
      const uint8_t* parent = n + 2;
      return dns::IsSubdomain(owner, parent) && !dns::NameEqual(owner, parent);
    }
  }
  return false;
}

}  // namespace

bool InPrefix(const UpdatePrefix& p, bool v6, const uint8_t* addr) {
  if (p.v6 != v6) return false;
  int bits = p.length;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (p.addr[i] & mask)) return false;
  }
  return true;
}

bool PeerAddress(const sockaddr* peer, uint8_t out[16]) {
  std::memset(out, 0, 16);
  if (peer == nullptr) return false;
  if (peer->sa_family == AF_INET) {
    std::memcpy(out, &reinterpret_cast<const sockaddr_in*>(peer)->sin_addr, 4);
    return false;
  }
  if (peer->sa_family == AF_INET6) {
    const uint8_t* a = reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr.s6_addr;
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a, kMapped, 12) == 0) {
      std::memcpy(out, a + 12, 4);
      return false;
    }
    std::memcpy(out, a, 16);
    return true;
  }
  return false;
}

bool UpdatePolicy::Admits(const std::string& key, bool v6, const uint8_t* peer) const {
  if (!key.empty()) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) return true;
    for (const UpdateRule& r : rules)
      if (r.grant && r.key == key) return true;
    return false;
  }
  for (const UpdatePrefix& p : addresses)
    if (InPrefix(p, v6, peer)) return true;
  return false;
}

bool UpdatePolicy::Allows(const std::string& key, const uint8_t* owner, uint16_t type) const {
  if (key.empty() || rules.empty()) return true;  // admitted whole (Admits)
  for (const UpdateRule& r : rules) {
    if (r.key != key || !Matches(r, origin, owner)) continue;
    const bool type_ok = r.any || (r.types.empty() ? UserType(type)
                                                   : std::find(r.types.begin(), r.types.end(),
                                                               type) != r.types.end());
    if (type_ok) return r.grant;
  }
  return false;
}

}  // namespace enumd::zone
