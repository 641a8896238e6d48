// UdpListener: one worker's UDP socket on one listen address, served by a
// thread of its own.
//
// The thread blocks in recvmmsg() (MSG_WAITFORONE: up to kBatch datagrams
// once the first is there, one 64 KiB slice of its receive buffer each),
// passes each datagram to the listener's own QueryHandler, whose reply is
// written straight into the socket's UdpSendBatch, and sends the replies with
// one sendmmsg(). It does not go through the worker's libuv loop: a wakeup
// through epoll costs epoll_wait() on top of the receive, and at a fixed
// 50k queries/s that was 2 us of the 12.6 us the server spent per query
// (tests/bench, median of 5 rounds: 10.5 us per query with this thread). TCP
// stays on the loop, which is why the listener needs a handler of its own.
//
// When the kernel's send buffer is full the thread stops reading and waits
// (poll) for the socket to become writable, for at most `send_wait_ms`: then
// the queued replies are dropped and reading goes on, so a socket that stays
// full (a saturated link, replies held for unresolved neighbours) does not
// leave every client unanswered behind it. No heap allocation per datagram.
//
// Life cycle: Start (from the starting thread) -> RequestStop (any thread;
// the thread sees it at once if it is receiving, within send_wait_ms if it is
// waiting for room) -> Join -> destroy (closes the socket).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>

#include "net/listen_socket.h"
#include "net/query_handler.h"
#include "net/udp_send_batch.h"

namespace enumd::net {

class UdpListener {
 public:
  static constexpr size_t kBatch = UdpSendBatch::kSlots;  // datagrams per recvmmsg
  static constexpr size_t kDatagramSpace = 64 * 1024;     // > any UDP payload
  static constexpr size_t kRecvBufferSize = kBatch * kDatagramSpace;

  // Takes `fd` (a bound, blocking UDP socket: the thread waits in its
  // receive; sends never block) and `handler`, used only by the thread.
  UdpListener(UniqueFd fd, std::unique_ptr<QueryHandler> handler, uint32_t send_wait_ms);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;
  ~UdpListener();  // Stops and joins if running.

  // Starts the thread. May throw std::system_error (start-up path).
  void Start();
  // Asks the thread to stop. Thread-safe; idempotent; returns at once.
  void RequestStop() noexcept;
  // Waits for the thread to finish; what is queued then goes out if the
  // kernel takes it at once.
  void Join();
  // Replies not sent (see UdpSendBatch::dropped). Any thread.
  uint64_t dropped() const noexcept { return batch_.dropped(); }

 private:
  void Run() noexcept;
  // The batch holds replies the kernel refused: wait for room, at most
  // send_wait_ms, then drop what is still queued.
  void WaitForRoom() noexcept;

  UniqueFd fd_;
  std::unique_ptr<QueryHandler> handler_;
  uint32_t send_wait_ms_;
  std::unique_ptr<uint8_t[]> recv_buffer_;
  UdpSendBatch batch_;
  std::array<mmsghdr, kBatch> messages_{};
  std::array<iovec, kBatch> iov_{};
  std::array<sockaddr_in6, kBatch> peers_{};  // large enough for IPv4 and IPv6
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace enumd::net
