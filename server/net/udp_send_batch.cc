// See udp_send_batch.h.
#include "net/udp_send_batch.h"

#include <cerrno>
#include <cstring>

namespace enumd::net {

UdpSendBatch::UdpSendBatch()
    : data_(std::make_unique_for_overwrite<uint8_t[]>(kSlots * kSlotSize)) {
  for (size_t i = 0; i < kSlots; ++i) {
    iov_[i].iov_base = data_.get() + i * kSlotSize;
    iov_[i].iov_len = 0;
    msghdr& header = messages_[i].msg_hdr;
    header.msg_name = &peers_[i];
    header.msg_iov = &iov_[i];
    header.msg_iovlen = 1;
  }
}

uint8_t* UdpSendBatch::NextSlot(uv_udp_t* socket) noexcept {
  if (count_ == kSlots || (count_ > 0 && socket != socket_)) Flush();
  socket_ = socket;
  return data_.get() + count_ * kSlotSize;
}

void UdpSendBatch::Commit(const sockaddr* peer, size_t length) noexcept {
  socklen_t peer_length = peer->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  std::memcpy(&peers_[count_], peer, peer_length);
  messages_[count_].msg_hdr.msg_namelen = peer_length;
  iov_[count_].iov_len = length;
  ++count_;
}

void UdpSendBatch::Flush() noexcept {
  if (count_ == 0) return;
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(socket_), &fd) != 0) {
    dropped_ += count_;  // the socket is already closed
    count_ = 0;
    return;
  }
  size_t next = 0;
  while (next < count_) {
    int sent = sendmmsg(fd, &messages_[next], static_cast<unsigned>(count_ - next), 0);
    if (sent > 0) {
      next += static_cast<size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // The socket buffer is full: one non-blocking attempt each, then drop.
      for (; next < count_; ++next) TrySendOrDrop(next);
      break;
    }
    // This message was refused for a reason of its own (e.g. EMSGSIZE, an
    // unreachable peer); drop it and carry on with the rest.
    ++dropped_;
    ++next;
  }
  count_ = 0;
}

void UdpSendBatch::TrySendOrDrop(size_t index) noexcept {
  uv_buf_t buffer = uv_buf_init(static_cast<char*>(iov_[index].iov_base),
                                static_cast<unsigned>(iov_[index].iov_len));
  int result =
      uv_udp_try_send(socket_, &buffer, 1, reinterpret_cast<const sockaddr*>(&peers_[index]));
  if (result < 0) ++dropped_;
}

}  // namespace enumd::net
