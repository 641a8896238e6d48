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

// The in-zone targets of the apex NS RRset as the transaction sees it.
Result<std::vector<std::string>> InZoneNsTargets(ZoneTransaction* txn) {
  std::vector<std::string> out;
  auto ns = txn->Get(U8(txn->origin()), dns::type::kNS);
  if (!ns.ok()) return ns.status();
  if (!ns->has_value()) return out;
  for (const std::string& rd : (*ns)->rdatas) {
    if (dns::WireNameLength(U8(rd), rd.size()) != rd.size()) continue;  // not a name
    if (txn->InZone(U8(rd))) out.push_back(rd);
  }
  return out;
}

// Whether every in-zone target of the apex NS RRset has an A or AAAA record:
// the check behind BIND's "post update name server sanity check" (its
// check-integrity, on by default for a primary).
Result<bool> NsTargetsHaveAddresses(ZoneTransaction* txn) {
  auto targets = InZoneNsTargets(txn);
  if (!targets.ok()) return targets.status();
  for (const std::string& t : *targets) {
    bool found = false;
    for (uint16_t type : {dns::type::kA, dns::type::kAAAA}) {
      auto set = txn->Get(U8(t), type);
      if (!set.ok()) return set.status();
      found = found || set->has_value();
    }
    if (!found) return false;
  }
  return true;
}

// Whether the update section can change what NsTargetsHaveAddresses says:
// it touches the apex NS RRset, or the addresses (or a CNAME) of a target.
bool TouchesNsTargets(const dns::UpdateMessage& msg, const std::string& origin,
                      const std::vector<std::string>& targets) {
  for (const dns::UpdateRecord& rr : msg.updates) {
    const uint16_t t = rr.type;
    if (dns::NameEqual(U8(rr.owner), U8(origin)) && (t == dns::type::kNS || t == dns::type::kANY))
      return true;
    if (t != dns::type::kA && t != dns::type::kAAAA && t != dns::type::kCNAME &&
        t != dns::type::kANY)
      continue;
    for (const std::string& target : targets)
      if (dns::NameEqual(U8(rr.owner), U8(target))) return true;
  }
  return false;
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
    if (dns::KindOfUpdate(rr) == dns::UpdateOp::kDeleteAllRRsets && !key.empty() &&
        !policy.rules.empty()) {
      // Deleting a whole name asks for every type it holds now, as BIND
      // checks it (each existing RRset against the rules; nothing held:
      // nothing to refuse).
      auto held = txn->GetAll(U8(rr.owner));
      if (!held.ok()) return Fail(dns::rcode::kServFail, held.status().message());
      for (const auto& [type, set] : *held) {
        if (!policy.Allows(key, U8(rr.owner), type))
          return Fail(dns::rcode::kRefused,
                      "the key may not delete " + Name(rr.owner) + " type " + std::to_string(type));
      }
      continue;
    }
    if (!policy.Allows(key, U8(rr.owner), rr.type))
      return Fail(dns::rcode::kRefused,
                  "the key may not change " + Name(rr.owner) + " type " + std::to_string(rr.type));
  }

  // BIND refuses an update after which an in-zone name server of the apex
  // has no address (REFUSED, "post update name server sanity check
  // failed"); enumd answers the same. Only when the check held before:
  // import refuses such a zone, but a store already in that state must not
  // refuse every later update.
  bool check_ns = false;
  {
    auto targets = InZoneNsTargets(txn);
    if (!targets.ok()) return Fail(dns::rcode::kServFail, targets.status().message());
    if (TouchesNsTargets(msg, txn->origin(), *targets)) {
      auto held = NsTargetsHaveAddresses(txn);
      if (!held.ok()) return Fail(dns::rcode::kServFail, held.status().message());
      check_ns = *held;
    }
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
        // An NS at a wildcard name is ignored, as BIND ignores it ("attempt
        // to add wildcard NS record ignored"): RFC 4592 §4.2 leaves such a
        // cut undefined.
        if (rr.type == dns::type::kNS && owner[0] == 1 && owner[1] == '*') break;
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
  if (check_ns && out.changes > 0) {
    auto holds = NsTargetsHaveAddresses(txn);
    if (!holds.ok()) return Fail(dns::rcode::kServFail, holds.status().message());
    if (!*holds)
      return Fail(dns::rcode::kRefused, "an in-zone name server of the apex would have no address");
  }
  return out;
}

}  // namespace enumd::zone
