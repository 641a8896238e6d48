// See ere_guard.h.
#include "enumctl/ere_guard.h"

#include <algorithm>
#include <vector>

#include "enumctl/ascii.h"

namespace enumd::enumctl {

std::string EreProblem(std::string_view ere) {
  static constexpr size_t cap = kMaxEreStates + 1;
  auto add = [](size_t a, size_t b) { return a > cap - std::min(b, cap) ? cap : a + b; };
  auto mul = [](size_t a, size_t b) { return b != 0 && a > cap / b ? cap : a * b; };
  struct Frame {
    size_t done = 0;              // finished branches of this group
    bool done_nullable = false;   // ... one of which can match ""
    size_t branch = 0;            // the branch being read
    bool prefix_nullable = true;  // its pieces before the last all can match ""
    size_t last = 0;              // the last piece (what a repetition applies to)
    bool last_nullable = true;
    bool last_repeated = false;
    bool has_last = false;
    // Every piece of the branch so far can match "".
    bool BranchNullable() const { return prefix_nullable && (!has_last || last_nullable); }
  };
  std::vector<Frame> stack(1);
  auto piece = [&](size_t cost, bool nullable) {
    Frame& f = stack.back();
    f.prefix_nullable = f.BranchNullable();
    f.last = cost;
    f.last_nullable = nullable;
    f.last_repeated = false;
    f.has_last = true;
    f.branch = add(f.branch, cost);
  };
  // A repetition of the last piece: `copies` of it, `loops` if unbounded or
  // more than one; nullable afterwards if `min_zero` or it was.
  auto repeat = [&](size_t copies, bool loops, bool min_zero) -> std::string {
    Frame& f = stack.back();
    if (!f.has_last) {
      piece(1, false);  // a literal to regcomp, or its error
      return "";
    }
    if (f.last_repeated) {
      return "a repetition follows a repetition, which POSIX leaves undefined";
    }
    if (loops && f.last_nullable) {
      return "it repeats a part that can match the empty string";
    }
    const size_t grown = add(mul(f.last, copies), 1);
    f.branch = add(f.branch - f.last, grown);
    f.last = grown;
    f.last_nullable = f.last_nullable || min_zero;
    f.last_repeated = true;
    return "";
  };
  std::string problem;
  for (size_t i = 0; i < ere.size() && problem.empty(); ++i) {
    const char c = ere[i];
    if (c == '\\') {
      ++i;
      piece(1, false);
    } else if (c == '[') {
      // "[]...]" and "[^]...]" hold a literal ']'; "[:", "[." and "[=" open
      // a class, collating symbol or equivalence class closed by ":]" etc.
      size_t j = i + 1;
      if (j < ere.size() && ere[j] == '^') ++j;
      if (j < ere.size() && ere[j] == ']') ++j;
      while (j < ere.size() && ere[j] != ']') {
        if (ere[j] == '[' && j + 1 < ere.size() &&
            (ere[j + 1] == ':' || ere[j + 1] == '.' || ere[j + 1] == '=')) {
          const size_t close = ere.find(std::string{ere[j + 1], ']'}, j + 2);
          j = close == std::string_view::npos ? ere.size() : close + 2;
        } else {
          ++j;
        }
      }
      i = j;  // regcomp rejects an unclosed bracket
      piece(1, false);
    } else if (c == '^' || c == '$') {
      // An anchor matches the empty string and is no operand: "^*" is
      // regcomp's to reject.
      Frame& f = stack.back();
      f.prefix_nullable = f.BranchNullable();
      f.has_last = false;
      f.branch = add(f.branch, 1);
    } else if (c == '(') {
      stack.emplace_back();
    } else if (c == ')' && stack.size() > 1) {
      const Frame g = stack.back();
      stack.pop_back();
      piece(add(add(g.done, g.branch), 1), g.done_nullable || g.BranchNullable());
    } else if (c == '|') {
      Frame& f = stack.back();
      f.done = add(add(f.done, f.branch), 1);
      f.done_nullable = f.done_nullable || f.BranchNullable();
      const size_t done = f.done;
      const bool done_nullable = f.done_nullable;
      f = Frame();
      f.done = done;
      f.done_nullable = done_nullable;
    } else if (c == '*') {
      problem = repeat(1, true, true);
    } else if (c == '?') {
      problem = repeat(1, false, true);
    } else if (c == '+') {
      problem = repeat(2, true, false);
    } else if (c == '{') {
      // {n}, {n,} or {n,m}; the larger bound is the number of copies.
      size_t j = i + 1, n = 0, m = 0;
      bool digits = false, comma = false;
      for (; j < ere.size() && (IsDigit(ere[j]) || (ere[j] == ',' && !comma)); ++j) {
        if (ere[j] == ',') {
          comma = true;
        } else {
          size_t& v = comma ? m : n;
          v = std::min<size_t>(v * 10 + static_cast<size_t>(ere[j] - '0'), cap);
          digits = true;
        }
      }
      if (digits && j < ere.size() && ere[j] == '}') {
        const bool unbounded = comma && ere[j - 1] == ',';
        problem = repeat(std::max(n, m) + 1, unbounded || std::max(n, m) > 1, n == 0);
        i = j;
      } else {
        piece(1, false);
      }
    } else {
      piece(1, false);
    }
  }
  if (!problem.empty()) return problem;
  size_t total = 0;
  for (const Frame& f : stack) total = add(total, add(f.done, f.branch));
  if (total > kMaxEreStates) {
    return "it repeats too much: expanded it would have more than " +
           std::to_string(kMaxEreStates) + " states";
  }
  return "";
}

}  // namespace enumd::enumctl
