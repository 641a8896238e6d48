// Bit mixing for the fixed-size hash tables (TCP per-source counts, the node
// cache): a good finaliser makes every input bit affect every output bit, so
// both low bits (bucket) and high bits (tag) spread.
#pragma once

#include <cstdint>
#include <string_view>

namespace enumd {

// splitmix64's finaliser.
inline uint64_t MixBits(uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// FNV-1a (64-bit) of `text`, continuing from `h`: a stable digest of short
// names (it never changes between builds or machines), not for tables an
// attacker fills.
inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline uint64_t Fnv1a(uint64_t h, std::string_view text) noexcept {
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace enumd
