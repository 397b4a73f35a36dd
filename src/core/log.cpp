#include "core/log.h"

#include <atomic>
#include <cstdio>

namespace pagoda::log {
namespace {
std::atomic<Level> g_level{Level::Warn};
constexpr const char* kNames[] = {"debug", "info", "warn", "error", "off"};
}  // namespace

void set_level(Level l) { g_level.store(l); }
Level level() { return g_level.load(); }

void write(Level l, const std::string& message) {
  if (l < g_level.load()) return;
  std::fprintf(stderr, "pagoda [%s] %s\n", kNames[static_cast<int>(l)], message.c_str());
}

}  // namespace pagoda::log
