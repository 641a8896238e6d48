// UdpSendBatch: a worker's queue of UDP replies, sent with one sendmmsg().
//
// Replies are written straight into one of kSlots fixed slots (the handler's
// output buffer is the slot itself, so nothing is copied) and go out together
// when the batch is flushed: at the end of each recvmmsg batch, from the
// worker's uv_check_t, when the batch is full, or when the next reply is for
// another socket. Sending never blocks and never queues: a reply the kernel
// does not take (EAGAIN, a full socket buffer) gets one uv_udp_try_send() and
// is then dropped — the client will retry, as it would after any UDP loss.
//
// All memory is allocated by the constructor; Commit and Flush allocate
// nothing. Used only from its worker's loop thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace enumd::net {

class UdpSendBatch {
 public:
  static constexpr size_t kSlots = 20;        // libuv's recvmmsg batch width
  static constexpr size_t kSlotSize = 65535;  // the handler's out_cap for UDP

  UdpSendBatch();
  UdpSendBatch(const UdpSendBatch&) = delete;
  UdpSendBatch& operator=(const UdpSendBatch&) = delete;

  // Returns the buffer (kSlotSize bytes) for the next reply on `socket`,
  // flushing first if the batch is full or holds replies for another socket.
  // The reply is only queued by a following Commit.
  uint8_t* NextSlot(uv_udp_t* socket) noexcept;
  // Queues the `length` bytes written into the slot from the last NextSlot,
  // to be sent to `peer`. Precondition: 0 < length <= kSlotSize.
  void Commit(const sockaddr* peer, size_t length) noexcept;
  // Sends every queued reply (or drops it, see above) and empties the batch.
  void Flush() noexcept;

  bool empty() const { return count_ == 0; }
  // Replies the kernel refused, since construction.
  uint64_t dropped() const { return dropped_; }

 private:
  void TrySendOrDrop(size_t index) noexcept;

  std::unique_ptr<uint8_t[]> data_;  // kSlots * kSlotSize
  std::array<mmsghdr, kSlots> messages_{};
  std::array<iovec, kSlots> iov_{};
  std::array<sockaddr_in6, kSlots> peers_{};  // large enough for IPv4 and IPv6
  size_t count_ = 0;
  uv_udp_t* socket_ = nullptr;
  uint64_t dropped_ = 0;
};

}  // namespace enumd::net
