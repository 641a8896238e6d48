// IncomingTransfer: one zone transfer as a secondary receives it -- the
// answer to an AXFR (RFC 5936) or IXFR (RFC 1995) request -- checked message
// by message as it arrives, kept in wire form until it is whole (in memory,
// or beyond a few MB in an unnamed temporary file: MessageSpool), then
// written into the store:
//  - an AXFR, or an IXFR answered AXFR-style (RFC 1995 §4: the whole zone),
//    becomes a new version of the zone through the importer (every check an
//    import makes; the served version stays until the new one is whole);
//  - an incremental IXFR is applied one difference sequence at a time, each
//    as one ZoneTransaction (one atomic store batch with its journal entry,
//    as an UPDATE), so enumd can serve IXFR to its own secondaries.
//
// The answer's structure (RFC 5936 §2.2, RFC 1995 §4): it starts with the
// zone's SOA (the primary's serial S). An IXFR answer that is that SOA alone,
// S not newer (RFC 1982) than the serial asked from, means up to date. An
// IXFR answer whose second record is an SOA is incremental: sequences of
// [SOA old, deletions, SOA new, additions], the first old serial the one
// asked from, each next one starting where the last ended, and a last SOA of
// serial S. Anything else ends with the SOA of serial S again (AXFR-style).
// What Add refuses, with the reason: a first record that is not the zone's
// SOA, a record outside the zone or of a class other than IN, an SOA not at
// the apex, a final SOA with another serial, a sequence that does not start
// where the last one ended, records after the final SOA.
//
// Not thread-safe; admin path (it allocates and may be slow).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/zone_store.h"
#include "zone/message_spool.h"
#include "zone/zone_transaction.h"

namespace enumd::zone {

class IncomingTransfer {
 public:
  enum class Kind {
    kPending,   // no record yet
    kUpToDate,  // IXFR: the primary has nothing newer
    kFull,      // AXFR, or IXFR answered AXFR-style
    kIncremental
  };

  // `origin`: the zone (wire, any case). `ixfr_from`: the serial an IXFR
  // asked from; nullopt for an AXFR. `what` names the transfer in messages
  // ("AXFR of e164.arpa. from 192.0.2.1#53"). `spool_dir`: where the
  // messages go once they pass `spool_memory` bytes ("" = $TMPDIR, else
  // /tmp; enumd uses the store's directory).
  IncomingTransfer(std::string origin, std::optional<uint32_t> ixfr_from, std::string what,
                   std::string spool_dir = "", size_t spool_memory = size_t{16} << 20);

  // The next message of the answer (`len` bytes, the whole message; the
  // caller has checked its header and TSIG): its answer records are checked
  // and the message kept. Fails on the first record that breaks the
  // structure above, or when the message cannot be kept (a full disk): the
  // reason, without what(); later calls fail too.
  Status Add(const uint8_t* msg, size_t len);

  bool done() const { return state_ == State::kDone; }
  Kind kind() const { return kind_; }
  uint32_t serial() const { return serial_; }  // the primary's (first SOA); valid after a record
  uint64_t bytes() const { return bytes_; }
  uint64_t records() const { return records_; }
  size_t messages() const { return spool_.size(); }
  bool spilled() const { return spool_.spilled(); }  // the messages went to a file
  const std::string& what() const { return what_; }

  struct Applied {
    uint32_t old_serial = 0, new_serial = 0;
    uint64_t sequences = 0;  // incremental: differences applied
    store::ZoneMeta meta;    // the zone after it
  };
  struct ApplyOptions {
    std::string temp_dir;                       // the importer's spill directory
    const std::atomic<bool>* cancel = nullptr;  // see ImportOptions::cancel
    store::JournalLimits journal;
    int64_t now = 0;  // Unix time (journal entries)
  };
  // Writes a done() transfer into `store` (writer thread). A full one is a
  // new version, keeping the previous generation for readers (see
  // ImportOptions::keep_previous; *previous_generation gets it). An
  // incremental one fails on a deletion of a record the zone does not have,
  // or a sequence that does not start at the zone's serial: the sequences
  // before it stay applied (each is a whole version of the primary's), and
  // the caller should transfer the zone whole.
  Result<Applied> Apply(store::ZoneStore* store, const ApplyOptions& options,
                        uint32_t* previous_generation = nullptr) const;

 private:
  enum class State { kFirst, kSecond, kBody, kDeletes, kAdds, kDone, kFailed };
  struct Record;
  class Cursor;
  class Source;
  Status Feed(const Record& r);
  Status Fail(const std::string& why);
  Result<Applied> ApplyIncremental(store::ZoneStore* store, const ApplyOptions& options) const;

  std::string origin_;  // wire, lower-case
  std::optional<uint32_t> ixfr_from_;
  std::string what_;
  MessageSpool spool_;
  State state_ = State::kFirst;
  Kind kind_ = Kind::kPending;
  uint32_t serial_ = 0;
  uint32_t seq_new_ = 0;  // incremental: the serial the current sequence reaches
  uint64_t bytes_ = 0, records_ = 0;
  Status failed_;
};

}  // namespace enumd::zone
