// Name keys: how a domain name inside a zone becomes a RocksDB key suffix.
//
// The key of a name relative to its zone origin is its labels from the origin
// downwards (most significant first), each lower-cased, escaped and ended with
// 0x00:
//     origin e164.arpa., name 1.1.9.e164.arpa.  ->  "9\0" "1\0" "1\0"
//     the apex itself                            ->  "" (empty)
// Escaping inside a label: 0x00 -> 0x01 0x01, 0x01 -> 0x01 0x02, so no label
// byte is 0x00 and bytewise key order is exactly DNSSEC canonical name order
// (RFC 4034 §6.1). Two consequences the lookup relies on:
//  - the key of an ancestor is a prefix of its descendants' keys, so a subtree
//    is one contiguous key range, and
//  - the closest existing ancestor of a missing name is found from the key
//    that precedes it (see zone/lookup.cc).
// Everything here is allocation-free except the std::string helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace enumd::store {

// The longest key: 127 labels, each at most 2*63 escaped bytes + terminator.
inline constexpr size_t kMaxNameKey = 512;

// Writes the key of wire name `name` relative to `origin_labels` (the label
// count of the zone origin; `name` must be at or below the origin) into `out`
// (>= kMaxNameKey bytes). Returns the key length.
size_t NameToKey(const uint8_t* name, int origin_labels, uint8_t* out) noexcept;

// Number of labels encoded in a key.
int KeyLabelCount(std::string_view key) noexcept;

// Length of the key prefix that holds the first `labels` labels of `key`.
size_t KeyPrefixLength(std::string_view key, int labels) noexcept;

// Rebuilds the wire name of `key` under the wire `origin` into `out`
// (>= 255 bytes). Returns the wire length, or 0 if the key is malformed or the
// name too long.
size_t KeyToName(std::string_view key, const uint8_t* origin, size_t origin_len,
                 uint8_t* out) noexcept;

// The key of the wildcard child "*" of the name whose key is `parent`.
std::string WildcardKey(std::string_view parent);

// True if the last label of the key is "*".
bool KeyIsWildcard(std::string_view key) noexcept;

}  // namespace enumd::store
