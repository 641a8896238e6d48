// Worker: one thread running one libuv loop for its TCP listening socket on
// every listen address, and one thread per UDP socket (UdpListener), one on
// every listen address too (SO_REUSEPORT lets the kernel spread traffic across
// workers). Each of these threads has its own QueryHandler and its own
// buffers. Nothing on the query path is shared between workers except the
// server-wide TCP connection caps (TcpAdmission).
//
// Life cycle, all driven by Server:
//   Init, AddUdp/AddTcp (starting thread) -> Start (spawns the threads)
//   -> RequestStop (any thread) -> Join -> destroy.
// On stop the UDP threads end at once (UdpListener) and the loop closes its
// TCP listeners, stops taking queries, lets TCP
// connections write what they have queued for up to kStopGraceMs, closes every
// handle and returns. A Worker destroyed without having been started (a failed
// Server::Start) closes its handles itself.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "net/listen_socket.h"
#include "net/query_handler.h"
#include "net/server.h"

namespace enumd::net {

class TcpAdmission;
class TcpConnectionPool;
class TcpListener;
class UdpListener;

class Worker {
 public:
  static constexpr uint64_t kStopGraceMs = 2000;

  // `handler` serves the loop (TCP). `tcp_admission` holds the server-wide
  // TCP caps; it outlives the worker.
  Worker(std::unique_ptr<QueryHandler> handler, const ServerOptions& options,
         TcpAdmission* tcp_admission);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  // Stops and joins if running.
  ~Worker();

  // Sets up the loop. Must succeed before anything else.
  Status Init();
  // Take a bound socket. A UDP socket (blocking) comes with the handler its
  // thread uses. A TCP socket is closed on error too; `name` prefixes errors.
  void AddUdp(UniqueFd fd, std::unique_ptr<QueryHandler> handler);
  Status AddTcp(UniqueFd fd, const std::string& name);
  // Starts the threads. May throw std::system_error (start-up path).
  void Start();
  // Asks the threads to stop; returns at once. Thread-safe; idempotent.
  void RequestStop() noexcept;
  // Waits for the threads to finish. Must not be called from the worker itself.
  void Join();
  // UDP replies its sockets did not send (UdpSendBatch::dropped). Any thread.
  uint64_t UdpRepliesDropped() const noexcept;
  // Adds its TCP pool's counts to *t (not `open`: that is server-wide). Any thread.
  void AddTcpCounts(TcpCounts* t) const noexcept;

 private:
  static void OnStopRequest(uv_async_t* async) noexcept;
  static void OnGraceExpired(uv_timer_t* timer) noexcept;
  void BeginStop() noexcept;
  void FinishStop() noexcept;

  std::unique_ptr<QueryHandler> handler_;
  TcpAdmission* tcp_admission_;
  uint32_t tcp_idle_timeout_ms_;
  uint32_t tcp_query_timeout_ms_;
  uint32_t tcp_max_queued_bytes_;
  uint32_t udp_send_wait_ms_;

  uv_loop_t loop_{};
  uv_async_t stop_request_{};
  uv_timer_t grace_timer_{};
  bool loop_ready_ = false;
  bool stopping_ = false;
  bool finished_ = false;

  std::unique_ptr<TcpConnectionPool> tcp_pool_;
  std::vector<std::unique_ptr<UdpListener>> udp_listeners_;
  std::vector<std::unique_ptr<TcpListener>> tcp_listeners_;
  std::thread thread_;
};

}  // namespace enumd::net
