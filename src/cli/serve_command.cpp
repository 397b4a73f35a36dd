// `pagoda serve`: the OpenAI-compatible HTTP server.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <set>
#include <thread>
#include <toml++/toml.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "core/error.h"
#include "core/log.h"
#include "server/server.h"

namespace pagoda::cli {
namespace {

// `--config FILE`: a TOML table of flag names without the dashes
// (port = 8080, model = "m.gguf", no-prefix-caching = true). Its flags come
// first, so the command line overrides them.
std::vector<std::string> config_file_flags(const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    fail("config file ", path, ": ", e.description(), " (line ", e.source().begin.line, ")");
  }
  std::vector<std::string> flags;
  for (const auto& [key, node] : table) {
    const std::string flag = "--" + std::string(key.str());
    if (const auto* b = node.as_boolean()) {
      if (b->get()) flags.push_back(flag);
    } else if (const auto* s = node.as_string()) {
      flags.push_back(flag);
      flags.push_back(s->get());
    } else if (const auto* i = node.as_integer()) {
      flags.push_back(flag);
      flags.push_back(std::to_string(i->get()));
    } else if (const auto* f = node.as_floating_point()) {
      flags.push_back(flag);
      flags.push_back(std::to_string(f->get()));
    } else {
      fail("config file ", path, ": '", key.str(), "' must be a string, number or boolean");
    }
  }
  return flags;
}

}  // namespace

int serve_command(const std::vector<std::string>& argv_in) {
  std::vector<std::string> argv = argv_in;
  for (size_t i = 0; i + 1 < argv_in.size(); ++i) {
    if (argv_in[i] == "--config") {
      std::vector<std::string> merged = config_file_flags(argv_in[i + 1]);
      merged.insert(merged.end(), argv_in.begin(), argv_in.end());
      argv = merged;
      break;
    }
  }
  std::set<std::string> value_flags = {"--model", "--host", "--port", "--threads", "--api-key", "--chat-template",
                                       "--served-model-name", "--max-body-bytes", "--timeout", "--drain-timeout",
                                       "--config"};
  value_flags.insert(engine_value_flags().begin(), engine_value_flags().end());
  std::set<std::string> switches = {"--quiet"};
  switches.insert(engine_switches().begin(), engine_switches().end());
  const Args args(argv, value_flags, switches, {{"-m", "--model"}, {"-t", "--threads"}, {"-c", "--ctx-size"}});
  if (!args.positional().empty()) fail("unexpected argument '", args.positional()[0], "'");
  if (!args.has("--quiet")) log::set_level(log::Level::Info);

  server::ServerConfig config;
  config.model_path = args.required("--model");
  config.http.host = args.str("--host", "127.0.0.1");
  config.http.port = static_cast<int>(args.integer("--port", 8080));
  const int64_t max_body = args.integer("--max-body-bytes", 8 << 20);
  if (max_body < 1024) fail("--max-body-bytes must be >= 1024");
  config.http.max_body_bytes = static_cast<size_t>(max_body);
  const int64_t timeout = args.integer("--timeout", 60);
  if (timeout < 1) fail("--timeout must be >= 1 second");
  config.http.request_timeout = std::chrono::seconds(timeout);
  const int64_t drain = args.integer("--drain-timeout", 30);
  if (drain < 0) fail("--drain-timeout must be >= 0 seconds");
  config.drain_timeout = std::chrono::seconds(drain);
  config.api_key = args.str("--api-key", "");
  config.chat_template_file = args.str("--chat-template", "");
  config.served_model_name = args.str("--served-model-name", "");
  config.version = PAGODA_VERSION;
  const int64_t threads = args.integer("--threads", default_thread_count());
  if (threads < 1 || threads > 1024) fail("--threads must be between 1 and 1024");
  config.engine = engine_config(args, static_cast<int>(threads));
  config.draft_model_path = args.str("--draft-model", "");

  // SIGINT/SIGTERM go to one thread that asks the server to drain; every
  // other thread (created below) inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::Server server(config);
  std::fprintf(stderr, "pagoda: listening on http://%s:%d\n", config.http.host.c_str(), server.port());
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (finished) return;
    log::info(str_cat("signal ", sig, ": draining (up to ", drain, " s), then exiting"));
    server.stop();
  });
  const bool ok = server.run();
  finished = true;
  pthread_kill(watcher.native_handle(), SIGTERM);  // wakes the watcher if no signal came
  watcher.join();
  return ok ? 0 : 1;
}

}  // namespace pagoda::cli
