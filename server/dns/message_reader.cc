// Query parsing: cheap rejects first (size, QR, opcode), then the question,
// then a structural walk of every counted record so that malformed packets are
// refused before any zone is looked at. Bounded by the packet length; no
// allocation.
#include "dns/message_reader.h"

#include "common/byte_order.h"
#include "dns/name.h"
#include "dns/record_reader.h"

namespace enumd::dns {
namespace {

// OPT RDATA is a sequence of {code(2), length(2), data}; it must fill RDATA
// exactly (RFC 6891 §6.1.2). BIND answers FORMERR otherwise, and so do we.
bool OptionsWellFormed(const uint8_t* p, size_t len) noexcept {
  size_t pos = 0;
  while (pos < len) {
    if (len - pos < 4) return false;
    const size_t opt_len = Load16(p + pos + 2);
    pos += 4;
    if (len - pos < opt_len) return false;
    pos += opt_len;
  }
  return true;
}

// Walks the question (if QDCOUNT is 1) and all counted records from offset 12.
ParseOutcome ParseBody(const uint8_t* pkt, size_t len, ParsedQuery* out) noexcept {
  const uint16_t qdcount = Load16(pkt + 4);
  const uint16_t ancount = Load16(pkt + 6);
  const uint16_t nscount = Load16(pkt + 8);
  const uint16_t arcount = Load16(pkt + 10);
  if (qdcount != 1) return ParseOutcome::kFormErr;

  size_t pos = kHeaderSize;
  if (!ReadName(pkt, len, &pos, out->qname, &out->qname_len)) return ParseOutcome::kFormErr;
  if (len - pos < 4) return ParseOutcome::kFormErr;
  out->qtype = Load16(pkt + pos);
  out->qclass = Load16(pkt + pos + 2);
  out->has_question = true;
  pos += 4;

  uint8_t owner[kMaxNameWire];
  size_t owner_len = 0;
  RRHead rr;
  // Answer and authority: queries normally have none, but RFC 1035 does not
  // forbid them (e.g. known-answer lists); they must still be well formed.
  const uint32_t skip = static_cast<uint32_t>(ancount) + nscount;
  for (uint32_t i = 0; i < skip; ++i) {
    if (!ReadRR(pkt, len, &pos, owner, &owner_len, &rr)) return ParseOutcome::kFormErr;
    if (rr.type == type::kOPT) return ParseOutcome::kFormErr;  // RFC 6891 §6.1.1
  }
  for (uint32_t i = 0; i < arcount; ++i) {
    const size_t start = pos;
    if (!ReadRR(pkt, len, &pos, owner, &owner_len, &rr)) return ParseOutcome::kFormErr;
    if (rr.type == type::kTSIG) out->tsig = true;
    if (rr.type != type::kOPT) continue;
    if (!ReadOpt(pkt, start, rr, &out->edns)) return ParseOutcome::kFormErr;
  }
  if (pos != len) return ParseOutcome::kFormErr;  // trailing bytes
  return ParseOutcome::kOk;
}

}  // namespace

bool ReadOpt(const uint8_t* msg, size_t start, const RRHead& rr, EdnsInfo* edns) noexcept {
  // Exactly one OPT (RFC 6891 §6.1.1), owned by the root written as a single
  // zero byte: a compression pointer to a root label is refused too.
  if (edns->present) return false;
  if (msg[start] != 0) return false;
  if (!OptionsWellFormed(msg + rr.rdata, rr.rdlen)) return false;
  edns->present = true;
  edns->udp_size = rr.rrclass;
  edns->ext_rcode = static_cast<uint8_t>(rr.ttl >> 24);
  edns->version = static_cast<uint8_t>(rr.ttl >> 16);
  edns->do_bit = (rr.ttl & 0x8000) != 0;  // RFC 3225 §3
  return true;
}

ParseOutcome ParseQuery(const uint8_t* pkt, size_t len, ParsedQuery* out) noexcept {
  out->id = 0;
  out->flags = 0;
  out->opcode = 0;
  out->has_question = false;
  out->qname_len = 0;
  out->qtype = 0;
  out->qclass = 0;
  out->edns = EdnsInfo{};
  out->tsig = false;
  if (len < kHeaderSize) return ParseOutcome::kDrop;

  out->id = Load16(pkt);
  out->flags = Load16(pkt + 2);
  out->opcode = static_cast<uint8_t>((out->flags >> 11) & 0x0F);
  // Never answer a response: that is how reflection loops start.
  if (out->flags & flag::kQR) return ParseOutcome::kDrop;

  const ParseOutcome body = ParseBody(pkt, len, out);
  if (out->opcode != opcode::kQuery) return ParseOutcome::kNotImp;
  return body;
}

}  // namespace enumd::dns
