// See tcp_connection.h.
#include "net/tcp_connection.h"

#include <algorithm>

#include "net/tcp_connection_pool.h"

namespace enumd::net {

namespace {

// Growth step for `input_` while a frame is being assembled: enough for a
// typical query in one go without reserving a whole 64 KiB frame per client.
constexpr size_t kInputStep = 2048;

size_t FrameLength(const uint8_t* prefix) {
  return (static_cast<size_t>(prefix[0]) << 8) | prefix[1];
}

uv_handle_t* AsHandle(void* handle) { return static_cast<uv_handle_t*>(handle); }

}  // namespace

bool TcpConnection::Accept(uv_loop_t* loop, uv_stream_t* listener) noexcept {
  // Neither can fail for AF_UNSPEC handles: no socket is created.
  uv_tcp_init(loop, &tcp_);
  uv_timer_init(loop, &idle_timer_);
  tcp_.data = this;
  idle_timer_.data = this;
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

void TcpConnection::Begin(bool counted) noexcept {
  counted_ = counted;
  Touch();
  if (pool_->idle_timeout_ms() > 0) {
    uv_timer_start(&idle_timer_, OnIdleTimer, pool_->idle_timeout_ms(), 0);
  }
  SetReading(true);
}

void TcpConnection::StopQueries() noexcept {
  if (closing_) return;
  end_of_queries_ = true;
  input_.Clear();
  Pump();
}

void TcpConnection::CloseHandles(bool reset) noexcept {
  if (closing_) return;
  closing_ = true;
  reading_ = false;
  pool_->OnClosing(this);
  // A pending uv_write is cancelled (OnWrite sees UV_ECANCELED) before the
  // close callbacks run, so `writing_` stays valid for as long as libuv needs it.
  if (!reset || uv_tcp_close_reset(&tcp_, OnHandleClosed) != 0) {
    uv_close(AsHandle(&tcp_), OnHandleClosed);
  }
  uv_close(AsHandle(&idle_timer_), OnHandleClosed);
}

void TcpConnection::Recycle() noexcept {
  // Keep buffers of a typical size; give back what a big exchange grew.
  input_.Trim(kInputStep);
  queued_.Trim(kInputStep);
  writing_.Trim(kInputStep);
  tcp_ = uv_tcp_t{};
  idle_timer_ = uv_timer_t{};
  write_request_ = uv_write_t{};
  peer_storage_ = sockaddr_in6{};
  last_activity_ms_ = 0;
  open_handles_ = 0;
  counted_ = reading_ = write_in_flight_ = false;
  end_of_input_ = end_of_queries_ = closing_ = false;
  prev = next = nullptr;
}

void TcpConnection::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) noexcept {
  auto* self = static_cast<TcpConnection*>(handle->data);
  ByteBuffer& input = self->input_;
  if (input.empty()) {
    *buf = uv_buf_init(reinterpret_cast<char*>(self->pool_->read_buffer()),
                       TcpConnectionPool::kReadBufferSize);
    return;
  }
  // Continue the unfinished frame in place. While reading, `input_` never
  // holds a complete frame (Pump answers those first), so it is shorter than
  // `needed` and there is room for at least one byte.
  size_t needed = input.size() < 2 ? 2 : 2 + FrameLength(input.data());
  size_t wanted = std::min(std::max(needed, input.size() + kInputStep), kMaxFrame);
  if (input.size() >= wanted || !input.Reserve(wanted)) {
    *buf = uv_buf_init(nullptr, 0);  // read callback gets UV_ENOBUFS and closes
    return;
  }
  *buf = uv_buf_init(reinterpret_cast<char*>(input.data() + input.size()),
                     static_cast<unsigned>(input.capacity() - input.size()));
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
  size_t length = static_cast<size_t>(nread);
  auto* data = reinterpret_cast<const uint8_t*>(buf->base);
  if (data == self->pool_->read_buffer()) {
    size_t used = self->AnswerFrames(data, length);
    if (self->closing_) return;
    if (used < length && !self->end_of_queries_ &&
        !self->input_.Append(data + used, length - used)) {
      self->Close();
      return;
    }
  } else {
    self->input_.Commit(length);
  }
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

void TcpConnection::OnIdleTimer(uv_timer_t* timer) noexcept {
  auto* self = static_cast<TcpConnection*>(timer->data);
  // Activity only records a time stamp (cheaper than re-arming the timer on
  // every read); when the timer fires, re-arm for the time still left.
  uint64_t timeout = self->pool_->idle_timeout_ms();
  uint64_t idle = uv_now(timer->loop) - self->last_activity_ms_;
  if (idle >= timeout) {
    if (self->PendingOutput() > 0) {
      self->Abort();
    } else {
      self->Close();
    }
    return;
  }
  uv_timer_start(timer, OnIdleTimer, timeout - idle, 0);
}

void TcpConnection::OnHandleClosed(uv_handle_t* handle) noexcept {
  auto* self = static_cast<TcpConnection*>(handle->data);
  if (--self->open_handles_ == 0) self->pool_->Release(self);
}

size_t TcpConnection::AnswerFrames(const uint8_t* data, size_t length) noexcept {
  size_t used = 0;
  while (!end_of_queries_ && !closing_ && PendingOutput() <= kOutputCap) {
    if (length - used < 2) break;
    size_t frame = FrameLength(data + used);
    if (frame == 0) {
      // Not a DNS message; treat it as the end of the conversation.
      end_of_queries_ = true;
      used = length;
      break;
    }
    if (length - used - 2 < frame) break;
    Answer(data + used + 2, frame);
    used += 2 + frame;
  }
  return used;
}

void TcpConnection::Answer(const uint8_t* query, size_t length) noexcept {
  uint8_t* out = pool_->answer_buffer();
  size_t answer = pool_->handler()->Handle(query, length, out + 2, 65535, Transport::kTcp,
                                           reinterpret_cast<const sockaddr*>(&peer_storage_));
  if (answer == 0 || answer > 65535) return;  // nothing to send for this query
  out[0] = static_cast<uint8_t>(answer >> 8);
  out[1] = static_cast<uint8_t>(answer);
  if (!queued_.Append(out, answer + 2)) Close();
}

void TcpConnection::Pump() noexcept {
  while (!closing_) {
    if (!input_.empty() && !end_of_queries_) {
      input_.Consume(AnswerFrames(input_.data(), input_.size()));
      if (closing_) return;
    }
    if (end_of_queries_) input_.Clear();
    Flush();
    if (closing_) return;
    // Loop only if the flush made room for answers still held back.
    if (end_of_queries_ || PendingOutput() > kOutputCap || !HasCompleteFrame()) break;
  }
  if (closing_) return;
  SetReading(!end_of_queries_ && !end_of_input_ && PendingOutput() <= kOutputCap);
  if (closing_) return;
  if (PendingOutput() == 0 && (end_of_queries_ || end_of_input_)) Close();
}

void TcpConnection::Flush() noexcept {
  if (write_in_flight_ || queued_.empty()) return;
  uv_buf_t buffer =
      uv_buf_init(reinterpret_cast<char*>(queued_.data()), static_cast<unsigned>(queued_.size()));
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  int written = uv_try_write(stream, &buffer, 1);
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

bool TcpConnection::HasCompleteFrame() const noexcept {
  return input_.size() >= 2 && input_.size() >= 2 + FrameLength(input_.data());
}

void TcpConnection::Touch() noexcept { last_activity_ms_ = uv_now(pool_->loop()); }

}  // namespace enumd::net
