// Bit mixing for the fixed-size hash tables (TCP per-source counts, the node
// cache): a good finaliser makes every input bit affect every output bit, so
// both low bits (bucket) and high bits (tag) spread.
#pragma once

#include <cstdint>

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

}  // namespace enumd
