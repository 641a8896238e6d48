// Where the domain names sit in the RDATA of the types whose names may be
// compressed (RFC 3597 §4: the "well-known" RFC 1035 types NS, MD, MF, CNAME,
// SOA, MB, MG, MR, PTR, MINFO, MX). The writer compresses those names and the
// readers decompress them; every other type's RDATA goes through verbatim
// both ways. Header-only, never allocates.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/constants.h"
#include "dns/name.h"

namespace enumd::dns {

// RDATA of such a type is `prefix` bytes, then `names` names, then exactly
// `suffix` bytes.
struct RdataLayout {
  size_t prefix;
  int names;
  size_t suffix;
};

// The layout of `rrtype` if it is one of the types above; false otherwise.
inline bool CompressibleLayout(uint16_t rrtype, RdataLayout* layout) noexcept {
  switch (rrtype) {
    case type::kNS:
    case type::kMD:
    case type::kMF:
    case type::kCNAME:
    case type::kMB:
    case type::kMG:
    case type::kMR:
    case type::kPTR:
      *layout = {0, 1, 0};
      return true;
    case type::kMINFO:  // RMAILBX, EMAILBX
      *layout = {0, 2, 0};
      return true;
    case type::kMX:  // PREFERENCE, EXCHANGE
      *layout = {2, 1, 0};
      return true;
    case type::kSOA:  // MNAME, RNAME, then SERIAL REFRESH RETRY EXPIRE MINIMUM
      *layout = {0, 2, 20};
      return true;
    default:
      return false;  // NAPTR (RFC 3403 §4), SRV (RFC 2782) and the rest
  }
}

// True if uncompressed `rdata` has exactly `layout`, with valid names.
inline bool RdataHasLayout(const uint8_t* rdata, size_t rdlen, const RdataLayout& layout) noexcept {
  if (rdlen < layout.prefix) return false;
  size_t pos = layout.prefix;
  for (int i = 0; i < layout.names; ++i) {
    const size_t n = WireNameLength(rdata + pos, rdlen - pos);
    if (n == 0) return false;
    pos += n;
  }
  return rdlen - pos == layout.suffix;
}

}  // namespace enumd::dns
