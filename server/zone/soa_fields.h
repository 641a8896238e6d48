// The fixed fields of an SOA record's RDATA (RFC 1035 §3.3.13): what a
// secondary's timers (refresh, retry, expire) and serial checks read.
#pragma once

#include <cstdint>
#include <string_view>

namespace enumd::zone {

struct SoaFields {
  uint32_t serial = 0;
  uint32_t refresh = 0;
  uint32_t retry = 0;
  uint32_t expire = 0;
  uint32_t minimum = 0;
};

// Reads the fields after MNAME and RNAME of uncompressed SOA RDATA; false
// when it is not one (names malformed, or fewer than 20 octets after them).
bool ParseSoa(std::string_view rdata, SoaFields* out) noexcept;

}  // namespace enumd::zone
