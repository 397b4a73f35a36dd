// `pagoda eval-gate --model M --baseline results.json --max-ppl-increase 2%`:
// a deployment check. The baseline is a `pagoda perplexity --json` result;
// the model is scored the same way (same text, context and chunks) and the
// command exits 1 when its perplexity exceeds the baseline's by more than
// the bound, 0 otherwise.
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/eval_input.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "eval/perplexity.h"

namespace pagoda::cli {
namespace {

// "2%", "2 %" or "0.02" -> 0.02.
double parse_fraction(const std::string& text) {
  std::string t = text;
  bool percent = false;
  while (!t.empty() && (t.back() == '%' || t.back() == ' ')) {
    percent = percent || t.back() == '%';
    t.pop_back();
  }
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != t.size() || !(v >= 0)) fail("--max-ppl-increase: '", text, "' is not a fraction (2% or 0.02)");
  return percent ? v / 100.0 : v;
}

}  // namespace

int eval_gate_command(const std::vector<std::string>& argv) {
  const Args args(argv, {"--model", "--baseline", "--max-ppl-increase", "--file", "--threads", "--json"}, {},
                  {{"-m", "--model"}, {"-f", "--file"}, {"-t", "--threads"}});
  const std::string baseline_path = args.required("--baseline");
  std::ifstream bf(baseline_path);
  if (!bf) fail(baseline_path, ": cannot open");
  nlohmann::json base;
  try {
    base = nlohmann::json::parse(bf);
  } catch (const nlohmann::json::exception& e) {
    fail(baseline_path, ": not valid JSON: ", e.what());
  }
  if (!base.is_object() || !base.contains("ppl") || !base["ppl"].is_number() || !base.contains("n_ctx")) {
    fail(baseline_path, ": not a `pagoda perplexity --json` result (needs ppl, n_ctx and text)");
  }
  const double bound = parse_fraction(args.required("--max-ppl-increase"));
  const std::string text = args.str("--file", base.value("text", ""));
  if (text.empty()) fail(baseline_path, ": names no text file; give -f TEXT");
  EvalInput in = load_eval_input(args.required("--model"), text, base.value("parse_special", false));
  ThreadPool pool(static_cast<int>(args.integer("--threads", default_thread_count())));
  const kv::KvType kv_type = kv::parse_kv_type(base.value("kv_cache_type", "f16"));
  const eval::PerplexityResult r = eval::perplexity(*in.model, in.tokens, base["n_ctx"].get<int64_t>(),
                                                    base.value("n_chunks", int64_t{0}), in.bos, kv_type, pool);
  const double baseline = base["ppl"].get<double>();
  const double increase = r.ppl / baseline - 1.0;
  const bool pass = increase <= bound;
  std::printf("%s: PPL %.4f +/- %.4f vs baseline %.4f (%s): %+.2f%% (bound +%.2f%%)\n", pass ? "PASS" : "FAIL", r.ppl,
              r.ppl_stderr, baseline, baseline_path.c_str(), 100 * increase, 100 * bound);
  if (args.has("--json")) {
    const nlohmann::json j = {{"pass", pass},           {"model", args.required("--model")}, {"baseline", baseline_path},
                              {"ppl", r.ppl},           {"ppl_stderr", r.ppl_stderr},       {"baseline_ppl", baseline},
                              {"increase", increase},   {"max_increase", bound}};
    std::ofstream(args.str("--json", "")) << j.dump(2) << "\n";
  }
  return pass ? 0 : 1;
}

}  // namespace pagoda::cli
