#include "common/temp_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace enumd {

Result<int> OpenTempFile(const std::string& dir_in, std::string* name) {
  std::string dir = dir_in;
  if (dir.empty()) {
    const char* t = getenv("TMPDIR");
    dir = t && *t ? t : "/tmp";
  }
  *name = "a temporary file in " + dir;
  int fd = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  // The store counts "enumd-import*" as its own (IsStoreFile in zone_store.cc).
  std::string tmpl = dir + "/enumd-import-XXXXXX";
  fd = mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return Status::Error("cannot create " + *name + ": " + strerror(errno));
  unlink(tmpl.c_str());
  return fd;
}

Status WriteAll(int fd, const char* data, size_t len, const std::string& name) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = write(fd, data + done, len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Error("cannot write " + name + ": " + strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

Status ReadAllAt(int fd, char* data, size_t len, uint64_t offset, const std::string& name) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = pread(fd, data + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Error("cannot read " + name + ": " + strerror(errno));
    if (n == 0) return Status::Error("cannot read " + name + ": it is shorter than written");
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace enumd
