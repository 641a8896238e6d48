// Canonical RDATA (RFC 4034 §6.2): the form in which two records of one type
// are the same record. Domain names inside the RDATA of the types RFC 4034
// §6.2 lists compare without case; BIND compares them so when it merges
// duplicates (a zone file, an UPDATE) and keeps the first. Admin paths.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace enumd::dns {

// Writes the canonical form of `rdata` (of `type`) to *out: the RDATA with
// the domain names in it lower-cased. Returns false when the type has no such
// names (then *out is the RDATA as it is).
bool CanonicalRdata(uint16_t type, std::string_view rdata, std::string* out);

// Whether two RDATAs of `type` are the same record.
bool SameRdata(uint16_t type, std::string_view a, std::string_view b);

}  // namespace enumd::dns
