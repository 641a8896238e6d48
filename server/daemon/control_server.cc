// See control_server.h.
#include "daemon/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/thread_name.h"
#include "daemon/log.h"

namespace enumd::daemon {

namespace {

// How long one connection may take to send a request's bytes.
constexpr int kReadTimeoutMs = 30000;

}  // namespace

ControlServer::~ControlServer() { Stop(); }

Status ControlServer::Start(const std::string& path, Handler handler) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path))
    return Status::Error("control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // A socket file nobody answers on is what a killed enumd left: replace it.
  // One that answers belongs to a running enumd.
  struct stat sb;
  if (lstat(path.c_str(), &sb) == 0) {
    if (!S_ISSOCK(sb.st_mode))
      return Status::Error("control socket " + path + " exists and is not a socket");
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live =
        probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    if (probe >= 0) close(probe);
    if (live) return Status::Error("control socket " + path + " is in use by a running enumd");
    unlink(path.c_str());
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(std::string("control socket: ") + strerror(errno));
  // Created 0660: the owner (the enumd user) and its group, nobody else.
  mode_t old = umask(0117);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  umask(old);
  if (rc != 0 || listen(fd, 16) != 0) {
    Status st = Status::Error("control socket " + path + ": " + strerror(errno));
    close(fd);
    return st;
  }
  if (pipe2(wake_, O_CLOEXEC) != 0) {
    close(fd);
    unlink(path.c_str());
    return Status::Error(std::string("control socket: ") + strerror(errno));
  }
  listen_fd_ = fd;
  path_ = path;
  handler_ = std::move(handler);
  thread_ = std::thread([this] {
    NameThisThread("enumd-control");
    Run();
  });
  return Status::OK();
}

void ControlServer::Stop() {
  if (!thread_.joinable()) return;
  (void)!write(wake_[1], "x", 1);
  thread_.join();
  close(listen_fd_);
  close(wake_[0]);
  close(wake_[1]);
  listen_fd_ = wake_[0] = wake_[1] = -1;
  unlink(path_.c_str());
}

void ControlServer::Run() {
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Log(LogLevel::kError, "control socket: poll: %s", strerror(errno));
      return;
    }
    if (p[1].revents) return;
    if (!(p[0].revents & POLLIN)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Serve(fd);
    close(fd);
  }
}

void ControlServer::Serve(int fd) {
  for (;;) {
    // A stop request is seen between exchanges (the reading waits poll the
    // connection only, bounded by kReadTimeoutMs).
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(p, 2, kReadTimeoutMs) <= 0 || p[1].revents) return;
    auto request = ReadControlFrame(fd, kReadTimeoutMs);
    if (!request.ok()) {
      if (request.status().message() != "closed")
        Log(LogLevel::kWarning, "control socket: %s", request.status().message().c_str());
      return;
    }
    std::string reply;
    const uint8_t status = handler_(request->first, request->second, &reply);
    if (!WriteControlFrame(fd, status, reply).ok()) return;
  }
}

}  // namespace enumd::daemon
