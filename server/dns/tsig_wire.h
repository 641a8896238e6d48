// The TSIG resource record on the wire (RFC 8945 §4.2): finding and reading
// it in a message, appending one, and feeding to an Hmac what a MAC covers
// (§4.3). Which checks run in which order, and what a response carries, is
// the protocol's business: see tsig.h. Reads are bounded by the message
// length; nothing here trusts a count or a length field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dns/hmac.h"
#include "dns/tsig_key.h"

namespace enumd::dns {

// Seconds of clock skew a signature allows; RFC 8945 §10 recommends 300, and
// BIND and dnspython sign with it.
inline constexpr uint16_t kTsigDefaultFudge = 300;

// The fields of a TSIG RR (RFC 8945 §4.2).
struct TsigRecord {
  std::string key_name;      // the owner, uncompressed wire form, case as sent
  std::string algorithm;     // uncompressed wire form, case as sent
  uint64_t time_signed = 0;  // seconds since 1970, 48 bits on the wire
  uint16_t fudge = 0;
  std::string mac;
  uint16_t original_id = 0;
  uint16_t error = 0;
  std::string other;
};

enum class TsigFind {
  kAbsent,     // no TSIG RR in the message
  kFound,      // exactly one, well placed and well formed
  kMalformed,  // FORMERR: see FindTsig
};

// Walks the whole message (header, every question and record, each name by
// ReadName's rules and each RDATA within bounds) and locates its TSIG RR.
//  - kAbsent: no record has type TSIG; *offset = len.
//  - kFound: exactly one TSIG, the last record of the additional section,
//    class ANY and TTL 0 (RFC 8945 §4.2), its RDATA well formed: an
//    uncompressed algorithm name (§4.2: "MUST NOT be compressed"), the fixed
//    fields and MAC/Other lengths that fill RDLENGTH exactly. *offset is the
//    first byte of the TSIG RR (the length of the message without it) and
//    *out holds its fields.
//  - kMalformed: shorter than a header, a record that cannot be read, a TSIG
//    anywhere else or more than one (§5.2: FORMERR), a TSIG that cannot be
//    interpreted, or bytes after the last counted record.
// *out and *offset are written only for kFound (and *offset for kAbsent).
TsigFind FindTsig(const uint8_t* msg, size_t len, TsigRecord* out, size_t* offset);

// Appends `rec` to `msg` as a TSIG RR (owner rec.key_name uncompressed, class
// ANY, TTL 0, algorithm name uncompressed) and adds one to ARCOUNT. Returns
// false, leaving `msg` unchanged, if `msg` is shorter than a header, ARCOUNT
// is already 65535, a name is not a wire name, a field is over 65535 bytes
// or the result would exceed kMaxMessage.
bool AppendTsigRecord(const TsigRecord& rec, std::string* msg);

// The size of the TSIG RR that signing with `key` appends: full-length MAC
// and `other_len` bytes of Other Data (6 in a BADTIME answer). For reserving
// room in a message before it is signed.
size_t TsigRecordSize(const TsigKey& key, size_t other_len = 0);

// --- What a MAC covers (RFC 8945 §4.3) --------------------------------------

// A MAC that chains from an earlier one (the request MAC in a response, the
// prior MAC in a stream, §4.3.1, §4.3.2): its 2-byte length, then the MAC.
void HashMac(std::string_view mac, Hmac* h) noexcept;

// The DNS message as it was before its TSIG RR was added: msg[0, length)
// with the ID replaced by `original_id` and, if `had_tsig`, ARCOUNT one less.
// Precondition: length >= 12.
void HashMessage(const uint8_t* msg, size_t length, uint16_t original_id, bool had_tsig,
                 Hmac* h) noexcept;

// The TSIG variables (§4.3.3): key name and algorithm in canonical form
// (lower-cased), class ANY, TTL 0, time signed, fudge, error, other len and
// data. With `timers_only`, just time signed and fudge (§4.3.1, later
// messages of a stream).
void HashTsigVariables(const TsigRecord& rec, bool timers_only, Hmac* h) noexcept;

// The whole MAC of one message: HMAC with `key` over `prior_mac` (if not
// null: the request MAC or the previous message's MAC, via HashMac), the
// message msg[0, length) (HashMessage) and the TSIG variables of `vars`
// (HashTsigVariables). Full length; "" if the HMAC failed.
std::string ComputeTsigMac(const TsigKey& key, const std::string* prior_mac, const uint8_t* msg,
                           size_t length, bool had_tsig, const TsigRecord& vars, bool timers_only);

}  // namespace enumd::dns
