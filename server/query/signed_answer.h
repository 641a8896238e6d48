// Answers to TSIG-signed requests other than UPDATE (RFC 8945 §5.2, §5.3).
// A secondary signs its SOA queries with the key it transfers with (BIND,
// Knot and NSD all do when their primary is configured with a key) and
// rejects an unsigned answer, so ordinary queries that carry a TSIG are
// checked and their answers signed too. Signed queries are rare (refresh
// checks): this is an admin path and allocates.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/message_reader.h"
#include "dns/tsig.h"
#include "dns/tsig_key.h"

namespace enumd::query {

// Writes into `out` (capacity `cap`) an answer to `q` with `rcode` and no
// records (its question echoed, an OPT if `edns`), signed as RFC 8945 §5.3
// says for `tsig` (an error TSIG for the TSIG failures, none when
// kUnsigned). Returns its length.
size_t ReplyRcode(const dns::ParsedQuery& q, bool edns, uint16_t rcode,
                  const dns::TsigVerification& tsig, uint64_t now, uint8_t* out, size_t cap);

// The answer in out[0, n) was made for the signed request [q, q + len):
// checks the request's TSIG against `keys`; signs the answer when it
// verifies, or replaces it with the TSIG error answer (NOTAUTH or FORMERR)
// when not. Returns the new length (0: send nothing).
size_t SignQueryAnswer(const uint8_t* q, size_t len, const dns::TsigKeyRing& keys, uint64_t now,
                       uint8_t* out, size_t n, size_t cap) noexcept;

}  // namespace enumd::query
