// Responder: query bytes -> response bytes, as BIND 9 and Knot DNS answer for
// the same zones (see README "How enumd answers" for where they differ and
// what we chose). One Responder per worker thread; it owns that worker's
// scratch buffers, so Respond() is allocation-free once they have grown.
//
// Decisions, in one place:
//  - authoritative only: AA on answers from a zone, RA never, RD copied;
//    names in no zone -> REFUSED (RFC 1034 §4.3.2 step 2, no recursion).
//    QCLASS * or NONE -> FORMERR, as BIND; other classes but IN/CH -> REFUSED.
//  - a DS query for the apex of a zone is answered from the served zone
//    above it, if any (RFC 4035 §3.1.4.1), as BIND and Knot DNS do.
//  - each RRSIG has the TTL of the RRset it covers (RFC 4034 §3).
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
//    does not fit (STYLE.md: marks, rewind). Over TCP (65,535 bytes) an
//    answer that still does not fit is SERVFAIL, as Knot DNS answers: an
//    empty NOERROR would read "no route for this number" to a SIP proxy.
//  - a store read that fails (I/O error, checksum mismatch, damaged data) is
//    SERVFAIL, never NXDOMAIN or "no wildcard"; TakeError() reports it.
//  - every query is one read section of the zone registry's EpochDomain:
//    the zone table and store generation it reads stay alive until it ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/epoch.h"
#include "dns/constants.h"
#include "dns/message_writer.h"
#include "query/rrl.h"
#include "store/zone_store.h"
#include "zone/lookup.h"
#include "zone/zone_table.h"

namespace enumd::query {

struct ResponderOptions {
  uint16_t udp_max_payload = 1232;  // cap on the EDNS size we accept and advertise
  std::string version;              // CH TXT version.bind / id.server; empty = REFUSED
  size_t node_cache_bytes = 0;      // this worker's store::NodeCache; 0 = none
};

// What the last Respond() call decided, for statistics (server/metrics
// counts it per worker): read from the parsed query and the finished answer,
// so nothing is parsed twice.
struct ResponseInfo {
  bool sent = false;          // false: dropped (QR set, shorter than a header)
  bool has_question = false;  // qtype is the question's
  uint16_t qtype = 0;
  uint8_t opcode = 0;
  uint16_t rcode = 0;  // extended: BADVERS is 16
  bool edns = false;   // the query had a valid OPT (so does the answer)
  bool do_bit = false;
  bool truncated = false;  // TC set
  int zone = -1;           // the zone's metrics_id; -1: answered from no zone
  bool tsig = false;  // the query carries a TSIG RR: the answer must be signed (signed_answer.h)
};

struct ResponderStats {
  uint64_t queries = 0;
  uint64_t dropped = 0;
  uint64_t truncated = 0;
  uint64_t servfail = 0;
  uint64_t store_errors = 0;  // reads that failed (I/O, corruption, damaged data)
  uint64_t oversize = 0;      // answers that do not fit 65,535 bytes even over TCP
};

// Why a query was answered SERVFAIL because of the data: the store failed,
// or an RRset is too big for any DNS message. Kept in fixed storage so that
// recording it does not allocate; the owner logs it off the query path.
struct ServeError {
  bool set = false;
  bool oversize = false;            // else a store error
  uint8_t zone[dns::kMaxNameWire];  // zone origin (wire)
  uint8_t name[dns::kMaxNameWire];  // the name being answered (wire)
  char reason[192];
};

class Responder {
 public:
  Responder(const store::ZoneStore* store, const zone::ZoneRegistry* zones,
            ResponderOptions options);

  // Answers the query in [q, q+len) into out (capacity `cap`, >= 65535 for
  // TCP). Returns the response length, or 0 to send nothing.
  size_t Respond(const uint8_t* q, size_t len, uint8_t* out, size_t cap, bool tcp) noexcept;
  // Queries Respond will answer next, in turn (a batch read at once): asks
  // the memory for what the node cache will read for their names -- the
  // slots of every name, then the record of each name cached, then, for the
  // names it knows are absent, what their closest-encloser searches read
  // (the searches run ahead, a step of each in turn) -- so that the batch's
  // waits overlap. Only a hint: Respond depends on none of it.
  void Prefetch(const uint8_t* const* queries, const size_t* lens, size_t n) noexcept;

  const ResponderStats& stats() const { return stats_; }
  // The first SERVFAIL caused by the data since the last call, if any
  // (returns false when there was none); clears it.
  bool TakeError(ServeError* out) noexcept;
  // For the last response: when the query name's data was synthesised from a
  // wildcard, how many bytes of the query name come before the wildcard's
  // parent ("*.<parent>" answered it); else 0. Rate limiting accounts such
  // answers by the wildcard, as BIND does, so random numbers under one
  // wildcard block share one account.
  size_t last_wildcard_skip() const { return last_wildcard_skip_; }
  // The last response as RRL accounts it (class, type, accounting name),
  // from the answer as it was decided rather than read back from the bytes
  // (NSD's answer plan): the name points into the response or into the
  // description itself. Valid until the next Respond.
  const RrlResponse& last_response() const { return last_response_; }
  // What the last response was, for the metrics (ResponseInfo).
  const ResponseInfo& last_info() const { return last_info_; }
  // Where a loaded node cache is offered to this responder (null: never):
  // it takes it over before its next query (CacheWarmer).
  void set_cache_handoff(store::CacheHandoff* handoff) { handoff_ = handoff; }
  // Where the node cache counts its hits and misses (null: nowhere).
  void set_cache_counters(Counter* hits, Counter* misses) {
    node_cache_.set_counters(hits, misses);
  }

 private:
  struct Context;
  // Fills last_response_ for the response `w` holds (rcode `rcode`).
  void Describe(const Context& c, const dns::MessageWriter& w, uint16_t rcode, uint8_t ext_rcode,
                const uint8_t* out) noexcept;
  size_t RespondInside(const uint8_t* q, size_t len, uint8_t* out, size_t cap, bool tcp) noexcept;
  bool AnswerFromZone(Context* c) noexcept;
  // `node`, when given, is the node `rs` comes from: RRSIGs take their TTLs
  // from it (zone/record_ttl.h).
  bool AddRRset(Context* c, dns::Section section, const uint8_t* owner, bool owner_is_qname,
                const store::RRsetView& rs, const store::NodeView* node = nullptr) noexcept;
  bool AddNegative(Context* c, const zone::Zone& zone) noexcept;
  void AddAdditional(Context* c, const zone::Zone& zone, const store::RRsetView& rs) noexcept;
  bool ReadApex(const zone::Zone& zone, store::NodeView* apex) noexcept;
  // Remembers the first data error since the last TakeError.
  void RecordError(const zone::Zone& zone, const uint8_t* name, bool oversize,
                   const char* reason) noexcept;

  const store::ZoneStore* store_;
  const zone::ZoneRegistry* zones_;
  const zone::ZoneTable* table_ = nullptr;  // during Respond: the table it answers from
  ResponderOptions options_;
  ResponderStats stats_;
  size_t last_wildcard_skip_ = 0;
  RrlResponse last_response_;
  ResponseInfo last_info_;
  zone::LookupScratch scratch_;
  zone::LookupScratch aux_scratch_;  // additional-section lookups
  rocksdb::PinnableSlice apex_;
  store::NodeCache node_cache_;  // shared by scratch_ and aux_scratch_
  store::CacheHandoff* handoff_ = nullptr;
  // The closest encloser each name of the last Prefetch batch that the
  // cache knows is absent had there (its search run ahead to the end), by
  // the query's datagram: Respond hands its own to the lookup of its qname
  // (zone::LookupScratch::encloser_hint), which confirms it with two reads.
  struct EncloserAhead {
    const uint8_t* query;
    uint32_t gen;
    int labels;
  };
  static constexpr size_t kMostAhead = 32;  // queries of a batch prefetched
  EncloserAhead enclosers_[kMostAhead];
  size_t encloser_count_ = 0;
  const EncloserAhead* encloser_ = nullptr;  // during Respond: this query's, if any
  EpochReader reader_;                       // read sections over zones_'s tables
  ServeError error_;
};

}  // namespace enumd::query
