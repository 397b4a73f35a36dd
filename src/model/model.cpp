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

// body(i) for each token row i < n, spread over the pool when there are
// several (a batch's norms and rotations were serial work that left the
// other threads waiting).
template <typename Body>
void for_each_token(ThreadPool& pool, int64_t n, Body&& body) {
  if (n == 1) {
    body(0);
    return;
  }
  pool.parallel_for(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) body(i);
  });
}

// body(begin, end) over [0, n), one range per thread (parallel_for's
// split); element-wise work too small to be worth a dispatch runs inline.
template <typename Body>
void for_each_slice(ThreadPool& pool, int64_t n, Body&& body) {
  constexpr int64_t kMinPerThread = 4096;
  if (n < 2 * kMinPerThread) {
    body(int64_t{0}, n);
    return;
  }
  pool.parallel_for(n, body);
}

}  // namespace

Model::Model(gguf::File file, HParams hp, Weights w)
    : file_(std::move(file)), hparams_(std::move(hp)), weights_(std::move(w)) {
  if (!weights_.rope_freqs.empty()) hparams_.rope.freq_factors = weights_.rope_freqs.data();
  // NOTE: packed copies pay only where a SIMD path has packed kernels; the
  // reference path reads the file's layout. PAGODA_NO_REPACK=1 turns it off
  // (to measure what it buys).
  const char* off = std::getenv("PAGODA_NO_REPACK");
  if (kernels::best_cpu_path() == kernels::CpuPath::Reference || (off && std::string(off) == "1")) return;
  for (LayerWeights& l : weights_.layers) {
    for (kernels::MatrixView* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
      packed_.pack(*m);
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

kv::KvCacheShape Model::kv_shape() const {
  kv::KvCacheShape shape{hparams_.n_layer, hparams_.n_head_kv, hparams_.head_dim};
  if (hparams_.n_swa > 0) {
    shape.window = hparams_.n_swa;
    for (int l = 0; l < hparams_.n_layer; ++l) shape.sliding.push_back(hparams_.is_swa(l) ? 1 : 0);
  }
  return shape;
}

void Model::validate(const Batch& batch, const kv::PagedKvCache& cache) const {
  const size_t n = batch.tokens.size();
  if (n == 0) fail("forward: empty batch");
  if (cache.shape().n_layer != hparams_.n_layer || cache.shape().kv_dim() != hparams_.kv_dim()) {
    fail("forward: the KV cache was made for another model shape");
  }
  if (cache.hybrid() && batch.sliding_block_tables.size() != batch.block_tables.size())
    fail("forward: a hybrid KV cache needs a sliding block table per sequence");
  if (batch.positions.size() != n || batch.seq_index.size() != n)
    fail("forward: positions/seq_index do not match the tokens");
  for (size_t i = 0; i < n; ++i) {
    const int32_t id = batch.tokens[i];
    if (id < 0 || id >= hparams_.n_vocab)
      fail("token id ", id, " is outside the vocabulary (size ", hparams_.n_vocab, ")");
    const int32_t s = batch.seq_index[i];
    if (s < 0 || static_cast<size_t>(s) >= batch.block_tables.size())
      fail("forward: token ", i, " has no block table");
    const int32_t pos = batch.positions[i];
    const auto covered = [&](std::span<const std::span<const int32_t>> tables) {
      return pos / cache.block_size() < static_cast<int64_t>(tables[static_cast<size_t>(s)].size());
    };
    if (pos < 0 || !covered(batch.block_tables) || (cache.hybrid() && !covered(batch.sliding_block_tables))) {
      fail("forward: position ", pos, " of token ", i, " is not covered by its block table");
    }
  }
  for (size_t r = 0; r < batch.logits_rows.size(); ++r) {
    const int32_t row = batch.logits_rows[r];
    if (row < 0 || static_cast<size_t>(row) >= n || (r > 0 && row <= batch.logits_rows[r - 1])) {
      fail("forward: logits rows must be ascending token indices");
    }
  }
}

void Model::forward(const Batch& batch, kv::PagedKvCache& cache, ThreadPool& pool,
                    std::vector<float>& logits) {
  const HParams& hp = hparams_;
  validate(batch, cache);
  const auto n = static_cast<int64_t>(batch.tokens.size());
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
    float* x = ws_.x.data() + i * hp.n_embd;
    kernels::get_row(weights_.token_embd, batch.tokens[static_cast<size_t>(i)], x);
    if (hp.embd_scale != 1.0f) {
      for (int64_t j = 0; j < hp.n_embd; ++j) x[j] *= hp.embd_scale;
    }
  }

  norm_into_xb(weights_.layers[0].attn_norm, n, pool);
  split_into_runs(batch, static_cast<int>(std::clamp<int64_t>(
                             n * hp.n_head_kv / static_cast<int64_t>(pool.size()), 1, kernels::kMaxRunTokens)));
  for (int l = 0; l < hp.n_layer; ++l) {
    attention_block(l, batch, cache, pool);
    ffn_block(l, n, pool);
  }

  // Final norm and output head, only for the rows that need logits.
  const auto rows = static_cast<int64_t>(batch.logits_rows.size());
  logits.resize(static_cast<size_t>(rows * hp.n_vocab));
  if (rows == 0) return;
  for_each_token(pool, rows, [&](int64_t r) {
    const int64_t i = batch.logits_rows[static_cast<size_t>(r)];
    kernels::rms_norm(ws_.x.data() + i * hp.n_embd, weights_.output_norm.data(),
                      ws_.xb.data() + r * hp.n_embd, hp.n_embd, hp.rms_eps);
  });
  observe("output.weight", ws_.xb.data(), rows, hp.n_embd);
  kernels::matmul(weights_.output, ws_.xb.data(), rows, logits.data(), pool);
  if (hp.final_softcap > 0.0f) kernels::soft_cap(logits.data(), rows * hp.n_vocab, hp.final_softcap);
}

void Model::observe(int layer, const char* tensor, const float* x, int64_t rows, int64_t cols) const {
  if (observer_) observe("blk." + std::to_string(layer) + "." + tensor, x, rows, cols);
}

void Model::observe(const std::string& tensor, const float* x, int64_t rows, int64_t cols) const {
  if (observer_) observer_(tensor, x, rows, cols);
}

void Model::attention_block(int l, const Batch& batch, kv::PagedKvCache& cache, ThreadPool& pool) {
  const HParams& hp = hparams_;
  const LayerWeights& w = weights_.layers[static_cast<size_t>(l)];
  const auto n = static_cast<int64_t>(batch.tokens.size());
  const int64_t kv_dim = hp.kv_dim();
  const int bs = cache.block_size();

  // xb holds attn_norm(x): the previous block's residual step made it.
  for (const char* t : {"attn_q.weight", "attn_k.weight", "attn_v.weight"})
    observe(l, t, ws_.xb.data(), n, hp.n_embd);
  kernels::matmul_shared_input({{&w.wq, ws_.q.data()}, {&w.wk, ws_.k.data()}, {&w.wv, ws_.v.data()}},
                               ws_.xb.data(), n, pool);
  if (!w.bq.empty()) {
    for (int64_t i = 0; i < n; ++i) {
      kernels::add(ws_.q.data() + i * hp.q_dim(), w.bq.data(), hp.q_dim());
      kernels::add(ws_.k.data() + i * kv_dim, w.bk.data(), kv_dim);
      kernels::add(ws_.v.data() + i * kv_dim, w.bv.data(), kv_dim);
    }
  }

  // RoPE, then every token's key/value into its slot, before any token of
  // the batch attends (a prefill chunk reads its own earlier tokens).
  const size_t row_bytes = cache.row_bytes();
  uint8_t* keys = cache.keys(l);
  uint8_t* values = cache.values(l);
  const std::span<const std::span<const int32_t>> tables =
      cache.group_of(l) == 0 ? batch.block_tables : batch.sliding_block_tables;
  for_each_token(pool, n, [&](int64_t i) {
    const int32_t pos = batch.positions[static_cast<size_t>(i)];
    const auto& table = tables[static_cast<size_t>(batch.seq_index[static_cast<size_t>(i)])];
    const size_t slot = static_cast<size_t>(table[static_cast<size_t>(pos / bs)]) * static_cast<size_t>(bs) +
                        static_cast<size_t>(pos % bs);
    if (!w.q_norm.empty()) {  // Qwen3, Gemma 3: each head normalized before it rotates
      for (int h = 0; h < hp.n_head; ++h) {
        float* q = ws_.q.data() + i * hp.q_dim() + h * hp.head_dim;
        kernels::rms_norm(q, w.q_norm.data(), q, hp.head_dim, hp.rms_eps);
      }
      for (int h = 0; h < hp.n_head_kv; ++h) {
        float* k = ws_.k.data() + i * kv_dim + h * hp.head_dim;
        kernels::rms_norm(k, w.k_norm.data(), k, hp.head_dim, hp.rms_eps);
      }
    }
    kernels::rope(ws_.q.data() + i * hp.q_dim(), hp.n_head, pos, hp.rope_of(l));
    kernels::rope(ws_.k.data() + i * kv_dim, hp.n_head_kv, pos, hp.rope_of(l));
    kv::store_kv_row(cache.type(), ws_.k.data() + i * kv_dim, kv_dim, keys + slot * row_bytes);
    kv::store_kv_row(cache.type(), ws_.v.data() + i * kv_dim, kv_dim, values + slot * row_bytes);
  });

  const kernels::AttentionShape shape{hp.n_head, hp.n_head_kv, hp.head_dim, hp.attn_scale,
                                      hp.is_swa(l) ? hp.n_swa : 0, hp.attn_softcap};
  // Work items are runs of a sequence's consecutive tokens (a prompt chunk,
  // a verification step's proposals; a decode token alone), each run with
  // all its kv heads when there are enough runs to share out, else per
  // (run, kv head). A run's tokens read each chunk of cache rows once, so
  // runs are as long as the threads allow (up to kMaxRunTokens): a
  // 5-token verification on 2 threads is one run per kv head. Causal, so a
  // run's cost grows with its position: runs go in the folded order 0,
  // m-1, 1, m-2, ..., so that the threads' contiguous ranges get equal
  // shares of short and long rows (in order, the thread with the last
  // tokens of a prompt did three times the work of the first). Runs of one
  // token with all kv heads (16-sequence decode) read each chunk's rows
  // once, whole: about 1.6x faster than one pass per kv head, which read a
  // 128-byte slice of every 512-byte row per pass.
  // runs_: made once per forward pass (split_into_runs).
  const auto n_runs = static_cast<int64_t>(runs_.size());
  const int heads_per_item = n_runs >= 2 * static_cast<int64_t>(pool.size()) ? hp.n_head_kv : 1;
  const int items_per_run = hp.n_head_kv / heads_per_item;
  pool.parallel_for(n_runs * items_per_run, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int kv_head = static_cast<int>(item % items_per_run) * heads_per_item;
      const int64_t fold = item / items_per_run;
      const TokenRun& run = runs_[static_cast<size_t>(fold % 2 == 0 ? fold / 2 : n_runs - 1 - fold / 2)];
      const int64_t i = run.first;
      kernels::PagedKv kv{keys,
                          values,
                          kv::storage_type(cache.type()),
                          row_bytes,
                          bs,
                          tables[static_cast<size_t>(batch.seq_index[static_cast<size_t>(i)])]};
      kernels::attend_paged_run(ws_.q.data() + i * hp.q_dim(), hp.q_dim(), run.count, kv,
                                batch.positions[static_cast<size_t>(i)] + 1, shape, kv_head, heads_per_item,
                                ws_.att.data() + i * hp.q_dim());
    }
  });

  observe(l, "attn_output.weight", ws_.att.data(), n, hp.q_dim());
  kernels::matmul(w.wo, ws_.att.data(), n, ws_.tmp.data(), pool);
  add_residual(w.attn_post_norm, &w.ffn_norm, n, pool);
}

void Model::split_into_runs(const Batch& batch, int max_tokens) {
  runs_.clear();
  for (size_t i = 0; i < batch.tokens.size(); ++i) {
    if (!runs_.empty()) {
      TokenRun& last = runs_.back();
      const auto prev = static_cast<size_t>(last.first + last.count - 1);
      if (last.count < max_tokens && batch.seq_index[i] == batch.seq_index[prev] &&
          batch.positions[i] == batch.positions[prev] + 1) {
        ++last.count;
        continue;
      }
    }
    runs_.push_back({static_cast<int64_t>(i), 1});
  }
}

void Model::norm_into_xb(const std::vector<float>& norm, int64_t n, ThreadPool& pool) {
  const HParams& hp = hparams_;
  for_each_token(pool, n, [&](int64_t i) {
    kernels::rms_norm(ws_.x.data() + i * hp.n_embd, norm.data(), ws_.xb.data() + i * hp.n_embd, hp.n_embd, hp.rms_eps);
  });
}

// x += tmp, through the post-norm first when the family has one (Gemma),
// then xb = next_norm(x) for the block that follows, all in one pass per
// token: as separate dispatches (add, then the next block's norm) they were
// two more joins per block, 44 per step of a 22-layer model.
void Model::add_residual(const std::vector<float>& post_norm, const std::vector<float>* next_norm, int64_t n,
                         ThreadPool& pool) {
  const HParams& hp = hparams_;
  for_each_token(pool, n, [&](int64_t i) {
    float* t = ws_.tmp.data() + i * hp.n_embd;
    float* x = ws_.x.data() + i * hp.n_embd;
    if (!post_norm.empty()) kernels::rms_norm(t, post_norm.data(), t, hp.n_embd, hp.rms_eps);
    kernels::add(x, t, hp.n_embd);
    if (next_norm) kernels::rms_norm(x, next_norm->data(), ws_.xb.data() + i * hp.n_embd, hp.n_embd, hp.rms_eps);
  });
}

void Model::ffn_block(int l, int64_t n, ThreadPool& pool) {
  const HParams& hp = hparams_;
  const LayerWeights& w = weights_.layers[static_cast<size_t>(l)];
  // xb holds ffn_norm(x): the attention block's residual step made it.
  for (const char* t : {"ffn_gate.weight", "ffn_up.weight"}) observe(l, t, ws_.xb.data(), n, hp.n_embd);
  kernels::matmul_shared_input({{&w.w_gate, ws_.ffn_gate.data()}, {&w.w_up, ws_.ffn_up.data()}},
                               ws_.xb.data(), n, pool);
  for_each_slice(pool, n * hp.n_ff, [&](int64_t begin, int64_t end) {
    if (hp.ffn_act == FfnActivation::GeluTanh) {
      kernels::gelu_mul(ws_.ffn_gate.data() + begin, ws_.ffn_up.data() + begin, end - begin);
    } else {
      kernels::silu_mul(ws_.ffn_gate.data() + begin, ws_.ffn_up.data() + begin, end - begin);
    }
  });
  observe(l, "ffn_down.weight", ws_.ffn_gate.data(), n, hp.n_ff);
  kernels::matmul(w.w_down, ws_.ffn_gate.data(), n, ws_.tmp.data(), pool);
  const bool last = l + 1 == hp.n_layer;
  add_residual(w.ffn_post_norm, last ? nullptr : &weights_.layers[static_cast<size_t>(l) + 1].attn_norm, n, pool);
}

}  // namespace pagoda::model
