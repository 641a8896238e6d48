// TSIG across several messages (RFC 8945 §5.3.1): the answer to one request
// that takes more than one message, as a zone transfer over TCP (AXFR/IXFR).
// The first message is signed as a single response; each later signed
// message's MAC covers the previous MAC, every message since it (including
// unsigned ones) and only the "TSIG timers" (Time Signed, Fudge). A signer may
// leave up to 99 messages in a row unsigned; the last must be signed.
//
// TsigStreamSigner is the server side; TsigResponseVerifier is the client
// side and also checks the single answer to a signed request (a stream of one
// message). Each object serves one stream and is not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dns/hmac.h"
#include "dns/tsig.h"
#include "dns/tsig_key.h"

namespace enumd::dns {

// Unsigned messages RFC 8945 §5.3.1 lets a stream have in a row: a client
// "MUST accept up to 99 intermediary messages without a TSIG".
inline constexpr int kTsigMaxUnsignedRun = 99;

class TsigStreamSigner {
 public:
  // Signs the answer to a request whose MAC verified with `key` (typically
  // VerifyRequest's kVerified: *v.key and v.tsig.mac). `key` must outlive
  // the signer.
  TsigStreamSigner(const TsigKey& key, std::string request_mac);

  // Signs `msg` (a complete message, header final), the next of the stream:
  // appends its TSIG RR (Time Signed = now, fudge 300, Original ID = its ID)
  // and adds one to ARCOUNT. Returns false, leaving `msg` unchanged, if it
  // cannot (as SignResponse); the stream is then broken: stop sending.
  bool Sign(uint64_t now, std::string* msg);

  // Lets `msg` (len bytes, complete) go out unsigned, covered by the next
  // Sign. Allowed only after the first Sign and for at most
  // kTsigMaxUnsignedRun messages in a row; returns false otherwise (then Sign
  // this message instead).
  bool Skip(const uint8_t* msg, size_t len);

  // The MAC of the last signed message.
  const std::string& last_mac() const { return prior_mac_; }

 private:
  const TsigKey& key_;
  std::string prior_mac_;  // request MAC before the first Sign
  bool first_ = true;
  int unsigned_run_ = 0;
  Hmac running_;  // after the first Sign: prior MAC and skipped messages so far
};

// Checks the answer to a request this side signed with `key` (SignRequest's
// MAC is `request_mac`): one message, or each message of a stream in order.
class TsigResponseVerifier {
 public:
  // `key` must outlive the verifier.
  TsigResponseVerifier(const TsigKey& key, std::string request_mac);

  // Checks the next message (`len` bytes, as received). Outcomes:
  //  - kVerified: signed, MAC and time good (`key` set, `tsig` valid).
  //  - kUnsigned: no TSIG, accepted for now as one of at most 99 in a row
  //    after a signed message; a later message's MAC covers it.
  //  - kFormErr: the message or its TSIG is malformed, the MAC size is not
  //    allowed (§5.2.2.1), or a TSIG is missing where one is required (the
  //    first message, or after 99 unsigned ones).
  //  - kBadKey: signed with another key name or algorithm than the request.
  //  - kBadSig: the MAC does not verify.
  //  - kBadTime: the MAC verifies but the time is outside the fudge.
  //  - kBadTrunc: the MAC verifies but is truncated (we want it whole).
  //  - kPeerError: the server reports an error in its TSIG (tsig.error:
  //    BADSIG/BADKEY unsigned, BADTIME/BADTRUNC signed and verified).
  // Any outcome other than kVerified and kUnsigned ends the stream: later
  // calls return kFormErr. `rcode` is not meaningful here.
  TsigVerification Verify(const uint8_t* msg, size_t len, uint64_t now);

  // True if the last message given to Verify was signed and verified; a
  // response or stream that ends otherwise must be rejected (§5.3.1).
  bool complete() const { return complete_; }

 private:
  const TsigKey& key_;
  std::string prior_mac_;  // request MAC before the first signed message
  bool first_ = true;
  bool failed_ = false;
  bool complete_ = false;
  int unsigned_run_ = 0;
  Hmac running_;  // after the first signed message: prior MAC and unsigned messages
};

}  // namespace enumd::dns
