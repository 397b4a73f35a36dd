#include "engine/draft_proposer.h"

#include <algorithm>

#include "core/error.h"
#include "sampling/sampler.h"

namespace pagoda::engine {

void check_same_vocabulary(const model::Model& target, const model::Model& draft) {
  const int64_t nt = target.hparams().n_vocab, nd = draft.hparams().n_vocab;
  if (nt != nd) fail("the draft model's vocabulary has ", nd, " tokens, the target's ", nt, "; they must be the same");
  const gguf::Array* a = target.file().get_array("tokenizer.ggml.tokens");
  const gguf::Array* b = draft.file().get_array("tokenizer.ggml.tokens");
  if ((a == nullptr) != (b == nullptr)) fail("only one of the target and draft models has a tokenizer");
  if (a == nullptr) return;
  if (a->items.size() != b->items.size()) fail("the draft model's tokenizer differs from the target's");
  for (size_t i = 0; i < a->items.size(); ++i) {
    if (a->items[i].as_string() != b->items[i].as_string()) {
      fail("the draft model's token ", i, " is '", b->items[i].as_string(), "' but the target's is '",
           a->items[i].as_string(), "': the vocabularies must be the same");
    }
  }
}

DraftProposer::DraftProposer(model::Model& draft, int block_size, int64_t n_blocks, kv::KvType kv_type)
    : model_(draft),
      kv_(draft.kv_shape(), kv::KvCacheConfig{block_size, n_blocks, kv_type, /*prefix_caching=*/false, 0}) {}

void DraftProposer::release(Sequence& seq) {
  kv_.free(seq.draft_state.blocks);
  seq.draft_state.computed.clear();
}

void DraftProposer::propose(std::span<Sequence* const> seqs, std::span<const int64_t> k, ThreadPool& pool) {
  const auto n_vocab = static_cast<size_t>(model_.hparams().n_vocab);
  // Round 0 catches each sequence's draft cache up with its tokens (the
  // rejected tail of the last proposal is dropped; a new sequence runs its
  // whole prompt) and yields the first proposal; rounds 1.. feed the last
  // proposal back, one token per sequence.
  std::vector<Sequence*> active;
  std::vector<int64_t> want;
  tokens_.clear(), positions_.clear(), seq_index_.clear(), logits_rows_.clear(), tables_.clear();
  for (size_t i = 0; i < seqs.size(); ++i) {
    Sequence& seq = *seqs[i];
    DraftState& ds = seq.draft_state;
    const auto& toks = seq.tokens;
    size_t common = 0;
    while (common < ds.computed.size() && common < toks.size() && ds.computed[common] == toks[common]) ++common;
    common = std::min(common, toks.size() - 1);  // the last token must run to give logits
    ds.computed.resize(common);
    const auto total = static_cast<int64_t>(toks.size()) + k[i] - 1;  // positions the k rounds write
    if (!kv_.allocate_slots(ds.blocks, static_cast<int64_t>(common), total)) continue;  // no room: no proposal
    const int32_t index = tables_.add(ds.blocks);
    for (size_t p = common; p < toks.size(); ++p) {
      tokens_.push_back(toks[p]);
      positions_.push_back(static_cast<int32_t>(p));
      seq_index_.push_back(index);
      ds.computed.push_back(toks[p]);
    }
    logits_rows_.push_back(static_cast<int32_t>(tokens_.size() - 1));
    if (!ds.sampler && !seq.req->request.sampling.greedy()) {
      sampling::SamplingParams sp = seq.req->request.sampling;
      sp.seed ^= 0xD1B54A32D192ED03ull + static_cast<uint64_t>(seq.index);  // the draft's own stream
      sp.repetition_penalty = 1.0f;
      ds.sampler = std::make_unique<sampling::Sampler>(sp);
    }
    active.push_back(&seq);
    want.push_back(k[i]);
  }
  for (int64_t round = 0; !active.empty(); ++round) {
    const model::Batch batch{tokens_, positions_, seq_index_, tables_.full, logits_rows_, tables_.sliding};
    model_.forward(batch, kv_, pool, logits_);
    std::vector<Sequence*> next;
    std::vector<int64_t> next_want;
    tokens_.clear(), positions_.clear(), seq_index_.clear(), logits_rows_.clear(), tables_.clear();
    for (size_t i = 0; i < active.size(); ++i) {
      Sequence& seq = *active[i];
      DraftState& ds = seq.draft_state;
      const std::span<const float> row = std::span<const float>(logits_).subspan(i * n_vocab, n_vocab);
      int32_t token;
      if (ds.sampler) {
        seq.draft_q.emplace_back();
        ds.sampler->distribution(row, {}, seq.draft_q.back());
        token = ds.sampler->draw(seq.draft_q.back());
      } else {
        token = sampling::argmax(row);
      }
      seq.draft.push_back(token);
      if (static_cast<int64_t>(seq.draft.size()) >= want[i]) continue;
      // Feed the proposal back for the next one.
      const int32_t index = tables_.add(ds.blocks);
      tokens_.push_back(token);
      positions_.push_back(static_cast<int32_t>(ds.computed.size()));
      seq_index_.push_back(index);
      logits_rows_.push_back(static_cast<int32_t>(tokens_.size() - 1));
      ds.computed.push_back(token);
      next.push_back(&seq);
      next_want.push_back(want[i]);
    }
    active.swap(next);
    want.swap(next_want);
  }
}

}  // namespace pagoda::engine
