// Reading RDATA out of a received message into the uncompressed form the
// store keeps. Names inside RDATA are decompressed only for the types whose
// RDATA RFC 3597 §4 lets a sender compress (the RFC 1035 types: NS, MD, MF,
// CNAME, SOA, MB, MG, MR, PTR, MINFO, MX: rdata_layout.h). For every other
// type the RDATA is
// copied as it is: a compression pointer there is not a name BIND accepts
// either (its NAPTR/SRV parsers refuse compression), and the caller's RDATA
// validation refuses it as a malformed name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace enumd::dns {

// Copies the RDATA at msg[rdata, rdata + rdlen) of a record of `type` into
// *out, uncompressed. Precondition: the RDATA lies within `len` (ReadRR
// checked it). Empty RDATA gives an empty *out (UPDATE uses it in deletions
// and prerequisites). For a compressible type, non-empty RDATA must have the
// type's layout exactly: the names (ReadName's rules, ending within RDATA)
// and fixed fields filling RDLENGTH; returns false otherwise (*out then
// unspecified). Output is at most a few times RDLENGTH (a name of 255 octets
// per 2-octet pointer), so it is bounded by the message size.
bool ReadRdata(const uint8_t* msg, size_t len, uint16_t type, size_t rdata, uint16_t rdlen,
               std::string* out);

}  // namespace enumd::dns
