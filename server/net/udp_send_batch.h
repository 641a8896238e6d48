// UdpSendBatch: one UDP socket's queue of replies, sent with one sendmmsg().
//
// Replies are written straight into one of kSlots fixed slots (the handler's
// output buffer is the slot itself, so nothing is copied) and go out together
// when the batch is flushed: after each receive batch, or when it is full.
// Sending never blocks. When the kernel takes only part of the batch (EAGAIN:
// the socket's send buffer is full) the rest stays queued and Flush() says
// so; the owner then waits for the socket to become writable, reads nothing
// meanwhile (the kernel's receive queue holds the next queries) and flushes
// again, or discards the queue after a bounded wait (UdpListener). A reply refused for a reason of
// its own (EMSGSIZE, an unreachable peer) is dropped and counted; the client will retry, as after
// any UDP loss.
//
// All memory is allocated by the constructor; Commit and Flush allocate
// nothing. Used only from its socket's thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace enumd::net {

class UdpSendBatch {
 public:
  static constexpr size_t kSlots = 20;        // replies per sendmmsg
  static constexpr size_t kSlotSize = 65535;  // the handler's out_cap for UDP

  // Sends on `fd`, a UDP socket the owner keeps open (MSG_DONTWAIT: the
  // socket itself may be blocking, for its receives).
  explicit UdpSendBatch(int fd);
  UdpSendBatch(const UdpSendBatch&) = delete;
  UdpSendBatch& operator=(const UdpSendBatch&) = delete;

  // Returns the buffer (kSlotSize bytes) for the next reply. The reply is only
  // queued by a following Commit. Precondition: !full().
  uint8_t* NextSlot() noexcept { return data_.get() + count_ * kSlotSize; }
  // Queues the `length` bytes written into the slot from the last NextSlot,
  // to be sent to `peer` (`peer_length` bytes, at most a sockaddr_in6).
  // Precondition: 0 < length <= kSlotSize.
  void Commit(const sockaddr* peer, socklen_t peer_length, size_t length) noexcept;
  // Sends what is queued. Returns true when the batch is empty afterwards,
  // false when the socket's buffer is full and replies are still queued.
  bool Flush() noexcept;
  // Forgets queued replies, counting them as dropped: the socket is closing,
  // or the kernel has not taken them for too long.
  void Discard() noexcept;

  bool full() const { return count_ == kSlots; }
  bool empty() const { return count_ == sent_; }
  // Replies refused by the kernel or discarded, since construction. Any
  // thread may read it (the daemon logs it); only the owner changes it.
  uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  void CountDropped(uint64_t n) noexcept {  // one writer: no read-modify-write needed
    dropped_.store(dropped_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  int fd_;
  std::unique_ptr<uint8_t[]> data_;  // kSlots * kSlotSize
  std::array<mmsghdr, kSlots> messages_{};
  std::array<iovec, kSlots> iov_{};
  std::array<sockaddr_in6, kSlots> peers_{};  // large enough for IPv4 and IPv6
  size_t count_ = 0;                          // replies queued
  size_t sent_ = 0;                           // of which already sent
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace enumd::net
