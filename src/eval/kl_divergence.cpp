#include "eval/kl_divergence.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/binary_io.h"
#include "core/error.h"
#include "quant/half.h"

namespace pagoda::eval {
namespace {

constexpr char kMagic[8] = {'P', 'G', 'D', 'K', 'L', 'D', '0', '1'};

struct BaseHeader {
  uint32_t n_vocab = 0, n_ctx = 0, n_chunks = 0;
  uint64_t n_tokens = 0;
};

template <typename T>
T get(std::ifstream& in, const std::string& path) {
  return read_pod<T>(in, path, "base file");
}

// log_softmax(row) into out.
void log_probs(std::span<const float> row, std::vector<double>& out) {
  const double lse = log_sum_exp(row);
  out.resize(row.size());
  for (size_t i = 0; i < row.size(); ++i) out[i] = row[i] - lse;
}

size_t argmax(std::span<const double> v) { return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin()); }

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<size_t>(std::min<double>(static_cast<double>(v.size() - 1), std::ceil(q * static_cast<double>(v.size())) - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

PerplexityResult save_base_logprobs(const std::string& path, model::Model& model, std::span<const int32_t> tokens,
                                    int64_t n_ctx, int64_t max_chunks, int32_t bos, kv::KvType kv_type,
                                    ThreadPool& pool) {
  const ChunkPlan plan = plan_chunks(static_cast<int64_t>(tokens.size()), n_ctx, max_chunks);
  const auto n_vocab = static_cast<size_t>(model.hparams().n_vocab);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, ": cannot create");
  out.write(kMagic, sizeof kMagic);
  write_pod(out, static_cast<uint32_t>(n_vocab));
  write_pod(out, static_cast<uint32_t>(n_ctx));
  write_pod(out, static_cast<uint32_t>(plan.n_chunks));
  write_pod(out, static_cast<uint64_t>(tokens.size()));
  out.write(reinterpret_cast<const char*>(tokens.data()), static_cast<std::streamsize>(tokens.size_bytes()));

  PerplexityResult r;
  r.n_tokens = static_cast<int64_t>(tokens.size());
  r.n_ctx = n_ctx;
  r.n_chunks = plan.n_chunks;
  NllStats stats;
  std::vector<double> lp;
  std::vector<uint16_t> half(n_vocab);
  score_chunks(model, tokens, plan, bos, kv_type, pool, [&](const ScoredChunk& c) {
    for (size_t i = 0; i < c.targets.size(); ++i) {
      log_probs(c.logits.subspan(i * n_vocab, n_vocab), lp);
      stats.add(-lp[static_cast<size_t>(c.targets[i])]);
      for (size_t v = 0; v < n_vocab; ++v) half[v] = quant::fp32_to_fp16(static_cast<float>(std::max(lp[v], -65000.0)));
      out.write(reinterpret_cast<const char*>(half.data()), static_cast<std::streamsize>(n_vocab * 2));
    }
    r.running_ppl.push_back(stats.ppl());
  });
  if (!out.flush()) fail(path, ": write failed");
  r.n_scored = stats.count();
  r.ppl = stats.ppl();
  r.ppl_stderr = stats.ppl_stderr();
  r.mean_nll = stats.mean();
  return r;
}

KldResult compare_to_base(const std::string& path, model::Model& model, std::span<const int32_t> tokens, int32_t bos,
                          kv::KvType kv_type, ThreadPool& pool) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  char magic[8];
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0) {
    fail(path, ": not a base file (make one with `pagoda kld --save-base`)");
  }
  BaseHeader h;
  h.n_vocab = get<uint32_t>(in, path);
  h.n_ctx = get<uint32_t>(in, path);
  h.n_chunks = get<uint32_t>(in, path);
  h.n_tokens = get<uint64_t>(in, path);
  const auto n_vocab = static_cast<size_t>(model.hparams().n_vocab);
  if (h.n_vocab != n_vocab) fail(path, ": base vocabulary has ", h.n_vocab, " entries, this model ", n_vocab);
  if (h.n_tokens != tokens.size()) fail(path, ": base text has ", h.n_tokens, " tokens, this one ", tokens.size());
  std::vector<int32_t> base_tokens(tokens.size());
  if (!in.read(reinterpret_cast<char*>(base_tokens.data()), static_cast<std::streamsize>(tokens.size_bytes()))) {
    fail(path, ": base file is cut short");
  }
  if (!std::equal(base_tokens.begin(), base_tokens.end(), tokens.begin())) {
    fail(path, ": the base was made from other tokens (another text or tokenizer)");
  }
  const ChunkPlan plan = plan_chunks(static_cast<int64_t>(tokens.size()), h.n_ctx, h.n_chunks);
  if (plan.n_chunks != h.n_chunks) fail(path, ": base file has more chunks than the text");

  NllStats base_nll, model_nll, kld_stats;
  std::vector<double> klds;
  int64_t agree = 0;
  std::vector<uint16_t> half(n_vocab);
  std::vector<double> base_lp(n_vocab), lp;
  score_chunks(model, tokens, plan, bos, kv_type, pool, [&](const ScoredChunk& c) {
    for (size_t i = 0; i < c.targets.size(); ++i) {
      if (!in.read(reinterpret_cast<char*>(half.data()), static_cast<std::streamsize>(n_vocab * 2))) {
        fail(path, ": base file is cut short");
      }
      // Renormalize what F16 rounding left: the stored distribution then sums
      // to 1 again, and a model equal to the base scores KL ~ 0 rather than
      // the rounding's first-order error.
      for (size_t v = 0; v < n_vocab; ++v) base_lp[v] = quant::fp16_to_fp32(half[v]);
      const double lse = log_sum_exp(std::span<const double>(base_lp));
      for (size_t v = 0; v < n_vocab; ++v) base_lp[v] -= lse;
      log_probs(c.logits.subspan(i * n_vocab, n_vocab), lp);
      double kld = 0;
      for (size_t v = 0; v < n_vocab; ++v) kld += std::exp(base_lp[v]) * (base_lp[v] - lp[v]);
      kld = std::max(kld, 0.0);  // rounding of the stored log-probs can dip below 0
      klds.push_back(kld);
      kld_stats.add(kld);
      const auto t = static_cast<size_t>(c.targets[i]);
      base_nll.add(-base_lp[t]);
      model_nll.add(-lp[t]);
      agree += argmax(base_lp) == argmax(lp) ? 1 : 0;
    }
  });
  KldResult r;
  r.n_positions = kld_stats.count();
  r.mean_kld = kld_stats.mean();
  if (r.n_positions > 1) {
    // Standard error of the mean: sd / sqrt(n).
    double ss = 0;
    for (double k : klds) ss += (k - r.mean_kld) * (k - r.mean_kld);
    r.kld_stderr = std::sqrt(ss / static_cast<double>(r.n_positions - 1) / static_cast<double>(r.n_positions));
  }
  r.median_kld = percentile(klds, 0.5);
  r.p99_kld = percentile(klds, 0.99);
  r.max_kld = klds.empty() ? 0 : *std::max_element(klds.begin(), klds.end());
  r.top1_agreement = r.n_positions ? static_cast<double>(agree) / static_cast<double>(r.n_positions) : 0;
  r.ppl_base = base_nll.ppl();
  r.ppl_model = model_nll.ppl();
  r.ppl_ratio = r.ppl_model / r.ppl_base;
  return r;
}

}  // namespace pagoda::eval
