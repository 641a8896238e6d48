// Building a response into a caller-owned fixed buffer, with name
// compression (RFC 1035 §4.1.4) and truncation marks: remember a Mark() before
// an RRset; if any record of it does not fit, Rewind() to the mark (the
// NSD/Knot approach). Never allocates, never throws.
//
// Records are appended in call order: add all answer records, then authority,
// then additional (the writer does not reorder). Not thread-safe; one writer
// per buffer. Compression (RFC 1035 §4.1.4): each name is matched against the
// names already written (qname, owners, and names in NS/CNAME/PTR/MX/SOA
// RDATA), case-insensitively (RFC 4343) and on whole labels only, and the
// longest shared suffix at an offset < 0x4000 becomes a pointer. Up to
// kMaxCompress name start offsets are remembered (later names are still
// written, and compressed against those, but are not remembered themselves).
// A compressed name takes the case of the copy it points to.
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
  // Returns false if it does not fit (only possible with absurd limits) or
  // qname is not a valid wire name; the writer is then as after
  // StartNoQuestion(id, flags), so a header-only error can still be sent.
  // Start/StartNoQuestion may be called again to reuse the writer.
  bool Start(uint16_t id, uint16_t flags, const uint8_t* qname, uint16_t qtype,
             uint16_t qclass) noexcept;
  // Header only, no question (FORMERR for packets whose question is unreadable).
  // The header is written even if limit < 12; with capacity < 12 nothing is
  // written, size() stays 0 and every other call is a no-op or fails.
  void StartNoQuestion(uint16_t id, uint16_t flags) noexcept;

  void SetFlags(uint16_t flags) noexcept;  // replaces the flags word
  uint16_t flags() const noexcept;
  void SetRcode(uint16_t rcode) noexcept;  // low 4 bits into the header; the
                                           // upper 8 bits go into OPT by AddOpt
  // Raises the limit (e.g. to reserve space for OPT, lower it first with
  // set_limit and restore it before AddOpt). Sets it either way; it is capped
  // at capacity and at kMaxMessage. Lowering it below size() makes every
  // later Add* fail but does not cut what is written.
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
  // uncompressed wire RDATA; the domain names inside the RDATA of the types
  // RFC 3597 §4 allows (NS, MD, MF, CNAME, SOA, MB, MG, MR, PTR, MINFO, MX:
  // rdata_layout.h) are compressed too, all others are copied verbatim.
  // Returns false (and writes nothing) if it does not fit. "Writes nothing"
  // means: size, counts and compression state are as before and bytes at or
  // past limit() are never touched; bytes in [size(), limit()) are scratch
  // and may have changed. RDATA of a compressible type that does not have
  // that type's layout (one name; MX: 2 bytes + name; MINFO: two names; SOA:
  // two names + 20 bytes) is copied verbatim rather than rejected.
  // Also returns false if `owner` is not a valid wire name or no Start*.
  bool AddRR(Section section, const uint8_t* owner, uint16_t type, uint16_t rrclass, uint32_t ttl,
             const uint8_t* rdata, uint16_t rdlen) noexcept;
  // Same, with the owner given as a compression pointer to an earlier offset
  // (e.g. kQnameOffset for "the qname as asked"). The offset must be the
  // start of a name (or of a label of one) already written, >= 12, < size()
  // and < 0x4000; otherwise returns false. The pointer owner is not itself
  // remembered for compression (its target already is, if it was a name
  // written by this writer).
  bool AddRRPtr(Section section, uint16_t owner_offset, uint16_t type, uint16_t rrclass,
                uint32_t ttl, const uint8_t* rdata, uint16_t rdlen) noexcept;

  // Appends the OPT pseudo-record (RFC 6891 §6.1.2) to the additional section:
  // owner root, CLASS = udp_size, TTL = ext_rcode<<24 | version<<16 | DO<<15,
  // no options. `ext_rcode` is the upper 8 bits of a 12-bit rcode.
  bool AddOpt(uint16_t udp_size, uint8_t ext_rcode, uint8_t version, bool do_bit) noexcept;

  // Compression remembers the first kMaxCompress names written (the default:
  // answers are short, and later names repeat their first ones). With a
  // window of n (1..kMaxCompress) it remembers the last n instead, scanned
  // newest first: for long runs of related names, such as a zone transfer in
  // canonical order, where a name shares the most labels with the ones just
  // before it and scanning 64 names per record costs more than it saves
  // (measured: 80% of an AXFR's CPU). The scan stops at a match of all labels
  // but the first. 0 restores the default. Call it right
  // after Start*; it forgets the names remembered so far but the question.
  void set_compress_window(int n) noexcept;

  uint16_t count(Section s) const noexcept { return counts_[static_cast<int>(s)]; }
  size_t size() const noexcept { return size_; }
  // Writes the section counts into the header and returns the message size.
  size_t Finish() noexcept;

 private:
  static constexpr int kMaxCompress = 64;
  static constexpr int kMaxLabels = 128;         // 127 one-byte labels + the root fit 255
  bool WriteName(const uint8_t* name) noexcept;  // with compression, records suffixes
  void Remember(size_t offset) noexcept;         // a name start for later compression
  // implementation-defined members below
  // Appends `len` raw bytes if they fit within limit_.
  bool Append(const uint8_t* data, size_t len) noexcept;
  // TYPE, CLASS, TTL, RDLENGTH and RDATA (names compressed where allowed).
  bool WriteRRBody(uint16_t rrtype, uint16_t rrclass, uint32_t ttl, const uint8_t* rdata,
                   uint16_t rdlen) noexcept;
  // Message offsets of the labels of the name written at `offset`, following
  // pointers; returns the label count (root excluded) or -1 if malformed.
  int StoredLabels(uint16_t offset, uint16_t* labels) const noexcept;
  // StoredLabels of the name at kQnameOffset (the question's), kept from its
  // first use until the bytes there may change (Start*, Rewind): a negative
  // answer compares each name of its SOA with it (perf: re-reading the
  // question's labels per name was 2% of a flood of NXDOMAINs).
  const uint16_t* QnameLabels(int* count) noexcept;
  uint16_t qname_labels_[kMaxLabels];
  int qname_label_count_ = -2;  // -2: not read yet
  uint8_t* buf_;
  size_t capacity_;
  size_t limit_;
  size_t size_ = 0;
  uint16_t counts_[3] = {0, 0, 0};
  uint16_t compress_offsets_[kMaxCompress];
  int compress_entries_ = 0;
  int window_ = 0;  // 0: the first kMaxCompress names; else a ring of the last window_
};

}  // namespace enumd::dns
