// enumd: arguments -> config -> daemon; signals. Nothing else lives here.
#include <signal.h>
#include <time.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "config/config.h"
#include "daemon/daemon.h"

namespace {

const char* kUsage = R"(usage: enumd [--config FILE] [--store DIR] [--listen ADDR[:PORT]]...
             [--zone ORIGIN[=FILE]]... [--workers N] [--log-level LEVEL]

  --config FILE        YAML configuration (see README "Configuration")
  --store DIR          RocksDB store directory (overrides the config)
  --listen ADDR:PORT   listen on UDP and TCP (repeatable; replaces the config's list)
  --zone ORIGIN=FILE   serve ORIGIN, importing FILE when it is new or changed
  --zone ORIGIN        serve ORIGIN as it is in the store (repeatable; adds to the config)
  --workers N          worker threads (default: one per core)
  --log-level LEVEL    error | warning | info | debug
  --help-config        every configuration key with its type, range and default
Signals: SIGTERM/SIGINT stop; SIGHUP re-imports zone files that changed.
)";

int Fail(const std::string& message) {
  fprintf(stderr, "enumd: %s\n", message.c_str());
  return 1;
}

// A YAML double-quoted scalar, so flag values pass through the config schema.
std::string Quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  using enumd::config::Config;
  std::string config_file;
  Config overrides;
  std::vector<std::string> listens, zones;
  std::string store, workers, log_level;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") {
      fputs(kUsage, stdout);
      return 0;
    } else if (a == "--help-config") {
      fputs(enumd::config::SchemaReference().c_str(), stdout);
      return 0;
    } else if (a == "--config" && value(&v)) {
      config_file = v;
    } else if (a == "--store" && value(&v)) {
      store = v;
    } else if (a == "--listen" && value(&v)) {
      listens.push_back(v);
    } else if (a == "--zone" && value(&v)) {
      zones.push_back(v);
    } else if (a == "--workers" && value(&v)) {
      workers = v;
    } else if (a == "--log-level" && value(&v)) {
      log_level = v;
    } else {
      fputs(kUsage, stderr);
      return Fail("bad argument '" + a + "'");
    }
  }

  auto loaded = config_file.empty() ? enumd::config::LoadConfigString("", "<defaults>")
                                    : enumd::config::LoadConfigFile(config_file);
  if (!loaded.ok()) return Fail(loaded.status().message());
  Config config = std::move(loaded.value());
  if (!store.empty()) config.store = store;
  if (!listens.empty()) {
    config.listen.clear();
    for (const std::string& l : listens) {
      auto addr = enumd::config::ParseListenAddress(l);
      if (!addr.ok()) return Fail("--listen: " + addr.status().message());
      config.listen.push_back(*addr);
    }
  }
  // --zone and --log-level are checked by the same schema as the file.
  for (const std::string& z : zones) {
    size_t eq = z.find('=');
    std::string yaml = "zones:\n  - origin: " + Quote(z.substr(0, eq)) + "\n";
    if (eq != std::string::npos) yaml += "    file: " + Quote(z.substr(eq + 1)) + "\n";
    auto one = enumd::config::LoadConfigString(yaml, "--zone");
    if (!one.ok()) return Fail(one.status().message());
    config.zones.push_back(one->zones[0]);
  }
  if (!workers.empty()) {
    char* end = nullptr;
    long n = strtol(workers.c_str(), &end, 10);
    if (*end != 0 || n < 1 || n > 256) return Fail("--workers takes 1..256");
    config.workers = static_cast<int>(n);
  }
  if (!log_level.empty()) {
    auto one = enumd::config::LoadConfigString("log_level: " + Quote(log_level), "--log-level");
    if (!one.ok()) return Fail(one.status().message());
    config.log_level = log_level;
  }
  enumd::daemon::SetLogLevel(enumd::daemon::ParseLogLevel(config.log_level));

  // Block the signals we handle before any thread starts, so they all reach
  // this thread's sigtimedwait and no worker is interrupted.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  enumd::daemon::Daemon daemon(std::move(config));
  enumd::Status st = daemon.Start();
  if (!st.ok()) return Fail(st.message());

  for (;;) {
    timespec tick = {1, 0};
    int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      st = daemon.Reload();
      if (!st.ok())
        enumd::daemon::Log(enumd::daemon::LogLevel::kError, "reload: %s", st.message().c_str());
    }
    daemon.Tick();
  }
  enumd::daemon::Log(enumd::daemon::LogLevel::kInfo, "stopping");
  daemon.Stop();
  enumd::daemon::Log(enumd::daemon::LogLevel::kInfo, "stopped");
  return 0;
}
