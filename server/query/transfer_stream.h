// TransferStream: the messages of one zone transfer answer (AXFR, RFC 5936;
// IXFR, RFC 1995), built one at a time from a ZoneSnapshot as the
// connection asks for them, so memory stays bounded whatever the zone size:
// the snapshot's iterators, the node being sent (two with longest-match),
// one journal entry for IXFR, and the caller's message buffer.
//
// Content:
//  - AXFR: the SOA, every record of the zone (apex first, then canonical
//    order; glue and names below cuts included; each RRSIG with the TTL of
//    the RRset it covers, zone/record_ttl.h), the SOA again (RFC 5936 §2.2).
//    A `longest_match` zone is sent as its RFC 4592 equivalent
//    (zone/longest_match_equivalent.h), the same records as
//    `enumctl export --longest-match`, so a standard secondary answers as
//    enumd does.
//  - IXFR: the current SOA, then per journal entry from `from_seq` on: the
//    old SOA, the records removed, the new SOA, the records added; the
//    current SOA again (RFC 1995 §4, not condensed).
//  - SOA only: the current SOA alone (RFC 1995 §2, §4: the client is up to
//    date, or IXFR over UDP).
// Messages: the question in the first only (RFC 5936 §2.2.1 allows the
// later ones to omit it, as Knot DNS does); QR, AA (unless `aa` is false),
// RD copied; records fill each message up to `message_size` bytes (BIND's
// transfer-message-size is 20480; fewer, larger messages cost fewer TSIG
// MACs, smaller ones keep memory and latency low) and RRsets may be split
// between messages (RFC 5936 §2.2). An OPT when the request had one. With a
// key, every message is signed (RFC 8945 §5.3.1: BIND and Knot sign each).
//
// Next() is noexcept and reports a store failure (I/O, corruption) as
// kFailed: the connection is then closed, which the client sees as a failed
// transfer (RFC 5936 §2.2: a server that cannot go on closes).
//
// Not thread-safe; one connection uses it from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "dns/constants.h"
#include "dns/tsig_stream.h"
#include "store/node.h"
#include "store/zone_snapshot.h"
#include "zone/longest_match_equivalent.h"
#include "zone/zone_transaction.h"

namespace enumd::query {

class TransferStream {
 public:
  enum class Kind { kAxfr, kIxfr, kSoaOnly };
  static constexpr size_t kFailed = SIZE_MAX;

  struct Options {
    Kind kind = Kind::kAxfr;
    uint16_t id = 0;
    uint16_t flags = 0;  // the request's (RD and CD are copied)
    uint8_t qname[dns::kMaxNameWire] = {0};
    uint16_t qtype = dns::type::kAXFR;
    bool edns = false;            // the request had an OPT: each message gets one
    uint16_t udp_payload = 1232;  // advertised in that OPT
    bool aa = true;
    bool longest_match = false;  // AXFR: send the RFC 4592 equivalent
    uint64_t from_seq = 0;       // IXFR: the first journal entry to send
    size_t message_size = 16384;
    // Sign with `key` (null: unsigned), answering a request whose MAC was
    // `request_mac`; `keep` keeps whatever owns the key alive.
    const dns::TsigKey* key = nullptr;
    std::string request_mac;
    std::shared_ptr<const void> keep;
    // Held while the stream lives (TransferPolicyHolder::TakeTransferSlot).
    std::shared_ptr<void> slot;
  };

  // `origin` is the zone's name (wire) as the answers should spell it.
  // Fails when the zone's apex or SOA cannot be read.
  static Result<std::unique_ptr<TransferStream>> Open(std::unique_ptr<store::ZoneSnapshot> snapshot,
                                                      const std::string& origin, Options options);

  // Writes the next message into `out` (`cap` bytes, up to 65535 used) and
  // returns its length; 0 when every message has been given; kFailed when
  // the stream cannot go on (status() says why).
  size_t Next(uint8_t* out, size_t cap) noexcept;

  const Status& status() const { return status_; }
  uint32_t serial() const { return serial_; }
  uint64_t records() const { return records_; }
  uint64_t messages() const { return messages_; }
  bool done() const { return state_ == State::kDone; }
  Kind kind() const { return options_.kind; }
  // A kSoaOnly answer: one message, which the caller may send as any answer.
  bool single_message() const { return options_.kind == Kind::kSoaOnly; }

 private:
  enum class State { kFirstSoa, kBody, kLastSoa, kDone };
  struct Record {
    const uint8_t* owner;
    uint16_t type;
    uint32_t ttl;
    const uint8_t* rdata;
    uint16_t rdlen;
  };
  // A node to send: its owner and a copy of its value (the iterator's moves
  // on; the equivalent of a longest-match zone may give two per node).
  struct Item {
    uint8_t owner[dns::kMaxNameWire];
    std::string value;
    store::NodeView node;
  };

  TransferStream(std::unique_ptr<store::ZoneSnapshot> snapshot, std::string origin,
                 Options options);
  Status Init();
  size_t Build(uint8_t* out, size_t cap);
  // The record at the cursor (false: none left in this state, or failed_).
  bool Current(Record* r);
  void Advance();
  bool NodeRecord(Record* r);
  bool JournalRecord(Record* r);
  // Loads the next node(s) into items_; false at the end or on an error.
  bool Refill();
  bool NextJournalEntry();
  void Fail(Status st);

  std::unique_ptr<store::ZoneSnapshot> snapshot_;
  std::string origin_;
  Options options_;
  std::unique_ptr<dns::TsigStreamSigner> signer_;
  std::string signed_;  // scratch for signing

  State state_ = State::kFirstSoa;
  bool failed_ = false;
  Status status_;
  uint32_t serial_ = 0;
  uint32_t soa_ttl_ = 0;
  std::string soa_;  // the current SOA's RDATA
  uint64_t records_ = 0;
  uint64_t messages_ = 0;

  // AXFR cursor.
  zone::LongestMatchEquivalent equivalent_;
  Item items_[2];
  int items_used_ = 0;
  int item_ = 0;
  int rrset_ = 0;
  size_t pos_ = 0, next_pos_ = 0;
  bool nodes_done_ = false;

  // IXFR cursor: the entry being sent, its removed then added records (each
  // list with its SOA first).
  zone::JournalDiff diff_;
  bool have_entry_ = false;
  size_t diff_index_ = 0;  // over removed then added
};

}  // namespace enumd::query
