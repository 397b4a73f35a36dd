// `pagoda eval-gate` through the CLI: passes the baseline's own model,
// fails a quantized one under a tight bound, and says why for bad input.
#include <gtest/gtest.h>

#include "shared_data.h"
#include "subprocess.h"

namespace pagoda::eval {
namespace {

TEST(EvalGate, PassesTheBaselineAndFailsARegression) {
  PAGODA_REQUIRE_SHARED(model, "models/stories260K.gguf");
  PAGODA_REQUIRE_SHARED(text, "data/tiny-stories-sample.txt");
  const auto dir = testing::test_temp_dir();
  const std::string bin = testing::pagoda_binary().string();
  const std::string base = (dir / "base.json").string(), q4 = (dir / "q4.gguf").string();
  auto r = testing::run_command(bin + " perplexity -m " + testing::shell_quote(model.string()) + " -f " +
                                testing::shell_quote(text.string()) + " -c 128 --json " + testing::shell_quote(base) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  r = testing::run_command(bin + " eval-gate --model " + testing::shell_quote(model.string()) + " --baseline " +
                           testing::shell_quote(base) + " --max-ppl-increase 2% 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;

  r = testing::run_command(bin + " quantize " + testing::shell_quote(model.string()) + " " + testing::shell_quote(q4) + " q4_0 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // Measured: +7.0% for Q4_0 on this model and text.
  r = testing::run_command(bin + " eval-gate --model " + testing::shell_quote(q4) + " --baseline " +
                           testing::shell_quote(base) + " --max-ppl-increase 0.5% 2>&1");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("FAIL"), std::string::npos) << r.out;
  r = testing::run_command(bin + " eval-gate --model " + testing::shell_quote(q4) + " --baseline " +
                           testing::shell_quote(base) + " --max-ppl-increase 0.2 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;

  r = testing::run_command(bin + " eval-gate --model " + testing::shell_quote(q4) + " --baseline " +
                           testing::shell_quote(base) + " --max-ppl-increase lots 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("is not a fraction"), std::string::npos) << r.out;
  r = testing::run_command(bin + " eval-gate --model " + testing::shell_quote(q4) + " --baseline " +
                           testing::shell_quote(model.string()) + " --max-ppl-increase 1% 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("not valid JSON"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace pagoda::eval
