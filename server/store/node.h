// Node values: everything the zone holds at one name, in one RocksDB value, in
// DNS wire form so the query path copies bytes and never parses text.
//
//   byte 0      format version (kNodeFormat)
//   byte 1      flags (kNodeApex, kNodeDelegation, kNodeBelowCut)
//   byte 2      when kNodeBelowCut: label count (relative to the origin) of the
//               zone cut above this name, else 0
//   byte 3      number of RRsets (0 for an empty non-terminal)
//   RRsets, sorted by type:
//     u16 type, u32 ttl, u16 record count, then per record: u16 rdlen, rdata
//   (all integers big-endian; rdata uncompressed, names as written in the zone)
//
// An empty non-terminal (RFC 4592 §2.2.2) is a node with no RRsets: it exists.
// NodeView parses without copying or allocating; NodeWriter builds values on
// admin paths (import, updates).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace enumd::store {

inline constexpr uint8_t kNodeFormat = 1;
inline constexpr uint8_t kNodeApex = 0x01;        // the zone origin
inline constexpr uint8_t kNodeDelegation = 0x02;  // NS below the apex: a zone cut
inline constexpr uint8_t kNodeBelowCut = 0x04;    // glue or occluded data under a cut

// One RRset inside a node value; `data` holds `count` (u16 rdlen, rdata) pairs.
struct RRsetView {
  uint16_t type = 0;
  uint32_t ttl = 0;
  uint16_t count = 0;
  const uint8_t* data = nullptr;
  size_t size = 0;

  // Iterates the records: `pos` starts at 0; returns false at the end.
  bool NextRdata(size_t* pos, const uint8_t** rdata, uint16_t* rdlen) const noexcept;
};

class NodeView {
 public:
  // Validates the whole value; false if it is malformed (never trust bytes).
  bool Parse(const uint8_t* data, size_t size) noexcept;
  bool Parse(std::string_view v) noexcept {
    return Parse(reinterpret_cast<const uint8_t*>(v.data()), v.size());
  }

  uint8_t flags() const noexcept { return flags_; }
  int cut_labels() const noexcept { return cut_labels_; }
  int rrset_count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }

  bool Find(uint16_t type, RRsetView* out) const noexcept;
  // The i-th RRset (0 <= i < rrset_count()), in type order.
  bool At(int i, RRsetView* out) const noexcept;

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  uint8_t flags_ = 0;
  int cut_labels_ = 0;
  int count_ = 0;
};

// Builds a node value. RRsets must be added in ascending type order.
class NodeWriter {
 public:
  explicit NodeWriter(uint8_t flags = 0, int cut_labels = 0);
  void BeginRRset(uint16_t type, uint32_t ttl);
  void AddRdata(std::string_view rdata);
  // The finished value (valid until the writer changes).
  const std::string& Finish();

 private:
  std::string buf_;
  size_t count_pos_ = 0;  // offset of the current RRset's record count
};

}  // namespace enumd::store
