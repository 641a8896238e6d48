// See control_frame.h.
#include "common/control_frame.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace enumd {

namespace {

bool WaitFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = poll(&p, 1, timeout_ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

Status ReadAll(int fd, char* buf, size_t len, int timeout_ms, bool first) {
  size_t done = 0;
  while (done < len) {
    if (!WaitFor(fd, POLLIN, timeout_ms)) return Status::Error("timed out");
    ssize_t n = read(fd, buf + done, len - done);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Status::Error(strerror(errno));
    if (n == 0) return Status::Error(first && done == 0 ? "closed" : "cut short");
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace

Status WriteControlFrame(int fd, uint8_t tag, const std::string& payload) {
  if (payload.size() + 1 > kMaxControlFrame) return Status::Error("request too large");
  const uint32_t len = static_cast<uint32_t>(payload.size() + 1);
  std::string frame;
  frame.reserve(5 + payload.size());
  frame.push_back(static_cast<char>(len >> 24));
  frame.push_back(static_cast<char>(len >> 16));
  frame.push_back(static_cast<char>(len >> 8));
  frame.push_back(static_cast<char>(len));
  frame.push_back(static_cast<char>(tag));
  frame += payload;
  size_t done = 0;
  while (done < frame.size()) {
    ssize_t n = send(fd, frame.data() + done, frame.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      WaitFor(fd, POLLOUT, 1000);
      continue;
    }
    if (n < 0) return Status::Error(strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

Result<std::pair<uint8_t, std::string>> ReadControlFrame(int fd, int timeout_ms) {
  char head[4];
  Status st = ReadAll(fd, head, 4, timeout_ms, true);
  if (!st.ok()) return st;
  const uint32_t len = static_cast<uint32_t>(static_cast<uint8_t>(head[0])) << 24 |
                       static_cast<uint32_t>(static_cast<uint8_t>(head[1])) << 16 |
                       static_cast<uint32_t>(static_cast<uint8_t>(head[2])) << 8 |
                       static_cast<uint8_t>(head[3]);
  if (len == 0 || len > kMaxControlFrame) return Status::Error("bad frame length");
  std::string body(len, '\0');
  st = ReadAll(fd, body.data(), len, timeout_ms, false);
  if (!st.ok()) return st;
  const uint8_t tag = static_cast<uint8_t>(body[0]);
  body.erase(0, 1);
  return std::make_pair(tag, std::move(body));
}

Result<std::pair<uint8_t, std::string>> ControlRequest(const std::string& path, uint8_t command,
                                                       const std::string& payload, int timeout_ms) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path))
    return Status::Error("control socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(std::string("socket: ") + strerror(errno));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    Status st = Status::Error("cannot reach enumd at " + path + ": " + strerror(errno));
    close(fd);
    return st;
  }
  Status st = WriteControlFrame(fd, command, payload);
  if (!st.ok()) {
    close(fd);
    return st.Prefixed("enumd at " + path);
  }
  auto reply = ReadControlFrame(fd, timeout_ms);
  close(fd);
  if (!reply.ok()) return reply.status().Prefixed("enumd at " + path);
  return reply;
}

}  // namespace enumd
