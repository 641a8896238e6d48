// ByteBuffer: a growable byte array for per-connection TCP state (unanswered
// input, queued answers). Unlike std::vector it never zero-fills, and it keeps
// its capacity when emptied, so a connection that has reached its working size
// allocates nothing more. Capacity only grows, up to what callers ask for; the
// callers bound what they ask for (see TcpConnection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

namespace enumd::net {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }

  // Ensures room for at least `total` bytes; keeps the contents. Grows at
  // least geometrically so a series of appends stays amortised O(1). Returns
  // false (and changes nothing) if memory runs out: it is used from libuv
  // callbacks, where nothing may throw.
  [[nodiscard]] bool Reserve(size_t total) noexcept {
    if (total <= capacity_) return true;
    size_t new_capacity = capacity_ * 2;
    if (new_capacity < total) new_capacity = total;
    if (new_capacity < kMinCapacity) new_capacity = kMinCapacity;
    std::unique_ptr<uint8_t[]> bigger(new (std::nothrow) uint8_t[new_capacity]);
    if (!bigger) return false;
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = new_capacity;
    return true;
  }

  [[nodiscard]] bool Append(const uint8_t* bytes, size_t n) noexcept {
    if (!Reserve(size_ + n)) return false;
    std::memcpy(data_.get() + size_, bytes, n);
    size_ += n;
    return true;
  }

  // Marks `n` more bytes, written directly after data() + size(), as valid.
  void Commit(size_t n) noexcept { size_ += n; }

  // Drops the first `n` bytes, moving the rest to the front.
  void Consume(size_t n) noexcept {
    if (n >= size_) {
      size_ = 0;
      return;
    }
    std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }

  void Clear() noexcept { size_ = 0; }

  // Empties the buffer and returns its memory if it holds more than
  // `keep_capacity` bytes (used when recycling a connection).
  void Trim(size_t keep_capacity) noexcept {
    size_ = 0;
    if (capacity_ > keep_capacity) {
      data_.reset();
      capacity_ = 0;
    }
  }

  void Swap(ByteBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

 private:
  static constexpr size_t kMinCapacity = 1024;

  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace enumd::net
