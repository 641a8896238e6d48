// enumd: arguments -> config -> daemon; signals. Nothing else lives here.
#include <signal.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "daemon/config_check.h"
#include "daemon/daemon.h"
#include "daemon/service_notify.h"

namespace {

const char* kUsage = R"(usage: enumd [--config FILE] [--store DIR] [--listen ADDR[:PORT]]...
             [--zone ORIGIN[=FILE]]... [--workers N] [--log-level LEVEL]
       enumd --check-config FILE [--store DIR] [--zone ORIGIN[=FILE]]...

  --config FILE        YAML configuration (see README "Configuration")
  --store DIR          RocksDB store directory (overrides the config)
  --listen ADDR:PORT   listen on UDP and TCP (repeatable; replaces the config's list)
  --zone ORIGIN=FILE   serve ORIGIN, importing FILE when it is new or changed
  --zone ORIGIN        serve ORIGIN as it is in the store (repeatable; adds to the config)
  --workers N          worker threads (default: one per core)
  --log-level LEVEL    error | warning | info | debug
  --check-config FILE  check FILE and every zone file it names, serve nothing; exit
                       status 0: all good, 1: enumd would not start, 2: it would,
                       but serve a stored copy of a zone whose file has errors
  --help-config        every configuration key with its type, range and default
Signals: SIGTERM/SIGINT stop (an import in progress is abandoned; the
version served stays); SIGHUP re-reads the configuration and re-imports the
zone files that changed (zones and log_level change live; other keys at the
next restart); SIGUSR1/SIGUSR2 are ignored.
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

// What the command line asked for, kept to build the configuration again on
// SIGHUP (the file may have changed; the flags still apply on top).
struct Args {
  std::string config_file;
  std::vector<std::string> listens, zones;
  std::string store, workers, log_level;
  bool check_only = false;  // --check-config
};

enumd::Result<enumd::config::Config> BuildConfig(const Args& a) {
  using enumd::Status;
  using enumd::config::Config;
  auto loaded = a.config_file.empty() ? enumd::config::LoadConfigString("", "<defaults>")
                                      : enumd::config::LoadConfigFile(a.config_file);
  if (!loaded.ok()) return loaded.status();
  Config config = std::move(loaded.value());
  if (!a.store.empty()) config.store = a.store;
  if (!a.listens.empty()) {
    config.listen.clear();
    for (const std::string& l : a.listens) {
      auto addr = enumd::config::ParseListenAddress(l);
      if (!addr.ok()) return Status::Error("--listen: " + addr.status().message());
      config.listen.push_back(*addr);
    }
  }
  // --zone and --log-level are checked by the same schema as the file.
  for (const std::string& z : a.zones) {
    size_t eq = z.find('=');
    std::string yaml = "zones:\n  - origin: " + Quote(z.substr(0, eq)) + "\n";
    if (eq != std::string::npos) yaml += "    file: " + Quote(z.substr(eq + 1)) + "\n";
    auto one = enumd::config::LoadConfigString(yaml, "--zone");
    if (!one.ok()) return one.status();
    config.zones.push_back(one->zones[0]);
  }
  if (!a.workers.empty()) {
    char* end = nullptr;
    long n = strtol(a.workers.c_str(), &end, 10);
    if (*end != 0 || n < 1 || n > 256) return Status::Error("--workers takes 1..256");
    config.workers = static_cast<int>(n);
  }
  if (!a.log_level.empty()) {
    auto one = enumd::config::LoadConfigString("log_level: " + Quote(a.log_level), "--log-level");
    if (!one.ok()) return one.status();
    config.log_level = a.log_level;
  }
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  using enumd::daemon::Log;
  using enumd::daemon::LogLevel;
  Args args;
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
      args.config_file = v;
    } else if (a == "--check-config" && value(&v)) {
      args.config_file = v;
      args.check_only = true;
    } else if (a == "--store" && value(&v)) {
      args.store = v;
    } else if (a == "--listen" && value(&v)) {
      args.listens.push_back(v);
    } else if (a == "--zone" && value(&v)) {
      args.zones.push_back(v);
    } else if (a == "--workers" && value(&v)) {
      args.workers = v;
    } else if (a == "--log-level" && value(&v)) {
      args.log_level = v;
    } else {
      fputs(kUsage, stderr);
      return Fail("bad argument '" + a + "'");
    }
  }
  auto config = BuildConfig(args);
  if (!config.ok()) return Fail(config.status().message());
  if (args.check_only) return static_cast<int>(enumd::daemon::CheckConfig(*config, stdout, stderr));
  enumd::daemon::SetLogLevel(enumd::daemon::ParseLogLevel(config->log_level));

  // Block the signals we handle before any thread starts, so they all reach
  // this thread's sigtimedwait and no worker is interrupted. SIGUSR1/2 are
  // taken too: sent by mistake (their default action ends the process) they
  // are logged and ignored.
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  enumd::daemon::Daemon daemon(std::move(config.value()));
  // Start-up runs beside this thread, so that SIGTERM during a long import
  // at start stops it at once.
  std::atomic<bool> started{false};
  enumd::Status st;
  std::thread starter([&] {
    st = daemon.Start();
    started = true;
  });
  // systemd (Type=notify): READY=1 once every zone answers.
  enumd::daemon::Readiness readiness([&daemon] { return daemon.ZonesAnswer(); });
  bool stop = false;
  for (;;) {
    if (started.load() && starter.joinable()) {
      starter.join();
      if (!st.ok()) {
        const bool asked = daemon.stop_requested();
        daemon.Stop();
        if (asked) {
          Log(LogLevel::kInfo, "stopped during start-up");
          return 0;
        }
        return Fail(st.message());
      }
    }
    if (stop && !starter.joinable()) break;
    if (!starter.joinable() && !stop) readiness.Check(daemon.reloads_done());
    timespec tick = {0, 200 * 1000 * 1000};
    int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      Log(LogLevel::kInfo, "stopping (%s)", strsignal(sig));
      stop = true;
      readiness.Stopping();
      daemon.RequestStop();
    } else if (sig == SIGHUP && !stop) {
      auto reloaded = BuildConfig(args);
      if (!reloaded.ok())
        Log(LogLevel::kError, "reload: %s; keeping the running configuration",
            reloaded.status().message().c_str());
      else
        readiness.Reloading(daemon.RequestReload(std::move(reloaded.value())));
    } else if (sig == SIGUSR1 || sig == SIGUSR2) {
      Log(LogLevel::kWarning, "ignoring signal %s", strsignal(sig));
    }
  }
  daemon.Stop();
  Log(LogLevel::kInfo, "stopped");
  return 0;
}
