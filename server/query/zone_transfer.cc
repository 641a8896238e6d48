// See zone_transfer.h.
#include "query/zone_transfer.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "common/byte_order.h"
#include "dns/message_reader.h"
#include "dns/message_writer.h"
#include "dns/name.h"
#include "dns/record_reader.h"
#include "dns/tsig.h"
#include "query/signed_answer.h"
#include "store/zone_snapshot.h"

namespace enumd::query {

namespace {

std::string PeerText(const sockaddr* peer) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (peer != nullptr && peer->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(peer)->sin_addr, buf, sizeof(buf));
  else if (peer != nullptr && peer->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr, buf, sizeof(buf));
  return buf;
}

const uint8_t* U8Name(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// RFC 1982: a is older than b.
bool SerialLess(uint32_t a, uint32_t b) { return a != b && static_cast<int32_t>(a - b) < 0; }

// The serial of the first SOA in the authority section of `q` (IXFR's
// client version, RFC 1995 §3); false if there is none.
bool ClientSerial(const uint8_t* q, size_t len, uint32_t* serial) {
  if (len < dns::kHeaderSize) return false;
  const uint16_t qd = Load16(q + 4), an = Load16(q + 6), ns = Load16(q + 8);
  size_t pos = dns::kHeaderSize;
  uint8_t name[dns::kMaxNameWire];
  size_t name_len;
  for (uint16_t i = 0; i < qd; ++i) {
    if (!dns::ReadName(q, len, &pos, name, &name_len) || pos + 4 > len) return false;
    pos += 4;
  }
  dns::RRHead rr;
  for (uint32_t i = 0; i < uint32_t{an} + ns; ++i) {
    if (!dns::ReadRR(q, len, &pos, name, &name_len, &rr)) return false;
    if (i >= an && rr.type == dns::type::kSOA && rr.rdlen >= 22) {
      *serial = Load32(q + rr.rdata + rr.rdlen - 20);
      return true;
    }
  }
  return false;
}

}  // namespace

ZoneTransfers::ZoneTransfers(const store::ZoneStore* store, const zone::ZoneRegistry* zones,
                             const TransferPolicyHolder* policy)
    : store_(store), zones_(zones), policy_(policy), reader_(zones->epochs()) {}

bool ZoneTransfers::IsTransfer(const uint8_t* q, size_t len) noexcept {
  if (len < dns::kHeaderSize + 5 || (q[2] & 0x80) != 0 || ((q[2] >> 3) & 0xF) != 0 ||
      Load16(q + 4) != 1)
    return false;
  size_t pos = dns::kHeaderSize;
  while (pos < len && q[pos] != 0) {
    if (q[pos] > 63) return false;  // a pointer or a bad label: not ours to judge
    pos += 1 + q[pos];
  }
  if (pos + 5 > len) return false;
  const uint16_t qtype = Load16(q + pos + 1), qclass = Load16(q + pos + 3);
  return (qtype == dns::type::kAXFR || qtype == dns::type::kIXFR) && qclass == dns::rrclass::kIN;
}

bool ZoneTransfers::IsNotify(const uint8_t* q, size_t len) noexcept {
  return len >= dns::kHeaderSize && (q[2] & 0x80) == 0 &&
         ((q[2] >> 3) & 0xF) == dns::opcode::kNotify;
}

size_t ZoneTransfers::AnswerNotify(const uint8_t* q, size_t len, uint8_t* out, size_t cap,
                                   const sockaddr* peer, uint64_t now) noexcept {
  try {
    log_.clear();
    dns::ParsedQuery pq;
    // ParseQuery answers kNotImp for opcodes other than QUERY, with the
    // message walked as for a query; anything else is malformed.
    const dns::ParseOutcome parsed = dns::ParseQuery(q, len, &pq);
    if (parsed == dns::ParseOutcome::kDrop) return 0;
    const bool well_formed = parsed == dns::ParseOutcome::kNotImp && pq.has_question;
    std::shared_ptr<const TransferPolicy> policy = policy_->Get();
    const dns::TsigVerification tsig = dns::VerifyRequest(q, len, policy->keys, now);
    const bool edns = well_formed && pq.edns.present;
    auto reply = [&](uint16_t rcode, bool aa) {
      size_t n = ReplyRcode(pq, edns, rcode, dns::TsigVerification(), now, out, cap);
      if (aa && n >= 4) out[2] |= dns::flag::kAA >> 8;
      if (tsig.outcome == dns::TsigOutcome::kUnsigned) return n;
      std::string m(reinterpret_cast<const char*>(out), n);
      if (dns::SignResponse(tsig, now, &m) && m.size() <= cap) {
        std::memcpy(out, m.data(), m.size());
        n = m.size();
      }
      return n;
    };
    if (!well_formed) return reply(dns::rcode::kFormErr, false);
    if (tsig.outcome != dns::TsigOutcome::kUnsigned && tsig.outcome != dns::TsigOutcome::kVerified)
      return reply(tsig.rcode, false);
    bool apex = false;
    if (pq.qclass == dns::rrclass::kIN) {
      EpochGuard section(&reader_);
      const zone::Zone* z = zones_->current()->Find(pq.qname);
      apex = z != nullptr && dns::NameEqual(pq.qname, U8Name(z->origin));
    }
    if (apex) {
      std::string origin(reinterpret_cast<const char*>(pq.qname), pq.qname_len);
      dns::LowerName(reinterpret_cast<uint8_t*>(origin.data()));
      if (policy->primaries.count(origin)) {
        // A secondary zone: RFC 1996 §3.10, only from a primary; BIND
        // answers others REFUSED ("refused notify from non-primary").
        const std::string key =
            tsig.outcome == dns::TsigOutcome::kVerified && tsig.key ? tsig.key->name : "";
        const bool ok = policy->AcceptsNotify(origin, key, peer);
        log_ = "notify: from " + PeerText(peer) +
               (key.empty() ? "" : " key " + dns::NameToText(U8Name(key))) + " for " +
               dns::NameToText(pq.qname) +
               (ok ? ": checking the primary (NOERROR)"
                   : ": not a primary of this secondary zone, or not signed with its key "
                     "(REFUSED)");
        if (!ok) return reply(dns::rcode::kRefused, false);
        if (policy->on_notify) policy->on_notify(origin);
        return reply(dns::rcode::kNoError, true);
      }
    }
    log_ = "notify: from " + PeerText(peer) + " for " + dns::NameToText(pq.qname) +
           (apex ? ": we are its primary (NOERROR)" : ": not a zone served here (NOTAUTH)");
    return apex ? reply(dns::rcode::kNoError, true) : reply(dns::rcode::kNotAuth, false);
  } catch (...) {
    return 0;
  }
}

size_t ZoneTransfers::Answer(const uint8_t* q, size_t len, uint8_t* out, size_t cap, bool tcp,
                             const sockaddr* peer, uint64_t now,
                             std::unique_ptr<TransferStream>* stream) noexcept {
  try {
    const size_t n = AnswerInside(q, len, out, cap, tcp, peer, now, stream);
    if (*stream)
      answer_ = (*stream)->kind() == TransferStream::Kind::kIxfr ? TransferAnswer::kIncremental
                                                                 : TransferAnswer::kWhole;
    else if (n < dns::kHeaderSize)
      answer_ = TransferAnswer::kDropped;
    else
      answer_ = (out[3] & 0x0F) != 0 ? TransferAnswer::kRejected : TransferAnswer::kSoaOnly;
    return n;
  } catch (...) {  // std::bad_alloc: answer nothing, the client retries
    stream->reset();
    log_ = "transfer: out of memory";
    answer_ = TransferAnswer::kDropped;
    return 0;
  }
}

size_t ZoneTransfers::AnswerInside(const uint8_t* q, size_t len, uint8_t* out, size_t cap, bool tcp,
                                   const sockaddr* peer, uint64_t now,
                                   std::unique_ptr<TransferStream>* stream) {
  log_.clear();
  stream->reset();
  ixfr_ = false;
  dns::ParsedQuery pq;
  const dns::ParseOutcome parsed = dns::ParseQuery(q, len, &pq);
  if (parsed == dns::ParseOutcome::kDrop) return 0;
  ixfr_ = pq.qtype == dns::type::kIXFR;
  std::shared_ptr<const TransferPolicy> policy = policy_->Get();
  const dns::TsigVerification tsig = dns::VerifyRequest(q, len, policy->keys, now);
  const bool edns = pq.edns.present && parsed == dns::ParseOutcome::kOk;

  auto reply = [&](uint16_t rcode) -> size_t {
    return ReplyRcode(pq, edns, rcode, tsig, now, out, cap);
  };

  const char* type_text = pq.qtype == dns::type::kIXFR ? "IXFR" : "AXFR";
  const std::string who =
      PeerText(peer) + (tsig.key ? " key " + dns::NameToText(U8Name(tsig.key->name)) : "");
  if (parsed != dns::ParseOutcome::kOk) return reply(dns::rcode::kFormErr);
  if (tsig.outcome != dns::TsigOutcome::kUnsigned && tsig.outcome != dns::TsigOutcome::kVerified) {
    log_ = std::string("transfer: ") + type_text + " of " + dns::NameToText(pq.qname) + " from " +
           PeerText(peer) + ": TSIG check failed (rcode " + std::to_string(tsig.rcode) +
           ", error " + std::to_string(tsig.error) + ")";
    return reply(tsig.rcode);
  }

  // The zone: the question must be its apex (BIND: NOTAUTH otherwise).
  std::string origin, origin_lower;
  bool longest_match = false, expired = false;
  {
    EpochGuard section(&reader_);
    const zone::Zone* z = zones_->current()->Find(pq.qname);
    if (z != nullptr && dns::NameEqual(pq.qname, U8Name(z->origin))) {
      origin = z->origin;
      origin_lower = z->meta.origin;
      longest_match = z->mode == zone::WildcardMode::kLongestMatch;
      expired = z->expired;
    }
  }
  const std::string what =
      std::string("transfer: ") + type_text + " of " + dns::NameToText(pq.qname) + " to " + who;
  if (origin.empty()) {
    log_ = what + ": not a zone served here (NOTAUTH)";
    return reply(dns::rcode::kNotAuth);
  }
  const TransferAcl* acl = policy->Find(origin_lower);
  const std::string key_name = tsig.outcome == dns::TsigOutcome::kVerified ? tsig.key->name : "";
  if (acl == nullptr || !acl->Admits(key_name, peer)) {
    log_ = what + ": not allowed (REFUSED)";
    return reply(dns::rcode::kRefused);
  }
  if (expired) {  // a secondary zone with nothing current to send (BIND: SERVFAIL)
    log_ = what + ": the zone has expired or was never transferred (SERVFAIL)";
    return reply(dns::rcode::kServFail);
  }
  if (pq.qtype == dns::type::kAXFR && !tcp) {
    log_ = what + ": AXFR over UDP (FORMERR)";
    return reply(dns::rcode::kFormErr);
  }
  uint32_t client_serial = 0;
  if (pq.qtype == dns::type::kIXFR && !ClientSerial(q, len, &client_serial)) {
    log_ = what + ": IXFR without the client's SOA (FORMERR)";
    return reply(dns::rcode::kFormErr);
  }

  auto snapshot = store_->OpenSnapshot(origin_lower);
  if (!snapshot.ok()) {
    log_ = what + ": " + snapshot.status().message() + " (SERVFAIL)";
    return reply(dns::rcode::kServFail);
  }
  TransferStream::Options o;
  o.id = pq.id;
  o.flags = pq.flags;
  std::memcpy(o.qname, pq.qname, pq.qname_len);
  o.qtype = pq.qtype;
  o.edns = edns;
  if (tsig.outcome == dns::TsigOutcome::kVerified) {
    o.key = tsig.key;
    o.request_mac = tsig.tsig.mac;
    o.keep = policy;
  }
  const store::ZoneMeta& meta = (*snapshot)->meta();
  std::string kind_text = "whole zone";
  if (pq.qtype == dns::type::kAXFR) {
    o.kind = TransferStream::Kind::kAxfr;
    o.longest_match = longest_match;
  } else if (!tcp) {
    o.kind = TransferStream::Kind::kSoaOnly;
    o.aa = false;  // as BIND 9.18
    kind_text = "SOA only (UDP)";
  } else if (!SerialLess(client_serial, meta.serial)) {
    o.kind = TransferStream::Kind::kSoaOnly;
    kind_text = "up to date";
  } else {
    o.kind = TransferStream::Kind::kAxfr;
    o.longest_match = longest_match;
    kind_text = "whole zone (AXFR-style)";
    if (!longest_match) {
      // The entry that starts at the client's serial, and an unbroken chain
      // from it to the current serial.
      store::ZoneSnapshot& s = **snapshot;
      s.SeekJournal(meta.journal_first);
      uint64_t seq = 0, from = 0;
      std::string_view v;
      bool found = false, chain = true;
      uint32_t expect = 0;
      while (s.NextJournal(&seq, &v)) {
        if (v.size() < 8) {
          chain = false;
          break;
        }
        const uint32_t old_serial = Load32(reinterpret_cast<const uint8_t*>(v.data()));
        const uint32_t new_serial = Load32(reinterpret_cast<const uint8_t*>(v.data()) + 4);
        if (!found && old_serial == client_serial) {
          found = true;
          from = seq;
        } else if (found && old_serial != expect) {
          chain = false;
          break;
        }
        expect = new_serial;
      }
      if (!s.status().ok()) {
        log_ = what + ": " + s.status().message() + " (SERVFAIL)";
        return reply(dns::rcode::kServFail);
      }
      if (found && chain && expect == meta.serial) {
        o.kind = TransferStream::Kind::kIxfr;
        o.from_seq = from;
        kind_text = "incremental";
      }
    }
  }
  if (tcp && o.kind != TransferStream::Kind::kSoaOnly) {
    // BIND's transfers-out: over the cap, SERVFAIL (the secondary retries).
    o.slot = policy_->TakeTransferSlot(policy->max_out);
    if (!o.slot) {
      log_ = what + ": " + std::to_string(policy->max_out) +
             " transfers going out already (transfers_out); SERVFAIL";
      return reply(dns::rcode::kServFail);
    }
  }
  auto opened = TransferStream::Open(std::move(*snapshot), origin, std::move(o));
  if (!opened.ok()) {
    log_ = what + ": " + opened.status().message() + " (SERVFAIL)";
    return reply(dns::rcode::kServFail);
  }
  std::unique_ptr<TransferStream> s = std::move(*opened);
  log_ = what + ": serial " + std::to_string(s->serial());
  if (pq.qtype == dns::type::kIXFR) log_ += " from " + std::to_string(client_serial);
  log_ += ", " + kind_text;
  if (!tcp || s->single_message()) {
    const size_t n = s->Next(out, std::min(cap, dns::kMaxMessage));
    if (n == TransferStream::kFailed || n == 0) return reply(dns::rcode::kServFail);
    return n;
  }
  *stream = std::move(s);
  return 0;
}

}  // namespace enumd::query
