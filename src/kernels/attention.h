#pragma once
// Causal attention of one query token against its sequence's keys/values in
// a paged KV cache, with grouped-query heads and an online (flash-style)
// softmax: keys are visited block by block, each block's scores sit in a
// small buffer and the running output is rescaled once per block, so no
// score row is materialised.
#include <cstddef>
#include <cstdint>
#include <span>

#include "kernels/cpu_features.h"
#include "quant/tensor_type.h"

namespace pagoda::kernels {

struct AttentionShape {
  int n_head = 0;
  int n_head_kv = 0;     // n_head is a multiple of it (GQA)
  int head_dim = 0;
  float scale = 1.0f;    // usually 1/sqrt(head_dim)
  int64_t window = 0;    // sliding window: a query at position p sees p - window < p' <= p; 0: all
  float softcap = 0.0f;  // scores become softcap * tanh(score / softcap) (Gemma 2); 0: off
};

// One layer of a paged KV store as attention reads it: token slot s (=
// block * block_size + offset) has its key row at keys + s * row_bytes, each
// row [n_head_kv x head_dim] elements of `type` (F32, F16 or Q8_0).
struct PagedKv {
  const uint8_t* keys = nullptr;
  const uint8_t* values = nullptr;
  quant::TensorType type = quant::TensorType::F32;
  size_t row_bytes = 0;
  int block_size = 16;
  std::span<const int32_t> block_table;  // the sequence's blocks, position order
};

// The chunks every attention kernel walks: positions from the first one the
// query sees (the window's start, or 0) to n_kv, at most max_rows at a time
// and never across a block boundary, so that a chunk's rows are consecutive
// slots. paged_chunk returns the row count of the chunk at p0 and its first
// slot. Out of line (cpu/attention_ref.cpp): the per-ISA kernel files must
// not share inline code (see cpu/dot_kernels.h).
int64_t first_visible_position(const AttentionShape& shape, int64_t n_kv);
int paged_chunk(const PagedKv& kv, int64_t p0, int64_t n_kv, int max_rows, size_t* slot0);

constexpr int kMaxHeadDim = 256;
constexpr int kMaxHeadsPerKvHead = 32;

// q [n_head x head_dim] of one token; attends over positions [0, n_kv) of
// the sequence (the last shape.window of them when there is a window) for
// the query heads that share kv head `kv_head`, writing their rows of out
// [n_head x head_dim]. The result for a token does not
// depend on what else is in the batch (blocks are the chunks).
// Runs on best_cpu_path(); the overload with a path is for tests.
void attend_paged(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape, int kv_head,
                  float* out);
void attend_paged(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape, int kv_head,
                  float* out, CpuPath path);

// As attend_paged for kv heads [kv_head, kv_head + n_kv_heads) of one token,
// the heads of each chunk of positions back to back, so that its cache
// rows are read once for all of them (one work item per token in a batch
// of many sequences; per kv head when there are few tokens to share out).
void attend_paged_heads(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape, int kv_head,
                        int n_kv_heads, float* out);
void attend_paged_heads(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape, int kv_head,
                        int n_kv_heads, float* out, CpuPath path);

// Consecutive tokens of one sequence (a run): token t's query is at
// q + t * stride, it sits at position n_kv_first - 1 + t, so it sees
// n_kv_first + t cache rows, and its output goes to out + t * stride. Equal,
// bit for bit, to attend_paged_heads per token; the AVX-512 kernel reads
// and converts each chunk of cache rows once for the whole run (no sliding
// window), which is what makes verifying k proposals or a prompt chunk
// cheaper than k single-token passes.
constexpr int kMaxRunTokens = 8;
void attend_paged_run(const float* q, int64_t stride, int n_tokens, const PagedKv& kv, int64_t n_kv_first,
                      const AttentionShape& shape, int kv_head, int n_kv_heads, float* out);
void attend_paged_run(const float* q, int64_t stride, int n_tokens, const PagedKv& kv, int64_t n_kv_first,
                      const AttentionShape& shape, int kv_head, int n_kv_heads, float* out, CpuPath path);

}  // namespace pagoda::kernels
