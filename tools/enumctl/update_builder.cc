#include "enumctl/update_builder.h"

#include "common/byte_order.h"
#include "dns/constants.h"
#include "dns/message_writer.h"

namespace enumd::enumctl {

void UpdateBuilder::RequireRRset(const std::string& owner, uint16_t type) {
  prereqs_.push_back({owner, type, dns::rrclass::kANY, 0, ""});
}
void UpdateBuilder::RequireNoRRset(const std::string& owner, uint16_t type) {
  prereqs_.push_back({owner, type, dns::rrclass::kNONE, 0, ""});
}
void UpdateBuilder::Add(const std::string& owner, uint16_t type, uint32_t ttl,
                        const std::string& rdata) {
  updates_.push_back({owner, type, dns::rrclass::kIN, ttl, rdata});
}
void UpdateBuilder::DeleteRRset(const std::string& owner, uint16_t type) {
  updates_.push_back({owner, type, dns::rrclass::kANY, 0, ""});
}
void UpdateBuilder::DeleteName(const std::string& owner) {
  updates_.push_back({owner, dns::type::kANY, dns::rrclass::kANY, 0, ""});
}
void UpdateBuilder::DeleteRecord(const std::string& owner, uint16_t type,
                                 const std::string& rdata) {
  updates_.push_back({owner, type, dns::rrclass::kNONE, 0, rdata});
}

Result<std::string> UpdateBuilder::Finish(uint16_t id) const {
  std::string buf(dns::kMaxMessage, '\0');
  auto* p = reinterpret_cast<uint8_t*>(buf.data());
  dns::MessageWriter w(p, buf.size(), buf.size());
  // The zone section has the shape of a question (RFC 2136 §2.3).
  if (!w.Start(id, static_cast<uint16_t>(5u << 11), reinterpret_cast<const uint8_t*>(zone_.data()),
               dns::type::kSOA, dns::rrclass::kIN))
    return Status::Error("bad zone name");
  // Prerequisites travel in the answer section, updates in the authority.
  for (const Rr& r : prereqs_) {
    if (!w.AddRR(dns::Section::kAnswer, reinterpret_cast<const uint8_t*>(r.owner.data()), r.type,
                 r.rrclass, r.ttl, reinterpret_cast<const uint8_t*>(r.rdata.data()),
                 static_cast<uint16_t>(r.rdata.size())))
      return Status::Error("the changes do not fit one DNS message (64 KiB)");
  }
  for (const Rr& r : updates_) {
    if (r.rdata.size() > 65535 ||
        !w.AddRR(dns::Section::kAuthority, reinterpret_cast<const uint8_t*>(r.owner.data()), r.type,
                 r.rrclass, r.ttl, reinterpret_cast<const uint8_t*>(r.rdata.data()),
                 static_cast<uint16_t>(r.rdata.size())))
      return Status::Error("the changes do not fit one DNS message (64 KiB): split them");
  }
  buf.resize(w.Finish());
  return buf;
}

int AnswerRcode(const std::string& a) {
  if (a.size() < dns::kHeaderSize) return -1;
  return Load16(reinterpret_cast<const uint8_t*>(a.data()) + 2) & 0xF;
}

std::string RcodeText(int rcode) {
  static const char* kNames[] = {"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
                                 "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE"};
  if (rcode >= 0 && rcode <= 10) return kNames[rcode];
  return "RCODE" + std::to_string(rcode);
}

}  // namespace enumd::enumctl
