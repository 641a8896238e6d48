// TSIG for single exchanges: the server's checks in BIND's order, and the
// TSIG RR of an answer or a request.
#include "dns/tsig.h"

#include "common/byte_order.h"
#include "dns/hmac.h"
#include "dns/name.h"

namespace enumd::dns {
namespace {

TsigVerification Fail(TsigVerification v, TsigOutcome outcome, uint16_t rcode, uint16_t error) {
  v.outcome = outcome;
  v.rcode = rcode;
  v.error = error;
  return v;
}

// Signs `msg` with `key` as described by `rec` (all fields but the MAC),
// chaining from `request_mac` when not null, and appends the TSIG RR.
bool AppendSigned(const TsigKey& key, const std::string* request_mac, TsigRecord rec,
                  std::string* msg, std::string* mac_out) {
  if (msg->size() < kHeaderSize) return false;
  rec.mac = ComputeTsigMac(key, request_mac, reinterpret_cast<const uint8_t*>(msg->data()),
                           msg->size(), false, rec, false);
  if (rec.mac.empty()) return false;
  if (!AppendTsigRecord(rec, msg)) return false;
  if (mac_out != nullptr) *mac_out = std::move(rec.mac);
  return true;
}

void Store48(uint64_t v, std::string* out) {
  Append16(out, static_cast<uint16_t>(v >> 32));
  Append32(out, static_cast<uint32_t>(v));
}

}  // namespace

size_t TsigMinMacSize(TsigAlgorithm algorithm) noexcept {
  const size_t half = (TsigDigestSize(algorithm) + 1) / 2;
  return half > 10 ? half : 10;
}

bool TsigTimeOk(uint64_t time_signed, uint16_t fudge, uint64_t now) noexcept {
  const uint64_t skew = now > time_signed ? now - time_signed : time_signed - now;
  return skew <= fudge;
}

TsigVerification VerifyRequest(const uint8_t* msg, size_t len, const TsigKeyRing& keys,
                               uint64_t now) {
  TsigVerification v;
  v.unsigned_length = len;
  size_t offset = len;
  switch (FindTsig(msg, len, &v.tsig, &offset)) {
    case TsigFind::kAbsent:
      return v;
    case TsigFind::kMalformed:
      return Fail(std::move(v), TsigOutcome::kFormErr, rcode::kFormErr, 0);
    case TsigFind::kFound:
      break;
  }
  v.has_tsig = true;
  v.unsigned_length = offset;

  // §5.2.1: the key must be known and used with its own algorithm.
  const TsigKey* key = keys.Find(v.tsig.key_name);
  const auto algorithm =
      TsigAlgorithmFromWire(reinterpret_cast<const uint8_t*>(v.tsig.algorithm.data()));
  if (key == nullptr || !algorithm || *algorithm != key->algorithm)
    return Fail(std::move(v), TsigOutcome::kBadKey, rcode::kNotAuth, rcode::kBadKey);

  // §5.2.2.1: MAC sizes that must not be sent. BIND treats an empty MAC as a
  // failed signature, the others as FORMERR.
  const size_t mac_size = v.tsig.mac.size();
  if (mac_size == 0)
    return Fail(std::move(v), TsigOutcome::kBadSig, rcode::kNotAuth, rcode::kBadSig);
  const size_t digest_size = TsigDigestSize(key->algorithm);
  if (mac_size > digest_size || mac_size < TsigMinMacSize(key->algorithm))
    return Fail(std::move(v), TsigOutcome::kFormErr, rcode::kFormErr, rcode::kBadSig);

  // §5.2.2: the MAC over the message as it was before the TSIG was added
  // (original ID, ARCOUNT - 1) and the TSIG variables; a truncated MAC is
  // compared with as many leading octets of ours.
  const std::string mac =
      ComputeTsigMac(*key, nullptr, msg, offset, true, v.tsig, /*timers_only=*/false);
  if (mac.size() != digest_size || !ConstantTimeEqual(mac.data(), v.tsig.mac.data(), mac_size))
    return Fail(std::move(v), TsigOutcome::kBadSig, rcode::kNotAuth, rcode::kBadSig);

  // From here the MAC is good: every answer is signed (§5.3.2).
  v.key = key;
  if (!TsigTimeOk(v.tsig.time_signed, v.tsig.fudge, now))
    return Fail(std::move(v), TsigOutcome::kBadTime, rcode::kNotAuth, rcode::kBadTime);
  if (mac_size < digest_size)
    return Fail(std::move(v), TsigOutcome::kBadTrunc, rcode::kNotAuth, rcode::kBadTrunc);
  v.outcome = TsigOutcome::kVerified;
  return v;
}

bool SignResponse(const TsigVerification& request, uint64_t now, std::string* response) {
  if (!request.has_tsig) return true;
  if (response->size() < kHeaderSize) return false;
  TsigRecord rec;
  rec.time_signed = now;
  rec.fudge = kTsigDefaultFudge;
  rec.original_id = Load16(reinterpret_cast<const uint8_t*>(response->data()));
  rec.error = request.error;
  switch (request.outcome) {
    case TsigOutcome::kUnsigned:
      return true;
    case TsigOutcome::kBadTime:
      rec.time_signed = request.tsig.time_signed;
      Store48(now, &rec.other);
      [[fallthrough]];
    case TsigOutcome::kVerified:
    case TsigOutcome::kBadTrunc:
    case TsigOutcome::kPeerError:
      if (request.key == nullptr) return false;
      rec.key_name = request.key->name;
      rec.algorithm = TsigAlgorithmWire(request.key->algorithm);
      return AppendSigned(*request.key, &request.tsig.mac, std::move(rec), response, nullptr);
    case TsigOutcome::kFormErr:
    case TsigOutcome::kBadKey:
    case TsigOutcome::kBadSig:
      // §5.3.2: an unsigned error, naming the key and algorithm the request
      // named, so that the client can tell which of its keys failed.
      rec.key_name = request.tsig.key_name;
      rec.algorithm = request.tsig.algorithm;
      return AppendTsigRecord(rec, response);
  }
  return false;
}

bool SignRequest(const TsigKey& key, uint64_t now, std::string* msg, std::string* request_mac,
                 uint16_t fudge) {
  if (msg->size() < kHeaderSize) return false;
  TsigRecord rec;
  rec.key_name = key.name;
  rec.algorithm = TsigAlgorithmWire(key.algorithm);
  rec.time_signed = now & 0xFFFFFFFFFFFF;
  rec.fudge = fudge;
  rec.original_id = Load16(reinterpret_cast<const uint8_t*>(msg->data()));
  return AppendSigned(key, nullptr, std::move(rec), msg, request_mac);
}

}  // namespace enumd::dns
