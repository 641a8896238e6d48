// See udp_listener.h.
#include "net/udp_listener.h"

namespace enumd::net {

UdpListener::UdpListener(QueryHandler* handler, uint8_t* recv_buffer, UdpSendBatch* batch)
    : handler_(handler), recv_buffer_(recv_buffer), batch_(batch) {}

Status UdpListener::Open(uv_loop_t* loop, UniqueFd fd, const std::string& name) {
  int error = uv_udp_init_ex(loop, &udp_, AF_UNSPEC | UV_UDP_RECVMMSG);
  if (error != 0) return Status::Error(name + ": " + uv_strerror(error));
  initialized_ = true;
  udp_.data = this;
  error = uv_udp_open(&udp_, fd.get());
  if (error != 0) return Status::Error(name + ": " + uv_strerror(error));
  fd.Release();  // the handle owns it now and closes it with uv_close
  error = uv_udp_recv_start(&udp_, OnAlloc, OnRecv);
  if (error != 0) return Status::Error(name + ": " + uv_strerror(error));
  return Status::OK();
}

void UdpListener::Close() noexcept {
  if (!initialized_ || closing_) return;
  closing_ = true;
  // Replies already queued for this socket go out before it closes.
  batch_->Flush();
  uv_close(reinterpret_cast<uv_handle_t*>(&udp_), nullptr);
}

void UdpListener::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) noexcept {
  auto* self = static_cast<UdpListener*>(handle->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(self->recv_buffer_), kRecvBufferSize);
}

void UdpListener::OnRecv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* peer,
                         unsigned flags) noexcept {
  auto* self = static_cast<UdpListener*>(handle->data);
  // End of a recvmmsg batch (the buffer is ours, nothing to free) or nothing
  // more to read: send what the batch produced.
  if ((flags & UV_UDP_MMSG_FREE) != 0 || (nread == 0 && peer == nullptr)) {
    self->batch_->Flush();
    return;
  }
  // Errors (nread < 0) concern one datagram or an ICMP report; keep serving.
  // Empty and truncated datagrams cannot be DNS queries.
  if (nread <= 0 || peer == nullptr || (flags & UV_UDP_PARTIAL) != 0 || self->closing_) return;
  uint8_t* out = self->batch_->NextSlot(handle);
  size_t length = self->handler_->Handle(reinterpret_cast<const uint8_t*>(buf->base),
                                         static_cast<size_t>(nread), out, UdpSendBatch::kSlotSize,
                                         Transport::kUdp, peer);
  if (length > 0 && length <= UdpSendBatch::kSlotSize) self->batch_->Commit(peer, length);
}

}  // namespace enumd::net
