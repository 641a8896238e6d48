#include "store/node.h"

#include "common/byte_order.h"

namespace enumd::store {

namespace {

constexpr size_t kNodeHeader = 4;
constexpr size_t kRRsetHeader = 8;

// Size of the RRset starting at p (bounded by end), or 0 if malformed.
size_t RRsetSize(const uint8_t* p, const uint8_t* end) {
  if (end - p < static_cast<ptrdiff_t>(kRRsetHeader)) return 0;
  uint16_t count = Load16(p + 6);
  const uint8_t* q = p + kRRsetHeader;
  for (uint16_t i = 0; i < count; ++i) {
    if (end - q < 2) return 0;
    uint16_t len = Load16(q);
    q += 2;
    if (end - q < len) return 0;
    q += len;
  }
  return q - p;
}

}  // namespace

bool RRsetView::NextRdata(size_t* pos, const uint8_t** rdata, uint16_t* rdlen) const noexcept {
  if (*pos + 2 > size) return false;
  *rdlen = Load16(data + *pos);
  *rdata = data + *pos + 2;
  *pos += 2u + *rdlen;
  return true;
}

bool NodeView::Parse(const uint8_t* data, size_t size) noexcept {
  if (size < kNodeHeader || data[0] != kNodeFormat) return false;
  const uint8_t* p = data + kNodeHeader;
  const uint8_t* end = data + size;
  int prev_type = -1;
  for (int i = 0; i < data[3]; ++i) {
    size_t n = RRsetSize(p, end);
    if (n == 0 || Load16(p) <= prev_type) return false;
    prev_type = Load16(p);
    p += n;
  }
  if (p != end) return false;
  data_ = data;
  size_ = size;
  flags_ = data[1];
  cut_labels_ = data[2];
  count_ = data[3];
  return true;
}

bool NodeView::At(int i, RRsetView* out) const noexcept {
  if (i < 0 || i >= count_) return false;
  const uint8_t* p = data_ + kNodeHeader;
  const uint8_t* end = data_ + size_;
  for (int k = 0; k < i; ++k) p += RRsetSize(p, end);
  out->type = Load16(p);
  out->ttl = Load32(p + 2);
  out->count = Load16(p + 6);
  out->data = p + kRRsetHeader;
  out->size = RRsetSize(p, end) - kRRsetHeader;
  return true;
}

bool NodeView::Find(uint16_t type, RRsetView* out) const noexcept {
  const uint8_t* p = data_ + kNodeHeader;
  const uint8_t* end = data_ + size_;
  for (int k = 0; k < count_; ++k) {
    size_t n = RRsetSize(p, end);
    uint16_t t = Load16(p);
    if (t == type) {
      out->type = t;
      out->ttl = Load32(p + 2);
      out->count = Load16(p + 6);
      out->data = p + kRRsetHeader;
      out->size = n - kRRsetHeader;
      return true;
    }
    if (t > type) return false;
    p += n;
  }
  return false;
}

NodeWriter::NodeWriter(uint8_t flags, int cut_labels) {
  buf_.push_back(static_cast<char>(kNodeFormat));
  buf_.push_back(static_cast<char>(flags));
  buf_.push_back(static_cast<char>(cut_labels));
  buf_.push_back(0);
}

void NodeWriter::BeginRRset(uint16_t type, uint32_t ttl) {
  buf_[3] = static_cast<char>(static_cast<uint8_t>(buf_[3]) + 1);
  Append16(&buf_, type);
  Append16(&buf_, static_cast<uint16_t>(ttl >> 16));
  Append16(&buf_, static_cast<uint16_t>(ttl));
  count_pos_ = buf_.size();
  Append16(&buf_, 0);
}

void NodeWriter::AddRdata(std::string_view rdata) {
  uint16_t n = static_cast<uint16_t>(static_cast<uint8_t>(buf_[count_pos_]) << 8 |
                                     static_cast<uint8_t>(buf_[count_pos_ + 1])) +
               1;
  buf_[count_pos_] = static_cast<char>(n >> 8);
  buf_[count_pos_ + 1] = static_cast<char>(n);
  Append16(&buf_, static_cast<uint16_t>(rdata.size()));
  buf_.append(rdata);
}

const std::string& NodeWriter::Finish() { return buf_; }

}  // namespace enumd::store
