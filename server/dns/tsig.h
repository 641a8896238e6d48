// TSIG (RFC 8945) for single request/response exchanges: verifying a signed
// request as a server (§5.2), signing the answer to it (§5.3), and signing a
// request as a client (§5.1). Multi-message responses (zone transfers) and
// checking responses as a client are in tsig_stream.h.
//
// Where RFC 8945 leaves room or BIND 9.18 differs, this follows BIND, whose
// answers the system tests compare with (checked against named 9.18):
//  - the checks run in BIND's order: key and algorithm, MAC length, MAC,
//    time, truncation;
//  - a MAC of size 0 in a request is BADSIG (the RFC would say FORMERR);
//  - a MAC longer than the digest or shorter than max(10, digest/2) octets
//    (§5.2.2.1) is FORMERR, and the FORMERR carries an unsigned TSIG with
//    error BADSIG, as BIND's does;
//  - a truncated MAC of an allowed length that verifies is BADTRUNC
//    (§5.2.4): like BIND for keys without a configured truncation, enumd's
//    policy is the full MAC;
//  - the Error field of a request is ignored; Other Data is covered by the
//    MAC and otherwise ignored;
//  - a BADTIME answer is signed and carries the request's Time Signed and
//    the server's time in Other Data (§5.2.3); every signed answer uses
//    fudge 300.
// Deliberate differences from BIND: a TSIG whose TTL is not 0 is FORMERR
// (RFC 8945 §4.2 "MUST be 0"; BIND hashes the TTL it got and answers
// BADSIG), and bytes after the TSIG RR are FORMERR (BIND ignores them; they
// are not covered by the MAC). BIND's optional "replay cache" of the last
// Time Signed per key (§5.2.3 SHOULD) is not kept: BIND does not keep it
// either.
//
// Time is passed in ("now", seconds since 1970) so that tests are
// deterministic. All functions are thread-compatible: they touch only their
// arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dns/tsig_key.h"
#include "dns/tsig_wire.h"

namespace enumd::dns {

enum class TsigOutcome {
  kUnsigned,  // no TSIG RR: the message is unsigned (the caller decides if that is allowed)
  kVerified,  // the MAC verifies with a known key and the time is within the fudge
  kFormErr,   // FORMERR: malformed message, misplaced/uninterpretable TSIG, forbidden MAC size
  kBadKey,    // unknown key, unknown algorithm, or not the key's algorithm (§5.2.1)
  kBadSig,    // the MAC does not verify, or is empty (§5.2.2)
  kBadTime,   // the MAC verifies but the time is outside Time Signed ± Fudge (§5.2.3)
  kBadTrunc,  // the MAC verifies and its truncation is allowed, but policy wants it whole (§5.2.4)
  kPeerError,  // (responses only) the peer reports a TSIG error: see TsigVerification::tsig.error
};

// What checking one signed message found, and what the answer to it needs.
struct TsigVerification {
  TsigOutcome outcome = TsigOutcome::kUnsigned;
  // The answer's RCODE for a request: NOERROR for kUnsigned and kVerified
  // (go on processing), FORMERR, or NOTAUTH for the TSIG errors (§5.2).
  uint16_t rcode = 0;
  // The Error field of the answer's TSIG RR: 0, BADSIG, BADKEY, BADTIME or
  // BADTRUNC (BADSIG too for a FORMERR with a readable TSIG, as BIND).
  uint16_t error = 0;
  // Length of the message without its TSIG RR; the whole length if there is
  // none (and for kFormErr without a readable TSIG). Note that ARCOUNT in
  // those bytes still counts the TSIG: parse the whole message instead when
  // counts matter (ParseUpdate does).
  size_t unsigned_length = 0;
  bool has_tsig = false;  // a well-formed TSIG RR was read: `tsig` is valid
  TsigRecord tsig;        // the TSIG RR as received (its MAC is the request MAC)
  // The key whose MAC verified: set for kVerified, kBadTime, kBadTrunc (and
  // kPeerError after a verified MAC). Points into the key ring (or at the
  // key a TsigResponseVerifier was given); valid as long as that is.
  const TsigKey* key = nullptr;
};

// RFC 8945 §5.2: checks the TSIG of a received request (`msg`, `len` bytes,
// the whole message as received) against `keys` at time `now`. Never throws
// on any input except std::bad_alloc; reads only within [msg, msg + len).
TsigVerification VerifyRequest(const uint8_t* msg, size_t len, const TsigKeyRing& keys,
                               uint64_t now);

// RFC 8945 §5.3: appends to `response` (a complete answer without a TSIG RR,
// its header final: ID, flags, RCODE and counts) the TSIG RR that answers a
// request checked by VerifyRequest, and adds one to ARCOUNT:
//  - kVerified: signed with the key over the request MAC, the response and
//    all TSIG variables; Time Signed = now, Error 0.
//  - kBadTime: signed; Time Signed = the request's; Other Data = now (6
//    octets); Error BADTIME.
//  - kBadTrunc: signed; Error BADTRUNC.
//  - kBadKey, kBadSig, and kFormErr with has_tsig: not signed (MAC empty),
//    key and algorithm names as in the request, Time Signed = now, Error as
//    in `request` (§5.3.2: "MUST NOT send back a signed error message").
//  - kUnsigned, kFormErr without a TSIG: nothing appended (returns true).
// Original ID is the response's ID. Returns false, leaving `response`
// unchanged, if the TSIG cannot be added (shorter than a header, ARCOUNT
// full, over 65535 bytes, or the HMAC failed); the caller should then send
// SERVFAIL without TSIG.
bool SignResponse(const TsigVerification& request, uint64_t now, std::string* response);

// RFC 8945 §5.1: signs a request `msg` (complete, header final) with `key`:
// appends a TSIG RR with Time Signed = now, the given fudge, Original ID =
// the message's ID, Error 0. On success stores the MAC in *request_mac (the
// request MAC a TsigResponseVerifier needs) and returns true; returns false,
// leaving `msg` unchanged, as SignResponse does.
bool SignRequest(const TsigKey& key, uint64_t now, std::string* msg, std::string* request_mac,
                 uint16_t fudge = kTsigDefaultFudge);

// The smallest MAC size RFC 8945 §5.2.2.1 allows for `algorithm`:
// max(10, half the digest size rounded up).
size_t TsigMinMacSize(TsigAlgorithm algorithm) noexcept;

// |now - time_signed| <= fudge (RFC 8945 §5.2.3), without overflow.
bool TsigTimeOk(uint64_t time_signed, uint16_t fudge, uint64_t now) noexcept;

}  // namespace enumd::dns
