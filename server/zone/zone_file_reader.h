// Streaming reader of BIND master files (RFC 1035 §5, BIND extensions): yields
// one record at a time in wire form, so memory stays bounded whatever the file
// size. ldns converts each record's text to wire; this reader does everything
// ldns 1.8.3's zone parser gets wrong or lacks: $INCLUDE (relative to the
// including file), $ORIGIN relative to the current origin, $TTL, omitted
// owner/TTL/class, ( ) continuation, comments, and strict escape checks.
// Not thread-safe; used by import and check paths only (may allocate, no throw).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "dns/constants.h"

namespace enumd::zone {

struct ZoneRecord {
  uint8_t owner[dns::kMaxNameWire];  // absolute, uncompressed, case as written
  size_t owner_len = 0;
  uint16_t type = 0;
  uint16_t rrclass = 0;
  uint32_t ttl = 0;
  std::string rdata;                  // uncompressed wire RDATA
  const std::string* file = nullptr;  // file the record came from (owned by the reader)
  size_t line = 0;                    // 1-based line where the record starts
  bool generated = false;             // made by $GENERATE (BIND skips check-names on those)
};

class ZoneFileReader {
 public:
  ZoneFileReader();
  ~ZoneFileReader();
  ZoneFileReader(const ZoneFileReader&) = delete;
  ZoneFileReader& operator=(const ZoneFileReader&) = delete;

  // Opens `path`. `origin_text` is the zone origin ("e164.arpa." or empty).
  // When empty, the origin is the first $ORIGIN before any record, else the
  // owner of the first record if it is an SOA with an absolute owner; anything
  // else is an error ("FILE:LINE: no origin ...").
  Status Open(const std::string& path, const std::string& origin_text);

  enum class Next { kRecord, kEnd, kError };
  // Reads the next record into *rec. On kError, error() says "FILE:LINE: reason".
  Next Read(ZoneRecord* rec);
  const Status& error() const;

  // The zone origin in wire form (valid after a successful Open()).
  const std::string& origin_wire() const;

  // Things read differently from what the file says, as BIND does with a
  // warning (a TTL over 2^31-1 read as 0; no TTL anywhere, so the SOA's
  // minimum): their number, and the first 100 as "FILE:LINE: what".
  uint64_t warning_count() const;
  const std::vector<std::string>& warnings() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A record type's mnemonic as in a zone file (any case; "TYPE123" too) as
// its number, or 0 when unknown.
uint16_t RecordTypeFromText(std::string_view name);

// Record-level checks that do not need the rest of the zone (RFC 3403/3402 for
// NAPTR; field ranges). Returns an empty string when fine, else the reason.
std::string CheckRecordData(uint16_t type, const uint8_t* rdata, size_t rdlen);

}  // namespace enumd::zone
