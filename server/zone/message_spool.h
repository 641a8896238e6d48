// MessageSpool: the messages of a zone transfer in arrival order, held
// until the transfer is whole. Up to `memory` bytes they stay in memory (an
// IXFR, a small zone); past that all of them move to an unnamed temporary
// file (common/temp_file.h) and later ones are appended there, so an AXFR of
// a 10M-number zone (~630 MB of messages) costs disk in the store's
// directory, not resident memory. The file vanishes with the spool or the
// process.
//
// Not thread-safe; admin path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace enumd::zone {

class MessageSpool {
 public:
  // `dir`: where the file goes ("" = $TMPDIR, else /tmp).
  explicit MessageSpool(std::string dir = "", size_t memory = size_t{16} << 20)
      : dir_(std::move(dir)), memory_(memory) {}
  ~MessageSpool();
  MessageSpool(const MessageSpool&) = delete;
  MessageSpool& operator=(const MessageSpool&) = delete;

  // Keeps one more message; fails when the file cannot be created or
  // written (a full disk): the reason names the file.
  Status Append(std::string_view msg);

  size_t size() const { return ends_.size(); }
  uint64_t bytes() const { return ends_.empty() ? 0 : ends_.back(); }
  bool spilled() const { return fd_ >= 0; }

  // Message i (< size()). A message from the file is read into *scratch,
  // which the view then refers to.
  Result<std::string_view> Get(size_t i, std::string* scratch) const;

 private:
  Status Spill();

  std::string dir_;
  size_t memory_;
  std::string held_;            // the messages while in memory, back to back
  std::vector<uint64_t> ends_;  // message i is [ends_[i-1], ends_[i]) of held_ or the file
  int fd_ = -1;
  std::string name_;  // the file, for messages
};

}  // namespace enumd::zone
