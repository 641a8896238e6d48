// See tcp_connection_pool.h.
#include "net/tcp_connection_pool.h"

#include <new>
#include <utility>

#include "net/tcp_admission.h"
#include "net/tcp_connection.h"

namespace enumd::net {

TcpConnectionPool::TcpConnectionPool(uv_loop_t* loop, QueryHandler* handler, Limits limits,
                                     TcpAdmission* admission, std::function<void()> on_drained)
    : loop_(loop),
      handler_(handler),
      limits_(limits),
      admission_(admission),
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
  Append(connection, kBusy);
  if (!connection->Accept(loop_, listener)) return;
  if (stopping_) {
    connection->Close();
    return;
  }
  // Per source first, so a source at its cap cannot evict anybody. The
  // client sees the close and can try again later or elsewhere (RFC 7766
  // §6.2.2).
  TcpSource source = TcpSource::From(connection->peer());
  if (!admission_->TakeSource(source)) {
    refused_.Add();
    connection->Close();
    return;
  }
  connection->source = source;
  if (!admission_->TakeSlot()) {
    // At the total cap: take over the slot of this worker's oldest idle
    // connection. The victim has nothing pending, so a plain close (FIN).
    TcpConnection* victim = idle_.head;
    if (victim == nullptr || !victim->holds_slot) {
      refused_.Add();
      connection->Close();
      return;
    }
    victim->holds_slot = false;
    victim->Close();
    evicted_.Add();
  }
  connection->holds_slot = true;
  accepted_.Add();
  connection->Begin();
}

void TcpConnectionPool::AddCounts(TcpCounts* t) const noexcept {
  t->accepted += accepted_.Get();
  t->refused += refused_.Get();
  t->evicted += evicted_.Get();
  t->timed_out += timed_out_.Get();
}

void TcpConnectionPool::StopAll() noexcept {
  stopping_ = true;
  // While stopping, connections stay on their lists until Release (from a
  // close callback, never from inside this walk), so the walk stays valid.
  for (List* list : {&idle_, &busy_}) {
    for (TcpConnection* c = list->head; c != nullptr; c = c->next) c->StopQueries();
  }
  if (empty()) on_drained_();
}

void TcpConnectionPool::CloseAll() noexcept {
  for (List* list : {&idle_, &busy_}) {
    for (TcpConnection* c = list->head; c != nullptr; c = c->next) c->Abort();
  }
}

void TcpConnectionPool::Reposition(TcpConnection* connection) noexcept {
  if (stopping_) return;
  Unlink(connection);
  Append(connection, connection->idle() ? kIdle : kBusy);
}

void TcpConnectionPool::OnClosing(TcpConnection* connection) noexcept {
  if (connection->holds_slot) admission_->ReturnSlot();
  admission_->ReturnSource(connection->source);
  connection->holds_slot = false;
  connection->source = TcpSource{};
  // Never a candidate for eviction again.
  if (!stopping_ && connection->list == kIdle) {
    Unlink(connection);
    Append(connection, kBusy);
  }
}

void TcpConnectionPool::Release(TcpConnection* connection) noexcept {
  Unlink(connection);
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

void TcpConnectionPool::Append(TcpConnection* connection, int list) noexcept {
  List& to = ListOf(list);
  connection->prev = to.tail;
  connection->next = nullptr;
  if (to.tail != nullptr) {
    to.tail->next = connection;
  } else {
    to.head = connection;
  }
  to.tail = connection;
  connection->list = list;
}

void TcpConnectionPool::Unlink(TcpConnection* connection) noexcept {
  if (connection->list == kNone) return;
  List& from = ListOf(connection->list);
  if (connection->prev != nullptr) {
    connection->prev->next = connection->next;
  } else {
    from.head = connection->next;
  }
  if (connection->next != nullptr) {
    connection->next->prev = connection->prev;
  } else {
    from.tail = connection->prev;
  }
  connection->prev = connection->next = nullptr;
  connection->list = kNone;
}

}  // namespace enumd::net
