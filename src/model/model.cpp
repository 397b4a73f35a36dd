#include "model/model.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "kernels/attention.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"

namespace pagoda::model {
namespace {

void resize(std::vector<float>& v, int64_t n) {
  if (v.size() < static_cast<size_t>(n)) v.resize(static_cast<size_t>(n));
}

}  // namespace

Model::Model(gguf::File file, HParams hp, Weights w)
    : file_(std::move(file)), hparams_(std::move(hp)), weights_(std::move(w)) {
  // NOTE: packed copies pay only where a SIMD path has packed kernels; the
  // reference path reads the file's layout. PAGODA_NO_REPACK=1 turns it off
  // (to measure what it buys).
  const char* off = std::getenv("PAGODA_NO_REPACK");
  if (kernels::best_cpu_path() == kernels::CpuPath::Reference || (off && std::string(off) == "1")) return;
  for (LayerWeights& l : weights_.layers) {
    for (kernels::MatrixView* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) packed_.pack(*m);
  }
  packed_.pack(weights_.output);
}

std::unique_ptr<Model> Model::load(const std::string& path) {
  gguf::File file = gguf::File::open(path);
  HParams hp;
  Weights w;
  try {
    hp = read_hparams(file);
    w = bind_weights(file, hp);
  } catch (const Error& e) {
    fail(path, ": ", e.what());
  }
  return std::unique_ptr<Model>(new Model(std::move(file), std::move(hp), std::move(w)));
}

size_t Model::weight_bytes() const {
  size_t total = 0;
  for (const auto& t : file_.tensors()) total += t.nbytes;
  return total;
}

kv::ContiguousCache Model::make_cache(int64_t n_ctx) const {
  return kv::ContiguousCache(hparams_.n_layer, n_ctx, hparams_.kv_dim());
}

void Model::forward(const Batch& batch, kv::ContiguousCache& cache, ThreadPool& pool, std::vector<float>& logits) {
  const HParams& hp = hparams_;
  const auto n = static_cast<int64_t>(batch.tokens.size());
  if (n == 0) fail("forward: empty batch");
  if (batch.start_pos != cache.size()) fail("forward: batch starts at ", batch.start_pos, " but the cache holds ", cache.size());
  if (batch.start_pos + n > cache.capacity()) {
    fail("context is full: ", batch.start_pos + n, " tokens do not fit in a context of ", cache.capacity());
  }
  resize(ws_.x, n * hp.n_embd);
  resize(ws_.xb, n * std::max(hp.n_embd, hp.q_dim()));
  resize(ws_.q, n * hp.q_dim());
  resize(ws_.k, n * hp.kv_dim());
  resize(ws_.v, n * hp.kv_dim());
  resize(ws_.att, n * hp.q_dim());
  resize(ws_.ffn_gate, n * hp.n_ff);
  resize(ws_.ffn_up, n * hp.n_ff);
  resize(ws_.tmp, n * hp.n_embd);

  for (int64_t i = 0; i < n; ++i) {
    const int32_t id = batch.tokens[static_cast<size_t>(i)];
    if (id < 0 || id >= hp.n_vocab) fail("token id ", id, " is outside the vocabulary (size ", hp.n_vocab, ")");
    kernels::get_row(weights_.token_embd, id, ws_.x.data() + i * hp.n_embd);
  }

  for (int l = 0; l < hp.n_layer; ++l) {
    attention_block(l, batch, cache, pool);
    ffn_block(l, n, pool);
  }
  cache.set_size(batch.start_pos + n);

  // Final norm and output head, only for the rows that need logits.
  const int64_t first = batch.all_logits ? 0 : n - 1;
  const int64_t rows = n - first;
  for (int64_t i = first; i < n; ++i) {
    kernels::rms_norm(ws_.x.data() + i * hp.n_embd, weights_.output_norm.data(), ws_.xb.data() + (i - first) * hp.n_embd,
                      hp.n_embd, hp.rms_eps);
  }
  logits.resize(static_cast<size_t>(rows * hp.n_vocab));
  kernels::matmul(weights_.output, ws_.xb.data(), rows, logits.data(), pool);
}

void Model::attention_block(int l, const Batch& batch, kv::ContiguousCache& cache, ThreadPool& pool) {
  const HParams& hp = hparams_;
  const LayerWeights& w = weights_.layers[static_cast<size_t>(l)];
  const auto n = static_cast<int64_t>(batch.tokens.size());
  const int64_t kv_dim = hp.kv_dim();

  for (int64_t i = 0; i < n; ++i) {
    kernels::rms_norm(ws_.x.data() + i * hp.n_embd, w.attn_norm.data(), ws_.xb.data() + i * hp.n_embd, hp.n_embd,
                      hp.rms_eps);
  }
  kernels::matmul_shared_input({{&w.wq, ws_.q.data()}, {&w.wk, ws_.k.data()}, {&w.wv, ws_.v.data()}}, ws_.xb.data(),
                               n, pool);

  float* keys = cache.keys(l);
  float* values = cache.values(l);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pos = batch.start_pos + i;
    kernels::rope(ws_.q.data() + i * hp.q_dim(), hp.n_head, pos, hp.rope);
    kernels::rope(ws_.k.data() + i * kv_dim, hp.n_head_kv, pos, hp.rope);
    std::copy_n(ws_.k.data() + i * kv_dim, kv_dim, keys + pos * kv_dim);
    std::copy_n(ws_.v.data() + i * kv_dim, kv_dim, values + pos * kv_dim);
  }

  kernels::AttentionShape shape{hp.n_head, hp.n_head_kv, hp.head_dim,
                                1.0f / std::sqrt(static_cast<float>(hp.head_dim))};
  // One work item per (token, head): causal, so token i sees positions <= its own.
  pool.parallel_for(n * hp.n_head, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t i = item / hp.n_head;
      const int h = static_cast<int>(item % hp.n_head);
      kernels::attend(ws_.q.data() + i * hp.q_dim(), keys, values, batch.start_pos + i + 1, kv_dim, shape, h, h + 1,
                      ws_.att.data() + i * hp.q_dim());
    }
  });

  kernels::matmul(w.wo, ws_.att.data(), n, ws_.tmp.data(), pool);
  kernels::add(ws_.x.data(), ws_.tmp.data(), n * hp.n_embd);
}

void Model::ffn_block(int l, int64_t n, ThreadPool& pool) {
  const HParams& hp = hparams_;
  const LayerWeights& w = weights_.layers[static_cast<size_t>(l)];
  for (int64_t i = 0; i < n; ++i) {
    kernels::rms_norm(ws_.x.data() + i * hp.n_embd, w.ffn_norm.data(), ws_.xb.data() + i * hp.n_embd, hp.n_embd,
                      hp.rms_eps);
  }
  kernels::matmul_shared_input({{&w.w_gate, ws_.ffn_gate.data()}, {&w.w_up, ws_.ffn_up.data()}}, ws_.xb.data(), n,
                               pool);
  kernels::silu_mul(ws_.ffn_gate.data(), ws_.ffn_up.data(), n * hp.n_ff);
  kernels::matmul(w.w_down, ws_.ffn_gate.data(), n, ws_.tmp.data(), pool);
  kernels::add(ws_.x.data(), ws_.tmp.data(), n * hp.n_embd);
}

}  // namespace pagoda::model
