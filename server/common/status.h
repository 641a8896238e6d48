// Status and Result<T>: how fallible operations report failure outside the
// query path (start-up, import, tools). A Status is OK or carries one
// human-readable message; an OK Status never allocates.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace enumd {

class Status {
 public:
  Status() = default;
  static Status OK() { return Status(); }
  static Status Error(std::string message) {
    Status s;
    s.ok_ = false;
    s.message_ = std::move(message);
    return s;
  }

  bool ok() const { return ok_; }
  const std::string& message() const { return message_; }

  // Returns this error with `context + ": "` in front (OK stays OK).
  Status Prefixed(const std::string& context) const {
    return ok_ ? *this : Error(context + ": " + message_);
  }

 private:
  bool ok_ = true;
  std::string message_;
};

// Either a value or an error Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace enumd
