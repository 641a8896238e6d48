// DNS protocol numbers used across enumd (RFC 1035, 3596, 2782, 3403, 6891).
#pragma once

#include <cstddef>
#include <cstdint>

namespace enumd::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxNameWire = 255;  // RFC 1035 §2.3.4, wire form with root label
inline constexpr size_t kMaxLabel = 63;
inline constexpr size_t kMaxUdpNoEdns = 512;  // RFC 1035 §4.2.1
inline constexpr size_t kMaxMessage = 65535;  // TCP length prefix limit (RFC 7766)

// The smallest message that carries a whole RRset of `records` records with
// `rdata_bytes` of RDATA in all as the answer to a query for its owner (a
// name of `owner_wire` octets): header, question, and each record with its
// owner compressed to a pointer (2 + type, class, TTL, RDLENGTH: 12 bytes).
// An RRset for which this exceeds kMaxMessage can be sent by no server.
inline constexpr size_t MinAnswerSize(size_t owner_wire, size_t records, size_t rdata_bytes) {
  return kHeaderSize + owner_wire + 4 + records * 12 + rdata_bytes;
}

namespace type {
inline constexpr uint16_t kA = 1, kNS = 2, kCNAME = 5, kSOA = 6, kPTR = 12, kMX = 15, kTXT = 16,
                          kAAAA = 28, kSRV = 33, kNAPTR = 35, kOPT = 41, kDS = 43, kRRSIG = 46,
                          kNSEC = 47, kIXFR = 251, kAXFR = 252, kMAILB = 253, kMAILA = 254,
                          kANY = 255;
// Obsolete RFC 1035 types whose RDATA holds names (RFC 3597 §4 lets them be
// compressed), and the transaction meta-types (RFC 2930, RFC 8945).
inline constexpr uint16_t kMD = 3, kMF = 4, kMB = 7, kMG = 8, kMR = 9, kMINFO = 14, kTKEY = 249,
                          kTSIG = 250;

// The types that may stand beside a CNAME (RFC 2181 §10.1 and RFC 4035
// §2.5 for DNSSEC's; RFC 2535 §2.3.5 for its KEY, SIG and NXT): BIND's
// dns_rdatatype_atcname.
inline constexpr bool MayStandBesideCname(uint16_t t) {
  return t == kRRSIG || t == kNSEC || t == 24 /* SIG */ || t == 25 /* KEY */ || t == 30 /* NXT */;
}
}  // namespace type

namespace rrclass {
inline constexpr uint16_t kIN = 1, kCH = 3, kNONE = 254, kANY = 255;
}

namespace rcode {
inline constexpr uint16_t kNoError = 0, kFormErr = 1, kServFail = 2, kNXDomain = 3, kNotImp = 4,
                          kRefused = 5, kBadVers = 16;  // BADVERS is extended (RFC 6891 §6.1.3)
// UPDATE (RFC 2136 §2.2); NOTAUTH also answers TSIG failures (RFC 8945 §5.2).
inline constexpr uint16_t kYXDomain = 6, kYXRRSet = 7, kNXRRSet = 8, kNotAuth = 9, kNotZone = 10;
// TSIG error field values (RFC 8945 §4.2; BADSIG shares 16 with BADVERS).
inline constexpr uint16_t kBadSig = 16, kBadKey = 17, kBadTime = 18, kBadTrunc = 22;
}  // namespace rcode

namespace opcode {
inline constexpr uint8_t kQuery = 0, kNotify = 4, kUpdate = 5;
}

// Header flag bits in the 16-bit flags word (RFC 1035 §4.1.1, RFC 4035 §3.1.6).
namespace flag {
inline constexpr uint16_t kQR = 0x8000, kAA = 0x0400, kTC = 0x0200, kRD = 0x0100, kRA = 0x0080,
                          kAD = 0x0020, kCD = 0x0010;
}

}  // namespace enumd::dns
