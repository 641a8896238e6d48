// See update_apply.h.
#include "zone/update_apply.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "dns/canonical_rdata.h"
#include "dns/constants.h"
#include "dns/name.h"
#include "zone/zone_file_reader.h"

namespace enumd::zone {

namespace {

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// RFC 2136 rcodes.
constexpr uint16_t kYXDomain = 6, kYXRRset = 7, kNXRRset = 8, kNotZone = 10;

UpdateOutcome Fail(uint16_t rcode, std::string reason) {
  UpdateOutcome o;
  o.rcode = rcode;
  o.reason = std::move(reason);
  return o;
}

std::string Name(const std::string& wire) { return dns::NameToText(U8(wire)); }

// Whether two RRsets hold the same records (RFC 2136 §3.2.3: TTLs aside).
bool SameRecords(uint16_t type, const std::vector<std::string>& a,
                 const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (const std::string& x : a) {
    bool found = false;
    for (const std::string& y : b) found = found || dns::SameRdata(type, x, y);
    if (!found) return false;
  }
  return true;
}

}  // namespace

UpdateOutcome ApplyUpdate(const dns::UpdateMessage& msg, const std::string& key,
                          const UpdatePolicy& policy, ZoneTransaction* txn) {
  // §3.2: prerequisites, in order. The value-dependent ones (§2.4.2) are
  // gathered into RRsets and compared after the others, as BIND does.
  std::map<std::pair<std::string, uint16_t>, std::vector<std::string>> equals;
  for (const dns::UpdateRecord& rr : msg.prerequisites) {
    const uint16_t check = dns::CheckPrerequisite(msg, rr);
    if (check != dns::rcode::kNoError)
      return Fail(check, "prerequisite " + Name(rr.owner) + " is malformed");
    const uint8_t* owner = U8(rr.owner);
    switch (dns::KindOfPrerequisite(rr)) {
      case dns::PrerequisiteKind::kNameInUse: {
        auto used = txn->NameInUse(owner);
        if (!used.ok()) return Fail(dns::rcode::kServFail, used.status().message());
        if (!*used) return Fail(dns::rcode::kNXDomain, Name(rr.owner) + " is not in use");
        break;
      }
      case dns::PrerequisiteKind::kNameNotInUse: {
        auto used = txn->NameInUse(owner);
        if (!used.ok()) return Fail(dns::rcode::kServFail, used.status().message());
        if (*used) return Fail(kYXDomain, Name(rr.owner) + " is in use");
        break;
      }
      case dns::PrerequisiteKind::kRRsetExists: {
        auto set = txn->Get(owner, rr.type);
        if (!set.ok()) return Fail(dns::rcode::kServFail, set.status().message());
        if (!set->has_value()) return Fail(kNXRRset, Name(rr.owner) + ": no such RRset");
        break;
      }
      case dns::PrerequisiteKind::kRRsetDoesNotExist: {
        auto set = txn->Get(owner, rr.type);
        if (!set.ok()) return Fail(dns::rcode::kServFail, set.status().message());
        if (set->has_value()) return Fail(kYXRRset, Name(rr.owner) + ": the RRset exists");
        break;
      }
      case dns::PrerequisiteKind::kRRsetEquals: {
        std::string lower = rr.owner;
        dns::LowerName(reinterpret_cast<uint8_t*>(lower.data()));
        equals[{lower, rr.type}].push_back(rr.rdata);
        break;
      }
    }
  }
  for (const auto& [owner_type, rdatas] : equals) {
    auto set = txn->Get(U8(owner_type.first), owner_type.second);
    if (!set.ok()) return Fail(dns::rcode::kServFail, set.status().message());
    if (!set->has_value() || !SameRecords(owner_type.second, (*set)->rdatas, rdatas))
      return Fail(kNXRRset, Name(owner_type.first) + ": the RRset differs");
  }

  // §3.3: the policy, for every update before any is applied.
  for (const dns::UpdateRecord& rr : msg.updates) {
    if (!policy.Allows(key, U8(rr.owner), rr.type))
      return Fail(dns::rcode::kRefused,
                  "the key may not change " + Name(rr.owner) + " type " + std::to_string(rr.type));
  }

  // §3.4.2: the updates, in order.
  UpdateOutcome out;
  for (const dns::UpdateRecord& rr : msg.updates) {
    const uint8_t* owner = U8(rr.owner);
    if (!txn->InZone(owner)) return Fail(kNotZone, Name(rr.owner) + " is outside the zone");
    Result<bool> done = false;
    switch (dns::KindOfUpdate(rr)) {
      case dns::UpdateOp::kAdd: {
        // What an import would refuse is refused: the zone stays one that
        // its own export re-imports (RFC 3403 NAPTR rules, field ranges).
        std::string bad = CheckRecordData(rr.type, U8(rr.rdata), rr.rdata.size());
        if (!bad.empty()) return Fail(dns::rcode::kFormErr, Name(rr.owner) + ": " + bad);
        if (rr.type == dns::type::kNS && owner[0] == 1 && owner[1] == '*')
          return Fail(dns::rcode::kRefused, "NS at a wildcard name " + Name(rr.owner));
        done = txn->Add(owner, rr.type, rr.ttl, rr.rdata);
        break;
      }
      case dns::UpdateOp::kDeleteRRset:
        done = txn->DeleteRRset(owner, rr.type);
        break;
      case dns::UpdateOp::kDeleteAllRRsets:
        done = txn->DeleteRRset(owner, dns::type::kANY);
        break;
      case dns::UpdateOp::kDeleteRR:
        done = txn->DeleteRecord(owner, rr.type, rr.rdata);
        break;
    }
    if (!done.ok()) return Fail(dns::rcode::kServFail, done.status().message());
    if (*done) ++out.changes;
  }
  return out;
}

}  // namespace enumd::zone
