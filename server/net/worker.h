// Worker: one thread running one libuv loop, with its own UDP socket and TCP
// listening socket on every listen address (SO_REUSEPORT lets the kernel
// spread traffic across workers), its own QueryHandler and its own buffers.
// Nothing on the query path is shared between workers except the server-wide
// TCP connection caps (TcpAdmission).
//
// Life cycle, all driven by Server:
//   Init, AddUdp/AddTcp (starting thread) -> Start (spawns the thread)
//   -> RequestStop (any thread) -> Join -> destroy.
// On stop the loop closes its listeners, stops taking queries, lets TCP
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

  // `tcp_admission` holds the server-wide TCP caps; it outlives the worker.
  Worker(std::unique_ptr<QueryHandler> handler, const ServerOptions& options,
         TcpAdmission* tcp_admission);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  // Stops and joins if running.
  ~Worker();

  // Sets up the loop. Must succeed before anything else.
  Status Init();
  // Take a bound socket (closed on error too); `name` prefixes errors.
  Status AddUdp(UniqueFd fd, const std::string& name);
  Status AddTcp(UniqueFd fd, const std::string& name);
  // Starts the thread. May throw std::system_error (start-up path).
  void Start();
  // Asks the loop to stop; returns at once. Thread-safe; idempotent.
  void RequestStop() noexcept;
  // Waits for the thread to finish. Must not be called from the worker itself.
  void Join();

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

  // UDP buffers exist only if the worker has UDP sockets.
  std::unique_ptr<uint8_t[]> udp_recv_buffer_;
  std::unique_ptr<TcpConnectionPool> tcp_pool_;
  std::vector<std::unique_ptr<UdpListener>> udp_listeners_;
  std::vector<std::unique_ptr<TcpListener>> tcp_listeners_;
  std::thread thread_;
};

}  // namespace enumd::net
