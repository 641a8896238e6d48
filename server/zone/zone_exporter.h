// Zone export: the store's version of a zone back to a BIND master file, in
// canonical name order, one record per line with absolute names, so that
// named-checkzone, kzonecheck or enumctl import read it back to the same data.
#pragma once

#include <cstdio>
#include <string>

#include "common/status.h"
#include "store/zone_store.h"

namespace enumd::zone {

struct ExportOptions {
  // For zones served with `wildcards: longest-match`: write an RFC 4592 zone
  // that answers the same. Inside a wildcard's block, every empty
  // non-terminal gets a copy of the governing wildcard's records at its own
  // name, and every name without a wildcard child gets one ("*.<name>", a
  // copy of the governing wildcard), so a standard server synthesises what
  // enumd does. (Names that sort before "*" -- labels made of bytes below
  // 0x2A -- are not covered; E.164 digits never are.)
  bool longest_match_equivalent = false;
};

// Writes the zone `origin_text` ("e164.arpa.") to `out`.
Status ExportZone(const store::ZoneStore& store, const std::string& origin_text, FILE* out,
                  const ExportOptions& options = ExportOptions());

// One record as presentation text ("owner TTL IN TYPE rdata"), via ldns.
std::string RecordToText(const uint8_t* owner, uint16_t type, uint32_t ttl, const uint8_t* rdata,
                         uint16_t rdlen);

}  // namespace enumd::zone
