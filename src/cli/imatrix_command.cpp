// `pagoda imatrix -m MODEL -f TEXT -o FILE [-c CTX] [--chunks N]`: the mean
// squared activation per input column of every weight matrix over a
// calibration text (the text is run in chunks of CTX tokens, each from an
// empty context), for `pagoda quantize --imatrix`.
#include <cstdio>
#include <map>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/eval_input.h"
#include "convert/importance_file.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "model/single_sequence.h"

namespace pagoda::cli {

int imatrix_command(const std::vector<std::string>& argv) {
  const Args args(argv, {"--model", "--file", "--output", "--ctx-size", "--chunks", "--threads"}, {"--parse-special"},
                  {{"-m", "--model"}, {"-f", "--file"}, {"-o", "--output"}, {"-c", "--ctx-size"}, {"-t", "--threads"}});
  EvalInput in = load_eval_input(args.required("--model"), args.required("--file"), args.has("--parse-special"));
  const std::string out_path = args.required("--output");
  const int64_t n_ctx = args.integer("--ctx-size", 512);
  const int64_t max_chunks = args.integer("--chunks", 0);
  if (n_ctx < 2) fail("imatrix: -c must be at least 2");
  int64_t n_chunks = static_cast<int64_t>(in.tokens.size()) / n_ctx;
  if (max_chunks > 0) n_chunks = std::min(n_chunks, max_chunks);
  if (n_chunks < 1) fail("imatrix: the text has ", in.tokens.size(), " tokens, fewer than one chunk of ", n_ctx);

  // Sums of squares in double: millions of rows add up.
  struct Sums {
    uint64_t rows = 0;
    std::vector<double> sum_sq;
  };
  std::map<std::string, Sums> sums;
  in.model->set_matmul_observer([&](const std::string& tensor, const float* x, int64_t rows, int64_t cols) {
    Sums& s = sums[tensor];
    if (s.sum_sq.empty()) s.sum_sq.assign(static_cast<size_t>(cols), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = x + r * cols;
      for (int64_t c = 0; c < cols; ++c) s.sum_sq[static_cast<size_t>(c)] += static_cast<double>(row[c]) * row[c];
    }
    s.rows += static_cast<uint64_t>(rows);
  });
  ThreadPool pool(static_cast<int>(args.integer("--threads", default_thread_count())));
  model::SingleSequence seq(*in.model, n_ctx, kv::KvType::F32);
  std::vector<float> logits;
  for (int64_t c = 0; c < n_chunks; ++c) {
    std::vector<int32_t> chunk(in.tokens.begin() + c * n_ctx, in.tokens.begin() + (c + 1) * n_ctx);
    if (in.bos >= 0) chunk[0] = in.bos;
    seq.clear();
    seq.forward(chunk, /*all_logits=*/true, pool, logits);
    std::fprintf(stderr, "\rchunk %lld/%lld", static_cast<long long>(c + 1), static_cast<long long>(n_chunks));
  }
  std::fprintf(stderr, "\n");
  in.model->set_matmul_observer({});

  std::map<std::string, convert::ImportanceEntry> entries;
  for (const auto& [name, s] : sums) {
    convert::ImportanceEntry& e = entries[name];
    e.rows = s.rows;
    e.mean_square.resize(s.sum_sq.size());
    for (size_t i = 0; i < s.sum_sq.size(); ++i) e.mean_square[i] = static_cast<float>(s.sum_sq[i] / static_cast<double>(s.rows));
  }
  convert::write_importance_file(out_path, entries);
  std::printf("wrote %s: %zu weight matrices, %lld chunks of %lld tokens\n", out_path.c_str(), entries.size(),
              static_cast<long long>(n_chunks), static_cast<long long>(n_ctx));
  return 0;
}

}  // namespace pagoda::cli
