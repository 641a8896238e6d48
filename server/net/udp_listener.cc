// See udp_listener.h.
#include "net/udp_listener.h"

#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>

#include "common/thread_name.h"

namespace enumd::net {

UdpListener::UdpListener(UniqueFd fd, std::unique_ptr<QueryHandler> handler, uint32_t send_wait_ms)
    : fd_(std::move(fd)),
      handler_(std::move(handler)),
      send_wait_ms_(send_wait_ms),
      recv_buffer_(std::make_unique_for_overwrite<uint8_t[]>(kRecvBufferSize)),
      batch_(fd_.get()) {
  for (size_t i = 0; i < kBatch; ++i) {
    iov_[i].iov_base = recv_buffer_.get() + i * kDatagramSpace;
    iov_[i].iov_len = kDatagramSpace;
    msghdr& header = messages_[i].msg_hdr;
    header.msg_name = &peers_[i];
    header.msg_iov = &iov_[i];
    header.msg_iovlen = 1;
  }
}

UdpListener::~UdpListener() {
  if (thread_.joinable()) {
    RequestStop();
    Join();
  }
}

void UdpListener::Start() {
  thread_ = std::thread([this] {
    NameThisThread("enumd-udp");
    Run();
  });
}

void UdpListener::RequestStop() noexcept {
  if (stop_.exchange(true)) return;
  // Wakes a recvmmsg() blocked on the socket: from now on it returns at once
  // (empty datagrams), and the thread sees stop_. On an unconnected socket
  // Linux reports ENOTCONN but shuts the receive side all the same.
  shutdown(fd_.get(), SHUT_RD);
}

void UdpListener::Join() {
  if (!thread_.joinable()) return;
  thread_.join();
  // Replies already queued go out if the kernel takes them now.
  if (!batch_.Flush()) batch_.Discard();
}

void UdpListener::WaitForRoom() noexcept {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(send_wait_ms_);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd_.get(), POLLOUT, 0};
    if (poll(&p, 1, static_cast<int>(left)) > 0 && batch_.Flush()) return;
  }
  if (!batch_.Flush()) batch_.Discard();
}

void UdpListener::Run() noexcept {
  while (!stop_.load(std::memory_order_relaxed)) {
    for (mmsghdr& message : messages_) message.msg_hdr.msg_namelen = sizeof(sockaddr_in6);
    int received = recvmmsg(fd_.get(), messages_.data(), kBatch, MSG_WAITFORONE, nullptr);
    if (received < 0) {
      // EINTR, ENOMEM, or an error that concerned one datagram: read on.
      // The socket itself gone bad cannot be read again: end the thread.
      if (errno == EBADF || errno == ENOTSOCK || errno == EFAULT || errno == EINVAL) return;
      continue;
    }
    if (stop_.load(std::memory_order_relaxed)) return;
    // Every query's first reads are asked for before the first answer waits
    // on its own.
    const uint8_t* queries[kBatch];
    size_t lens[kBatch];
    for (size_t i = 0; i < static_cast<size_t>(received); ++i) {
      queries[i] = static_cast<const uint8_t*>(iov_[i].iov_base);
      lens[i] = messages_[i].msg_len;
    }
    handler_->Prefetch(queries, lens, static_cast<size_t>(received));
    for (size_t i = 0; i < static_cast<size_t>(received); ++i) {
      const msghdr& header = messages_[i].msg_hdr;
      // Empty and truncated datagrams cannot be DNS queries.
      if (messages_[i].msg_len == 0 || (header.msg_flags & MSG_TRUNC) != 0) continue;
      const auto* peer = reinterpret_cast<const sockaddr*>(&peers_[i]);
      uint8_t* out = batch_.NextSlot();
      size_t length =
          handler_->Handle(static_cast<const uint8_t*>(iov_[i].iov_base), messages_[i].msg_len, out,
                           UdpSendBatch::kSlotSize, Transport::kUdp, peer);
      if (length > 0 && length <= UdpSendBatch::kSlotSize)
        batch_.Commit(peer, header.msg_namelen, length);
    }
    // Read no more until these replies are out (or dropped).
    if (!batch_.Flush()) WaitForRoom();
  }
}

}  // namespace enumd::net
