// The standard query (RFC 1034 §4.3.2): answers from a zone the server
// holds -- the name's data, CNAME chains, wildcards (RFC 4592), referrals,
// negative answers (RFC 2308) and additional-section processing. Part of
// Responder (responder.h lists the decisions); the dispatch is in
// responder.cc.
#include <cstring>

#include "common/byte_order.h"
#include "dns/name.h"
#include "query/answer_context.h"
#include "query/responder.h"
#include "store/name_key.h"
#include "zone/record_ttl.h"

namespace enumd::query {

namespace {

using dns::Section;

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

}  // namespace

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
  } else {
    c->soa_owner = reinterpret_cast<const uint8_t*>(zone.origin.data());
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
  const zone::ZoneTable* table = table_;  // taken before the view (Respond)
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
  if (zone->expired) {  // no data to answer from: SERVFAIL without AA, as BIND
    w.SetRcode(dns::rcode::kServFail);
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
    if (is_qname && encloser_ != nullptr && encloser_->gen == zone->meta.generation)
      scratch_.encloser_hint = encloser_->labels;
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
        c->cut_len = dns::WireNameLength(cut, dns::kMaxNameWire);
        std::memcpy(c->cut, cut, c->cut_len);
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
        // RRSIG, NSEC (RFC 4035 §2.5) and KEY sit beside a CNAME, so queries
        // for them are answered at the alias, never from the target (BIND,
        // Knot).
        if (qtype != dns::type::kCNAME && !dns::type::MayStandBesideCname(qtype) &&
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
