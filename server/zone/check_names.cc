#include "zone/check_names.h"

#include "dns/constants.h"
#include "dns/name.h"
#include "zone/zone_file_reader_types.h"

namespace enumd::zone {

const char kBadNsec3Owner[] = "bad owner name (check-names): not an unpadded base32hex NSEC3 hash";
namespace {

bool Alnum(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Labels of letters, digits and '-', not starting or ending with '-', from
// `p` to the end of the name.
bool HostLabels(const uint8_t* p) {
  for (; *p != 0; p += 1 + *p) {
    const uint8_t n = *p;
    for (uint8_t i = 1; i <= n; ++i) {
      const uint8_t c = p[i];
      if (!Alnum(c) && (c != '-' || i == 1 || i == n)) return false;
    }
  }
  return true;
}

bool HostName(const uint8_t* name, bool wildcard) {
  if (wildcard && name[0] == 1 && name[1] == '*') name += 2;
  return HostLabels(name);
}

// RFC 1035 §8 mailbox: the local part is any printable label, the rest a host name.
bool Mailbox(const uint8_t* name) {
  if (name[0] == 0) return true;
  for (uint8_t i = 1; i <= name[0]; ++i)
    if (name[i] <= 0x20 || name[i] >= 0x7f) return false;
  return HostLabels(name + 1 + name[0]);
}

bool LabelIs(const uint8_t* label, const char* text) {
  size_t n = 0;
  while (text[n]) ++n;
  if (label[0] != n) return false;
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = label[1 + i];
    if (c >= 'A' && c <= 'Z') c |= 0x20;
    if (c != static_cast<uint8_t>(text[i])) return false;
  }
  return true;
}

// Active Directory's global-catalog name gc._msdcs.<host name>.
bool GcMsdcs(const uint8_t* name) {
  if (!LabelIs(name, "gc")) return false;
  const uint8_t* rest = name + 1 + name[0];
  if (!LabelIs(rest, "_msdcs")) return false;
  rest += 1 + rest[0];
  return rest[0] != 0 && HostLabels(rest);
}

bool InReverseTree(const uint8_t* owner) {
  static const uint8_t* const kTrees[] = {
      reinterpret_cast<const uint8_t*>("\x07in-addr\x04"
                                       "arpa"),
      reinterpret_cast<const uint8_t*>("\x03ip6\x04"
                                       "arpa"),
      reinterpret_cast<const uint8_t*>("\x03ip6\x03int"),
  };
  for (const uint8_t* tree : kTrees)
    if (dns::IsSubdomain(owner, tree)) return true;
  return false;
}

// RFC 6763 §11 browse names: (b|db|r|dr|lb)._dns-sd._udp.<domain>.
bool DnsSdBrowse(const uint8_t* owner) {
  if (!(LabelIs(owner, "b") || LabelIs(owner, "db") || LabelIs(owner, "r") ||
        LabelIs(owner, "dr") || LabelIs(owner, "lb")))
    return false;
  const uint8_t* p = owner + 1 + owner[0];
  if (!LabelIs(p, "_dns-sd")) return false;
  p += 1 + p[0];
  return LabelIs(p, "_udp");
}

// The name at `offset` in the RDATA, or null when the RDATA is too short
// (the reader has already checked the wire form).
const uint8_t* NameAt(const uint8_t* rdata, size_t rdlen, size_t offset) {
  if (offset >= rdlen || dns::WireNameLength(rdata + offset, rdlen - offset) == 0) return nullptr;
  return rdata + offset;
}

}  // namespace

const char* CheckNames(const uint8_t* owner, uint16_t type, const uint8_t* rdata,
                       size_t rdlen) noexcept {
  constexpr const char* kBadOwner = "bad owner name (check-names)";
  constexpr const char* kBadName = "bad name in RDATA (check-names)";
  auto host_at = [&](size_t offset) {
    const uint8_t* n = NameAt(rdata, rdlen, offset);
    return n == nullptr || HostName(n, false);
  };
  switch (type) {
    case 50:  // NSEC3: the owner's first label is a hash, unpadded base32hex
      return owner[0] > 0 &&
                     types::Base32HexUnpadded(
                         std::string_view(reinterpret_cast<const char*>(owner + 1), owner[0]),
                         nullptr)
                 ? nullptr
                 : kBadNsec3Owner;
    case dns::type::kA:
    case dns::type::kAAAA:
      return HostName(owner, true) || GcMsdcs(owner) ? nullptr : kBadOwner;
    case 38:  // A6
    case 11:  // WKS
      return HostName(owner, true) ? nullptr : kBadOwner;
    case dns::type::kMX:
      if (!HostName(owner, true)) return kBadOwner;
      return host_at(2) ? nullptr : kBadName;
    case dns::type::kNS:
      return host_at(0) ? nullptr : kBadName;
    case dns::type::kSRV:
      return host_at(6) ? nullptr : kBadName;
    case 18:  // AFSDB: subtype, hostname
    case 21:  // RT: preference, intermediate host
      return host_at(2) ? nullptr : kBadName;
    case dns::type::kSOA: {
      const uint8_t* mname = NameAt(rdata, rdlen, 0);
      if (mname == nullptr) return nullptr;
      if (!HostName(mname, false)) return kBadName;
      const uint8_t* rname = NameAt(rdata, rdlen, dns::WireNameLength(mname, rdlen));
      return rname == nullptr || Mailbox(rname) ? nullptr : kBadName;
    }
    case dns::type::kPTR:
      if (!InReverseTree(owner) || DnsSdBrowse(owner)) return nullptr;
      return host_at(0) ? nullptr : kBadName;
    default:
      return nullptr;
  }
}

}  // namespace enumd::zone
