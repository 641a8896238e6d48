// Fuzz target: the UPDATE wire layer on arbitrary bytes. The input is taken
// as a received request: ParseUpdate, then VerifyRequest against a key ring
// holding the key the corpus seeds were signed with (so mutations of a valid
// signature are explored), then SignResponse on a minimal answer, and the
// same bytes as a server's answer for TsigResponseVerifier, whole and split
// into a two-message stream. Invariants, not just "no crash":
//  - every offset and length reported lies within the input;
//  - ParseUpdate and VerifyRequest agree on where a TSIG is;
//  - a verified request gets an answer that our client side verifies;
//  - the outcome of VerifyRequest and its rcode/error fields match.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/base64.h"
#include "common/byte_order.h"
#include "dns/name.h"
#include "dns/tsig.h"
#include "dns/tsig_stream.h"
#include "dns/update_message.h"

namespace {

namespace dns = enumd::dns;

#define FUZZ_CHECK(condition)       \
  do {                              \
    if (!(condition)) std::abort(); \
  } while (0)

// The key and time of the hmac-sha256 dnspython vector (corpus/update/
// dnspython_sha256.bin, from server/dns/testdata/tsig_vectors.inc).
constexpr uint64_t kNow = 1765000000;

struct Fixture {
  dns::TsigKeyRing ring;
  Fixture() {
    auto secret = enumd::Base64Decode("gd4Ur+JNhyiBD2YuTeTVR3C6RbgIPbRpahi76WQYQBY=");
    if (!secret ||
        !ring.Add({dns::WireName("k-hmac-sha256."), dns::TsigAlgorithm::kHmacSha256, *secret}).ok())
      std::abort();
  }
};

void CheckParse(const uint8_t* data, size_t size, const dns::UpdateMessage& m,
                dns::ParseOutcome outcome) {
  FUZZ_CHECK(m.tsig_offset <= size);
  if (outcome != dns::ParseOutcome::kOk) {
    FUZZ_CHECK(m.updates.empty() && m.prerequisites.empty());
    return;
  }
  FUZZ_CHECK(size >= 12 && !(data[2] & 0x80));
  for (const auto* list : {&m.prerequisites, &m.updates}) {
    for (const dns::UpdateRecord& r : *list) {
      FUZZ_CHECK(dns::WireNameLength(reinterpret_cast<const uint8_t*>(r.owner.data()),
                                     r.owner.size()) == r.owner.size());
      FUZZ_CHECK(r.rdata.size() <= size * 128);
    }
  }
  if (m.prescan_rcode != 0) FUZZ_CHECK(m.prescan_index < m.updates.size());
  for (const dns::UpdateRecord& r : m.prerequisites) (void)dns::CheckPrerequisite(m, r);
}

void CheckVerification(const dns::TsigVerification& v, size_t size) {
  using O = dns::TsigOutcome;
  FUZZ_CHECK(v.unsigned_length <= size);
  switch (v.outcome) {
    case O::kUnsigned:
      FUZZ_CHECK(!v.has_tsig && v.rcode == 0 && v.unsigned_length == size);
      break;
    case O::kVerified:
      FUZZ_CHECK(v.key != nullptr && v.rcode == 0 && v.error == 0);
      break;
    case O::kFormErr:
      FUZZ_CHECK(v.rcode == dns::rcode::kFormErr && v.key == nullptr);
      break;
    case O::kBadKey:
    case O::kBadSig:
      FUZZ_CHECK(v.rcode == dns::rcode::kNotAuth && v.key == nullptr && v.has_tsig);
      break;
    case O::kBadTime:
    case O::kBadTrunc:
      FUZZ_CHECK(v.rcode == dns::rcode::kNotAuth && v.key != nullptr);
      break;
    case O::kPeerError:
      std::abort();  // never from VerifyRequest
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* f = new Fixture();

  dns::UpdateMessage m;
  const dns::ParseOutcome outcome = dns::ParseUpdate(data, size, &m);
  CheckParse(data, size, m, outcome);

  const dns::TsigVerification v = dns::VerifyRequest(data, size, f->ring, kNow);
  CheckVerification(v, size);
  if (outcome == dns::ParseOutcome::kOk) {
    // Both walk the same message: they must agree on the TSIG.
    FUZZ_CHECK(m.has_tsig == v.has_tsig);
    if (m.has_tsig) FUZZ_CHECK(m.tsig_offset == v.unsigned_length);
  }

  if (size >= 12) {
    // A minimal answer: the header with QR set and no records.
    std::string answer(reinterpret_cast<const char*>(data), 12);
    answer[2] = static_cast<char>(answer[2] | 0x80);
    for (int i = 4; i < 12; ++i) answer[i] = 0;
    const size_t before = answer.size();
    FUZZ_CHECK(dns::SignResponse(v, kNow, &answer));
    FUZZ_CHECK((answer.size() > before) == v.has_tsig);
    if (v.outcome == dns::TsigOutcome::kVerified) {
      dns::TsigResponseVerifier client(*v.key, v.tsig.mac);
      FUZZ_CHECK(client.Verify(reinterpret_cast<const uint8_t*>(answer.data()), answer.size(), kNow)
                     .outcome == dns::TsigOutcome::kVerified);
    }
  }

  // The same bytes as answers to a request we signed: whole, then split.
  const dns::TsigKey& key = *f->ring.Find(dns::WireName("k-hmac-sha256."));
  dns::TsigResponseVerifier whole(key, std::string(32, 'r'));
  const auto w = whole.Verify(data, size, kNow);
  FUZZ_CHECK(w.unsigned_length <= size);
  if (size > 1) {
    const size_t cut = 1 + data[0] % (size - 1);
    dns::TsigResponseVerifier stream(key, std::string(32, 'r'));
    FUZZ_CHECK(stream.Verify(data, cut, kNow).unsigned_length <= cut);
    FUZZ_CHECK(stream.Verify(data + cut, size - cut, kNow).unsigned_length <= size - cut);
  }
  return 0;
}
