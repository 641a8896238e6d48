// Building a response into a caller-owned fixed buffer, with name
// compression (RFC 1035 §4.1.4) and truncation marks: remember a Mark() before
// an RRset; if any record of it does not fit, Rewind() to the mark (the
// NSD/Knot approach). Never allocates, never throws.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/constants.h"

namespace enumd::dns {

enum class Section { kAnswer = 0, kAuthority = 1, kAdditional = 2 };

class MessageWriter {
 public:
  // `buf` must hold `capacity` bytes; `limit` (<= capacity) is how many of
  // them the message may use (e.g. 512 or the EDNS size over UDP).
  MessageWriter(uint8_t* buf, size_t capacity, size_t limit) noexcept;

  // Writes the 12-byte header (counts 0) and the question; the question name is
  // written as given (client's case) and remembered for compression.
  // Returns false if it does not fit (only possible with absurd limits).
  bool Start(uint16_t id, uint16_t flags, const uint8_t* qname, uint16_t qtype,
             uint16_t qclass) noexcept;
  // Header only, no question (FORMERR for packets whose question is unreadable).
  void StartNoQuestion(uint16_t id, uint16_t flags) noexcept;

  void SetFlags(uint16_t flags) noexcept;   // replaces the flags word
  uint16_t flags() const noexcept;
  void SetRcode(uint16_t rcode) noexcept;   // low 4 bits into the header; the
                                            // upper 8 bits go into OPT by AddOpt
  // Raises the limit (e.g. to reserve space for OPT, lower it first with
  // set_limit and restore it before AddOpt).
  void set_limit(size_t limit) noexcept;
  size_t limit() const noexcept { return limit_; }

  // Offset of the question name in the message (for pointers), always 12.
  static constexpr uint16_t kQnameOffset = 12;

  struct Mark {
    size_t size;
    uint16_t counts[3];
    int compress_entries;
  };
  Mark GetMark() const noexcept;
  void Rewind(const Mark& m) noexcept;

  // Appends one resource record in `section`. `owner` is an uncompressed wire
  // name; it is compressed against names already written. `rdata` is the
  // uncompressed wire RDATA; the domain names inside the RDATA of NS, CNAME,
  // PTR, MX, SOA (the types RFC 3597 §4 allows) are compressed too, all others
  // are copied verbatim. Returns false (and writes nothing) if it does not fit.
  bool AddRR(Section section, const uint8_t* owner, uint16_t type, uint16_t rrclass,
             uint32_t ttl, const uint8_t* rdata, uint16_t rdlen) noexcept;
  // Same, with the owner given as a compression pointer to an earlier offset
  // (e.g. kQnameOffset for "the qname as asked").
  bool AddRRPtr(Section section, uint16_t owner_offset, uint16_t type, uint16_t rrclass,
                uint32_t ttl, const uint8_t* rdata, uint16_t rdlen) noexcept;

  // Appends the OPT pseudo-record (RFC 6891 §6.1.2) to the additional section:
  // owner root, CLASS = udp_size, TTL = ext_rcode<<24 | version<<16 | DO<<15,
  // no options. `ext_rcode` is the upper 8 bits of a 12-bit rcode.
  bool AddOpt(uint16_t udp_size, uint8_t ext_rcode, uint8_t version, bool do_bit) noexcept;

  uint16_t count(Section s) const noexcept { return counts_[static_cast<int>(s)]; }
  size_t size() const noexcept { return size_; }
  // Writes the section counts into the header and returns the message size.
  size_t Finish() noexcept;

 private:
  static constexpr int kMaxCompress = 64;
  bool WriteName(const uint8_t* name) noexcept;  // with compression, records suffixes
  // implementation-defined members below
  uint8_t* buf_;
  size_t capacity_;
  size_t limit_;
  size_t size_ = 0;
  uint16_t counts_[3] = {0, 0, 0};
  uint16_t compress_offsets_[kMaxCompress];
  int compress_entries_ = 0;
};

}  // namespace enumd::dns
