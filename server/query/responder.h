// Responder: query bytes -> response bytes, as BIND 9 and Knot DNS answer for
// the same zones (see README "How enumd answers" for where they differ and
// what we chose). One Responder per worker thread; it owns that worker's
// scratch buffers, so Respond() is allocation-free once they have grown.
//
// Decisions, in one place:
//  - authoritative only: AA on answers from a zone, RA never, RD copied;
//    names in no zone -> REFUSED (RFC 1034 §4.3.2 step 2, no recursion).
//  - positive answers carry no NS in the authority section (BIND's
//    "minimal-responses no-auth", Knot's default); negative answers carry the
//    SOA with TTL min(SOA TTL, SOA MINIMUM) (RFC 2308 §3); referrals carry the
//    cut's NS and in-zone glue.
//  - additional-section processing (RFC 1034 §4.3.2 step 6, RFC 3403 §4.2):
//    NAPTR flag "s" -> the replacement's SRV and the SRV targets' A/AAAA;
//    flag "a" -> the replacement's A/AAAA; other flags add nothing. MX, SRV
//    and NS targets' A/AAAA likewise. Names covered by a wildcard are
//    synthesised; glue at or below a cut is read directly. Added A first,
//    then AAAA, then SRV (as BIND), and the first RRset that does not fit
//    ends the section without TC (RFC 2181 §9).
//  - CNAME chains are followed inside the zone up to 11 restarts (BIND's
//    max-restarts); a loop or a longer chain is SERVFAIL with each CNAME once.
//    A CNAME into a delegation gives the CNAME plus the referral.
//  - truncation: whole RRsets only; TC when an answer or authority RRset
//    does not fit (STYLE.md: marks, rewind).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dns/message_writer.h"
#include "store/zone_store.h"
#include "zone/lookup.h"
#include "zone/zone_table.h"

namespace enumd::query {

struct ResponderOptions {
  uint16_t udp_max_payload = 1232;  // cap on the EDNS size we accept and advertise
  std::string version;              // CH TXT version.bind / id.server; empty = REFUSED
  size_t node_cache_bytes = 0;      // this worker's store::NodeCache; 0 = none
};

struct ResponderStats {
  uint64_t queries = 0;
  uint64_t dropped = 0;
  uint64_t truncated = 0;
  uint64_t servfail = 0;
};

class Responder {
 public:
  Responder(const store::ZoneStore* store, const zone::ZoneRegistry* zones,
            ResponderOptions options);

  // Answers the query in [q, q+len) into out (capacity `cap`, >= 65535 for
  // TCP). Returns the response length, or 0 to send nothing.
  size_t Respond(const uint8_t* q, size_t len, uint8_t* out, size_t cap, bool tcp) noexcept;

  const ResponderStats& stats() const { return stats_; }
  // For the last response: when the query name's data was synthesised from a
  // wildcard, how many bytes of the query name come before the wildcard's
  // parent ("*.<parent>" answered it); else 0. Rate limiting accounts such
  // answers by the wildcard, as BIND does, so random numbers under one
  // wildcard block share one account.
  size_t last_wildcard_skip() const { return last_wildcard_skip_; }

 private:
  struct Context;
  bool AnswerFromZone(Context* c) noexcept;
  bool AddRRset(Context* c, dns::Section section, const uint8_t* owner, bool owner_is_qname,
                const store::RRsetView& rs) noexcept;
  bool AddNegative(Context* c, const zone::Zone& zone) noexcept;
  void AddAdditional(Context* c, const zone::Zone& zone, const store::RRsetView& rs) noexcept;
  bool ReadApex(const zone::Zone& zone, store::NodeView* apex) noexcept;

  const store::ZoneStore* store_;
  const zone::ZoneRegistry* zones_;
  ResponderOptions options_;
  ResponderStats stats_;
  size_t last_wildcard_skip_ = 0;
  zone::LookupScratch scratch_;
  zone::LookupScratch aux_scratch_;  // additional-section lookups
  rocksdb::PinnableSlice apex_;
  store::NodeCache node_cache_;  // shared by scratch_ and aux_scratch_
};

}  // namespace enumd::query
