// UdpListener: one worker's UDP socket on one listen address.
//
// libuv only tells us when the socket is readable (a uv_poll_t); the reading
// and writing are ours, with the fewest system calls Linux allows. On each
// wakeup one recvmmsg() takes up to kBatch datagrams into the worker's
// receive buffer (kRecvBufferSize, one 64 KiB slice each), each is passed to
// the worker's QueryHandler, whose reply is written straight into this
// socket's UdpSendBatch, and one sendmmsg() sends the replies. A short
// batch means the socket is drained, so unlike libuv's own UV_UDP_RECVMMSG
// loop we do not ask again only to be told EAGAIN; a full one is followed by
// another, up to kMaxBatchesPerWakeup, before other handles get their turn.
// When the kernel's send buffer is full the listener stops reading and waits
// for the socket to become writable (see UdpSendBatch), for at most
// `send_wait_ms`: then the queued replies are dropped and reading goes on, so
// a socket that stays full (a saturated link, replies held for unresolved
// neighbours) does not leave every client unanswered behind it. No heap
// allocation per datagram.
//
// Owned by its Worker and used only from that worker's loop thread. The
// listener must outlive its handle: after Close(), keep it until the loop has
// run the close callback (the Worker destroys listeners after its loop ends).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "net/listen_socket.h"
#include "net/query_handler.h"
#include "net/udp_send_batch.h"

namespace enumd::net {

class UdpListener {
 public:
  static constexpr size_t kBatch = UdpSendBatch::kSlots;  // datagrams per recvmmsg
  static constexpr size_t kDatagramSpace = 64 * 1024;     // > any UDP payload
  static constexpr size_t kRecvBufferSize = kBatch * kDatagramSpace;
  static constexpr int kMaxBatchesPerWakeup = 8;

  // `recv_buffer` (kRecvBufferSize bytes, shared by the worker's listeners)
  // and `handler` belong to the worker and outlive the listener.
  UdpListener(QueryHandler* handler, uint8_t* recv_buffer, uint32_t send_wait_ms);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Takes `fd` (a bound, non-blocking UDP socket; closed on error too) into
  // `loop` and starts receiving. `name` ("127.0.0.1:53/udp") prefixes errors.
  Status Open(uv_loop_t* loop, UniqueFd fd, const std::string& name);
  // Stops receiving, sends what is queued if the kernel takes it at once, and
  // closes the socket (asynchronously). Idempotent.
  void Close() noexcept;

 private:
  static void OnPoll(uv_poll_t* handle, int status, int events) noexcept;
  static void OnClosed(uv_handle_t* handle) noexcept;
  // The send wait is over: drop what is queued, read again.
  static void OnSendWaitOver(uv_timer_t* timer) noexcept;
  // Wait for writability (the batch holds replies the kernel refused).
  void WaitForRoom() noexcept;
  // Reads and answers batches until the socket is drained, the per-wakeup
  // limit is reached or the send buffer is full.
  void Receive() noexcept;
  // Poll for `events` (UV_READABLE or UV_WRITABLE) from now on.
  void Want(int events) noexcept;

  QueryHandler* handler_;
  uint8_t* recv_buffer_;
  UniqueFd fd_;
  std::unique_ptr<UdpSendBatch> batch_;
  std::array<mmsghdr, kBatch> messages_{};
  std::array<iovec, kBatch> iov_{};
  std::array<sockaddr_in6, kBatch> peers_{};  // large enough for IPv4 and IPv6
  uv_poll_t poll_{};
  uv_timer_t send_wait_{};
  uint32_t send_wait_ms_;
  int polled_events_ = 0;
  // Of poll_ and send_wait_: 0 before Open got them (Close has nothing to
  // do) and again once both have closed, when the fd closes too.
  int open_handles_ = 0;
  bool closing_ = false;
};

}  // namespace enumd::net
