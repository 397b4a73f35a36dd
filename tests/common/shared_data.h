#pragma once
// Locates reference data in ../shared (PAGODA_SHARED overrides). Under
// CI=true a missing file fails the test; elsewhere it is skipped with a note.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace pagoda::testing {

inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("PAGODA_SHARED"); env && *env) return env;
  return std::filesystem::path(PAGODA_SOURCE_DIR) / ".." / "shared";
}

inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

inline std::filesystem::path pagoda_binary() {
  if (const char* env = std::getenv("PAGODA_BINARY"); env && *env) return env;
  return PAGODA_BINARY;
}

// A temporary directory unique to the running test, removed by the caller's
// choice (kept on failure for inspection).
inline std::filesystem::path test_temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::temp_directory_path() /
             (std::string("pagoda-test-") + info->test_suite_name() + "-" + info->name());
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace pagoda::testing

// Resolves `rel` under the shared directory into `var`, or skips / fails.
#define PAGODA_REQUIRE_SHARED(var, rel)                                                   \
  const std::filesystem::path var = ::pagoda::testing::shared_dir() / (rel);              \
  do {                                                                                    \
    if (!std::filesystem::exists(var)) {                                                  \
      if (::pagoda::testing::running_in_ci()) FAIL() << "missing shared data: " << var;   \
      GTEST_SKIP() << "missing shared data: " << var;                                     \
    }                                                                                     \
  } while (0)
