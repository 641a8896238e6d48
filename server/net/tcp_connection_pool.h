// TcpConnectionPool: a worker's TCP connections and what they share.
//
// Holds the live connections, a small free list of closed ones for reuse, the
// buffers all connections of the worker share (the read buffer and the answer
// buffer: only one callback runs at a time on a loop), the worker's
// QueryHandler, the per-connection limits, and the server-wide TcpAdmission
// that enforces the total and per-source connection caps across workers.
//
// Live connections sit on one of two intrusive lists, each in order of last
// activity (every event moves its connection to the tail): `idle_` (nothing
// being received, no answers pending) and `busy_` (the rest, closing ones
// included). Over the total cap, a new connection takes the slot of the
// oldest idle connection of this worker, which is closed (Knot DNS does the
// same): a flood of idle connections cannot lock real clients out, and both
// the choice and the move are O(1). Only when the worker has no idle
// connection is the new one closed instead. Over its source's cap a new
// connection is closed at once and takes nobody's slot.
//
// Used only from its worker's loop thread; the TcpAdmission is shared.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/counter.h"
#include "net/query_handler.h"
#include "net/tcp_counts.h"

namespace enumd::net {

class TcpAdmission;
class TcpConnection;

class TcpConnectionPool {
 public:
  static constexpr size_t kReadBufferSize = 64 * 1024;
  static constexpr size_t kMaxFree = 16;

  struct Limits {
    uint32_t idle_timeout_ms = 10000;     // 0: no idle timeout
    uint32_t query_timeout_ms = 2000;     // 0: none; first byte of a frame to its last
    size_t max_queued_bytes = 64 * 1024;  // stop reading over this much unsent output
  };

  // `handler` and `admission` outlive the pool. `on_drained` runs when the
  // pool is stopping and its last connection has finished closing.
  TcpConnectionPool(uv_loop_t* loop, QueryHandler* handler, Limits limits, TcpAdmission* admission,
                    std::function<void()> on_drained);
  TcpConnectionPool(const TcpConnectionPool&) = delete;
  TcpConnectionPool& operator=(const TcpConnectionPool&) = delete;
  // Precondition: empty() (the loop has finished).
  ~TcpConnectionPool();

  // A listener has a connection pending: accept it (evicting the oldest idle
  // connection when at the total cap), or accept and close it at once when
  // its source is at its cap, nothing can be evicted, or the pool is stopping.
  void Accept(uv_stream_t* listener) noexcept;
  // Server stop: every connection answers nothing more and closes once its
  // queued answers are written.
  void StopAll() noexcept;
  // Stop grace expired: reset every connection now.
  void CloseAll() noexcept;
  bool empty() const { return idle_.head == nullptr && busy_.head == nullptr; }
  // Adds what this pool counted to *t (accepted, refused, evicted,
  // timed_out). Any thread.
  void AddCounts(TcpCounts* t) const noexcept;
  // For TcpConnection: it closes for a timeout.
  void CountTimeout() noexcept { timed_out_.Add(); }

  // For TcpConnection.
  QueryHandler* handler() { return handler_; }
  uint8_t* read_buffer() { return read_buffer_.get(); }
  uint8_t* answer_buffer() { return answer_buffer_.get(); }
  const Limits& limits() const { return limits_; }
  uv_loop_t* loop() { return loop_; }
  // After an event: move the connection to the tail of the list its state
  // (idle or busy) belongs to. Not while stopping (lists are being walked).
  void Reposition(TcpConnection* connection) noexcept;
  // The connection is closing: give back what it holds of the caps.
  void OnClosing(TcpConnection* connection) noexcept;
  // The connection's handles are closed: unlink it, keep it for reuse or free it.
  void Release(TcpConnection* connection) noexcept;

 private:
  struct List {
    TcpConnection* head = nullptr;
    TcpConnection* tail = nullptr;
  };

  TcpConnection* Acquire() noexcept;
  void Append(TcpConnection* connection, int list) noexcept;
  void Unlink(TcpConnection* connection) noexcept;
  List& ListOf(int list) { return list == kIdle ? idle_ : busy_; }

  static constexpr int kNone = 0;
  static constexpr int kIdle = 1;
  static constexpr int kBusy = 2;

  uv_loop_t* loop_;
  QueryHandler* handler_;
  Limits limits_;
  TcpAdmission* admission_;
  std::function<void()> on_drained_;
  std::unique_ptr<uint8_t[]> read_buffer_;
  std::unique_ptr<uint8_t[]> answer_buffer_;
  List idle_;                      // oldest activity at the head
  List busy_;                      // likewise
  TcpConnection* free_ = nullptr;  // singly linked through next
  size_t free_count_ = 0;
  bool stopping_ = false;
  // Written by the loop thread only (common/counter.h).
  Counter accepted_, refused_, evicted_, timed_out_;
};

}  // namespace enumd::net
