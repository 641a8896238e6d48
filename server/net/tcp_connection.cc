// See tcp_connection.h.
#include "net/tcp_connection.h"

#include <algorithm>
#include <limits>

#include "net/tcp_connection_pool.h"

namespace enumd::net {

namespace {

// Buffer capacity a recycled connection keeps: a typical query or answer.
constexpr size_t kKeepCapacity = 2048;

uv_handle_t* AsHandle(void* handle) { return static_cast<uv_handle_t*>(handle); }

}  // namespace

bool TcpConnection::Accept(uv_loop_t* loop, uv_stream_t* listener) noexcept {
  // Neither can fail for AF_UNSPEC handles: no socket is created.
  uv_tcp_init(loop, &tcp_);
  uv_timer_init(loop, &timer_);
  tcp_.data = this;
  timer_.data = this;
  write_request_.data = this;
  open_handles_ = 2;
  if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(&tcp_)) != 0) {
    Close();
    return false;
  }
  // Answers are whole messages; do not let Nagle hold the next one back.
  uv_tcp_nodelay(&tcp_, 1);
  int length = sizeof(peer_storage_);
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer_storage_), &length) != 0) {
    peer_storage_ = sockaddr_in6{};
  }
  return true;
}

void TcpConnection::Begin() noexcept {
  Touch();
  if (pool_->limits().idle_timeout_ms > 0) {
    ArmTimer(last_activity_ms_ + pool_->limits().idle_timeout_ms);
  }
  SetReading(true);
  if (!closing_) pool_->Reposition(this);
}

void TcpConnection::StopQueries() noexcept {
  if (closing_) return;
  if (stream_) {
    // A transfer cut short must not look complete: reset.
    stream_.reset();
    Abort();
    return;
  }
  framer_.End();
  Pump();
}

void TcpConnection::CloseHandles(bool reset) noexcept {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  receiving_ = false;
  stream_.reset();
  pool_->OnClosing(this);
  // A pending uv_write is cancelled (OnWrite sees UV_ECANCELED) before the
  // close callbacks run, so `writing_` stays valid for as long as libuv needs it.
  if (!reset || uv_tcp_close_reset(&tcp_, OnHandleClosed) != 0) {
    uv_close(AsHandle(&tcp_), OnHandleClosed);
  }
  uv_close(AsHandle(&timer_), OnHandleClosed);
}

void TcpConnection::Recycle() noexcept {
  // Keep buffers of a typical size; give back what a big exchange grew.
  framer_.Reset(kKeepCapacity);
  queued_.Trim(kKeepCapacity);
  writing_.Trim(kKeepCapacity);
  tcp_ = uv_tcp_t{};
  timer_ = uv_timer_t{};
  write_request_ = uv_write_t{};
  peer_storage_ = sockaddr_in6{};
  last_activity_ms_ = timer_due_ms_ = frame_deadline_ms_ = frame_number_ = 0;
  write_left_ = 0;
  open_handles_ = 0;
  reading_ = receiving_ = write_in_flight_ = end_of_input_ = closing_ = false;
  holds_slot = false;
  stream_.reset();
  source = TcpSource{};
  prev = next = nullptr;
  list = 0;
}

void TcpConnection::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) noexcept {
  auto* self = static_cast<TcpConnection*>(handle->data);
  uint8_t* space = nullptr;
  size_t size = 0;
  if (!self->framer_.ReadSpace(self->pool_->read_buffer(), TcpConnectionPool::kReadBufferSize,
                               &space, &size)) {
    *buf = uv_buf_init(nullptr, 0);  // read callback gets UV_ENOBUFS and closes
    return;
  }
  *buf = uv_buf_init(reinterpret_cast<char*>(space), static_cast<unsigned>(size));
}

void TcpConnection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<TcpConnection*>(stream->data);
  if (nread == 0 || self->closing_) return;
  if (nread < 0) {
    if (nread != UV_EOF) {
      self->Close();
      return;
    }
    // RFC 7766 §6.2.3: a client may half-close after its queries; answer
    // what it sent, then close.
    self->end_of_input_ = true;
    self->Pump();
    return;
  }
  self->Touch();
  if (!self->framer_.Received(reinterpret_cast<const uint8_t*>(buf->base),
                              static_cast<size_t>(nread), *self)) {
    self->Close();
    return;
  }
  if (self->closing_) return;
  self->Pump();
}

void TcpConnection::OnWrite(uv_write_t* request, int status) noexcept {
  auto* self = static_cast<TcpConnection*>(request->data);
  self->write_in_flight_ = false;
  self->writing_.Clear();
  if (self->closing_) return;
  if (status < 0) {
    self->Close();
    return;
  }
  self->Touch();
  self->Pump();
}

void TcpConnection::OnTimer(uv_timer_t* timer) noexcept {
  auto* self = static_cast<TcpConnection*>(timer->data);
  self->timer_due_ms_ = 0;
  if (self->closing_) return;
  const TcpConnectionPool::Limits& limits = self->pool_->limits();
  uint64_t now = uv_now(timer->loop);
  uint64_t next = std::numeric_limits<uint64_t>::max();
  if (self->receiving_ && limits.query_timeout_ms > 0) {
    if (now >= self->frame_deadline_ms_) return self->TimedOut();
    next = self->frame_deadline_ms_;
  }
  if (self->write_in_flight_) {
    // Part of the pending write went to the kernel since we last looked:
    // progress, though the write has not completed (a slow reader of a
    // large transfer with big socket buffers frees room a little at a time).
    const size_t left = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&self->tcp_));
    if (left < self->write_left_) self->Touch();
    self->write_left_ = left;
  }
  if (limits.idle_timeout_ms > 0) {
    uint64_t idle_due = self->last_activity_ms_ + limits.idle_timeout_ms;
    if (now >= idle_due) return self->TimedOut();
    next = std::min(next, idle_due);
  }
  if (next != std::numeric_limits<uint64_t>::max()) self->ArmTimer(next);
}

void TcpConnection::OnHandleClosed(uv_handle_t* handle) noexcept {
  auto* self = static_cast<TcpConnection*>(handle->data);
  if (--self->open_handles_ == 0) self->pool_->Release(self);
}

bool TcpConnection::Ready() noexcept { return !closing_ && !stream_ && !OutputFull(); }

void TcpConnection::OnMessage(const uint8_t* query, size_t length) noexcept {
  uint8_t* out = pool_->answer_buffer();
  size_t answer = pool_->handler()->Handle(query, length, out + 2, 65535, Transport::kTcp, peer());
  if (answer == 0) {
    stream_ = pool_->handler()->TakeStream();
    return;
  }
  if (answer > 65535) return;  // nothing to send for this query
  out[0] = static_cast<uint8_t>(answer >> 8);
  out[1] = static_cast<uint8_t>(answer);
  if (!queued_.Append(out, answer + 2)) Close();
}

void TcpConnection::Pump() noexcept {
  while (!closing_) {
    if (stream_) {
      PullStream();
      if (closing_) return;
    }
    if (!stream_) {
      framer_.Resume(*this);
      if (closing_) return;
    }
    Flush();
    if (closing_) return;
    // A stream goes on from the write callback, or now if nothing is being
    // written (it has just started and queued nothing yet).
    if (stream_) {
      if (write_in_flight_) break;
      continue;
    }
    // Loop only if the flush made room for answers still held back.
    if (framer_.ended() || OutputFull() || !framer_.HasCompleteFrame()) break;
  }
  if (closing_) return;
  SetReading(!framer_.ended() && !end_of_input_ && !OutputFull() && !stream_);
  if (closing_) return;
  if (PendingOutput() == 0 && !stream_ && (framer_.ended() || end_of_input_)) {
    Close();
    return;
  }
  UpdateDeadline();
  pool_->Reposition(this);
}

void TcpConnection::PullStream() noexcept {
  uint8_t* out = pool_->answer_buffer();
  while (stream_ && !OutputFull()) {
    const size_t n = stream_->Next(out + 2, 65535);
    if (n == 0) {
      stream_.reset();
      return;
    }
    if (n == ResponseStream::kFailed || n > 65535) {
      Abort();
      return;
    }
    out[0] = static_cast<uint8_t>(n >> 8);
    out[1] = static_cast<uint8_t>(n);
    if (!queued_.Append(out, n + 2)) {
      Abort();
      return;
    }
  }
}

void TcpConnection::Flush() noexcept {
  if (write_in_flight_ || queued_.empty()) return;
  uv_buf_t buffer =
      uv_buf_init(reinterpret_cast<char*>(queued_.data()), static_cast<unsigned>(queued_.size()));
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  // While streaming, always through uv_write: its callback pulls the next
  // batch, after the loop has served everyone else once.
  int written = stream_ ? UV_EAGAIN : uv_try_write(stream, &buffer, 1);
  if (written < 0 && written != UV_EAGAIN) {
    Close();
    return;
  }
  size_t sent = written > 0 ? static_cast<size_t>(written) : 0;
  if (sent > 0) Touch();
  if (sent == queued_.size()) {
    queued_.Clear();
    return;
  }
  // The kernel's buffer is full: hand the rest to libuv. `queued_` takes the
  // old (empty) write buffer, so neither reallocates in steady state.
  queued_.Consume(sent);
  writing_.Swap(queued_);
  queued_.Clear();
  buffer =
      uv_buf_init(reinterpret_cast<char*>(writing_.data()), static_cast<unsigned>(writing_.size()));
  if (uv_write(&write_request_, stream, &buffer, 1, OnWrite) != 0) {
    writing_.Clear();
    Close();
    return;
  }
  write_in_flight_ = true;
  write_left_ = uv_stream_get_write_queue_size(stream);
}

void TcpConnection::SetReading(bool on) noexcept {
  if (on == reading_) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  if (on) {
    if (uv_read_start(stream, OnAlloc, OnRead) != 0) {
      Close();
      return;
    }
  } else {
    uv_read_stop(stream);
  }
  reading_ = on;
}

void TcpConnection::UpdateDeadline() noexcept {
  // While reading, the framer holds no complete frame, so anything buffered
  // is the start of an unfinished one.
  bool receiving = reading_ && framer_.buffered() > 0;
  if (!receiving) {
    receiving_ = false;
    return;
  }
  // A frame delivered since the clock started means the buffered bytes
  // belong to a later frame, which gets its own time.
  if (receiving_ && framer_.delivered() == frame_number_) return;
  receiving_ = true;
  frame_number_ = framer_.delivered();
  uint32_t timeout = pool_->limits().query_timeout_ms;
  if (timeout == 0) return;
  frame_deadline_ms_ = uv_now(pool_->loop()) + timeout;
  ArmTimer(frame_deadline_ms_);
}

void TcpConnection::ArmTimer(uint64_t due_ms) noexcept {
  if (timer_due_ms_ != 0 && timer_due_ms_ <= due_ms) return;
  uint64_t now = uv_now(pool_->loop());
  uv_timer_start(&timer_, OnTimer, due_ms > now ? due_ms - now : 0, 0);
  timer_due_ms_ = due_ms;
}

void TcpConnection::TimedOut() noexcept {
  pool_->CountTimeout();
  if (PendingOutput() > 0) {
    Abort();
  } else {
    Close();
  }
}

bool TcpConnection::OutputFull() const noexcept {
  return PendingOutput() > pool_->limits().max_queued_bytes;
}

void TcpConnection::Touch() noexcept { last_activity_ms_ = uv_now(pool_->loop()); }

}  // namespace enumd::net
