// See worker.h.
#include "net/worker.h"

#include <utility>

#include "common/thread_name.h"
#include "net/tcp_connection_pool.h"
#include "net/tcp_listener.h"
#include "net/udp_listener.h"

namespace enumd::net {

namespace {

uv_handle_t* AsHandle(void* handle) { return static_cast<uv_handle_t*>(handle); }

void CloseIfOpen(uv_handle_t* handle, void* /*arg*/) {
  if (!uv_is_closing(handle)) uv_close(handle, nullptr);
}

}  // namespace

Worker::Worker(std::unique_ptr<QueryHandler> handler, const ServerOptions& options,
               TcpAdmission* tcp_admission)
    : handler_(std::move(handler)),
      tcp_admission_(tcp_admission),
      tcp_idle_timeout_ms_(options.tcp_idle_timeout_ms),
      tcp_query_timeout_ms_(options.tcp_query_timeout_ms),
      tcp_max_queued_bytes_(options.tcp_max_queued_bytes),
      udp_send_wait_ms_(options.udp_send_wait_ms) {}

Worker::~Worker() {
  if (thread_.joinable()) {
    RequestStop();
    Join();
  }
  if (!loop_ready_) return;
  if (!finished_) {
    // Never ran (Server::Start failed part-way): close everything here.
    BeginStop();
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  if (uv_loop_close(&loop_) == UV_EBUSY) {
    // Defensive: a handle we lost track of. Close it so the loop can go.
    uv_walk(&loop_, CloseIfOpen, nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
}

Status Worker::Init() {
  int error = uv_loop_init(&loop_);
  if (error != 0) return Status::Error(std::string("uv_loop_init: ") + uv_strerror(error));
  loop_ready_ = true;
  // These cannot fail once the loop exists.
  uv_async_init(&loop_, &stop_request_, OnStopRequest);
  stop_request_.data = this;
  uv_timer_init(&loop_, &grace_timer_);
  grace_timer_.data = this;
  TcpConnectionPool::Limits limits;
  limits.idle_timeout_ms = tcp_idle_timeout_ms_;
  limits.query_timeout_ms = tcp_query_timeout_ms_;
  limits.max_queued_bytes = tcp_max_queued_bytes_;
  tcp_pool_ = std::make_unique<TcpConnectionPool>(&loop_, handler_.get(), limits, tcp_admission_,
                                                  [this] { FinishStop(); });
  return Status::OK();
}

void Worker::AddUdp(UniqueFd fd, std::unique_ptr<QueryHandler> handler) {
  udp_listeners_.push_back(
      std::make_unique<UdpListener>(std::move(fd), std::move(handler), udp_send_wait_ms_));
}

Status Worker::AddTcp(UniqueFd fd, const std::string& name) {
  tcp_listeners_.push_back(std::make_unique<TcpListener>(tcp_pool_.get()));
  return tcp_listeners_.back()->Open(&loop_, std::move(fd), name);
}

void Worker::Start() {
  for (auto& listener : udp_listeners_) listener->Start();
  thread_ = std::thread([this] {
    NameThisThread("enumd-tcp");
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
}

void Worker::RequestStop() noexcept {
  for (auto& listener : udp_listeners_) listener->RequestStop();
  if (loop_ready_) uv_async_send(&stop_request_);
}

void Worker::Join() {
  for (auto& listener : udp_listeners_) listener->Join();
  if (thread_.joinable()) thread_.join();
}

void Worker::AddTcpCounts(TcpCounts* t) const noexcept {
  if (tcp_pool_) tcp_pool_->AddCounts(t);
}

uint64_t Worker::UdpRepliesDropped() const noexcept {
  uint64_t dropped = 0;
  for (const auto& listener : udp_listeners_) dropped += listener->dropped();
  return dropped;
}

void Worker::OnStopRequest(uv_async_t* async) noexcept {
  static_cast<Worker*>(async->data)->BeginStop();
}

void Worker::OnGraceExpired(uv_timer_t* timer) noexcept {
  static_cast<Worker*>(timer->data)->tcp_pool_->CloseAll();
}

void Worker::BeginStop() noexcept {
  if (stopping_) return;
  stopping_ = true;
  for (auto& listener : tcp_listeners_) listener->Close();
  if (!tcp_pool_) {  // Init did not get that far
    FinishStop();
    return;
  }
  // Arm the grace timer first: StopAll may finish at once and close it.
  uv_timer_start(&grace_timer_, OnGraceExpired, kStopGraceMs, 0);
  tcp_pool_->StopAll();
}

void Worker::FinishStop() noexcept {
  if (finished_) return;
  finished_ = true;
  // With these closed the loop has nothing left and uv_run returns.
  uv_close(AsHandle(&grace_timer_), nullptr);
  uv_close(AsHandle(&stop_request_), nullptr);
}

}  // namespace enumd::net
