// Parsing a DNS response (RFC 1035 §4.1) for enumctl's client. Every read is
// checked against the message length; names are read with dns::ReadName.
#include "enumctl/dns_response.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdio>

#include "common/byte_order.h"
#include "dns/constants.h"
#include "dns/name.h"

namespace enumd::enumctl {
namespace {

namespace type = dns::type;

// Reads messages bounded by `len`; positions are offsets into `msg`.
class Reader {
 public:
  Reader(const uint8_t* msg, size_t len) : msg_(msg), len_(len) {}

  bool Name(size_t* pos, std::string* wire) const {
    uint8_t buf[dns::kMaxNameWire];
    size_t n = 0;
    if (!dns::ReadName(msg_, len_, pos, buf, &n)) return false;
    wire->assign(reinterpret_cast<const char*>(buf), n);
    return true;
  }
  // A <character-string> (RFC 1035 §3.3) that must end by `end`.
  bool CharString(size_t* pos, size_t end, std::string* out) const {
    if (*pos >= end) return false;
    const size_t n = msg_[*pos];
    if (*pos + 1 + n > end) return false;
    out->assign(reinterpret_cast<const char*>(msg_ + *pos + 1), n);
    *pos += 1 + n;
    return true;
  }
  const uint8_t* at(size_t pos) const { return msg_ + pos; }
  size_t size() const { return len_; }

 private:
  const uint8_t* msg_;
  size_t len_;
};

std::string TextOf(const std::string& wire) {
  return dns::NameToText(reinterpret_cast<const uint8_t*>(wire.data()));
}

// Decodes the RDATA at [pos, end) of the types lookups use; other types are
// skipped. Returns an empty string or what is wrong with it.
std::string DecodeRdata(const Reader& r, size_t pos, size_t end, Record* rec) {
  std::string name;
  switch (rec->type) {
    case type::kA:
    case type::kAAAA: {
      const size_t want = rec->type == type::kA ? 4 : 16;
      if (end - pos != want)
        return "RDATA is " + std::to_string(end - pos) + " bytes, not " + std::to_string(want);
      char text[INET6_ADDRSTRLEN];
      inet_ntop(rec->type == type::kA ? AF_INET : AF_INET6, r.at(pos), text, sizeof(text));
      rec->address = text;
      return "";
    }
    case type::kCNAME:
      if (!r.Name(&pos, &name) || pos != end) return "bad CNAME target";
      rec->target = TextOf(name);
      return "";
    case type::kSRV:
      if (end - pos < 7) return "SRV RDATA too short";
      rec->srv.priority = Load16(r.at(pos));
      rec->srv.weight = Load16(r.at(pos + 2));
      rec->srv.port = Load16(r.at(pos + 4));
      pos += 6;
      if (!r.Name(&pos, &name) || pos != end) return "bad SRV target";
      rec->srv.target = TextOf(name);
      return "";
    case type::kNAPTR: {
      // RFC 3403 §4.1: ORDER, PREFERENCE, FLAGS, SERVICES, REGEXP, REPLACEMENT.
      if (end - pos < 4 + 3 + 1) return "NAPTR RDATA too short";
      Naptr& n = rec->naptr;
      n.order = Load16(r.at(pos));
      n.preference = Load16(r.at(pos + 2));
      pos += 4;
      if (!r.CharString(&pos, end, &n.flags) || !r.CharString(&pos, end, &n.service) ||
          !r.CharString(&pos, end, &n.regexp)) {
        return "NAPTR strings run past RDLENGTH";
      }
      // RFC 3403 §4.1 forbids compressing REPLACEMENT; a pointer is still
      // read (leniently, like dig) but must not leave the RDATA's end behind.
      if (!r.Name(&pos, &name) || pos != end) return "bad NAPTR replacement";
      n.replacement = TextOf(name);
      return "";
    }
    default:
      return "";
  }
}

const char* SectionName(int s) {
  static const char* kNames[] = {"answer", "authority", "additional"};
  return kNames[s];
}

}  // namespace

bool Response::truncated() const { return (flags & dns::flag::kTC) != 0; }

Result<Response> ParseResponse(const uint8_t* msg, size_t len) {
  if (len < dns::kHeaderSize) {
    return Status::Error("answer is " + std::to_string(len) + " bytes, shorter than a header");
  }
  Response resp;
  resp.id = Load16(msg);
  resp.flags = Load16(msg + 2);
  resp.rcode = resp.flags & 0xF;
  if ((resp.flags & dns::flag::kQR) == 0) return Status::Error("QR is clear: not a response");
  const uint16_t qdcount = Load16(msg + 4);
  const uint16_t counts[3] = {Load16(msg + 6), Load16(msg + 8), Load16(msg + 10)};
  if (qdcount > 1) return Status::Error("QDCOUNT is " + std::to_string(qdcount));
  Reader r(msg, len);
  size_t pos = dns::kHeaderSize;
  if (qdcount == 1) {
    if (!r.Name(&pos, &resp.qname) || pos + 4 > len) return Status::Error("bad question");
    resp.qtype = Load16(msg + pos);
    resp.qclass = Load16(msg + pos + 2);
    pos += 4;
    resp.has_question = true;
  }
  std::vector<Record>* sections[3] = {&resp.answer, &resp.authority, &resp.additional};
  for (int s = 0; s < 3; ++s) {
    for (uint16_t i = 0; i < counts[s]; ++i) {
      const std::string where =
          std::string(SectionName(s)) + " record " + std::to_string(i + 1) + ": ";
      Record rec;
      if (!r.Name(&pos, &rec.owner) || pos + 10 > len) {
        if (resp.truncated()) {
          resp.cut_short = true;
          return resp;
        }
        return Status::Error(where + "bad owner name or record header");
      }
      rec.type = Load16(msg + pos);
      rec.rrclass = Load16(msg + pos + 2);
      rec.ttl = Load32(msg + pos + 4);
      const size_t rdlen = Load16(msg + pos + 8);
      pos += 10;
      if (pos + rdlen > len) {
        if (resp.truncated()) {
          resp.cut_short = true;
          return resp;
        }
        return Status::Error(where + "RDATA runs past the end of the message");
      }
      if (rec.type == type::kOPT) {
        // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
        if (s != 2 || resp.has_opt || rec.owner.size() != 1) {
          return Status::Error(where + "misplaced or duplicate OPT");
        }
        resp.has_opt = true;
        resp.udp_size = rec.rrclass;
        resp.rcode = static_cast<uint16_t>((rec.ttl >> 24) << 4 | (resp.flags & 0xF));
        pos += rdlen;
        continue;
      }
      const std::string bad = DecodeRdata(r, pos, pos + rdlen, &rec);
      if (!bad.empty()) {
        return Status::Error(where + TypeName(rec.type) + " at " + DisplayName(rec.owner) + ": " +
                             bad);
      }
      pos += rdlen;
      sections[s]->push_back(std::move(rec));
    }
  }
  if (pos != len) {
    return Status::Error(std::to_string(len - pos) + " bytes after the last record");
  }
  return resp;
}

std::string TypeName(uint16_t t) {
  switch (t) {
    case type::kA:
      return "A";
    case type::kNS:
      return "NS";
    case type::kCNAME:
      return "CNAME";
    case type::kSOA:
      return "SOA";
    case type::kAAAA:
      return "AAAA";
    case type::kSRV:
      return "SRV";
    case type::kNAPTR:
      return "NAPTR";
    case type::kOPT:
      return "OPT";
    default:
      return "TYPE" + std::to_string(t);
  }
}

std::string RcodeName(uint16_t rcode) {
  static const char* kNames[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                 "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  if (rcode < sizeof(kNames) / sizeof(kNames[0])) return kNames[rcode];
  if (rcode == dns::rcode::kBadVers) return "BADVERS";
  return "RCODE" + std::to_string(rcode);
}

std::string DisplayName(const std::string& wire) {
  if (wire.empty()) return "";
  std::string text = TextOf(wire);
  if (text.size() > 1 && text.back() == '.') text.pop_back();
  return text;
}

}  // namespace enumd::enumctl

extern "C" int FuzzParseResponse(const uint8_t* data, size_t size) {
  auto r = enumd::enumctl::ParseResponse(data, size);
  if (r.ok()) {
    for (const auto& rec : r->answer) (void)enumd::enumctl::DisplayName(rec.owner);
  }
  return 0;
}
