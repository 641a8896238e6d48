#include "zone/zone_exporter.h"

#include <ldns/ldns.h>
#include <rocksdb/slice.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "dns/constants.h"
#include "dns/name.h"
#include "store/name_key.h"
#include "store/node.h"
#include "zone/longest_match_equivalent.h"
#include "zone/record_ttl.h"

namespace enumd::zone {

namespace {

// Types whose ldns 1.8.3 text BIND 9 reads back as the same RDATA (the
// round trip of tests/system/zone_corpus.py checks them). Every other type is
// written in RFC 3597 form, which BIND reads for any type: ldns writes, for
// instance, SVCB parameters, NSAP-PTR and APL in forms BIND rejects.
bool LdnsTextRoundTrips(uint16_t type) {
  switch (type) {
    case 1:
    case 2:
    case 5:
    case 6:
    case 12:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18:
    case 19:
    case 20:
    case 21:
    case 22:
    case 24:
    case 25:
    case 26:
    case 27:
    case 28:
    case 29:
    case 33:
    case 35:
    case 36:
    case 37:
    case 39:
    case 43:
    case 44:
    case 45:
    case 46:
    case 47:
    case 48:
    case 49:
    case 50:
    case 51:
    case 52:
    case 53:
    case 55:
    case 59:
    case 60:
    case 61:
    case 62:
    case 63:
    case 99:
    case 104:
    case 105:
    case 106:
    case 107:
    case 108:
    case 109:
    case 256:
    case 257:
      return true;
    default:
      return false;
  }
}

// Types with <character-string> fields, where a '"' in the text is a quote.
// A NAPTR whose replacement name holds a '"', which ldns leaves unescaped
// after the strings (BIND would read it as the start of one).
bool NaptrReplacementHasQuote(const uint8_t* rdata, uint16_t rdlen) {
  size_t p = 4;                                                // order, preference
  for (int i = 0; i < 3 && p < rdlen; ++i) p += 1 + rdata[p];  // flags, services, regexp
  for (; p < rdlen; ++p)
    if (rdata[p] == '"') return true;
  return false;
}

bool HasStrings(uint16_t type) {
  switch (type) {
    case 13:
    case 16:
    case 19:
    case 20:
    case 27:
    case 35:
    case 99:
    case 256:
    case 257:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string RecordToText(const uint8_t* owner, uint16_t type, uint32_t ttl, const uint8_t* rdata,
                         uint16_t rdlen) {
  // Assemble the record in wire form and let ldns print it.
  std::vector<uint8_t> wire;
  size_t olen = dns::WireNameLength(owner, dns::kMaxNameWire);
  wire.insert(wire.end(), owner, owner + olen);
  uint8_t fixed[10] = {static_cast<uint8_t>(type >> 8),
                       static_cast<uint8_t>(type),
                       0,
                       1,
                       static_cast<uint8_t>(ttl >> 24),
                       static_cast<uint8_t>(ttl >> 16),
                       static_cast<uint8_t>(ttl >> 8),
                       static_cast<uint8_t>(ttl),
                       static_cast<uint8_t>(rdlen >> 8),
                       static_cast<uint8_t>(rdlen)};
  wire.insert(wire.end(), fixed, fixed + 10);
  wire.insert(wire.end(), rdata, rdata + rdlen);
  ldns_rr* rr = nullptr;
  size_t pos = 0;
  std::string text;
  if (LdnsTextRoundTrips(type) &&
      ldns_wire2rr(&rr, wire.data(), wire.size(), &pos, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK) {
    char* s = ldns_rr2str(rr);
    if (s) text = s;
    free(s);
    ldns_rr_free(rr);
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  // ldns leaves '"' and '$' in names unescaped, which BIND then misreads:
  // the owner is written by dns::NameToText, which escapes every special
  // character; a name in the RDATA with a quote goes out as RFC 3597 data.
  size_t tab = text.find('\t');
  if (tab == std::string::npos || (!HasStrings(type) && text.find('"', tab) != std::string::npos) ||
      (type == 35 && NaptrReplacementHasQuote(rdata, rdlen))) {
    text.clear();
  } else {
    // ldns pads NSEC3's next hashed owner; RFC 5155 §3.3 (and BIND) has none.
    if (type == 50) text.erase(std::remove(text.begin() + tab, text.end(), '='), text.end());
    text.replace(0, tab, dns::NameToText(owner));
    // ldns writes a CAA with an empty value as "0 issue"; BIND needs the "".
    if (type == 257 && rdlen >= 2 && size_t{2} + rdata[1] == rdlen) text += " \"\"";
  }
  if (text.empty()) {
    // RFC 3597 form for anything ldns cannot print.
    text = dns::NameToText(owner) + "\t" + std::to_string(ttl) + "\tIN\tTYPE" +
           std::to_string(type) + "\t\\# " + std::to_string(rdlen) + " ";
    static const char* kHex = "0123456789abcdef";
    for (uint16_t i = 0; i < rdlen; ++i) {
      text.push_back(kHex[rdata[i] >> 4]);
      text.push_back(kHex[rdata[i] & 15]);
    }
  }
  return text;
}

namespace {

void WriteRRset(FILE* out, const uint8_t* owner, const store::NodeView& node,
                const store::RRsetView& rs) {
  size_t pos = 0;
  const uint8_t* rd;
  uint16_t len;
  while (rs.NextRdata(&pos, &rd, &len)) {
    // Each RRSIG with the TTL of the RRset it covers (zone/record_ttl.h).
    fprintf(out, "%s\n",
            RecordToText(owner, rs.type, RecordTtl(node, rs, rd, len), rd, len).c_str());
  }
}

void WriteNode(FILE* out, const uint8_t* owner, const store::NodeView& node) {
  // The SOA first: RFC 1035 §5.2 expects it to start the zone, and some
  // loaders insist.
  store::RRsetView rs;
  if (node.Find(dns::type::kSOA, &rs)) WriteRRset(out, owner, node, rs);
  for (int i = 0; i < node.rrset_count(); ++i) {
    node.At(i, &rs);
    if (rs.type != dns::type::kSOA) WriteRRset(out, owner, node, rs);
  }
}

}  // namespace

Status ExportZone(const store::ZoneStore& store, const std::string& origin_text, FILE* out,
                  const ExportOptions& options) {
  std::string origin = dns::WireName(origin_text);
  if (origin.empty()) return Status::Error("bad origin '" + origin_text + "'");
  dns::LowerName(reinterpret_cast<uint8_t*>(origin.data()));
  auto meta = store.FindZone(origin);
  if (!meta) return Status::Error("no zone " + origin_text + " in the store");
  auto o = reinterpret_cast<const uint8_t*>(origin.data());

  fprintf(out, "; zone %s exported by enumctl: serial %u, %llu names, %llu records\n",
          dns::NameToText(o).c_str(), meta->serial, static_cast<unsigned long long>(meta->names),
          static_cast<unsigned long long>(meta->records));
  fprintf(out, "$ORIGIN %s\n", dns::NameToText(o).c_str());

  LongestMatchEquivalent equivalent;
  Status failure;
  Status st =
      store.ForEachNode(meta->generation, "", [&](std::string_view key, std::string_view value) {
        uint8_t owner[dns::kMaxNameWire];
        if (store::KeyToName(key, o, origin.size(), owner) == 0) {
          failure = Status::Error("corrupt name key in the store");
          return false;
        }
        auto write = [&](const uint8_t* name, std::string_view v) {
          store::NodeView node;
          if (node.Parse(v)) WriteNode(out, name, node);
        };
        if (!options.longest_match_equivalent) {
          store::NodeView node;
          if (!node.Parse(value)) {
            failure = Status::Error("corrupt node at " + dns::NameToText(owner));
            return false;
          }
          WriteNode(out, owner, node);
          return true;
        }
        auto has_node = [&](std::string_view k) {
          rocksdb::PinnableSlice v;
          return store.GetNode(meta->generation, k, &v);
        };
        if (!equivalent.Feed(key, value, owner, has_node, write)) {
          failure = Status::Error("cannot read the store at " + dns::NameToText(owner));
          return false;
        }
        return true;
      });
  if (!failure.ok()) return failure;
  return st;
}

}  // namespace enumd::zone
