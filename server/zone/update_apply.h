// RFC 2136 §3.2-§3.4 against a zone: the prerequisites of a parsed UPDATE,
// in section order, each checked (dns::CheckPrerequisite) and then evaluated
// against the zone as the transaction sees it; then the policy (who may
// change what); then the updates, in order, through a ZoneTransaction. The
// rcode says what to answer; on anything but NOERROR the transaction holds
// changes that must not be committed (the caller drops it). As BIND 9.18:
// an NS at a wildcard name is ignored, and an update after which an in-zone
// name server of the apex has no A or AAAA record is REFUSED (BIND's post-
// update name server check). Admin path (the writer thread).
#pragma once

#include <cstdint>
#include <string>

#include "dns/update_message.h"
#include "zone/update_policy.h"
#include "zone/zone_transaction.h"

namespace enumd::zone {

struct UpdateOutcome {
  uint16_t rcode = 0;  // NOERROR, or YXDOMAIN, NXDOMAIN, YXRRSET, NXRRSET, NOTZONE,
                       // FORMERR, REFUSED, SERVFAIL
  std::string reason;  // for the log, when not NOERROR
  size_t changes = 0;  // update records that changed the zone
};

// Applies `msg` (parsed; its zone is txn's) as signed by `key` (wire,
// lower-case; "" = unsigned) under `policy`. The prescan and the admission
// (UpdatePolicy::Admits) are the caller's, before this.
UpdateOutcome ApplyUpdate(const dns::UpdateMessage& msg, const std::string& key,
                          const UpdatePolicy& policy, ZoneTransaction* txn);

}  // namespace enumd::zone
