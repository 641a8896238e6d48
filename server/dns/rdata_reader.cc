// RDATA decompression for the RFC 1035 types (RFC 3597 §4).
#include "dns/rdata_reader.h"

#include "dns/name.h"
#include "dns/rdata_layout.h"

namespace enumd::dns {

bool ReadRdata(const uint8_t* msg, size_t len, uint16_t t, size_t rdata, uint16_t rdlen,
               std::string* out) {
  const char* const begin = reinterpret_cast<const char*>(msg + rdata);
  RdataLayout l;
  if (rdlen == 0 || !CompressibleLayout(t, &l)) {
    out->assign(begin, rdlen);
    return true;
  }
  const size_t end = rdata + rdlen;
  size_t pos = rdata;
  out->clear();
  if (end - pos < l.prefix) return false;
  out->append(begin, l.prefix);
  pos += l.prefix;
  for (int i = 0; i < l.names; ++i) {
    uint8_t name[kMaxNameWire];
    size_t name_len = 0;
    // ReadName is bounded by the message; the name must also end inside RDATA.
    if (!ReadName(msg, len, &pos, name, &name_len) || pos > end) return false;
    out->append(reinterpret_cast<const char*>(name), name_len);
  }
  if (end - pos != l.suffix) return false;
  out->append(reinterpret_cast<const char*>(msg + pos), l.suffix);
  return true;
}

}  // namespace enumd::dns
