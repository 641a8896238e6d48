// UpdateBuilder: an RFC 2136 UPDATE message, built for enumctl's changes
// (add, del, apply) so that they go through the same path whether enumd
// runs (sent over its control socket) or not (applied to the store here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace enumd::enumctl {

class UpdateBuilder {
 public:
  // `zone`: the zone's origin, wire form.
  explicit UpdateBuilder(std::string zone) : zone_(std::move(zone)) {}

  // Prerequisites (RFC 2136 §2.4).
  void RequireRRset(const std::string& owner, uint16_t type);    // §2.4.1
  void RequireNoRRset(const std::string& owner, uint16_t type);  // §2.4.3
  // Updates (§2.5). Owners are wire names inside the zone.
  void Add(const std::string& owner, uint16_t type, uint32_t ttl, const std::string& rdata);
  void DeleteRRset(const std::string& owner, uint16_t type);
  void DeleteName(const std::string& owner);
  void DeleteRecord(const std::string& owner, uint16_t type, const std::string& rdata);

  size_t changes() const { return updates_.size(); }
  // The message (ID `id`); Error when it would not fit a DNS message.
  Result<std::string> Finish(uint16_t id = 0) const;

 private:
  struct Rr {
    std::string owner;
    uint16_t type, rrclass;
    uint32_t ttl;
    std::string rdata;
  };
  std::string zone_;
  std::vector<Rr> prereqs_, updates_;
};

// The rcode of a DNS answer (its header), or -1 when it is too short.
int AnswerRcode(const std::string& answer);
// "NOERROR", "YXDOMAIN", ... for an rcode.
std::string RcodeText(int rcode);

}  // namespace enumd::enumctl
