// Response encoding into a fixed buffer. Invariants:
//  - nothing is ever written at or past limit_ (nor past capacity_);
//  - buf_[0, size_) is always a well-formed prefix of a message (header,
//    question, whole records); the counts in the header are written by Finish;
//  - compress_offsets_[0, compress_entries_) are start offsets (< 0x4000, in
//    increasing order) of names written in full or in part into buf_[0, size_);
//    every suffix of those names is a legal compression target. With a
//    compression window, the last min(compress_entries_, window_) names are
//    in a ring (slot compress_entries_ % window_ is the next), and a slot
//    holding 0 is empty.
#include "dns/message_writer.h"

#include <algorithm>
#include <cstring>

#include "common/byte_order.h"
#include "dns/name.h"
#include "dns/rdata_layout.h"

namespace enumd::dns {
namespace {

constexpr size_t kMaxPointer = 0x3FFF;  // 14-bit offsets (RFC 1035 §4.1.4)

// Offset inside SRV or NAPTR RDATA of its (uncompressed, non-root) target
// name when the RDATA is well formed and the name ends it; 0 otherwise.
size_t UncompressedNameOffset(uint16_t rrtype, const uint8_t* rdata, size_t rdlen) noexcept {
  size_t pos;
  if (rrtype == type::kSRV) {
    pos = 6;  // priority, weight, port
  } else if (rrtype == type::kNAPTR) {
    pos = 4;                                                            // order, preference
    for (int i = 0; i < 3 && pos < rdlen; ++i) pos += 1u + rdata[pos];  // flags, services, regexp
  } else {
    return 0;
  }
  if (pos >= rdlen || rdata[pos] == 0) return 0;
  return WireNameLength(rdata + pos, rdlen - pos) == rdlen - pos ? pos : 0;
}

}  // namespace

MessageWriter::MessageWriter(uint8_t* buf, size_t capacity, size_t limit) noexcept
    : buf_(buf), capacity_(capacity), limit_(0) {
  set_limit(limit);
}

void MessageWriter::set_limit(size_t limit) noexcept {
  if (limit > capacity_) limit = capacity_;
  if (limit > kMaxMessage) limit = kMaxMessage;
  limit_ = limit;
}

void MessageWriter::StartNoQuestion(uint16_t id, uint16_t flags) noexcept {
  size_ = 0;
  counts_[0] = counts_[1] = counts_[2] = 0;
  compress_entries_ = 0;
  qname_label_count_ = -2;
  if (capacity_ < kHeaderSize) return;  // nothing can be written at all
  std::memset(buf_, 0, kHeaderSize);
  Store16(buf_, id);
  Store16(buf_ + 2, flags);
  size_ = kHeaderSize;
}

bool MessageWriter::Start(uint16_t id, uint16_t flags, const uint8_t* qname, uint16_t qtype,
                          uint16_t qclass) noexcept {
  StartNoQuestion(id, flags);
  if (size_ == 0) return false;
  const size_t name_len = WireNameLength(qname, kMaxNameWire);
  if (name_len == 0 || kHeaderSize + name_len + 4 > limit_) return false;
  std::memcpy(buf_ + kHeaderSize, qname, name_len);
  Store16(buf_ + kHeaderSize + name_len, qtype);
  Store16(buf_ + kHeaderSize + name_len + 2, qclass);
  Store16(buf_ + 4, 1);  // QDCOUNT
  size_ = kHeaderSize + name_len + 4;
  if (name_len > 1) Remember(kQnameOffset);
  return true;
}

void MessageWriter::SetFlags(uint16_t flags) noexcept {
  if (size_ >= kHeaderSize) Store16(buf_ + 2, flags);
}

uint16_t MessageWriter::flags() const noexcept {
  return size_ >= kHeaderSize ? Load16(buf_ + 2) : 0;
}

void MessageWriter::SetRcode(uint16_t rcode) noexcept {
  if (size_ >= kHeaderSize) buf_[3] = static_cast<uint8_t>((buf_[3] & 0xF0) | (rcode & 0x0F));
}

MessageWriter::Mark MessageWriter::GetMark() const noexcept {
  return Mark{size_, {counts_[0], counts_[1], counts_[2]}, compress_entries_};
}

void MessageWriter::Rewind(const Mark& m) noexcept {
  size_ = m.size;
  counts_[0] = m.counts[0];
  counts_[1] = m.counts[1];
  counts_[2] = m.counts[2];
  compress_entries_ = m.compress_entries;
  qname_label_count_ = -2;
  // A window's slots may hold names of the records just taken back: forget
  // them (0 is never a name's offset), later bytes will be other data.
  if (window_ > 0)
    for (int i = 0; i < window_; ++i)
      if (compress_offsets_[i] >= size_) compress_offsets_[i] = 0;
}

void MessageWriter::set_compress_window(int n) noexcept {
  window_ = n <= 0 || n > kMaxCompress ? 0 : n;
  compress_entries_ = 0;
  if (size_ > kHeaderSize && Load16(buf_ + 4) == 1) Remember(kQnameOffset);
}

void MessageWriter::Remember(size_t offset) noexcept {
  if (offset > kMaxPointer) return;
  if (window_ == 0) {
    if (compress_entries_ < kMaxCompress)
      compress_offsets_[compress_entries_++] = static_cast<uint16_t>(offset);
    return;
  }
  compress_offsets_[compress_entries_ % window_] = static_cast<uint16_t>(offset);
  ++compress_entries_;
}

size_t MessageWriter::Finish() noexcept {
  if (size_ < kHeaderSize) return size_;
  Store16(buf_ + 6, counts_[0]);
  Store16(buf_ + 8, counts_[1]);
  Store16(buf_ + 10, counts_[2]);
  return size_;
}

int MessageWriter::StoredLabels(uint16_t offset, uint16_t* labels) const noexcept {
  // The bytes were written by this writer, so they are a valid name whose
  // pointers go backwards; the checks only guard against a broken invariant.
  size_t pos = offset;
  size_t run_start = pos;
  int n = 0;
  int hops = 0;
  while (pos < size_) {
    const uint8_t b = buf_[pos];
    if ((b & 0xC0) == 0xC0) {
      if (pos + 1 >= size_) return -1;
      const size_t target = (static_cast<size_t>(b & 0x3F) << 8) | buf_[pos + 1];
      if (target >= run_start || ++hops > kMaxLabels) return -1;
      pos = run_start = target;
      continue;
    }
    if (b > kMaxLabel) return -1;
    if (b == 0) return n;
    if (n == kMaxLabels || pos + 1 + b > size_) return -1;
    labels[n++] = static_cast<uint16_t>(pos);
    pos += 1 + b;
  }
  return -1;
}

const uint16_t* MessageWriter::QnameLabels(int* count) noexcept {
  if (qname_label_count_ == -2) qname_label_count_ = StoredLabels(kQnameOffset, qname_labels_);
  *count = qname_label_count_;
  return qname_labels_;
}

bool MessageWriter::WriteName(const uint8_t* name) noexcept {
  // Offsets of the new name's labels (the root excluded).
  uint16_t own[kMaxLabels];
  int n = 0;
  size_t len = 0;
  while (name[len] != 0) {
    own[n++] = static_cast<uint16_t>(len);
    len += 1 + name[len];
  }
  ++len;  // root byte

  // Longest whole-label suffix shared with a name already in the message.
  // Matching from the right means one pass per stored name (RFC 1035 §4.1.4).
  int best = 0;         // labels matched
  size_t best_ptr = 0;  // message offset of the first matched label
  uint16_t read[kMaxLabels];
  const int count = window_ == 0 ? compress_entries_ : std::min(compress_entries_, window_);
  for (int i = 0; i < count && best < n; ++i) {
    // A window is scanned newest first: the last names share the most.
    const int e = window_ == 0 ? i : (compress_entries_ - 1 - i) % window_;
    if (compress_offsets_[e] == 0) continue;  // forgotten by a Rewind
    int m;
    const uint16_t* stored = read;
    if (compress_offsets_[e] == kQnameOffset)
      stored = QnameLabels(&m);
    else
      m = StoredLabels(compress_offsets_[e], read);
    for (int k = 1; k <= n && k <= m; ++k) {
      const size_t at = stored[m - k];
      if (!LabelEqual(name + own[n - k], buf_ + at)) break;
      if (k > best && at <= kMaxPointer) {
        best = k;
        best_ptr = at;
      }
    }
    // In a window, all but the first label is as good as it gets short of
    // the same name, which in a run of related names would be the newest.
    if (window_ > 0 && best >= n - 1) break;
  }

  const size_t prefix = best > 0 ? own[n - best] : len;  // bytes copied verbatim
  const size_t total = prefix + (best > 0 ? 2 : 0);
  if (size_ > limit_ || limit_ - size_ < total) return false;
  const size_t start = size_;
  std::memcpy(buf_ + size_, name, prefix);
  size_ += prefix;
  if (best > 0) {
    Store16(buf_ + size_, static_cast<uint16_t>(0xC000 | best_ptr));
    size_ += 2;
  }
  // Remember the name if it brought new labels and can be pointed to.
  if (best < n) Remember(start);
  return true;
}

bool MessageWriter::Append(const uint8_t* data, size_t len) noexcept {
  if (size_ > limit_ || limit_ - size_ < len) return false;
  if (len > 0) std::memcpy(buf_ + size_, data, len);
  size_ += len;
  return true;
}

bool MessageWriter::WriteRRBody(uint16_t rrtype, uint16_t rrclass, uint32_t ttl,
                                const uint8_t* rdata, uint16_t rdlen) noexcept {
  uint8_t fixed[10];
  Store16(fixed, rrtype);
  Store16(fixed + 2, rrclass);
  Store32(fixed + 4, ttl);
  Store16(fixed + 8, rdlen);
  if (!Append(fixed, sizeof fixed)) return false;
  const size_t rdlen_at = size_ - 2;

  RdataLayout layout;
  if (!CompressibleLayout(rrtype, &layout) || !RdataHasLayout(rdata, rdlen, layout)) {
    // Verbatim: the type forbids compression, or the RDATA is not the layout
    // its type says (then it is not ours to rewrite).
    const size_t at = size_;
    if (!Append(rdata, rdlen)) return false;
    // A name inside SRV or NAPTR RDATA may not be compressed (RFC 2782,
    // RFC 3403 §4.1), but later names may point at it: the NAPTR
    // replacement is usually the owner of the additional records that follow,
    // so this is what lets them fit (BIND does the same).
    const size_t name_at = UncompressedNameOffset(rrtype, rdata, rdlen);
    // (The root, NAPTR's usual replacement, has no label to share.)
    if (name_at != 0 && rdata[name_at] != 0) Remember(at + name_at);
    return true;
  }
  const size_t rdata_start = size_;
  if (!Append(rdata, layout.prefix)) return false;
  size_t pos = layout.prefix;
  for (int i = 0; i < layout.names; ++i) {
    if (!WriteName(rdata + pos)) return false;
    pos += WireNameLength(rdata + pos, rdlen - pos);
  }
  if (!Append(rdata + pos, layout.suffix)) return false;
  Store16(buf_ + rdlen_at, static_cast<uint16_t>(size_ - rdata_start));
  return true;
}

bool MessageWriter::AddRR(Section section, const uint8_t* owner, uint16_t rrtype, uint16_t rrclass,
                          uint32_t ttl, const uint8_t* rdata, uint16_t rdlen) noexcept {
  if (size_ < kHeaderSize || WireNameLength(owner, kMaxNameWire) == 0) return false;
  const Mark mark = GetMark();
  if (!WriteName(owner) || !WriteRRBody(rrtype, rrclass, ttl, rdata, rdlen)) {
    Rewind(mark);
    return false;
  }
  ++counts_[static_cast<int>(section)];
  return true;
}

bool MessageWriter::AddRRPtr(Section section, uint16_t owner_offset, uint16_t rrtype,
                             uint16_t rrclass, uint32_t ttl, const uint8_t* rdata,
                             uint16_t rdlen) noexcept {
  // The target must be inside what is already written and addressable.
  if (size_ < kHeaderSize || owner_offset < kHeaderSize || owner_offset >= size_ ||
      owner_offset > kMaxPointer) {
    return false;
  }
  const Mark mark = GetMark();
  uint8_t ptr[2];
  Store16(ptr, static_cast<uint16_t>(0xC000 | owner_offset));
  if (!Append(ptr, 2) || !WriteRRBody(rrtype, rrclass, ttl, rdata, rdlen)) {
    Rewind(mark);
    return false;
  }
  ++counts_[static_cast<int>(section)];
  return true;
}

bool MessageWriter::AddOpt(uint16_t udp_size, uint8_t ext_rcode, uint8_t version,
                           bool do_bit) noexcept {
  if (size_ < kHeaderSize) return false;
  uint8_t opt[11];
  opt[0] = 0;  // root owner
  Store16(opt + 1, type::kOPT);
  Store16(opt + 3, udp_size);
  Store32(opt + 5, (static_cast<uint32_t>(ext_rcode) << 24) |
                       (static_cast<uint32_t>(version) << 16) | (do_bit ? 0x8000u : 0u));
  Store16(opt + 9, 0);  // RDLENGTH: no options
  if (!Append(opt, sizeof opt)) return false;
  ++counts_[static_cast<int>(Section::kAdditional)];
  return true;
}

}  // namespace enumd::dns
