// Parsing an incoming query: header, the one question, and the EDNS OPT
// record (RFC 6891). Works over a borrowed byte range; never allocates.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/constants.h"
#include "dns/record_reader.h"

namespace enumd::dns {

// What a query packet is, before any zone is consulted.
enum class ParseOutcome {
  kOk,       // a well-formed query; answer it
  kDrop,     // shorter than a header, or QR=1: send nothing
  kFormErr,  // malformed: answer FORMERR (header fields in ParsedQuery are valid)
  kNotImp,   // opcode other than QUERY: answer NOTIMP
};

struct EdnsInfo {
  bool present = false;
  uint16_t udp_size = 0;  // as sent by the client (values < 512 are treated as 512 by callers)
  uint8_t version = 0;
  uint8_t ext_rcode = 0;
  bool do_bit = false;
};

struct ParsedQuery {
  uint16_t id = 0;
  uint16_t flags = 0;  // the client's flags word
  uint8_t opcode = 0;
  bool has_question = false;    // the question was read (name/type/class valid)
  uint8_t qname[kMaxNameWire];  // uncompressed, case as sent
  size_t qname_len = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  EdnsInfo edns;
  bool tsig = false;  // a record of type TSIG was read (checked by dns/tsig.h, not here)
};

// Checks an OPT record that ReadRR read starting at `start` (its owner's
// first byte) and records it in *edns: it must be the first OPT seen
// (edns->present still false), owned by the root written as the single byte
// 0, with RDATA a well-formed option list. Returns false (FORMERR) otherwise,
// leaving *edns as it was. Shared with the UPDATE parser.
bool ReadOpt(const uint8_t* msg, size_t start, const RRHead& rr, EdnsInfo* edns) noexcept;

// Parses `len` bytes at `pkt`. Rules (each -> kFormErr unless said otherwise):
//  - len < 12 -> kDrop; QR set -> kDrop.
//  - opcode != QUERY -> kNotImp (question parsed when possible).
//  - QDCOUNT != 1; a bad question name (ReadName rules); truncated question.
//  - ANCOUNT/NSCOUNT records are skipped (must be well formed); an OPT in the
//    answer or authority section, a second OPT, an OPT whose owner is not the
//    root, or any record running past the end.
//  - bytes left over after the last counted record.
// On kFormErr/kNotImp, `id`, `flags`, `opcode` are set, and the question if it
// could be read, so a response can echo them.
// Decisions beyond the list above:
//  - kNotImp takes precedence over every kFormErr rule; the packet is still
//    walked as far as it is well formed, so `edns` is reported when it can be.
//  - The OPT owner must be the single byte 0; a pointer to a root is FORMERR.
//  - OPT RDATA must be a well-formed option list ({code, len, data}... filling
//    RDLENGTH exactly), as BIND requires; option contents are not interpreted.
//  - `edns` describes the first valid OPT seen even when a later error makes
//    the outcome kFormErr (e.g. a second OPT), so the FORMERR can carry an OPT.
//  - Pointers into the header are not rejected here (ReadName's rules apply).
// `out` is fully reset on every call (also for kDrop).
ParseOutcome ParseQuery(const uint8_t* pkt, size_t len, ParsedQuery* out) noexcept;

}  // namespace enumd::dns
