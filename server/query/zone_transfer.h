// ZoneTransfers: a worker's handling of AXFR (RFC 5936) and IXFR (RFC 1995)
// requests as a primary. Decides, in BIND 9.18's order (checked against
// named 9.18, see tests/system/test_transfer.py):
//  1. TSIG (RFC 8945 §5.2): a signed request whose MAC does not verify is
//     NOTAUTH with the TSIG error (BADKEY, BADSIG, BADTIME), FORMERR for a
//     malformed TSIG;
//  2. the question must name a zone's apex: else NOTAUTH;
//  3. the zone's TransferAcl: not admitted is REFUSED (nobody by default);
//  4. AXFR over UDP: FORMERR (RFC 5936 §4.2: AXFR is TCP only; BIND answers
//     FORMERR, Knot REFUSED); IXFR without an SOA in the authority section:
//     FORMERR;
//  5. IXFR over UDP: the current SOA alone, whatever the client's serial
//     (RFC 1995 §2 allows it; BIND does this, without AA);
//  6. TCP: IXFR whose serial is not older than ours (RFC 1982): the SOA
//     alone; IXFR whose serial starts an unbroken chain of journal entries
//     to the current serial: those entries; any other IXFR, and every IXFR
//     of a longest-match zone (its journal holds the stored records, not
//     their RFC 4592 equivalent): the whole zone, AXFR-style (RFC 1995 §4);
//     AXFR: the whole zone. Each as a TransferStream over one ZoneSnapshot.
// Every answer to a verified request is signed with its key.
//
// Snapshots are opened outside any read section of the registry's
// EpochDomain (a transfer can last minutes); only the zone lookup is inside
// one. Admin path: allocates. One per worker thread; not thread-safe.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/epoch.h"
#include "query/transfer_policy.h"
#include "query/transfer_stream.h"
#include "store/zone_store.h"
#include "zone/zone_table.h"

namespace enumd::query {

// What ZoneTransfers::Answer did with a request, for the counters.
enum class TransferAnswer : uint8_t {
  kDropped,      // nothing sent (not a message we answer, out of memory)
  kRejected,     // an error RCODE: NOTAUTH, REFUSED, FORMERR, SERVFAIL
  kSoaOnly,      // IXFR of a client that is up to date, or over UDP
  kIncremental,  // IXFR from the journal
  kWhole,        // AXFR, or IXFR answered AXFR-style
};

class ZoneTransfers {
 public:
  // All three outlive the object.
  ZoneTransfers(const store::ZoneStore* store, const zone::ZoneRegistry* zones,
                const TransferPolicyHolder* policy);

  // Whether `q` is a request this class answers: opcode QUERY, QR clear, one
  // question of type AXFR or IXFR in class IN. Cheap; reads only the header
  // and question.
  static bool IsTransfer(const uint8_t* q, size_t len) noexcept;

  // Answers the request `q` (IsTransfer) from `peer`. Either writes a single
  // answer into `out` (capacity `cap` >= 512) and returns its length, or
  // returns 0 and sets *stream to the transfer, whose messages the caller
  // sends in order (TCP only). `now`: Unix seconds (TSIG).
  size_t Answer(const uint8_t* q, size_t len, uint8_t* out, size_t cap, bool tcp,
                const sockaddr* peer, uint64_t now,
                std::unique_ptr<TransferStream>* stream) noexcept;

  // Whether `q` is a NOTIFY request (opcode 4, QR clear).
  static bool IsNotify(const uint8_t* q, size_t len) noexcept;
  // Answers a NOTIFY (RFC 1996) as BIND 9.18 does for its primary zones:
  // NOERROR with AA for a zone's apex in class IN (a primary has nothing
  // to refresh), NOTAUTH for anything else, FORMERR for a malformed one;
  // signed when the request was. For a secondary zone (the policy's
  // primaries) NOERROR with AA only from one of its primaries, signed with
  // that primary's key when it has one (the policy's on_notify is then
  // called), REFUSED from anyone else, as BIND answers a non-primary.
  // Returns the answer's length (0: drop).
  size_t AnswerNotify(const uint8_t* q, size_t len, uint8_t* out, size_t cap, const sockaddr* peer,
                      uint64_t now) noexcept;

  // What the last Answer did, for the log ("AXFR of e164.arpa. serial 7 to
  // 127.0.0.1 key k: started"); empty when it answered nothing worth
  // logging.
  const std::string& last_log() const { return log_; }
  // What the last Answer did, and whether it was asked for an IXFR.
  TransferAnswer last_answer() const { return answer_; }
  bool last_was_ixfr() const { return ixfr_; }

 private:
  size_t AnswerInside(const uint8_t* q, size_t len, uint8_t* out, size_t cap, bool tcp,
                      const sockaddr* peer, uint64_t now, std::unique_ptr<TransferStream>* stream);

  const store::ZoneStore* store_;
  const zone::ZoneRegistry* zones_;
  const TransferPolicyHolder* policy_;
  EpochReader reader_;
  std::string log_;
  TransferAnswer answer_ = TransferAnswer::kDropped;
  bool ixfr_ = false;
};

}  // namespace enumd::query
