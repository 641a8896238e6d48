#include "metrics/http_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/thread_name.h"

namespace enumd::metrics {

namespace {

constexpr size_t kMaxRequestHead = 8192;
constexpr int kExchangeTimeoutMs = 2000;

std::string Where(const std::string& host, uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

// Sends all of `data` or gives up (the deadline, a closed connection).
bool SendAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

void Respond(int fd, const char* status, const std::string& type, const std::string& body,
             bool head, const char* extra_header = "") {
  std::string out = std::string("HTTP/1.1 ") + status + "\r\nContent-Type: " + type +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra_header +
                    "Connection: close\r\n\r\n";
  if (!head) out += body;
  SendAll(fd, out.data(), out.size());
}

}  // namespace

Result<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(const std::string& host, uint16_t port,
                                                          Render render) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1)
      return Status::Error("metrics: not a numeric IPv6 address: " + host);
    len = sizeof(*a);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1)
      return Status::Error("metrics: not a numeric IPv4 address: " + host);
    len = sizeof(*a);
  }
  const std::string where = "metrics: " + Where(host, port) + "/tcp: ";
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(where + strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (v6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 16) != 0) {
    Status st = Status::Error(where + strerror(errno));
    close(fd);
    return st;
  }
  len = sizeof(ss);
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  const uint16_t bound = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  int wake = eventfd(0, EFD_CLOEXEC);
  if (wake < 0) {
    Status st = Status::Error(where + strerror(errno));
    close(fd);
    return st;
  }
  std::unique_ptr<HttpEndpoint> e(new HttpEndpoint(fd, wake, bound, std::move(render)));
  e->thread_ = std::thread([p = e.get()] {
    NameThisThread("enumd-metrics");
    p->Run();
  });
  return e;
}

HttpEndpoint::HttpEndpoint(int listen_fd, int wake_fd, uint16_t port, Render render)
    : listen_fd_(listen_fd), wake_fd_(wake_fd), port_(port), render_(std::move(render)) {}

HttpEndpoint::~HttpEndpoint() { Stop(); }

void HttpEndpoint::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;
  thread_.join();
  close(listen_fd_);
  close(wake_fd_);
}

void HttpEndpoint::Run() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    int n = poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client went away, or out of descriptors: try the next one
    timeval tv = {kExchangeTimeoutMs / 1000, (kExchangeTimeoutMs % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    Serve(fd);
    close(fd);
  }
}

void HttpEndpoint::Serve(int fd) {
  // The request head, up to the blank line; a body (there should be none
  // for GET) is not read.
  std::string head;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kExchangeTimeoutMs);
  char buf[2048];
  while (head.find("\r\n\r\n") == std::string::npos && head.find("\n\n") == std::string::npos) {
    if (head.size() > kMaxRequestHead || std::chrono::steady_clock::now() > deadline) {
      Respond(fd, "431 Request Header Fields Too Large", "text/plain; charset=utf-8",
              "request head too large or too slow\n", false);
      return;
    }
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // closed or timed out: nothing to answer
    head.append(buf, static_cast<size_t>(n));
  }
  // Request line: METHOD SP TARGET SP HTTP/x.y
  const size_t eol = head.find_first_of("\r\n");
  const std::string line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos ||
      line.compare(sp2 + 1, 5, "HTTP/") != 0) {
    Respond(fd, "400 Bad Request", "text/plain; charset=utf-8", "bad request line\n", false);
    return;
  }
  const std::string method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  target = target.substr(0, target.find('?'));
  const bool head_only = method == "HEAD";
  if (method != "GET" && !head_only) {
    Respond(fd, "405 Method Not Allowed", "text/plain; charset=utf-8", "GET or HEAD only\n", false,
            "Allow: GET, HEAD\r\n");
    return;
  }
  if (target != "/metrics") {
    Respond(fd, "404 Not Found", "text/plain; charset=utf-8", "enumd serves /metrics only\n",
            head_only);
    return;
  }
  scrapes_.fetch_add(1, std::memory_order_relaxed);
  Respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", render_(), head_only);
}

}  // namespace enumd::metrics
