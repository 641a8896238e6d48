// One resource record's head, bounded by the message length.
#include "dns/record_reader.h"

#include "common/byte_order.h"
#include "dns/name.h"

namespace enumd::dns {

bool ReadRR(const uint8_t* msg, size_t len, size_t* pos, uint8_t* owner, size_t* owner_len,
            RRHead* rr) noexcept {
  if (!ReadName(msg, len, pos, owner, owner_len)) return false;
  if (len - *pos < kRRFixed) return false;
  const uint8_t* p = msg + *pos;
  rr->type = Load16(p);
  rr->rrclass = Load16(p + 2);
  rr->ttl = Load32(p + 4);
  rr->rdlen = Load16(p + 8);
  rr->rdata = *pos + kRRFixed;
  if (len - rr->rdata < rr->rdlen) return false;
  *pos = rr->rdata + rr->rdlen;
  return true;
}

}  // namespace enumd::dns
