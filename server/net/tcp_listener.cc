// See tcp_listener.h.
#include "net/tcp_listener.h"

#include "net/tcp_connection_pool.h"

namespace enumd::net {

Status TcpListener::Open(uv_loop_t* loop, UniqueFd fd, const std::string& name) {
  int error = uv_tcp_init(loop, &tcp_);
  if (error != 0) return Status::Error(name + ": " + uv_strerror(error));
  initialized_ = true;
  tcp_.data = this;
  error = uv_tcp_open(&tcp_, fd.get());
  if (error != 0) return Status::Error(name + ": " + uv_strerror(error));
  fd.Release();  // the handle owns it now and closes it with uv_close
  error = uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), kBacklog, OnConnection);
  if (error != 0) return Status::Error(name + ": " + uv_strerror(error));
  return Status::OK();
}

void TcpListener::Close() noexcept {
  if (!initialized_ || closing_) return;
  closing_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
}

void TcpListener::OnConnection(uv_stream_t* listener, int status) noexcept {
  auto* self = static_cast<TcpListener*>(listener->data);
  // status < 0: accept failed (e.g. EMFILE); libuv keeps listening.
  if (status < 0 || self->closing_) return;
  self->pool_->Accept(listener);
}

}  // namespace enumd::net
