// An UPDATE message (RFC 2136) parsed into what applying it needs: the zone,
// the prerequisites and the updates as records with uncompressed owners and
// RDATA, plus the checks that need no zone data (§3.1.1, the §3.2
// prerequisite rules, the §3.4.1 prescan). Whether enumd serves the zone,
// whether the key may update it, and the prerequisites' truth against the
// data are the caller's business. Admin path: allocates (bounded by the
// message size), never reads outside the message.
//
// Which error is answered, and whether the answer can be signed, follows BIND
// 9.18 (checked against named): problems BIND finds while parsing the
// message (ParseUpdate's kFormErr) come before the TSIG check, so their
// FORMERR is unsigned; the zone section, the prescan and the prerequisite
// rules come after it (their FORMERR/NOTZONE is signed when the TSIG
// verified). Order of answers: kFormErr; then zone_rcode; then (caller) the
// zone and key checks (NOTAUTH, REFUSED); then prescan_rcode; then the
// prerequisites in section order, each CheckPrerequisite then its
// evaluation; then the updates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dns/message_reader.h"

namespace enumd::dns {

// One record of the prerequisite or update section (RFC 2136 §2.4, §2.5).
struct UpdateRecord {
  std::string owner;  // uncompressed wire form, case as sent
  uint16_t type = 0;
  uint16_t rrclass = 0;
  uint32_t ttl = 0;
  std::string rdata;  // uncompressed (see rdata_reader.h); empty for RDLENGTH 0
};

// RFC 2136 §2.4: what a prerequisite asks.
enum class PrerequisiteKind {
  kRRsetExists,        // class ANY, type T: an RRset of type T exists (§2.4.1)
  kRRsetEquals,        // zone class: the RRset is exactly these records (§2.4.2; group
                       // the prerequisites by owner and type, §3.2.3)
  kRRsetDoesNotExist,  // class NONE, type T (§2.4.3)
  kNameInUse,          // class ANY, type ANY (§2.4.4)
  kNameNotInUse,       // class NONE, type ANY (§2.4.5)
};

// RFC 2136 §2.5: what an update does.
enum class UpdateOp {
  kAdd,              // zone class: add the RR to its RRset (§2.5.1)
  kDeleteRRset,      // class ANY, type T (§2.5.2)
  kDeleteAllRRsets,  // class ANY, type ANY: every RRset of the name (§2.5.3)
  kDeleteRR,         // class NONE: delete this RR from its RRset (§2.5.4)
};

struct UpdateMessage {
  uint16_t id = 0;
  uint16_t flags = 0;  // the request's flags word (opcode 5 in bits 11-14)
  // The zone section (§2.3): ZNAME uncompressed, case as sent; ZTYPE, ZCLASS.
  std::string zone;
  uint16_t zone_type = 0;
  uint16_t zone_class = 0;
  // §3.1.1: FORMERR when ZOCOUNT is 0 (zone left empty) or ZTYPE is not
  // SOA, else NOERROR. (ZOCOUNT > 1 is already kFormErr, as BIND answers it
  // before checking the TSIG; BIND signs its FORMERR for ZOCOUNT 0.)
  uint16_t zone_rcode = 0;
  std::vector<UpdateRecord> prerequisites;
  std::vector<UpdateRecord> updates;
  // §3.4.1.3 prescan of the update section, first failing record in order
  // (updates[prescan_index]): owner outside the zone -> NOTZONE; zone class
  // with a meta-type -> FORMERR; class ANY with TTL != 0, RDATA, or a
  // meta-type other than ANY -> FORMERR; class NONE with TTL != 0 or a
  // meta-type -> FORMERR; any other class -> FORMERR. NOERROR if all pass.
  // Meta-types are OPT, TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY (BIND's
  // list: RFC 2136's ANY|AXFR|MAILA|MAILB "or any other QUERY metatype").
  uint16_t prescan_rcode = 0;
  size_t prescan_index = 0;
  EdnsInfo edns;  // the OPT record, if any
  // The TSIG RR, if any (its checks: VerifyRequest): where it starts.
  bool has_tsig = false;
  size_t tsig_offset = 0;  // == message length when there is none
};

// Parses the UPDATE message `msg` (`len` bytes, as received). Outcomes:
//  - kDrop: shorter than a header, or QR set (never answer a response).
//  - kNotImp: the opcode is not UPDATE (callers dispatch on the opcode).
//  - kFormErr: answer FORMERR, unsigned; id and flags are set. Reasons, as
//    BIND's parser: ZOCOUNT != 1; a name, record or RDATA that cannot be read
//    (ReadName's rules, past the end; RDATA of NS/SOA/MX/... not of the
//    type's layout); bytes after the last record; an OPT or TSIG outside the
//    additional section, a second OPT, a bad OPT (ReadOpt), a misplaced or
//    malformed TSIG (FindTsig); a TKEY outside the additional section; a
//    prerequisite of class ANY or NONE, or an update of class ANY, with
//    RDATA (§2.4, §2.5.2); more than kMaxMessage octets. (A record takes at
//    least 11 octets, so at most 5,957 records are ever read, and the output
//    is bounded by a small multiple of the message size.)
//  - kOk: every field above is valid; zone_rcode and prescan_rcode say what
//    else to answer.
// `out` is reset first on every call. RDATA is not checked against its type
// beyond the compressible types' layout: the caller validates it as it
// validates any record it stores (BIND answers FORMERR at parse time for
// RDATA its type's parser refuses; do so before checking the TSIG to match).
ParseOutcome ParseUpdate(const uint8_t* msg, size_t len, UpdateMessage* out);

// True for the meta-types listed under prescan_rcode.
bool IsMetaType(uint16_t type) noexcept;

// §3.2's checks of one prerequisite that need no zone data, in the RFC's
// order: TTL not 0 -> FORMERR; owner not in the zone -> NOTZONE; class
// neither ANY, NONE nor the zone's -> FORMERR. NOERROR otherwise. Call it for
// each prerequisite in section order right before evaluating it: BIND
// answers the first failure in that order, from the data or not (an NXRRSET
// of the first prerequisite wins over a FORMERR of the second).
uint16_t CheckPrerequisite(const UpdateMessage& msg, const UpdateRecord& rr) noexcept;

// What a prerequisite that passed CheckPrerequisite asks.
PrerequisiteKind KindOfPrerequisite(const UpdateRecord& rr) noexcept;

// What an update record that passed the prescan does.
UpdateOp KindOfUpdate(const UpdateRecord& rr) noexcept;

}  // namespace enumd::dns
