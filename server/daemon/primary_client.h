// PrimaryClient: a secondary's conversations with one primary -- the SOA
// query of a refresh check (UDP, again over TCP when the answer is
// truncated; RFC 1034 §4.3.5) and a zone transfer over TCP (AXFR, RFC 5936;
// IXFR, RFC 1995), each request signed and every answer verified with the
// primary's TSIG key when it has one (RFC 8945 §5.3.1: a stream's first and
// last messages signed, at most 99 unsigned in a row).
//
// Blocking sockets waited on with poll(2), bounded by a deadline, and
// abandoned at once when `wake_fd` becomes readable (enumd stopping). Errors
// say what went wrong and name the primary ("192.0.2.1:53: ..."); a refused
// or failed answer gives its RCODE (and TSIG error). Not thread-safe; one
// per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"
#include "dns/tsig_key.h"
#include "zone/incoming_transfer.h"

namespace enumd::daemon {

struct PrimaryEndpoint {
  std::string host;  // numeric
  uint16_t port = 53;
  const dns::TsigKey* key = nullptr;  // null: unsigned; outlives the call
  std::string ToString() const;       // "192.0.2.1:53" or "[2001:db8::1]:53"
};

class PrimaryClient {
 public:
  // `wake_fd`: readable = give up now (-1: never).
  explicit PrimaryClient(int wake_fd) : wake_fd_(wake_fd) {}

  // The serial of the zone `origin` (wire) at the primary: an authoritative
  // answer holding the zone's SOA.
  Result<uint32_t> QuerySerial(const PrimaryEndpoint& primary, const std::string& origin,
                               uint32_t timeout_ms);

  struct TransferLimits {
    uint32_t timeout_ms = 300000;  // connect to the last message
    uint64_t max_bytes = uint64_t{1} << 30;
  };
  // Transfers the zone into *out (constructed for the request: an IXFR when
  // `ixfr_soa` holds the SOA rdata of the version we have, else an AXFR).
  // OK only when the answer is whole (out->done()) and, with a key, its last
  // message was signed and verified; else the reason (the caller names the
  // transfer: out->what()) and failure() says what kind it was.
  Status Transfer(const PrimaryEndpoint& primary, const std::string& origin,
                  const std::optional<std::string>& ixfr_soa, const TransferLimits& limits,
                  zone::IncomingTransfer* out);

  // What kind of failure the last Transfer had: what a secondary may try next.
  enum class Failure {
    kNone,
    // The primary answered, but not with what we could take: an error
    // RCODE (a primary without IXFR), an answer that breaks the transfer's
    // structure, a connection closed or reset before the end, more than
    // max_bytes. An AXFR may still work.
    kAnswer,
    // No exchange we could trust: no connection, no whole answer before the
    // deadline, a TSIG failure, enumd stopping. An AXFR from this primary
    // would fail the same way.
    kExchange,
  };
  Failure failure() const { return failure_; }

 private:
  int wake_fd_;
  Failure failure_ = Failure::kNone;
};

}  // namespace enumd::daemon
