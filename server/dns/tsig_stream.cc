// Multi-message TSIG (RFC 8945 §5.3.1): a running HMAC per stream, restarted
// from each signed message's MAC and fed every unsigned message after it.
#include "dns/tsig_stream.h"

#include <utility>

#include "common/byte_order.h"
#include "dns/name.h"
#include "dns/tsig_wire.h"

namespace enumd::dns {
namespace {

TsigVerification Fail(TsigVerification v, TsigOutcome outcome) {
  v.outcome = outcome;
  return v;
}

// Restarts `h` for the messages after one whose MAC was `mac`.
void Restart(const TsigKey& key, const std::string& mac, Hmac* h) {
  h->Start(key.algorithm, key.secret);
  HashMac(mac, h);
}

}  // namespace

TsigStreamSigner::TsigStreamSigner(const TsigKey& key, std::string request_mac)
    : key_(key), prior_mac_(std::move(request_mac)) {}

bool TsigStreamSigner::Sign(uint64_t now, std::string* msg) {
  if (msg->size() < kHeaderSize) return false;
  const auto* bytes = reinterpret_cast<const uint8_t*>(msg->data());
  TsigRecord rec;
  rec.key_name = key_.name;
  rec.algorithm = TsigAlgorithmWire(key_.algorithm);
  rec.time_signed = now & 0xFFFFFFFFFFFF;
  rec.fudge = kTsigDefaultFudge;
  rec.original_id = Load16(bytes);
  if (first_) {
    rec.mac = ComputeTsigMac(key_, &prior_mac_, bytes, msg->size(), false, rec, false);
  } else {
    HashMessage(bytes, msg->size(), rec.original_id, false, &running_);
    HashTsigVariables(rec, /*timers_only=*/true, &running_);
    rec.mac = running_.Finish();
  }
  if (rec.mac.empty() || !AppendTsigRecord(rec, msg)) return false;
  prior_mac_ = std::move(rec.mac);
  first_ = false;
  unsigned_run_ = 0;
  Restart(key_, prior_mac_, &running_);
  return true;
}

bool TsigStreamSigner::Skip(const uint8_t* msg, size_t len) {
  if (first_ || unsigned_run_ >= kTsigMaxUnsignedRun) return false;
  running_.Update(msg, len);
  ++unsigned_run_;
  return true;
}

TsigResponseVerifier::TsigResponseVerifier(const TsigKey& key, std::string request_mac)
    : key_(key), prior_mac_(std::move(request_mac)) {}

TsigVerification TsigResponseVerifier::Verify(const uint8_t* msg, size_t len, uint64_t now) {
  TsigVerification v;
  v.unsigned_length = len;
  complete_ = false;
  if (failed_) return Fail(std::move(v), TsigOutcome::kFormErr);
  failed_ = true;  // until this message passes
  size_t offset = len;
  switch (FindTsig(msg, len, &v.tsig, &offset)) {
    case TsigFind::kMalformed:
      return Fail(std::move(v), TsigOutcome::kFormErr);
    case TsigFind::kAbsent:
      // §5.3.1: the first message must be signed, and at most 99 in a row
      // may not be.
      if (first_ || unsigned_run_ >= kTsigMaxUnsignedRun)
        return Fail(std::move(v), TsigOutcome::kFormErr);
      running_.Update(msg, len);
      ++unsigned_run_;
      failed_ = false;
      return v;  // kUnsigned
    case TsigFind::kFound:
      break;
  }
  v.has_tsig = true;
  v.unsigned_length = offset;
  const TsigRecord& t = v.tsig;

  const auto algorithm =
      TsigAlgorithmFromWire(reinterpret_cast<const uint8_t*>(t.algorithm.data()));
  if (!NameEqual(reinterpret_cast<const uint8_t*>(t.key_name.data()),
                 reinterpret_cast<const uint8_t*>(key_.name.data())) ||
      !algorithm || *algorithm != key_.algorithm)
    return Fail(std::move(v), TsigOutcome::kBadKey);
  // §5.3.2: BADSIG and BADKEY answers are unsigned; nothing to verify.
  if (t.error != 0 && t.mac.empty()) return Fail(std::move(v), TsigOutcome::kPeerError);
  const size_t mac_size = t.mac.size();
  const size_t digest_size = TsigDigestSize(key_.algorithm);
  if (mac_size == 0) return Fail(std::move(v), TsigOutcome::kBadSig);
  if (mac_size > digest_size || mac_size < TsigMinMacSize(key_.algorithm))
    return Fail(std::move(v), TsigOutcome::kFormErr);

  std::string mac;
  if (first_) {
    mac = ComputeTsigMac(key_, &prior_mac_, msg, offset, true, t, /*timers_only=*/false);
  } else {
    HashMessage(msg, offset, t.original_id, true, &running_);
    HashTsigVariables(t, /*timers_only=*/true, &running_);
    mac = running_.Finish();
  }
  if (mac.size() != digest_size || !ConstantTimeEqual(mac.data(), t.mac.data(), mac_size))
    return Fail(std::move(v), TsigOutcome::kBadSig);
  v.key = &key_;
  if (!TsigTimeOk(t.time_signed, t.fudge, now)) return Fail(std::move(v), TsigOutcome::kBadTime);
  if (mac_size < digest_size) return Fail(std::move(v), TsigOutcome::kBadTrunc);
  if (t.error != 0) return Fail(std::move(v), TsigOutcome::kPeerError);

  prior_mac_ = t.mac;
  first_ = false;
  unsigned_run_ = 0;
  Restart(key_, prior_mac_, &running_);
  failed_ = false;
  complete_ = true;
  v.outcome = TsigOutcome::kVerified;
  return v;
}

}  // namespace enumd::dns
