// UdpListener: one worker's UDP socket on one listen address.
//
// Datagrams arrive in batches through libuv's recvmmsg support
// (UV_UDP_RECVMMSG): the alloc callback hands out the worker's receive buffer
// (kRecvBufferSize, room for UdpSendBatch::kSlots datagrams of 64 KiB), each
// datagram is passed to the worker's QueryHandler, and the reply is written
// directly into the worker's UdpSendBatch, which is flushed when the receive
// batch ends. No heap allocation per datagram.
//
// Owned by its Worker and used only from that worker's loop thread. The
// listener must outlive its handle: after Close(), keep it until the loop has
// run the close callback (the Worker destroys listeners after its loop ends).
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "net/listen_socket.h"
#include "net/query_handler.h"
#include "net/udp_send_batch.h"

namespace enumd::net {

class UdpListener {
 public:
  // 20 x 64 KiB: libuv reads buffer_size / 64 KiB datagrams per recvmmsg call,
  // at most 20.
  static constexpr size_t kRecvBufferSize = UdpSendBatch::kSlots * 64 * 1024;

  // `recv_buffer` (kRecvBufferSize bytes), `batch` and `handler` belong to the
  // worker and outlive the listener.
  UdpListener(QueryHandler* handler, uint8_t* recv_buffer, UdpSendBatch* batch);
  UdpListener(const UdpListener&) = delete;
  UdpListener& operator=(const UdpListener&) = delete;

  // Takes `fd` (a bound UDP socket; closed on error too) into `loop` and starts
  // receiving. `name` ("127.0.0.1:53/udp") prefixes errors.
  Status Open(uv_loop_t* loop, UniqueFd fd, const std::string& name);
  // Stops receiving and closes the socket (asynchronously). Idempotent.
  void Close() noexcept;

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void OnRecv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* peer,
                     unsigned flags) noexcept;

  QueryHandler* handler_;
  uint8_t* recv_buffer_;
  UdpSendBatch* batch_;
  uv_udp_t udp_{};
  bool initialized_ = false;
  bool closing_ = false;
};

}  // namespace enumd::net
