// TcpConnectionPool: a worker's TCP connections and what they share.
//
// Holds the live connections (an intrusive list), a small free list of closed
// ones for reuse, the buffers all connections of the worker share (the read
// buffer and the answer buffer: only one callback runs at a time on a loop),
// the worker's QueryHandler, the idle timeout, and the server-wide connection
// counter that enforces tcp_max_connections across workers.
//
// Used only from its worker's loop thread, except `open_connections`, which is
// shared by all workers.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "net/query_handler.h"

namespace enumd::net {

class TcpConnection;

class TcpConnectionPool {
 public:
  static constexpr size_t kReadBufferSize = 64 * 1024;
  static constexpr size_t kMaxFree = 16;

  struct Limits {
    uint32_t idle_timeout_ms = 10000;  // 0: no idle timeout
    uint32_t max_connections = 1024;   // over all workers
  };

  // `handler` and `open_connections` outlive the pool. `on_drained` runs when
  // the pool is stopping and its last connection has finished closing.
  TcpConnectionPool(uv_loop_t* loop, QueryHandler* handler, Limits limits,
                    std::atomic<uint32_t>* open_connections, std::function<void()> on_drained);
  TcpConnectionPool(const TcpConnectionPool&) = delete;
  TcpConnectionPool& operator=(const TcpConnectionPool&) = delete;
  // Precondition: empty() (the loop has finished).
  ~TcpConnectionPool();

  // A listener has a connection pending: accept it, or accept and close it at
  // once when the server is at its connection cap or stopping.
  void Accept(uv_stream_t* listener) noexcept;
  // Server stop: every connection answers nothing more and closes once its
  // queued answers are written.
  void StopAll() noexcept;
  // Stop grace expired: reset every connection now.
  void CloseAll() noexcept;
  bool empty() const { return live_ == nullptr; }

  // For TcpConnection.
  QueryHandler* handler() { return handler_; }
  uint8_t* read_buffer() { return read_buffer_.get(); }
  uint8_t* answer_buffer() { return answer_buffer_.get(); }
  uint32_t idle_timeout_ms() const { return limits_.idle_timeout_ms; }
  uv_loop_t* loop() { return loop_; }
  // The connection is closing: give back its slot of the cap.
  void OnClosing(TcpConnection* connection) noexcept;
  // The connection's handles are closed: unlink it, keep it for reuse or free it.
  void Release(TcpConnection* connection) noexcept;

 private:
  TcpConnection* Acquire() noexcept;

  uv_loop_t* loop_;
  QueryHandler* handler_;
  Limits limits_;
  std::atomic<uint32_t>* open_connections_;
  std::function<void()> on_drained_;
  std::unique_ptr<uint8_t[]> read_buffer_;
  std::unique_ptr<uint8_t[]> answer_buffer_;
  TcpConnection* live_ = nullptr;  // doubly linked through prev/next
  TcpConnection* free_ = nullptr;  // singly linked through next
  size_t free_count_ = 0;
  bool stopping_ = false;
};

}  // namespace enumd::net
