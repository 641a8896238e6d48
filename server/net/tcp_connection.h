// TcpConnection: one client connection, DNS over TCP as RFC 7766 has it.
//
// Framing (RFC 1035 §4.2.2): every message is preceded by a 2-byte length.
// Frames may be split anywhere, including inside the length prefix, and many
// may arrive in one read (pipelining, RFC 7766 §6.2.1.1). Queries are answered
// synchronously, so answers go out in query order.
//
// Input: reads land in the pool's shared read buffer and complete frames are
// answered straight from there; only an unfinished frame (or input held back,
// see below) is copied into the connection's own `input_`, which grows to at
// most one read buffer plus one frame.
//
// Output: answers are appended to `queued_` and written with uv_try_write;
// what the kernel does not take moves to `writing_` for one uv_write at a
// time. When more than kOutputCap bytes are waiting, the connection stops
// answering and reading (a client that does not read its answers cannot make
// us buffer without bound) and resumes when the write completes.
//
// Closing: a zero-length frame, end of input, or server stop ends the query
// stream; the connection closes once its answers are written. The idle timer
// (reset by any read or write progress), a read or write error, or the pool
// closing everything (stop grace expired) closes it at once; with answers
// still unsent, by a reset (RST).
//
// Owned by a TcpConnectionPool; used only from that pool's loop thread.
#pragma once

#include <netinet/in.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>

#include "net/byte_buffer.h"

namespace enumd::net {

class TcpConnectionPool;

class TcpConnection {
 public:
  // Stop answering and reading once this many answer bytes wait to be written.
  static constexpr size_t kOutputCap = 64 * 1024;
  static constexpr size_t kMaxFrame = 2 + 65535;

  explicit TcpConnection(TcpConnectionPool* pool) : pool_(pool) {}
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Initialises the handles and takes the pending connection from `listener`.
  // Returns false if that failed; the connection is then closing.
  bool Accept(uv_loop_t* loop, uv_stream_t* listener) noexcept;
  // Starts the idle timer and reading. `counted`: the connection holds a slot
  // of the server-wide connection cap, returned when it closes.
  void Begin(bool counted) noexcept;
  // The server is stopping: answer nothing more, close once answers are out.
  void StopQueries() noexcept;
  // Closes now, dropping unwritten answers. The pool gets the connection back
  // (Release) after libuv's close callbacks. Idempotent.
  void Close() noexcept { CloseHandles(/*reset=*/false); }
  // Closes now with a TCP reset, so the kernel does not keep trying to deliver
  // answers nobody reads (stop grace expired, idle with answers queued).
  void Abort() noexcept { CloseHandles(/*reset=*/true); }
  // Prepares a released connection for reuse; keeps small buffers.
  void Recycle() noexcept;

  bool closing() const { return closing_; }
  bool counted() const { return counted_; }

  // The pool's intrusive list of live connections (and its free list).
  TcpConnection* prev = nullptr;
  TcpConnection* next = nullptr;

 private:
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) noexcept;
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
  static void OnWrite(uv_write_t* request, int status) noexcept;
  static void OnIdleTimer(uv_timer_t* timer) noexcept;
  static void OnHandleClosed(uv_handle_t* handle) noexcept;

  void CloseHandles(bool reset) noexcept;
  // Answers the complete frames in [data, data+length) until one is
  // incomplete, the output cap is reached, or the query stream ends. Returns
  // the bytes consumed.
  size_t AnswerFrames(const uint8_t* data, size_t length) noexcept;
  void Answer(const uint8_t* query, size_t length) noexcept;
  // Answers held-back input, writes, and decides whether to read or close.
  void Pump() noexcept;
  void Flush() noexcept;
  void SetReading(bool on) noexcept;
  bool HasCompleteFrame() const noexcept;
  size_t PendingOutput() const { return queued_.size() + writing_.size(); }
  void Touch() noexcept;

  TcpConnectionPool* pool_;
  uv_tcp_t tcp_{};
  uv_timer_t idle_timer_{};
  uv_write_t write_request_{};
  sockaddr_in6 peer_storage_{};  // holds a sockaddr_in or sockaddr_in6

  ByteBuffer input_;    // unanswered input: an unfinished frame, or held back
  ByteBuffer queued_;   // answers not yet handed to the kernel or libuv
  ByteBuffer writing_;  // answers owned by the in-flight uv_write
  uint64_t last_activity_ms_ = 0;

  int open_handles_ = 0;
  bool counted_ = false;
  bool reading_ = false;
  bool write_in_flight_ = false;
  bool end_of_input_ = false;    // the peer shut down its side
  bool end_of_queries_ = false;  // zero-length frame or server stop
  bool closing_ = false;
};

}  // namespace enumd::net
