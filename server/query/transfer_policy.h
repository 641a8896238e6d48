// TransferPolicy: who may transfer which zone (AXFR/IXFR out, RFC 5936 §6:
// "servers MUST ... restrict zone transfers"), and the TSIG keys to check
// and sign with. As BIND's allow-transfer and Knot's acl:
//  - a zone without keys and without prefixes may be transferred by nobody
//    (REFUSED), the default of both;
//  - a request is admitted if it is signed (and verified, RFC 8945) by one
//    of the zone's keys, or comes from an address in one of its prefixes,
//    whether signed or not (BIND's ACL `{ key K; 192.0.2.0/24; }`: either
//    element admits).
// The daemon builds a new TransferPolicy on start and reload and swaps it in
// whole (TransferPolicyHolder); a transfer in progress keeps the one it
// started with, so a key it signs with cannot go away under it.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dns/tsig_key.h"
#include "zone/update_policy.h"

namespace enumd::query {

struct TransferAcl {
  std::vector<std::string> keys;              // key names, wire, lower-case
  std::vector<zone::UpdatePrefix> addresses;  // client prefixes
  std::vector<std::string> notify;            // "address" or "address#port": NOTIFY targets

  // Whether a request verified with key `key` (wire, lower-case; "" =
  // unsigned) from `peer` may transfer the zone.
  bool Admits(const std::string& key, const sockaddr* peer) const;
};

// A secondary zone's primary, as NOTIFY in sees it (RFC 1996 §3.10: a
// NOTIFY is taken only from a primary of the zone).
struct NotifySource {
  zone::UpdatePrefix address;  // the primary's address (a /32 or /128); any port
  std::string key;             // wire, lower-case; "" = unsigned NOTIFYs accepted
};

struct TransferPolicy {
  dns::TsigKeyRing keys;
  std::map<std::string, TransferAcl, std::less<>> zones;  // by origin, wire, lower-case
  // Secondary zones (zones[].primaries) by origin, wire, lower-case.
  std::map<std::string, std::vector<NotifySource>, std::less<>> primaries;
  // Called from a query thread with the origin (wire, lower-case) of a
  // secondary zone whose NOTIFY was accepted: check the primary now.
  std::function<void(const std::string&)> on_notify;

  // The zone's ACL, or null (nobody may transfer it).
  const TransferAcl* Find(std::string_view origin_lower) const;
  // Most transfers streamed at once, over all zones (BIND's transfers-out).
  uint32_t max_out = 10;
  // Whether a NOTIFY for the secondary zone `origin_lower`, verified with
  // `key` ("" = unsigned) from `peer`, comes from one of its primaries (and
  // signed with that primary's key when it has one).
  bool AcceptsNotify(std::string_view origin_lower, const std::string& key,
                     const sockaddr* peer) const;
};

// The policy in force. Thread-safe: handlers Get() it once per transfer
// request; the daemon Set()s a new one on reload.
class TransferPolicyHolder {
 public:
  TransferPolicyHolder() : policy_(std::make_shared<TransferPolicy>()) {}
  void Set(std::shared_ptr<const TransferPolicy> policy);
  std::shared_ptr<const TransferPolicy> Get() const;

  // A place among the transfers streamed at once: null when `max` are
  // already going; otherwise the place is given back when the last copy of
  // the pointer goes (the stream ends). The holder outlives every stream.
  std::shared_ptr<void> TakeTransferSlot(uint32_t max) const;
  uint32_t transfers_out() const { return active_.load(std::memory_order_relaxed); }

 private:
  mutable std::atomic<uint32_t> active_{0};  // places taken, not the policy
  mutable std::mutex mu_;
  std::shared_ptr<const TransferPolicy> policy_;
};

}  // namespace enumd::query
