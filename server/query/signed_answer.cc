// See signed_answer.h.
#include "query/signed_answer.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "dns/constants.h"
#include "dns/message_writer.h"

namespace enumd::query {

size_t ReplyRcode(const dns::ParsedQuery& q, bool edns, uint16_t rcode,
                  const dns::TsigVerification& tsig, uint64_t now, uint8_t* out, size_t cap) {
  dns::MessageWriter w(out, cap, std::min(cap, dns::kMaxMessage));
  const uint16_t flags = dns::flag::kQR | (q.flags & (dns::flag::kRD | dns::flag::kCD)) |
                         (q.flags & 0x7800);  // opcode echoed
  if (q.has_question)
    w.Start(q.id, flags, q.qname, q.qtype, q.qclass);
  else
    w.StartNoQuestion(q.id, flags);
  w.SetRcode(rcode);
  if (edns) w.AddOpt(1232, 0, 0, false);
  size_t n = w.Finish();
  if (tsig.outcome == dns::TsigOutcome::kUnsigned) return n;
  std::string m(reinterpret_cast<const char*>(out), n);
  if (dns::SignResponse(tsig, now, &m) && m.size() <= cap) {
    std::memcpy(out, m.data(), m.size());
    n = m.size();
  }
  return n;
}

namespace {

size_t SignInside(const uint8_t* q, size_t len, const dns::TsigKeyRing& keys, uint64_t now,
                  uint8_t* out, size_t n, size_t cap) {
  const dns::TsigVerification tsig = dns::VerifyRequest(q, len, keys, now);
  if (tsig.outcome == dns::TsigOutcome::kUnsigned) return n;
  if (tsig.outcome == dns::TsigOutcome::kVerified) {
    std::string m(reinterpret_cast<const char*>(out), n);
    if (!dns::SignResponse(tsig, now, &m) || m.size() > cap) return n;
    std::memcpy(out, m.data(), m.size());
    return m.size();
  }
  dns::ParsedQuery pq;
  const dns::ParseOutcome parsed = dns::ParseQuery(q, len, &pq);
  if (parsed == dns::ParseOutcome::kDrop) return 0;
  return ReplyRcode(pq, pq.edns.present && parsed == dns::ParseOutcome::kOk, tsig.rcode, tsig, now,
                    out, cap);
}

}  // namespace

size_t SignQueryAnswer(const uint8_t* q, size_t len, const dns::TsigKeyRing& keys, uint64_t now,
                       uint8_t* out, size_t n, size_t cap) noexcept {
  try {
    return SignInside(q, len, keys, now, out, n, cap);
  } catch (...) {  // std::bad_alloc: send nothing rather than an unsigned answer
    return 0;
  }
}

}  // namespace enumd::query
