// RDATA decompression for the RFC 1035 types (RFC 3597 §4).
#include "dns/rdata_reader.h"

#include "dns/constants.h"
#include "dns/name.h"

namespace enumd::dns {
namespace {

// The layout of a compressible type's RDATA: `fixed_before` octets, `names`
// names, then `fixed_after` octets.
struct Layout {
  int fixed_before;
  int names;
  int fixed_after;
};

bool LayoutOf(uint16_t t, Layout* l) noexcept {
  switch (t) {
    case type::kNS:
    case type::kMD:
    case type::kMF:
    case type::kCNAME:
    case type::kMB:
    case type::kMG:
    case type::kMR:
    case type::kPTR:
      *l = {0, 1, 0};
      return true;
    case type::kMINFO:
      *l = {0, 2, 0};
      return true;
    case type::kMX:
      *l = {2, 1, 0};  // PREFERENCE, EXCHANGE
      return true;
    case type::kSOA:
      *l = {0, 2, 20};  // MNAME, RNAME, SERIAL .. MINIMUM
      return true;
    default:
      return false;
  }
}

}  // namespace

bool RdataMayBeCompressed(uint16_t t) noexcept {
  Layout l;
  return LayoutOf(t, &l);
}

bool ReadRdata(const uint8_t* msg, size_t len, uint16_t t, size_t rdata, uint16_t rdlen,
               std::string* out) {
  const char* const begin = reinterpret_cast<const char*>(msg + rdata);
  Layout l;
  if (rdlen == 0 || !LayoutOf(t, &l)) {
    out->assign(begin, rdlen);
    return true;
  }
  const size_t end = rdata + rdlen;
  size_t pos = rdata;
  out->clear();
  if (end - pos < static_cast<size_t>(l.fixed_before)) return false;
  out->append(begin, static_cast<size_t>(l.fixed_before));
  pos += static_cast<size_t>(l.fixed_before);
  for (int i = 0; i < l.names; ++i) {
    uint8_t name[kMaxNameWire];
    size_t name_len = 0;
    // ReadName is bounded by the message; the name must also end inside RDATA.
    if (!ReadName(msg, len, &pos, name, &name_len) || pos > end) return false;
    out->append(reinterpret_cast<const char*>(name), name_len);
  }
  if (end - pos != static_cast<size_t>(l.fixed_after)) return false;
  out->append(reinterpret_cast<const char*>(msg + pos), static_cast<size_t>(l.fixed_after));
  return true;
}

}  // namespace enumd::dns
