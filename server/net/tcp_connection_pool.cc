// See tcp_connection_pool.h.
#include "net/tcp_connection_pool.h"

#include <new>
#include <utility>

#include "net/tcp_connection.h"

namespace enumd::net {

TcpConnectionPool::TcpConnectionPool(uv_loop_t* loop, QueryHandler* handler, Limits limits,
                                     std::atomic<uint32_t>* open_connections,
                                     std::function<void()> on_drained)
    : loop_(loop),
      handler_(handler),
      limits_(limits),
      open_connections_(open_connections),
      on_drained_(std::move(on_drained)),
      read_buffer_(std::make_unique_for_overwrite<uint8_t[]>(kReadBufferSize)),
      answer_buffer_(std::make_unique_for_overwrite<uint8_t[]>(TcpConnection::kMaxFrame)) {}

TcpConnectionPool::~TcpConnectionPool() {
  while (free_ != nullptr) {
    TcpConnection* connection = free_;
    free_ = connection->next;
    delete connection;
  }
}

void TcpConnectionPool::Accept(uv_stream_t* listener) noexcept {
  TcpConnection* connection = Acquire();
  // Without memory for a connection we cannot even accept-and-close; libuv
  // then pauses this listener until the next accept, and the backlog waits.
  if (connection == nullptr) return;
  connection->next = live_;
  if (live_ != nullptr) live_->prev = connection;
  live_ = connection;
  if (!connection->Accept(loop_, listener)) return;
  if (stopping_) {
    connection->Close();
    return;
  }
  // The cap is over all workers. Over it, the connection is closed at once:
  // the client sees the close and can try another server (RFC 7766 §6.2.2).
  if (open_connections_->fetch_add(1, std::memory_order_relaxed) >= limits_.max_connections) {
    open_connections_->fetch_sub(1, std::memory_order_relaxed);
    connection->Close();
    return;
  }
  connection->Begin(/*counted=*/true);
}

void TcpConnectionPool::StopAll() noexcept {
  stopping_ = true;
  // Closing only unlinks connections later (Release, from a close callback),
  // so the list stays valid while we walk it.
  for (TcpConnection* c = live_; c != nullptr; c = c->next) c->StopQueries();
  if (empty()) on_drained_();
}

void TcpConnectionPool::CloseAll() noexcept {
  for (TcpConnection* c = live_; c != nullptr; c = c->next) c->Abort();
}

void TcpConnectionPool::OnClosing(TcpConnection* connection) noexcept {
  if (connection->counted()) open_connections_->fetch_sub(1, std::memory_order_relaxed);
}

void TcpConnectionPool::Release(TcpConnection* connection) noexcept {
  if (connection->prev != nullptr) {
    connection->prev->next = connection->next;
  } else {
    live_ = connection->next;
  }
  if (connection->next != nullptr) connection->next->prev = connection->prev;

  if (!stopping_ && free_count_ < kMaxFree) {
    connection->Recycle();
    connection->next = free_;
    free_ = connection;
    ++free_count_;
  } else {
    delete connection;
  }
  if (stopping_ && empty()) on_drained_();
}

TcpConnection* TcpConnectionPool::Acquire() noexcept {
  if (free_ == nullptr) return new (std::nothrow) TcpConnection(this);
  TcpConnection* connection = free_;
  free_ = connection->next;
  connection->next = nullptr;
  --free_count_;
  return connection;
}

}  // namespace enumd::net
