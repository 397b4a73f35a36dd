#pragma once
// Installs the npm packages a reference test needs (pinned in a
// package.json of the source tree) into a directory of the build tree,
// once: a later run finds them and does nothing.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "subprocess.h"

namespace pagoda::testing {

// Returns what went wrong (node missing, npm install failed), or "" when the
// packages are there. `probe` is a package whose presence means "installed".
inline std::string install_npm_packages(const std::filesystem::path& package_json, const std::filesystem::path& dir,
                                        const std::string& probe) {
  namespace fs = std::filesystem;
  const auto read = [](const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  const fs::path installed = dir / "package.json";
  if (fs::exists(dir / "node_modules" / probe / "package.json") && fs::exists(installed) &&
      read(installed) == read(package_json)) {
    return "";
  }
  if (run_command("node --version 2>&1").exit_code != 0) return "node is not installed";
  fs::copy_file(package_json, installed, fs::copy_options::overwrite_existing, ec);
  if (ec) return "cannot copy package.json: " + ec.message();
  std::cout << "[ npm ] npm install into " << dir << std::endl;
  const auto r = run_command("npm install --no-audit --no-fund --loglevel=error --prefix " + shell_quote(dir.string()) + " 2>&1");
  if (r.exit_code != 0) {
    fs::remove(installed, ec);  // so that the next run tries again
    const std::string out = r.out.size() > 2000 ? r.out.substr(r.out.size() - 2000) : r.out;
    return "npm install failed (exit " + std::to_string(r.exit_code) + "):\n" + out;
  }
  return "";
}

}  // namespace pagoda::testing
