// See tcp_framer.h.
#include "net/tcp_framer.h"

#include <algorithm>

#include "common/byte_order.h"

namespace enumd::net {

namespace {

// Growth step while a frame is assembled in place: enough for a typical query
// in one go without reserving a whole 64 KiB frame per client.
constexpr size_t kInputStep = 2048;

size_t FrameLength(const uint8_t* prefix) { return Load16(prefix); }

}  // namespace

bool TcpFramer::ReadSpace(uint8_t* shared, size_t shared_size, uint8_t** space,
                          size_t* space_size) noexcept {
  if (input_.empty()) {
    *space = shared;
    *space_size = shared_size;
    return true;
  }
  // Continue the unfinished frame in place, asking for no more than the frame
  // still needs beyond one growth step, so a read never runs past kMaxFrame.
  if (HasCompleteFrame()) return false;
  size_t needed = input_.size() < 2 ? 2 : 2 + FrameLength(input_.data());
  size_t wanted = std::min(std::max(needed, input_.size() + kInputStep), kMaxFrame);
  if (input_.size() >= wanted || !input_.Reserve(wanted)) return false;
  *space = input_.data() + input_.size();
  *space_size = input_.capacity() - input_.size();
  return true;
}

bool TcpFramer::Received(const uint8_t* data, size_t n, Sink& sink) noexcept {
  if (ended_) return true;
  if (!input_.empty() && data == input_.data() + input_.size()) {
    // The read went on in place after the unfinished frame.
    input_.Commit(n);
    Resume(sink);
    return true;
  }
  size_t used = Deliver(data, n, sink);
  if (used < n && !input_.Append(data + used, n - used)) {
    input_.Clear();
    return false;
  }
  return true;
}

void TcpFramer::Resume(Sink& sink) noexcept {
  if (input_.empty()) return;
  input_.Consume(Deliver(input_.data(), input_.size(), sink));
  if (ended_) input_.Clear();
}

void TcpFramer::End() noexcept {
  ended_ = true;
  input_.Clear();
}

void TcpFramer::Reset(size_t keep_capacity) noexcept {
  input_.Trim(keep_capacity);
  delivered_ = 0;
  ended_ = false;
}

bool TcpFramer::HasCompleteFrame() const noexcept {
  return input_.size() >= 2 && input_.size() >= 2 + FrameLength(input_.data());
}

size_t TcpFramer::Deliver(const uint8_t* data, size_t length, Sink& sink) noexcept {
  size_t used = 0;
  while (!ended_ && length - used >= 2) {
    size_t frame = FrameLength(data + used);
    if (frame == 0) {
      // Not a DNS message; treat it as the end of the conversation.
      ended_ = true;
      break;
    }
    if (length - used - 2 < frame || !sink.Ready()) break;
    // The sink may end the stream from OnMessage (End() drops the buffer, so
    // `data` must not be touched after that).
    used += 2 + frame;
    ++delivered_;
    sink.OnMessage(data + used - frame, frame);
  }
  return ended_ ? length : used;
}

}  // namespace enumd::net
