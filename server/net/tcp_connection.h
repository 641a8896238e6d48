// TcpConnection: one client connection, DNS over TCP as RFC 7766 has it.
//
// Framing (RFC 1035 §4.2.2) is TcpFramer's: frames may be split anywhere and
// pipelined (RFC 7766 §6.2.1.1). Queries are answered synchronously, so
// answers go out in query order. Reads land in the pool's shared read buffer
// and complete frames are answered straight from there; the framer copies
// only an unfinished frame, or input held back (below).
//
// Output: answers are appended to `queued_` and written with uv_try_write;
// what the kernel does not take moves to `writing_` for one uv_write at a
// time. When more than the pool's max_queued_bytes wait, the connection stops
// answering and reading (a client that does not read its answers cannot make
// us buffer without bound: at most max_queued_bytes + one 64 KiB answer, plus
// one read buffer of held input) and resumes when the write completes.
//
// Streams (zone transfers): when the handler answers a query with a
// ResponseStream, the connection answers nothing else until the stream ends
// (later queries wait in the framer, unread, so answers stay in order) and
// pulls messages from it while less than max_queued_bytes wait. Those are
// handed to libuv with uv_write, never uv_try_write, so the next batch is
// pulled from the write callback: one batch per loop turn, and other
// connections of the worker are served between batches. A client that does
// not read stops the stream (nothing is pulled while the output is full) and
// is reset by the idle timeout; a failed stream resets the connection.
//
// Timeouts, one timer per connection armed for the earlier of:
//  - idle: no read or write progress for idle_timeout_ms. A client that
//    never reads its answers makes no progress either, so it is reset then.
//    Part of a pending write taken by the kernel counts as progress (seen
//    when the timer fires), so a slow but reading client of a long transfer
//    is not reset.
//  - query: a frame whose first byte was read must be complete within
//    query_timeout_ms, however slowly its bytes trickle in (slowloris); the
//    clock runs only while the server is reading (it restarts when reading
//    resumes after an output-cap pause, which only the client's reading ends).
// Activity only records time stamps; the timer re-arms itself when it fires.
//
// Idle (for the pool's oldest-idle-first eviction): no frame buffered (none
// being received or held) and no answers pending.
//
// Closing: a zero-length frame, end of input, or server stop ends the query
// stream; the connection closes once its answers are written. A timeout, a
// read or write error, eviction, or the pool closing everything (stop grace
// expired) closes it at once; with answers still unsent, by a reset (RST).
//
// Owned by a TcpConnectionPool; used only from that pool's loop thread.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "net/byte_buffer.h"
#include "net/query_handler.h"
#include "net/tcp_admission.h"
#include "net/tcp_framer.h"

namespace enumd::net {

class TcpConnectionPool;

class TcpConnection final : private TcpFramer::Sink {
 public:
  static constexpr size_t kMaxFrame = TcpFramer::kMaxFrame;

  explicit TcpConnection(TcpConnectionPool* pool) : pool_(pool) {}
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Initialises the handles and takes the pending connection from `listener`.
  // Returns false if that failed; the connection is then closing.
  bool Accept(uv_loop_t* loop, uv_stream_t* listener) noexcept;
  // Starts the timer and reading.
  void Begin() noexcept;
  // The server is stopping: answer nothing more, close once answers are out.
  void StopQueries() noexcept;
  // Closes now, dropping unwritten answers. The pool gets the connection back
  // (Release) after libuv's close callbacks. Idempotent.
  void Close() noexcept { CloseHandles(/*reset=*/false); }
  // Closes now with a TCP reset, so the kernel does not keep trying to deliver
  // answers nobody reads (stop grace expired, timed out with answers queued).
  void Abort() noexcept { CloseHandles(/*reset=*/true); }
  // Prepares a released connection for reuse; keeps small buffers.
  void Recycle() noexcept;

  bool closing() const { return closing_; }
  bool idle() const {
    return !closing_ && framer_.buffered() == 0 && PendingOutput() == 0 && !stream_;
  }
  // The peer's address (family AF_UNSPEC if it could not be read).
  const sockaddr* peer() const { return reinterpret_cast<const sockaddr*>(&peer_storage_); }

  // What the connection holds of the server-wide caps (see TcpAdmission),
  // set by the pool and given back by it when the connection closes.
  bool holds_slot = false;
  TcpSource source;  // counted under this source if known()

  // The pool's intrusive lists (idle, busy; the free list uses `next`).
  TcpConnection* prev = nullptr;
  TcpConnection* next = nullptr;
  int list = 0;  // which pool list holds it (the pool's business)

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void OnWrite(uv_write_t* request, int status) noexcept;
  static void OnTimer(uv_timer_t* timer) noexcept;
  static void OnHandleClosed(uv_handle_t* handle) noexcept;

  // TcpFramer::Sink: answer while the output cap allows.
  bool Ready() noexcept override;
  void OnMessage(const uint8_t* query, size_t length) noexcept override;

  void CloseHandles(bool reset) noexcept;
  // Answers held-back input, writes, decides whether to read or close, and
  // updates the query deadline and the connection's place in the pool.
  void Pump() noexcept;
  void Flush() noexcept;
  // Appends the stream's next messages while the output cap allows; ends or
  // fails the stream.
  void PullStream() noexcept;
  void SetReading(bool on) noexcept;
  // Starts the query clock when a new unfinished frame is being read.
  void UpdateDeadline() noexcept;
  // Makes the timer fire no later than `due_ms` (loop time).
  void ArmTimer(uint64_t due_ms) noexcept;
  void TimedOut() noexcept;
  size_t PendingOutput() const { return queued_.size() + writing_.size(); }
  bool OutputFull() const noexcept;
  void Touch() noexcept;

  TcpConnectionPool* pool_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_write_t write_request_{};
  sockaddr_in6 peer_storage_{};  // holds a sockaddr_in or sockaddr_in6

  TcpFramer framer_;                        // unanswered input
  ByteBuffer queued_;                       // answers not yet handed to the kernel or libuv
  ByteBuffer writing_;                      // answers owned by the in-flight uv_write
  std::unique_ptr<ResponseStream> stream_;  // the answer being streamed, if any
  uint64_t last_activity_ms_ = 0;
  uint64_t timer_due_ms_ = 0;       // when the armed timer fires; 0: not armed
  uint64_t frame_deadline_ms_ = 0;  // valid while receiving_
  uint64_t frame_number_ = 0;       // framer_.delivered() when the clock started
  size_t write_left_ = 0;           // bytes of the in-flight write libuv still held when last seen

  int open_handles_ = 0;
  bool reading_ = false;
  bool receiving_ = false;  // reading an unfinished frame: the query clock runs
  bool write_in_flight_ = false;
  bool end_of_input_ = false;  // the peer shut down its side
  bool closing_ = false;
};

}  // namespace enumd::net
