#include "zone/soa_fields.h"

#include "common/byte_order.h"
#include "dns/name.h"

namespace enumd::zone {

bool ParseSoa(std::string_view rdata, SoaFields* out) noexcept {
  auto p = reinterpret_cast<const uint8_t*>(rdata.data());
  const size_t m = dns::WireNameLength(p, rdata.size());
  if (m == 0) return false;
  const size_t r = dns::WireNameLength(p + m, rdata.size() - m);
  if (r == 0 || rdata.size() != m + r + 20) return false;
  p += m + r;
  out->serial = Load32(p);
  out->refresh = Load32(p + 4);
  out->retry = Load32(p + 8);
  out->expire = Load32(p + 12);
  out->minimum = Load32(p + 16);
  return true;
}

}  // namespace enumd::zone
