// UPDATE parsing: one walk over the message that reads the zone, the
// prerequisite and update sections into records and checks the additional
// section's OPT and TSIG; then the prescan of the update section.
#include "dns/update_message.h"

#include "common/byte_order.h"
#include "dns/name.h"
#include "dns/rdata_reader.h"
#include "dns/record_reader.h"
#include "dns/tsig_wire.h"

namespace enumd::dns {
namespace {

enum class Section { kPrerequisite, kUpdate, kAdditional };

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// BIND's parser refuses these before any TSIG check (lib/dns/message.c):
// OPT and TSIG outside the additional section, TKEY outside it too (in an
// UPDATE), and RDATA where §2.4 and §2.5.2 say RDLENGTH is 0.
bool WireRulesOk(Section section, const RRHead& rr) {
  if (section != Section::kAdditional &&
      (rr.type == type::kOPT || rr.type == type::kTSIG || rr.type == type::kTKEY))
    return false;
  const bool any_or_none = rr.rrclass == rrclass::kANY || rr.rrclass == rrclass::kNONE;
  if (section == Section::kPrerequisite && any_or_none && rr.rdlen != 0) return false;
  if (section == Section::kUpdate && rr.rrclass == rrclass::kANY && rr.rdlen != 0) return false;
  return true;
}

// §3.4.1.3 for one update record.
uint16_t Prescan(const UpdateMessage& m, const UpdateRecord& rr) {
  if (!IsSubdomain(Bytes(rr.owner), Bytes(m.zone))) return rcode::kNotZone;
  if (rr.rrclass == m.zone_class) return IsMetaType(rr.type) ? rcode::kFormErr : rcode::kNoError;
  if (rr.rrclass == rrclass::kANY) {
    const bool bad =
        rr.ttl != 0 || !rr.rdata.empty() || (IsMetaType(rr.type) && rr.type != type::kANY);
    return bad ? rcode::kFormErr : rcode::kNoError;
  }
  if (rr.rrclass == rrclass::kNONE)
    return rr.ttl != 0 || IsMetaType(rr.type) ? rcode::kFormErr : rcode::kNoError;
  return rcode::kFormErr;
}

ParseOutcome Walk(const uint8_t* msg, size_t len, UpdateMessage* out) {
  if (len > kMaxMessage) return ParseOutcome::kFormErr;
  const uint16_t zocount = Load16(msg + 4);
  const uint16_t prcount = Load16(msg + 6);
  const uint16_t upcount = Load16(msg + 8);
  const uint16_t adcount = Load16(msg + 10);
  // Two zones fail BIND's parser (unsigned FORMERR); none parses, and its
  // FORMERR comes after the TSIG check (zone type 0 is not SOA below).
  if (zocount > 1) return ParseOutcome::kFormErr;

  uint8_t name[kMaxNameWire];
  size_t name_len = 0;
  size_t pos = kHeaderSize;
  if (zocount == 1) {
    if (!ReadName(msg, len, &pos, name, &name_len) || len - pos < 4) return ParseOutcome::kFormErr;
    out->zone.assign(reinterpret_cast<const char*>(name), name_len);
    out->zone_type = Load16(msg + pos);
    out->zone_class = Load16(msg + pos + 2);
    pos += 4;
  }

  const uint32_t counts[] = {prcount, upcount, adcount};
  for (Section section : {Section::kPrerequisite, Section::kUpdate, Section::kAdditional}) {
    for (uint32_t i = 0; i < counts[static_cast<int>(section)]; ++i) {
      const size_t start = pos;
      RRHead rr;
      if (!ReadRR(msg, len, &pos, name, &name_len, &rr)) return ParseOutcome::kFormErr;
      if (!WireRulesOk(section, rr)) return ParseOutcome::kFormErr;
      if (section == Section::kAdditional) {
        // Other additional records (e.g. out-of-zone glue, §2.7) are ignored.
        if (rr.type == type::kOPT && !ReadOpt(msg, start, rr, &out->edns))
          return ParseOutcome::kFormErr;
        continue;
      }
      UpdateRecord rec;
      rec.owner.assign(reinterpret_cast<const char*>(name), name_len);
      rec.type = rr.type;
      rec.rrclass = rr.rrclass;
      rec.ttl = rr.ttl;
      if (!ReadRdata(msg, len, rr.type, rr.rdata, rr.rdlen, &rec.rdata))
        return ParseOutcome::kFormErr;
      auto& list = section == Section::kPrerequisite ? out->prerequisites : out->updates;
      list.push_back(std::move(rec));
    }
  }
  if (pos != len) return ParseOutcome::kFormErr;  // trailing bytes

  // The TSIG's own placement and format rules (RFC 8945 §5.2).
  TsigRecord tsig;
  size_t tsig_offset = len;
  switch (FindTsig(msg, len, &tsig, &tsig_offset)) {
    case TsigFind::kMalformed:
      return ParseOutcome::kFormErr;
    case TsigFind::kFound:
      out->has_tsig = true;
      break;
    case TsigFind::kAbsent:
      break;
  }
  out->tsig_offset = tsig_offset;
  return ParseOutcome::kOk;
}

}  // namespace

bool IsMetaType(uint16_t t) noexcept {
  switch (t) {
    case type::kOPT:
    case type::kTKEY:
    case type::kTSIG:
    case type::kIXFR:
    case type::kAXFR:
    case type::kMAILB:
    case type::kMAILA:
    case type::kANY:
      return true;
    default:
      return false;
  }
}

ParseOutcome ParseUpdate(const uint8_t* msg, size_t len, UpdateMessage* out) {
  *out = UpdateMessage{};
  out->tsig_offset = len;
  if (len < kHeaderSize) return ParseOutcome::kDrop;
  out->id = Load16(msg);
  out->flags = Load16(msg + 2);
  if (out->flags & flag::kQR) return ParseOutcome::kDrop;
  if (((out->flags >> 11) & 0x0F) != opcode::kUpdate) return ParseOutcome::kNotImp;

  const ParseOutcome walked = Walk(msg, len, out);
  if (walked != ParseOutcome::kOk) {
    const uint16_t id = out->id, flags = out->flags;
    *out = UpdateMessage{};  // nothing half-parsed is left for the caller to misuse
    out->id = id;
    out->flags = flags;
    out->tsig_offset = len;
    return walked;
  }
  // §3.1.1: the zone section names one zone, with type SOA.
  if (out->zone.empty() || out->zone_type != type::kSOA) {
    out->zone_rcode = rcode::kFormErr;
    return ParseOutcome::kOk;
  }
  for (size_t i = 0; i < out->updates.size(); ++i) {
    const uint16_t rc = Prescan(*out, out->updates[i]);
    if (rc != rcode::kNoError) {
      out->prescan_rcode = rc;
      out->prescan_index = i;
      break;
    }
  }
  return ParseOutcome::kOk;
}

uint16_t CheckPrerequisite(const UpdateMessage& msg, const UpdateRecord& rr) noexcept {
  if (rr.ttl != 0) return rcode::kFormErr;
  if (!IsSubdomain(Bytes(rr.owner), Bytes(msg.zone))) return rcode::kNotZone;
  if (rr.rrclass == rrclass::kANY || rr.rrclass == rrclass::kNONE) {
    return rr.rdata.empty() ? rcode::kNoError : rcode::kFormErr;  // ParseUpdate ensures it
  }
  return rr.rrclass == msg.zone_class ? rcode::kNoError : rcode::kFormErr;
}

PrerequisiteKind KindOfPrerequisite(const UpdateRecord& rr) noexcept {
  if (rr.rrclass == rrclass::kANY)
    return rr.type == type::kANY ? PrerequisiteKind::kNameInUse : PrerequisiteKind::kRRsetExists;
  if (rr.rrclass == rrclass::kNONE) {
    return rr.type == type::kANY ? PrerequisiteKind::kNameNotInUse
                                 : PrerequisiteKind::kRRsetDoesNotExist;
  }
  return PrerequisiteKind::kRRsetEquals;
}

UpdateOp KindOfUpdate(const UpdateRecord& rr) noexcept {
  if (rr.rrclass == rrclass::kANY)
    return rr.type == type::kANY ? UpdateOp::kDeleteAllRRsets : UpdateOp::kDeleteRRset;
  if (rr.rrclass == rrclass::kNONE) return UpdateOp::kDeleteRR;
  return UpdateOp::kAdd;
}

}  // namespace enumd::dns
