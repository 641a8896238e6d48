// TcpListener: one worker's listening TCP socket on one listen address.
// Accepted connections go to the worker's TcpConnectionPool.
//
// Owned by its Worker and used only from that worker's loop thread; must
// outlive its handle (the Worker destroys listeners after its loop ends).
#pragma once

#include <uv.h>

#include <string>

#include "common/status.h"
#include "net/listen_socket.h"

namespace enumd::net {

class TcpConnectionPool;

class TcpListener {
 public:
  static constexpr int kBacklog = 1024;

  explicit TcpListener(TcpConnectionPool* pool) : pool_(pool) {}
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Takes `fd` (a bound TCP socket; closed on error too) into `loop` and
  // listens. `name` ("127.0.0.1:53/tcp") prefixes errors.
  Status Open(uv_loop_t* loop, UniqueFd fd, const std::string& name);
  // Stops accepting and closes the socket (asynchronously). Idempotent.
  void Close() noexcept;

 private:
  static void OnConnection(uv_stream_t* listener, int status) noexcept;

  TcpConnectionPool* pool_;
  uv_tcp_t tcp_{};
  bool initialized_ = false;
  bool closing_ = false;
};

}  // namespace enumd::net
