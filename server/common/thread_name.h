// Names for enumd's threads, as `top -H`, `ps -L`, perf and gdb show them
// ("enumd-udp", "enumd-writer"): which thread is busy, or waits, is the
// first thing to know when one is slow.
#pragma once

#include <pthread.h>

namespace enumd {

// The calling thread's name; at most 15 characters (longer: cut).
inline void NameThisThread(const char* name) {
  char buf[16];
  size_t i = 0;
  for (; name[i] && i < sizeof(buf) - 1; ++i) buf[i] = name[i];
  buf[i] = '\0';
  pthread_setname_np(pthread_self(), buf);
}

}  // namespace enumd
