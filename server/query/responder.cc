#include "query/responder.h"

#include <cstring>

#include "common/byte_order.h"
#include "dns/message_reader.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "zone/record_ttl.h"

namespace enumd::query {

namespace {

using dns::Section;

constexpr size_t kOptSize = 11;  // root owner, type, class, ttl, rdlen
// CNAMEs followed after the first one: BIND 9's max-restarts default (11). A
// chain that has not ended by then, or that comes back to a name it already
// passed (a loop), is answered SERVFAIL with the CNAMEs so far, as BIND does
// (RFC 1034 §3.6.2: "CNAME loops signalled as an error").
constexpr int kMaxCnameChain = 11;
constexpr int kMaxAdditionalNames = 16;

// Skips one <character-string>; returns the new position or 0 if it runs out.
size_t SkipCharString(const uint8_t* p, size_t pos, size_t len) {
  if (pos >= len || pos + 1 + p[pos] > len) return 0;
  return pos + 1 + p[pos];
}

// The node whose records answer an additional-section lookup of `name`
// (RFC 1034 §4.3.2 step 6): the name's own node (also at or below a zone
// cut: glue, sibling glue included), else the wildcard that would answer a
// query for it (BIND and Knot synthesise additional data too). One read when
// the name exists. The view borrows scratch->node. Returns false when there
// is no such node.
bool AdditionalNode(const store::ZoneStore& store, const zone::Zone& zone, const uint8_t* name,
                    zone::LookupScratch* scratch, store::NodeView* node) noexcept {
  uint8_t key[store::kMaxNameKey];
  size_t klen = store::NameToKey(name, zone.origin_labels, key);
  store::ReadStatus found =
      store.GetNode(&scratch->read, zone.meta.generation,
                    std::string_view(reinterpret_cast<char*>(key), klen), &scratch->node);
  // A failed read leaves the (optional) additional data out; the error stays
  // in scratch->read for the caller to report.
  if (found == store::ReadStatus::kError) return false;
  if (found == store::ReadStatus::kFound) {
    if (!node->Parse(reinterpret_cast<const uint8_t*>(scratch->node.data()),
                     scratch->node.size())) {
      scratch->read.SetError("malformed node value");
      return false;
    }
    // An empty non-terminal has no data, unless longest-match fills it from
    // a wildcard above (Lookup below).
    if (!node->empty() || zone.mode != zone::WildcardMode::kLongestMatch) return true;
  }
  zone::LookupResult r;
  zone::Lookup(store, zone, name, dns::type::kA, scratch, &r);
  if (r.kind != zone::LookupKind::kWildcard) return false;
  *node = r.node;
  return true;
}

// A list of distinct names (compared case-insensitively), bounded.
struct NameList {
  uint8_t names[kMaxAdditionalNames][dns::kMaxNameWire];
  int count = 0;

  void Add(const uint8_t* name, size_t len) noexcept {
    if (count == kMaxAdditionalNames) return;
    for (int i = 0; i < count; ++i)
      if (dns::NameEqual(names[i], name)) return;
    std::memcpy(names[count++], name, len);
  }
};

bool IsChaosName(const uint8_t* qname) {
  static const uint8_t* const kNames[] = {
      reinterpret_cast<const uint8_t*>("\x07version\x04"
                                       "bind"),
      reinterpret_cast<const uint8_t*>("\x07version\x06server"),
      reinterpret_cast<const uint8_t*>("\x08hostname\x04"
                                       "bind"),
      reinterpret_cast<const uint8_t*>("\x02id\x06server"),
  };
  for (const uint8_t* n : kNames)
    if (dns::NameEqual(qname, n)) return true;
  return false;
}

}  // namespace

struct Responder::Context {
  dns::ParsedQuery q;
  dns::MessageWriter* w = nullptr;
  bool truncated = false;
  const zone::Zone* zone = nullptr;  // the zone answering, once known
};

Responder::Responder(const store::ZoneStore* store, const zone::ZoneRegistry* zones,
                     ResponderOptions options)
    : store_(store),
      zones_(zones),
      options_(std::move(options)),
      node_cache_(options_.node_cache_bytes),
      reader_(zones->epochs()) {
  scratch_.read.set_cache(&node_cache_);
  aux_scratch_.read.set_cache(&node_cache_);
}

void Responder::Idle() noexcept {
  store_->ReleaseStale(&scratch_.read);
  store_->ReleaseStale(&aux_scratch_.read);
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
  // One view of the store for the whole answer (no mix of two versions); it
  // brings the cache up to date with the names changed since the last query.
  const store::StoreView* view = store_->AcquireView(&node_cache_);
  scratch_.read.set_view(view);
  aux_scratch_.read.set_view(view);
  size_t n = RespondInside(pkt, len, out, cap, tcp);
  // An iterator made before a version flip would pin the old version's files.
  store_->ReleaseStale(&scratch_.read);
  store_->ReleaseStale(&aux_scratch_.read);
  return n;
}

size_t Responder::RespondInside(const uint8_t* pkt, size_t len, uint8_t* out, size_t cap,
                                bool tcp) noexcept {
  ++stats_.queries;
  last_wildcard_skip_ = 0;
  last_response_ = ResponseInfo();
  Context c;
  dns::ParseOutcome outcome = dns::ParseQuery(pkt, len, &c.q);
  if (outcome == dns::ParseOutcome::kDrop) {
    ++stats_.dropped;
    return 0;
  }
  const dns::ParsedQuery& q = c.q;
  const bool edns = q.edns.present && outcome == dns::ParseOutcome::kOk;
  ResponseInfo& info = last_response_;
  info.sent = true;
  info.has_question = q.has_question;
  info.qtype = q.qtype;
  info.opcode = q.opcode;
  info.edns = edns;
  info.do_bit = edns && q.edns.do_bit;

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
    if (!options_.version.empty() && IsChaosName(q.qname) &&
        (q.qtype == dns::type::kTXT || q.qtype == dns::type::kANY)) {
      uint8_t txt[256];
      size_t n = options_.version.size() > 255 ? 255 : options_.version.size();
      txt[0] = static_cast<uint8_t>(n);
      std::memcpy(txt + 1, options_.version.data(), n);
      w.SetFlags(flags | dns::flag::kAA);
      w.AddRRPtr(Section::kAnswer, dns::MessageWriter::kQnameOffset, dns::type::kTXT,
                 dns::rrclass::kCH, 0, txt, static_cast<uint16_t>(n + 1));
    } else {
      rcode = dns::rcode::kRefused;
    }
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
  return w.Finish();
}

bool Responder::ReadApex(const zone::Zone& zone, store::NodeView* apex) noexcept {
  store::ReadStatus r = store_->GetNode(&scratch_.read, zone.meta.generation, "", &apex_);
  if (r == store::ReadStatus::kAbsent) scratch_.read.SetError("zone apex missing");
  if (r != store::ReadStatus::kFound) return false;
  if (apex->Parse(reinterpret_cast<const uint8_t*>(apex_.data()), apex_.size())) return true;
  scratch_.read.SetError("malformed apex node");
  return false;
}

bool Responder::AddRRset(Context* c, Section section, const uint8_t* owner, bool owner_is_qname,
                         const store::RRsetView& rs, const store::NodeView* node) noexcept {
  dns::MessageWriter::Mark mark = c->w->GetMark();
  size_t pos = 0;
  const uint8_t* rdata;
  uint16_t rdlen;
  while (rs.NextRdata(&pos, &rdata, &rdlen)) {
    // RRSIGs: each with the TTL of the RRset it covers (RFC 4034 §3).
    uint32_t ttl = node ? zone::RecordTtl(*node, rs, rdata, rdlen) : rs.ttl;
    bool ok = owner_is_qname
                  ? c->w->AddRRPtr(section, dns::MessageWriter::kQnameOffset, rs.type,
                                   dns::rrclass::kIN, ttl, rdata, rdlen)
                  : c->w->AddRR(section, owner, rs.type, dns::rrclass::kIN, ttl, rdata, rdlen);
    if (!ok) {
      c->w->Rewind(mark);
      if (section != Section::kAdditional) c->truncated = true;
      return false;
    }
  }
  return true;
}

bool Responder::AddNegative(Context* c, const zone::Zone& zone) noexcept {
  store::NodeView apex;
  store::RRsetView soa;
  if (!ReadApex(zone, &apex) || !apex.Find(dns::type::kSOA, &soa)) return false;
  size_t pos = 0;
  const uint8_t* rdata;
  uint16_t rdlen;
  if (!soa.NextRdata(&pos, &rdata, &rdlen) || rdlen < 22) return false;
  // RFC 2308 §3: the SOA's TTL in a negative answer is min(TTL, MINIMUM).
  uint32_t minimum = Load32(rdata + rdlen - 4);
  uint32_t ttl = soa.ttl < minimum ? soa.ttl : minimum;
  dns::MessageWriter::Mark mark = c->w->GetMark();
  if (!c->w->AddRR(Section::kAuthority, reinterpret_cast<const uint8_t*>(zone.origin.data()),
                   dns::type::kSOA, dns::rrclass::kIN, ttl, rdata, rdlen)) {
    c->w->Rewind(mark);
    c->truncated = true;
  }
  return true;
}

// Additional-section processing (RFC 1034 §4.3.2 step 6, RFC 2181 §9): for
// the RRset just answered, the A/AAAA of NS, MX and SRV targets and of the
// replacement of a NAPTR with flag "a", and the SRV RRset of the replacement
// of a NAPTR with flag "s" plus the A/AAAA of those SRV targets (RFC 3403
// §4.2). Other NAPTR flags ("u", "p", none) add nothing: that is what BIND 9
// does. Only names inside this zone are looked up.
//
// Order, as BIND renders the section: every A RRset first, then every AAAA,
// then the SRV RRsets; the first RRset that does not fit ends the section
// (no TC: additional data is optional). So a referral with many name servers
// over 512 bytes carries one address for each before any second one.
void Responder::AddAdditional(Context* c, const zone::Zone& zone,
                              const store::RRsetView& answer) noexcept {
  if (c->truncated) return;
  const uint8_t* origin = reinterpret_cast<const uint8_t*>(zone.origin.data());
  NameList addr;  // names whose A and AAAA are wanted
  NameList srv;   // names whose SRV (and their targets' addresses) are wanted
  size_t pos = 0;
  const uint8_t* rd;
  uint16_t len;
  while (answer.NextRdata(&pos, &rd, &len)) {
    size_t off = 0;
    NameList* list = &addr;
    switch (answer.type) {
      case dns::type::kNS:
        off = 0;
        break;
      case dns::type::kMX:
        off = 2;
        break;
      case dns::type::kSRV:
        off = 6;
        break;
      case dns::type::kNAPTR: {
        const size_t flags_at = 4;
        size_t p = SkipCharString(rd, flags_at, len);
        if (p) p = SkipCharString(rd, p, len);  // services
        if (p) p = SkipCharString(rd, p, len);  // regexp
        if (!p) continue;
        bool s_flag = false;
        bool a_flag = false;
        for (size_t i = 1; i <= rd[flags_at]; ++i) {
          uint8_t f = rd[flags_at + i] | 0x20;
          s_flag |= f == 's';
          a_flag |= f == 'a';
        }
        if (!s_flag && !a_flag) continue;
        list = s_flag ? &srv : &addr;
        off = p;
        break;
      }
      default:
        return;
    }
    if (off >= len || rd[off] == 0) continue;  // root: no target
    size_t nl = dns::WireNameLength(rd + off, len - off);
    if (nl == 0 || !dns::IsSubdomain(rd + off, origin)) continue;
    list->Add(rd + off, nl);
  }

  store::NodeView node;
  store::RRsetView rs;
  // The SRV targets join the address names (copied out before the next read
  // reuses the scratch slice).
  for (int i = 0; i < srv.count; ++i) {
    if (!AdditionalNode(*store_, zone, srv.names[i], &aux_scratch_, &node) ||
        !node.Find(dns::type::kSRV, &rs))
      continue;
    size_t p = 0;
    while (rs.NextRdata(&p, &rd, &len)) {
      if (len <= 6 || rd[6] == 0) continue;
      size_t nl = dns::WireNameLength(rd + 6, len - 6u);
      if (nl == len - 6u && dns::IsSubdomain(rd + 6, origin)) addr.Add(rd + 6, nl);
    }
  }
  bool has_aaaa[kMaxAdditionalNames] = {};  // so the AAAA pass reads only those
  for (int i = 0; i < addr.count; ++i) {
    if (!AdditionalNode(*store_, zone, addr.names[i], &aux_scratch_, &node)) continue;
    has_aaaa[i] = node.Find(dns::type::kAAAA, &rs);
    if (node.Find(dns::type::kA, &rs) &&
        !AddRRset(c, Section::kAdditional, addr.names[i], false, rs))
      return;
  }
  for (int i = 0; i < addr.count; ++i) {
    if (has_aaaa[i] && AdditionalNode(*store_, zone, addr.names[i], &aux_scratch_, &node) &&
        node.Find(dns::type::kAAAA, &rs) &&
        !AddRRset(c, Section::kAdditional, addr.names[i], false, rs))
      return;
  }
  for (int i = 0; i < srv.count; ++i) {
    if (AdditionalNode(*store_, zone, srv.names[i], &aux_scratch_, &node) &&
        node.Find(dns::type::kSRV, &rs) &&
        !AddRRset(c, Section::kAdditional, srv.names[i], false, rs))
      return;
  }
}

bool Responder::AnswerFromZone(Context* c) noexcept {
  const zone::ZoneTable* table = zones_->current();
  const zone::Zone* zone = table ? table->Find(c->q.qname) : nullptr;
  // DS lives on the parent side of a cut (RFC 4035 §3.1.4.1): a DS query for
  // the apex of a served zone is answered from the zone above it when that is
  // served too, whatever it holds there (DS, NODATA, NXDOMAIN, a referral
  // from a cut higher up), as BIND and Knot DNS answer.
  if (zone && c->q.qtype == dns::type::kDS && c->q.qname[0] != 0 &&
      dns::NameEqual(c->q.qname, reinterpret_cast<const uint8_t*>(zone->origin.data()))) {
    if (const zone::Zone* parent = table->Find(dns::SkipLabels(c->q.qname, 1))) zone = parent;
  }
  dns::MessageWriter& w = *c->w;
  if (!zone) {
    w.SetRcode(dns::rcode::kRefused);
    return true;
  }
  c->zone = zone;
  scratch_.read.ClearError();
  aux_scratch_.read.ClearError();
  w.SetFlags(w.flags() | dns::flag::kAA);
  const uint16_t qtype = c->q.qtype;

  uint8_t name[dns::kMaxNameWire];  // the name being answered (qname or a CNAME target)
  std::memcpy(name, c->q.qname, c->q.qname_len);
  bool is_qname = true;
  // The names passed so far, to see a CNAME loop before it repeats records.
  uint8_t chain[kMaxCnameChain + 1][dns::kMaxNameWire];

  for (int step = 0; step <= kMaxCnameChain; ++step) {
    std::memcpy(chain[step], name, dns::WireNameLength(name, dns::kMaxNameWire));
    zone::LookupResult r;
    zone::Lookup(*store_, *zone, name, qtype, &scratch_, &r);
    switch (r.kind) {
      case zone::LookupKind::kError:
        return false;
      case zone::LookupKind::kNXDomain:
        w.SetRcode(dns::rcode::kNXDomain);  // RFC 6604 §2: the rcode of the last name
        return AddNegative(c, *zone);
      case zone::LookupKind::kEmpty:
        return AddNegative(c, *zone);
      case zone::LookupKind::kDelegation: {
        // A referral (RFC 1034 §4.3.2 step 3b). Reached through a CNAME, it
        // follows the CNAMEs and AA stays set for them, as BIND and Knot do.
        if (step == 0) w.SetFlags(w.flags() & ~dns::flag::kAA);
        int drop = dns::LabelCount(name) - zone->origin_labels - r.cut_labels;
        const uint8_t* cut = dns::SkipLabels(name, drop);
        store::RRsetView ns;
        if (!r.node.Find(dns::type::kNS, &ns)) return false;
        if (!AddRRset(c, Section::kAuthority, cut, drop == 0 && is_qname, ns)) return true;
        AddAdditional(c, *zone, ns);
        return true;
      }
      case zone::LookupKind::kExact:
      case zone::LookupKind::kWildcard: {
        if (r.kind == zone::LookupKind::kWildcard && step == 0) {
          int drop = dns::LabelCount(name) - zone->origin_labels - r.wildcard_labels;
          last_wildcard_skip_ = static_cast<size_t>(dns::SkipLabels(name, drop) - name);
        }
        store::RRsetView rs;
        if (qtype == dns::type::kANY) {
          for (int i = 0; i < r.node.rrset_count(); ++i) {
            r.node.At(i, &rs);
            if (!AddRRset(c, Section::kAnswer, name, is_qname, rs, &r.node)) break;
          }
          return true;
        }
        if (r.node.Find(qtype, &rs)) {
          if (AddRRset(c, Section::kAnswer, name, is_qname, rs, &r.node))
            AddAdditional(c, *zone, rs);
          return true;
        }
        // RRSIG and NSEC sit beside a CNAME (RFC 4035 §2.5), so queries for
        // them are answered at the alias, never from the target (BIND, Knot).
        if (qtype != dns::type::kCNAME && qtype != dns::type::kRRSIG && qtype != dns::type::kNSEC &&
            r.node.Find(dns::type::kCNAME, &rs)) {
          if (!AddRRset(c, Section::kAnswer, name, is_qname, rs)) return true;
          size_t pos = 0;
          const uint8_t* rd;
          uint16_t len;
          if (!rs.NextRdata(&pos, &rd, &len)) return false;
          size_t nl = dns::WireNameLength(rd, len);
          if (nl == 0) return false;
          // Follow the chain only inside this zone, like Knot and like BIND
          // for a target in another zone it serves.
          if (!dns::IsSubdomain(rd, reinterpret_cast<const uint8_t*>(zone->origin.data())))
            return true;
          for (int i = 0; i <= step; ++i) {
            if (dns::NameEqual(chain[i], rd)) {
              w.SetRcode(dns::rcode::kServFail);  // a loop
              return true;
            }
          }
          std::memcpy(name, rd, nl);
          is_qname = false;
          continue;
        }
        return AddNegative(c, *zone);  // NODATA
      }
    }
  }
  w.SetRcode(dns::rcode::kServFail);  // the chain did not end within the bound
  return true;
}

}  // namespace enumd::query
