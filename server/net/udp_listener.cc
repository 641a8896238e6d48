// See udp_listener.h.
#include "net/udp_listener.h"

#include <cerrno>

namespace enumd::net {

UdpListener::UdpListener(QueryHandler* handler, uint8_t* recv_buffer, uint32_t send_wait_ms)
    : handler_(handler), recv_buffer_(recv_buffer), send_wait_ms_(send_wait_ms) {
  for (size_t i = 0; i < kBatch; ++i) {
    iov_[i].iov_base = recv_buffer_ + i * kDatagramSpace;
    iov_[i].iov_len = kDatagramSpace;
    msghdr& header = messages_[i].msg_hdr;
    header.msg_name = &peers_[i];
    header.msg_iov = &iov_[i];
    header.msg_iovlen = 1;
  }
}

Status UdpListener::Open(uv_loop_t* loop, UniqueFd fd, const std::string& name) {
  fd_ = std::move(fd);
  batch_ = std::make_unique<UdpSendBatch>(fd_.get());
  int error = uv_poll_init_socket(loop, &poll_, fd_.get());
  if (error != 0) return Status::Error(name + ": " + uv_strerror(error));
  uv_timer_init(loop, &send_wait_);  // cannot fail
  open_handles_ = 2;
  poll_.data = this;
  send_wait_.data = this;
  error = uv_poll_start(&poll_, UV_READABLE, OnPoll);
  if (error != 0) return Status::Error(name + ": " + uv_strerror(error));
  polled_events_ = UV_READABLE;
  return Status::OK();
}

void UdpListener::Close() noexcept {
  if (open_handles_ == 0 || closing_) return;
  closing_ = true;
  // Replies already queued go out if the kernel takes them now.
  if (!batch_->Flush()) batch_->Discard();
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), OnClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&send_wait_), OnClosed);
}

void UdpListener::OnClosed(uv_handle_t* handle) noexcept {
  auto* self = static_cast<UdpListener*>(handle->data);
  if (--self->open_handles_ == 0) self->fd_.Reset();
}

void UdpListener::WaitForRoom() noexcept {
  Want(UV_WRITABLE);
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&send_wait_)))
    uv_timer_start(&send_wait_, OnSendWaitOver, send_wait_ms_, 0);
}

void UdpListener::OnSendWaitOver(uv_timer_t* timer) noexcept {
  auto* self = static_cast<UdpListener*>(timer->data);
  if (self->closing_) return;
  if (!self->batch_->Flush()) self->batch_->Discard();
  self->Want(UV_READABLE);
  self->Receive();
}

void UdpListener::Want(int events) noexcept {
  if (events == polled_events_) return;
  // Cannot fail on a handle that is initialised and not closing.
  uv_poll_start(&poll_, events, OnPoll);
  polled_events_ = events;
}

void UdpListener::OnPoll(uv_poll_t* handle, int status, int events) noexcept {
  auto* self = static_cast<UdpListener*>(handle->data);
  if (self->closing_) return;
  if (status < 0) {
    // libuv stops the handle on a socket error. Take the error (reading
    // SO_ERROR clears it) and carry on: it concerned one datagram.
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(self->fd_.get(), SOL_SOCKET, SO_ERROR, &error, &length);
    self->polled_events_ = 0;
    self->Want(self->batch_->empty() ? UV_READABLE : UV_WRITABLE);
    return;
  }
  if (self->polled_events_ == UV_WRITABLE) {
    if ((events & UV_WRITABLE) == 0 || !self->batch_->Flush()) return;
    uv_timer_stop(&self->send_wait_);
    self->Want(UV_READABLE);
  }
  self->Receive();
}

void UdpListener::Receive() noexcept {
  for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
    for (mmsghdr& message : messages_) message.msg_hdr.msg_namelen = sizeof(sockaddr_in6);
    int received = recvmmsg(fd_.get(), messages_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (received < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN (nothing there after all) or an error for one datagram
    }
    for (size_t i = 0; i < static_cast<size_t>(received); ++i) {
      const msghdr& header = messages_[i].msg_hdr;
      // Empty and truncated datagrams cannot be DNS queries.
      if (messages_[i].msg_len == 0 || (header.msg_flags & MSG_TRUNC) != 0) continue;
      const auto* peer = reinterpret_cast<const sockaddr*>(&peers_[i]);
      uint8_t* out = batch_->NextSlot();
      size_t length =
          handler_->Handle(static_cast<const uint8_t*>(iov_[i].iov_base), messages_[i].msg_len, out,
                           UdpSendBatch::kSlotSize, Transport::kUdp, peer);
      if (length > 0 && length <= UdpSendBatch::kSlotSize)
        batch_->Commit(peer, header.msg_namelen, length);
    }
    if (!batch_->Flush()) {
      WaitForRoom();  // read no more until these replies are out (or dropped)
      return;
    }
    if (static_cast<size_t>(received) < kBatch) return;  // drained
  }
}

}  // namespace enumd::net
