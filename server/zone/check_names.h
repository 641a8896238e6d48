// BIND 9's check-names: the host-name rules (RFC 952, RFC 1123 §2.1) that
// BIND applies to some names of some record types when it loads a zone.
// Any octet is valid in a DNS label (RFC 2181 §11); these rules say which
// names must also be usable as host names. BIND 9.18's table, measured with
// `named-checkzone -k fail`:
//   owner names of A, AAAA (both except gc._msdcs.<host>, Active
//     Directory's), A6, WKS and MX: a host name, a leading "*" label allowed;
//   the targets of NS, MX, SRV, AFSDB and RT, and the SOA's MNAME: a host
//     name; the SOA's RNAME: a mailbox (any printable first label, then a
//     host name);
//   PTR targets in in-addr.arpa., ip6.arpa. and ip6.int.: a host name, unless
//     the owner is a DNS-SD browse name (b|db|r|dr|lb)._dns-sd._udp (RFC 6763 §11).
//   NSEC3 owners: the first label an unpadded base32hex hash (RFC 5155 §3).
// A host name: labels of letters, digits and '-', neither first nor last a
// '-'. The root name passes everywhere.
//
// named-checkzone only warns (its -k default); named refuses a primary zone
// that fails (check-names primary fail) and warns for a secondary one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace enumd::zone {

enum class CheckNamesMode { kIgnore, kWarn, kFail };

// Checks one record (`owner` and the names in `rdata` in wire form,
// uncompressed). Returns nullptr when it passes, else what fails, in BIND's
// words: "bad owner name" or "bad name in RDATA". noexcept, no allocation.
const char* CheckNames(const uint8_t* owner, uint16_t type, const uint8_t* rdata,
                       size_t rdlen) noexcept;

// What CheckNames says of an NSEC3 whose owner's first label is not an
// unpadded base32hex hash. BIND refuses such a zone in warn mode too (only
// ignore lets it pass), so an import does. One object (defined in
// check_names.cc), so callers may compare the pointer: string literals of
// different translation units need not share an address (ASan's do not).
extern const char kBadNsec3Owner[];

}  // namespace enumd::zone
