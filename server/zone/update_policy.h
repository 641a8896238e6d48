// Who may change what in a zone by UPDATE (RFC 2136 §3.3): a subset of
// BIND's allow-update and update-policy.
//
//  - `keys`: TSIG keys any of which may change anything in the zone (BIND's
//    allow-update { key K; }), unless rules say otherwise;
//  - `addresses`: client prefixes that may send unsigned updates (BIND's
//    allow-update { 192.0.2.0/24; }; best left empty);
//  - `rules`: BIND's update-policy, in order, the first rule that matches a
//    record decides (grant or deny); a record no rule matches is refused.
//    A rule names a key, how the record's owner must relate to a name --
//      zonesub   the zone itself or any name in it (BIND "zonesub")
//      subdomain  NAME or any name below it
//      name      NAME exactly
//      wildcard  a name NAME matches as a wildcard ("*.1.6.e164.arpa."
//                matches every name below 1.6.e164.arpa., not itself)
//    -- and the types it covers, as BIND 9.18 reads them (checked against
//    named): "ANY" covers every type, SOA and NS included; a rule that names
//    no type covers every type but SOA, NS, RRSIG, NSEC and NSEC3. When
//    rules are present, `keys` only adds keys that are accepted at all; a
//    key must also be granted by a rule.
// No keys, addresses or rules: the zone takes no updates (REFUSED).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace enumd::zone {

struct UpdateRule {
  enum class Match { kZoneSub, kSubdomain, kName, kWildcard };
  bool grant = true;
  std::string key;  // key name, wire form, lower-case
  Match match = Match::kZoneSub;
  std::string name;             // wire, lower-case ("" for zonesub)
  std::vector<uint16_t> types;  // none and !any: every type but SOA, NS, RRSIG, NSEC, NSEC3
  bool any = false;             // "ANY" among the types: every type
};

struct UpdatePrefix {
  bool v6 = false;
  uint8_t addr[16] = {};
  uint8_t length = 0;
};

// Whether `addr` (16 bytes; IPv4 in the first 4 when !v6) lies in `p`.
bool InPrefix(const UpdatePrefix& p, bool v6, const uint8_t* addr);
// The address of `peer` as InPrefix wants it, in out[16]: returns v6
// (false for IPv4 and for IPv4-mapped IPv6 addresses, whose 4 bytes come
// first; false with zeros for null or another family).
bool PeerAddress(const sockaddr* peer, uint8_t out[16]);

struct UpdatePolicy {
  std::string origin;             // the zone's, wire, lower-case (zonesub)
  std::vector<std::string> keys;  // wire, lower-case
  std::vector<UpdatePrefix> addresses;
  std::vector<UpdateRule> rules;

  bool AcceptsUpdates() const { return !keys.empty() || !addresses.empty() || !rules.empty(); }
  // Whether a request signed by `key` (wire, lower-case; "" = unsigned) from
  // `peer` (16 bytes; IPv4 in the first 4 when !v6) may update the zone at
  // all.
  bool Admits(const std::string& key, bool v6, const uint8_t* peer) const;
  // Whether that request may make a change to `owner` (wire) of `type`.
  // Unsigned requests admitted by address may change anything.
  bool Allows(const std::string& key, const uint8_t* owner, uint16_t type) const;
};

}  // namespace enumd::zone
