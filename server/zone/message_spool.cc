#include "zone/message_spool.h"

#include <unistd.h>

#include "common/temp_file.h"

namespace enumd::zone {

MessageSpool::~MessageSpool() {
  if (fd_ >= 0) close(fd_);
}

Status MessageSpool::Spill() {
  auto fd = OpenTempFile(dir_, &name_);
  if (!fd.ok()) return fd.status();
  fd_ = *fd;
  Status st = WriteAll(fd_, held_.data(), held_.size(), name_);
  std::string().swap(held_);
  return st;
}

Status MessageSpool::Append(std::string_view msg) {
  if (fd_ < 0 && held_.size() + msg.size() > memory_) {
    Status st = Spill();
    if (!st.ok()) return st;
  }
  if (fd_ >= 0) {
    Status st = WriteAll(fd_, msg.data(), msg.size(), name_);
    if (!st.ok()) return st;
  } else {
    held_.append(msg);
  }
  ends_.push_back(bytes() + msg.size());
  return Status::OK();
}

Result<std::string_view> MessageSpool::Get(size_t i, std::string* scratch) const {
  const uint64_t begin = i == 0 ? 0 : ends_[i - 1];
  const size_t len = static_cast<size_t>(ends_[i] - begin);
  if (fd_ < 0) return std::string_view(held_).substr(begin, len);
  scratch->resize(len);
  Status st = ReadAllAt(fd_, scratch->data(), len, begin, name_);
  if (!st.ok()) return st;
  return std::string_view(*scratch);
}

}  // namespace enumd::zone
