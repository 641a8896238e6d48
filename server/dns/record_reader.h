// Reading one resource record's owner and fixed fields (RFC 1035 §4.1.3)
// from a message, with its RDATA checked to lie within the message. Shared by
// every parser in server/dns; never allocates, never throws.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/constants.h"

namespace enumd::dns {

inline constexpr size_t kRRFixed = 10;  // TYPE, CLASS, TTL, RDLENGTH

// The fixed part of one resource record, after its owner name.
struct RRHead {
  uint16_t type;
  uint16_t rrclass;
  uint32_t ttl;
  size_t rdata;  // offset of RDATA in the message
  uint16_t rdlen;
};

// Reads the record at *pos: the owner (decompressed into `owner`, which holds
// kMaxNameWire bytes, ReadName's rules), the fixed fields, and checks that
// RDATA ends within `len`. On success advances *pos past the record; on
// failure returns false and *pos may have moved.
bool ReadRR(const uint8_t* msg, size_t len, size_t* pos, uint8_t* owner, size_t* owner_len,
            RRHead* rr) noexcept;

}  // namespace enumd::dns
