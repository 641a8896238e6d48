// See udp_send_batch.h.
#include "net/udp_send_batch.h"

#include <cerrno>
#include <cstring>

namespace enumd::net {

UdpSendBatch::UdpSendBatch(int fd)
    : fd_(fd), data_(std::make_unique_for_overwrite<uint8_t[]>(kSlots * kSlotSize)) {
  for (size_t i = 0; i < kSlots; ++i) {
    iov_[i].iov_base = data_.get() + i * kSlotSize;
    iov_[i].iov_len = 0;
    msghdr& header = messages_[i].msg_hdr;
    header.msg_name = &peers_[i];
    header.msg_iov = &iov_[i];
    header.msg_iovlen = 1;
  }
}

void UdpSendBatch::Commit(const sockaddr* peer, socklen_t peer_length, size_t length) noexcept {
  if (peer_length > sizeof(peers_[count_])) peer_length = sizeof(peers_[count_]);
  std::memcpy(&peers_[count_], peer, peer_length);
  messages_[count_].msg_hdr.msg_namelen = peer_length;
  iov_[count_].iov_len = length;
  ++count_;
}

bool UdpSendBatch::Flush() noexcept {
  while (sent_ < count_) {
    int sent =
        sendmmsg(fd_, &messages_[sent_], static_cast<unsigned>(count_ - sent_), MSG_DONTWAIT);
    if (sent > 0) {
      sent_ += static_cast<size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    // This message was refused for a reason of its own; drop it, go on.
    CountDropped(1);
    ++sent_;
  }
  count_ = sent_ = 0;
  return true;
}

void UdpSendBatch::Discard() noexcept {
  CountDropped(count_ - sent_);
  count_ = sent_ = 0;
}

}  // namespace enumd::net
