// RecordTtl: the TTL one record of a node is served and exported with.
//
// A node keeps one TTL per type (store/node.h), which is right for every type
// but RRSIG: the RRSIGs at a name cover different RRsets, and each has the
// TTL of the RRset it covers (RFC 4034 §3), as a signer writes them and BIND
// and Knot DNS serve them. So an RRSIG takes the TTL of the RRset of its
// "type covered" at the same node; one whose covered RRset is not there (a
// stray signature) keeps the stored TTL. noexcept, no allocation.
#pragma once

#include <cstdint>

#include "dns/constants.h"
#include "store/node.h"

namespace enumd::zone {

inline uint32_t RecordTtl(const store::NodeView& node, const store::RRsetView& rs,
                          const uint8_t* rdata, uint16_t rdlen) noexcept {
  store::RRsetView covered;
  if (rs.type == dns::type::kRRSIG && rdlen >= 2 &&
      node.Find(static_cast<uint16_t>(rdata[0] << 8 | rdata[1]), &covered))
    return covered.ttl;
  return rs.ttl;
}

}  // namespace enumd::zone
