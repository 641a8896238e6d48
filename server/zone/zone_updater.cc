// See zone_updater.h: enumctl's add and del, each one ZoneTransaction.
#include "zone/zone_updater.h"

#include <ctime>

#include "dns/canonical_rdata.h"
#include "dns/constants.h"
#include "zone/zone_transaction.h"

namespace enumd::zone {

namespace {

Status CheckShape(uint16_t type) {
  if (type == dns::type::kSOA || type == dns::type::kNS)
    return Status::Error("SOA and NS records change the zone's shape: re-import the zone");
  return Status::OK();
}

Result<std::unique_ptr<ZoneTransaction>> Begin(store::ZoneStore* store, std::string_view origin,
                                               const uint8_t* owner) {
  auto txn = ZoneTransaction::Begin(store, origin);
  if (!txn.ok()) return txn.status();
  if (!(*txn)->InZone(owner)) return Status::Error("the name is outside the zone");
  return txn;
}

Status Commit(ZoneTransaction* txn) {
  auto r = txn->Commit(SerialPolicy::kIncrement, time(nullptr), store::JournalLimits());
  return r.ok() ? Status::OK() : r.status();
}

}  // namespace

Status AddRecord(store::ZoneStore* store, std::string_view origin, const uint8_t* owner,
                 uint16_t type, uint32_t ttl, std::string_view rdata) {
  Status st = CheckShape(type);
  if (!st.ok()) return st;
  auto txn = Begin(store, origin, owner);
  if (!txn.ok()) return txn.status();
  // enumctl says why a record is not added, where an UPDATE ignores it.
  auto existing = (*txn)->GetAll(owner);
  if (!existing.ok()) return existing.status();
  const bool cname = existing->count(dns::type::kCNAME) > 0;
  if (type == dns::type::kCNAME && cname) {
    if (dns::SameRdata(type, existing->at(type).rdatas.at(0), rdata)) return Status::OK();
    return Status::Error("the name already has a CNAME");
  }
  if (type == dns::type::kCNAME ? !existing->empty() : cname)
    return Status::Error("a CNAME cannot stand beside other data (RFC 1034 §3.6.2)");
  auto added = (*txn)->Add(owner, type, ttl, rdata);
  if (!added.ok()) return added.status();
  return Commit(txn->get());
}

Result<uint64_t> DeleteRecords(store::ZoneStore* store, std::string_view origin,
                               const uint8_t* owner, uint16_t type) {
  if (type != 0) {
    Status st = CheckShape(type);
    if (!st.ok()) return st;
  }
  auto txn = Begin(store, origin, owner);
  if (!txn.ok()) return txn.status();
  auto before = (*txn)->GetAll(owner);
  if (!before.ok()) return before.status();
  auto deleted = (*txn)->DeleteRRset(owner, type == 0 ? dns::type::kANY : type);
  if (!deleted.ok()) return deleted.status();
  if (!*deleted) return uint64_t{0};
  auto after = (*txn)->GetAll(owner);
  if (!after.ok()) return after.status();
  uint64_t removed = 0;
  for (const auto& [t, set] : *before) removed += set.rdatas.size();
  for (const auto& [t, set] : *after) removed -= set.rdatas.size();
  Status st = Commit(txn->get());
  if (!st.ok()) return st;
  return removed;
}

}  // namespace enumd::zone
