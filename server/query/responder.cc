#include "query/responder.h"

#include <cstring>

#include "common/byte_order.h"
#include "dns/message_reader.h"
#include "dns/name.h"
#include "query/answer_context.h"
#include "query/chaos.h"
#include "store/name_key.h"
#include "store/node_cache.h"

namespace enumd::query {

namespace {

constexpr size_t kOptSize = 11;  // root owner, type, class, ttl, rdlen

}  // namespace

Responder::Responder(const store::ZoneStore* store, const zone::ZoneRegistry* zones,
                     ResponderOptions options)
    : store_(store),
      zones_(zones),
      options_(std::move(options)),
      node_cache_(options_.node_cache_bytes, store::NodeCache::Admission::kSecondSight),
      reader_(zones->epochs()) {
  scratch_.read.set_cache(&node_cache_);
  aux_scratch_.read.set_cache(&node_cache_);
}

bool Responder::TakeError(ServeError* out) noexcept {
  if (!error_.set) return false;
  *out = error_;
  error_.set = false;
  return true;
}

void Responder::RecordError(const zone::Zone& zone, const uint8_t* name, bool oversize,
                            const char* reason) noexcept {
  if (oversize)
    ++stats_.oversize;
  else
    ++stats_.store_errors;
  if (error_.set) return;
  error_.set = true;
  error_.oversize = oversize;
  std::memcpy(error_.zone, zone.origin.data(), zone.origin.size());
  std::memcpy(error_.name, name, dns::WireNameLength(name, dns::kMaxNameWire));
  snprintf(error_.reason, sizeof(error_.reason), "%s",
           reason && *reason ? reason : "damaged zone data");
}

size_t Responder::Respond(const uint8_t* pkt, size_t len, uint8_t* out, size_t cap,
                          bool tcp) noexcept {
  // One read section per query: the zone table and the store generation it
  // reads are not freed before it ends (zone::ZoneRegistry::Publish).
  EpochGuard section(&reader_);
  // The zone table first, then the store view: the writer publishes a new
  // version's data (a view) before the table that points at it, so a view
  // taken after the table always holds the table's generations. (The other
  // way round, a query could take a view from before an import and then the
  // table of the new version, whose data that view does not see.)
  table_ = zones_->current();
  // A cache loaded in the background replaces ours (the old one is freed
  // here, once); AcquireView brings it up to date like any other.
  if (handoff_ != nullptr) {
    if (std::unique_ptr<store::NodeCache> loaded = handoff_->Take()) node_cache_.Swap(*loaded);
  }
  // One view of the store for the whole answer (no mix of two versions); it
  // brings the cache up to date with the names changed since the last query.
  const store::StoreView* view = store_->AcquireView(&node_cache_);
  scratch_.read.set_view(view);
  aux_scratch_.read.set_view(view);
  encloser_ = nullptr;
  for (size_t i = 0; i < encloser_count_; ++i)
    if (enclosers_[i].query == pkt) encloser_ = &enclosers_[i];
  size_t n = RespondInside(pkt, len, out, cap, tcp);
  if (handoff_ != nullptr) handoff_->Report(node_cache_);
  table_ = nullptr;
  encloser_ = nullptr;
  return n;
}

void Responder::Prefetch(const uint8_t* const* queries, const size_t* lens, size_t n) noexcept {
  encloser_count_ = 0;
  if (!node_cache_.enabled()) return;
  // One query of the batch: its key, and for a name the cache knows is
  // absent the closest-encloser search run ahead.
  struct Ahead {
    uint32_t gen;
    uint16_t key_size;
    zone::EncloserSearch search;
    int mid;        // the ancestor probed next
    uint64_t hash;  // of the key, then of that ancestor
    const uint8_t* query;
    uint8_t key[store::kMaxNameKey];
    std::string_view Key(int labels) const {
      const std::string_view k(reinterpret_cast<const char*>(key), key_size);
      return labels < 0 ? k : k.substr(0, store::KeyPrefixLength(k, labels));
    }
  };
  constexpr size_t kMost = kMostAhead;
  Ahead ahead[kMost];
  size_t count = 0;
  EpochGuard section(&reader_);
  const zone::ZoneTable* table = zones_->current();
  for (size_t i = 0; i < n && count < kMost; ++i) {
    // A standard query (QR 0, opcode 0) of one question, its name uncompressed.
    const uint8_t* q = queries[i];
    if (lens[i] <= dns::kHeaderSize || (q[2] & 0xF8) != 0 || q[4] != 0 || q[5] != 1) continue;
    const uint8_t* qname = q + dns::kHeaderSize;
    if (dns::WireNameLength(qname, lens[i] - dns::kHeaderSize) == 0) continue;
    const zone::Zone* zone = table->Find(qname);
    if (!zone || zone->expired) continue;
    Ahead& a = ahead[count++];
    a.query = q;
    a.gen = zone->meta.generation;
    a.key_size = static_cast<uint16_t>(store::NameToKey(qname, zone->origin_labels, a.key));
    a.hash = store::NodeCache::KeyHash(a.gen, a.Key(-1));
    node_cache_.Prefetch(a.hash);
  }
  // The slots asked for first have arrived, or are on their way together:
  // the record of each name cached is next.
  for (size_t i = 0; i < count; ++i) node_cache_.PrefetchRecord(ahead[i].hash);
  // The names known absent: their binary searches for the closest encloser
  // (zone::Lookup's), one step of each in turn, so that the waits of the
  // batch's searches overlap instead of following each other.
  size_t active[kMost], searching = 0;
  for (size_t i = 0; i < count; ++i) {
    Ahead& a = ahead[i];
    if (node_cache_.Peek(a.gen, a.Key(-1), a.hash) != store::NodeCache::Hit::kAbsent) continue;
    a.search = {0, static_cast<int>(store::KeyLabelCount(a.Key(-1)))};
    if (!a.search.done()) active[searching++] = i;
  }
  while (searching > 0) {
    for (size_t k = 0; k < searching; ++k) {
      Ahead& a = ahead[active[k]];
      a.mid = a.search.probe();
      a.hash = store::NodeCache::KeyHash(a.gen, a.Key(a.mid));
      node_cache_.Prefetch(a.hash);
    }
    for (size_t k = 0; k < searching; ++k) node_cache_.PrefetchRecord(ahead[active[k]].hash);
    size_t still = 0;
    for (size_t k = 0; k < searching; ++k) {
      Ahead& a = ahead[active[k]];
      const store::NodeCache::Hit h = node_cache_.Peek(a.gen, a.Key(a.mid), a.hash);
      if (h == store::NodeCache::Hit::kUnknown) continue;  // read from the store: not ahead
      a.search.Found(a.mid, h == store::NodeCache::Hit::kPresent);
      if (!a.search.done())
        active[still++] = active[k];
      else
        enclosers_[encloser_count_++] = {a.query, a.gen, a.search.lo};
    }
    searching = still;
  }
}

size_t Responder::RespondInside(const uint8_t* pkt, size_t len, uint8_t* out, size_t cap,
                                bool tcp) noexcept {
  ++stats_.queries;
  last_wildcard_skip_ = 0;
  last_info_ = ResponseInfo();
  Context c;
  dns::ParseOutcome outcome = dns::ParseQuery(pkt, len, &c.q);
  if (outcome == dns::ParseOutcome::kDrop) {
    ++stats_.dropped;
    return 0;
  }
  const dns::ParsedQuery& q = c.q;
  const bool edns = q.edns.present && outcome == dns::ParseOutcome::kOk;
  ResponseInfo& info = last_info_;
  info.sent = true;
  info.has_question = q.has_question;
  info.qtype = q.qtype;
  info.opcode = q.opcode;
  info.edns = edns;
  info.do_bit = edns && q.edns.do_bit;
  info.tsig = q.tsig;

  // How much room the answer has (RFC 6891 §6.2.5: sizes under 512 mean 512).
  size_t limit = dns::kMaxUdpNoEdns;
  if (tcp) {
    limit = dns::kMaxMessage;
  } else if (edns) {
    limit = q.edns.udp_size < 512 ? 512 : q.edns.udp_size;
    if (limit > options_.udp_max_payload) limit = options_.udp_max_payload;
    if (limit < dns::kMaxUdpNoEdns) limit = dns::kMaxUdpNoEdns;
  }
  if (limit > cap) limit = cap;
  dns::MessageWriter w(out, cap, edns ? limit - kOptSize : limit);
  c.w = &w;

  uint16_t flags = dns::flag::kQR | (q.flags & (dns::flag::kRD | dns::flag::kCD)) |
                   (q.flags & 0x7800);  // opcode echoed
  uint16_t rcode = dns::rcode::kNoError;
  uint8_t ext_rcode = 0;

  auto start = [&]() {
    if (q.has_question)
      w.Start(q.id, flags, q.qname, q.qtype, q.qclass);
    else
      w.StartNoQuestion(q.id, flags);
  };

  if (outcome == dns::ParseOutcome::kFormErr) {
    start();
    w.SetRcode(dns::rcode::kFormErr);
    Describe(c, w, dns::rcode::kFormErr, 0, out);
    info.rcode = dns::rcode::kFormErr;
    return w.Finish();
  }
  if (outcome == dns::ParseOutcome::kNotImp) {
    start();
    rcode = dns::rcode::kNotImp;
  } else if (q.edns.version > 0) {
    // RFC 6891 §6.1.3: BADVERS (16) = extended rcode 1, header rcode 0.
    start();
    ext_rcode = dns::rcode::kBadVers >> 4;
    rcode = dns::rcode::kBadVers & 0xF;
  } else if (q.qclass == dns::rrclass::kCH) {
    start();
    rcode = AnswerChaos(q, flags, options_.version, &w);
  } else if (q.qclass == dns::rrclass::kANY || q.qclass == dns::rrclass::kNONE) {
    // QCLASS * (RFC 1035 §3.2.5) and NONE: FORMERR, as BIND 9 answers
    // (Knot DNS answers * from its IN zones with AA set, which RFC 1034
    // §3.7.1 rules out: a server cannot know it holds every class). NONE
    // means something only in UPDATE (RFC 2136 §2.4). See README.
    start();
    rcode = dns::rcode::kFormErr;
  } else if (q.qclass != dns::rrclass::kIN) {
    start();
    rcode = dns::rcode::kRefused;
  } else if (q.qtype == dns::type::kAXFR || q.qtype == dns::type::kIXFR) {
    start();
    rcode = dns::rcode::kRefused;  // zone transfers are not offered (yet)
  } else if (q.qtype == dns::type::kMAILA || q.qtype == dns::type::kMAILB) {
    start();
    rcode = dns::rcode::kNotImp;
  } else {
    start();
    bool answered = AnswerFromZone(&c);
    if (c.zone) info.zone = c.zone->metrics_id;
    // Additional data that could not be read is left out (it is optional),
    // but the failure is reported like any other.
    if (answered && c.zone && aux_scratch_.read.error()[0])
      RecordError(*c.zone, c.q.qname, false, aux_scratch_.read.error());
    if (!answered) {
      if (c.zone) RecordError(*c.zone, c.q.qname, false, scratch_.read.error());
    } else if (c.truncated && tcp && c.zone) {
      // Nothing more fits in any DNS message: not an empty NOERROR.
      RecordError(*c.zone, c.q.qname, true, "an RRset does not fit in a 65535-byte message");
      answered = false;
    }
    if (!answered) {
      ++stats_.servfail;
      c.truncated = false;
      start();
      w.SetRcode(dns::rcode::kServFail);
    }
    rcode = w.flags() & 0xF;
  }
  w.SetRcode(rcode);
  info.rcode = static_cast<uint16_t>(rcode | ext_rcode << 4);
  info.truncated = c.truncated;
  if (c.truncated) {
    ++stats_.truncated;
    w.SetFlags(w.flags() | dns::flag::kTC);
  }
  if (edns) {
    w.set_limit(limit);
    w.AddOpt(options_.udp_max_payload, ext_rcode, 0, q.edns.do_bit);
  }
  Describe(c, w, rcode, ext_rcode, out);
  return w.Finish();
}

void Responder::Describe(const Context& c, const dns::MessageWriter& w, uint16_t rcode,
                         uint8_t ext_rcode, const uint8_t* out) noexcept {
  RrlResponseInfo& i = last_response_.info;
  last_response_.wildcard = false;
  i.cls = RrlClass::kError;
  i.qtype = i.qclass = 0;
  i.name = nullptr;
  i.name_len = 0;
  if (ext_rcode != 0 || !c.q.has_question ||
      (rcode != dns::rcode::kNoError && rcode != dns::rcode::kNXDomain))
    return;
  const uint8_t* qname = out + dns::kHeaderSize;  // as the response carries it
  const size_t qname_len = c.q.qname_len;
  auto copy = [&](const uint8_t* name, size_t len) {
    std::memcpy(i.buf, name, len);
    i.name = i.buf;
    i.name_len = len;
  };
  if (rcode == dns::rcode::kNoError && w.count(dns::Section::kAnswer) > 0) {
    i.cls = RrlClass::kAnswer;
    i.name = qname;
    i.name_len = qname_len;
    i.qtype = c.q.qtype;
    i.qclass = c.q.qclass;
  } else if (rcode == dns::rcode::kNXDomain) {
    // Keyed by the zone (its SOA's owner), not by each random name.
    i.cls = RrlClass::kNxDomain;
    if (c.soa_owner) copy(c.soa_owner, dns::WireNameLength(c.soa_owner, dns::kMaxNameWire));
    return;
  } else if (c.cut_len != 0 && !(w.flags() & dns::flag::kAA) &&
             w.count(dns::Section::kAuthority) > 0) {
    i.cls = RrlClass::kReferral;
    copy(c.cut, c.cut_len);
    return;
  } else {
    i.cls = RrlClass::kNoData;
    i.name = qname;
    i.name_len = qname_len;
  }
  // A wildcard answer is accounted by the wildcard (its parent), as BIND does.
  if (last_wildcard_skip_ != 0 && last_wildcard_skip_ < qname_len) {
    i.name += last_wildcard_skip_;
    i.name_len -= last_wildcard_skip_;
    last_response_.wildcard = true;
  }
}

}  // namespace enumd::query
