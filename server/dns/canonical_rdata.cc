#include "dns/canonical_rdata.h"

#include "dns/name.h"

namespace enumd::dns {

namespace {

// Lower-cases, in place, the wire name at rdata[at]; returns the offset
// after it (rdata.size() + 1 when it is malformed).
size_t LowerNameAt(std::string* rdata, size_t at) {
  auto p = reinterpret_cast<uint8_t*>(rdata->data());
  size_t n = rdata->size();
  if (at >= n) return n + 1;
  size_t len = WireNameLength(p + at, n - at);
  if (len == 0) return n + 1;
  for (size_t i = at; i < at + len;) {
    uint8_t l = p[i++];
    for (uint8_t k = 0; k < l; ++k, ++i) {
      if (p[i] >= 'A' && p[i] <= 'Z') p[i] = static_cast<uint8_t>(p[i] + 32);
    }
  }
  return at + len;
}

}  // namespace

bool CanonicalRdata(uint16_t type, std::string_view rdata, std::string* out) {
  out->assign(rdata);
  size_t at;
  switch (type) {
    case 2:
    case 3:
    case 4:
    case 5:
    case 7:
    case 8:
    case 9:
    case 12:
    case 30:
    case 39:
    case 47:
      LowerNameAt(out, 0);  // NS MD MF CNAME MB MG MR PTR NXT DNAME NSEC
      return true;
    case 6:
    case 14:
    case 17:  // SOA MINFO RP: two names
      at = LowerNameAt(out, 0);
      LowerNameAt(out, at);
      return true;
    case 15:
    case 18:
    case 21:
    case 36:  // MX AFSDB RT KX
      LowerNameAt(out, 2);
      return true;
    case 26:  // PX
      at = LowerNameAt(out, 2);
      LowerNameAt(out, at);
      return true;
    case 33:  // SRV
      LowerNameAt(out, 6);
      return true;
    case 24:
    case 46:  // SIG RRSIG: the signer
      LowerNameAt(out, 18);
      return true;
    case 35: {  // NAPTR: the replacement, after three character strings
      at = 4;
      for (int i = 0; i < 3 && at < out->size(); ++i) at += 1 + static_cast<uint8_t>((*out)[at]);
      LowerNameAt(out, at);
      return true;
    }
    default:
      return false;
  }
}

bool SameRdata(uint16_t type, std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a == b) return true;
  std::string ca, cb;
  if (!CanonicalRdata(type, a, &ca)) return false;
  CanonicalRdata(type, b, &cb);
  return ca == cb;
}

}  // namespace enumd::dns
