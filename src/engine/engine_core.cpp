#include "engine/engine_core.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/error.h"
#include "core/log.h"
#include "engine/ngram_proposer.h"
#include "sampling/speculative.h"

namespace pagoda::engine {
namespace {

// Hybrid models: the sliding group holds, per sequence, the window behind
// its next position (whole blocks, one more for alignment) plus what one
// step writes (the batch's tokens, spread over the sequences' blocks).
int64_t sliding_blocks_needed(const EngineConfig& c, const kv::KvCacheShape& shape) {
  const int64_t window_blocks = (shape.window - 1 + c.block_size - 1) / c.block_size + 2;
  const int64_t step_blocks = (c.max_num_batched_tokens + c.block_size - 1) / c.block_size;
  return c.max_num_seqs * window_blocks + step_blocks;
}

EngineConfig resolve(EngineConfig c, const model::Model& model) {
  if (c.max_model_len <= 0) c.max_model_len = model.hparams().n_ctx_train > 0 ? model.hparams().n_ctx_train : 4096;
  if (c.kv_cache_bytes <= 0) {
    int64_t tokens = std::max<int64_t>(c.max_model_len, c.max_num_seqs * std::min<int64_t>(c.max_model_len, 1024));
    // Room for the draft positions verified past a sequence's end, and whole
    // blocks: a context that ends mid-block still needs that block.
    if (c.speculative.mode != SpeculativeConfig::Mode::None) tokens += c.speculative.num_tokens;
    const int64_t blocks = (tokens + c.block_size - 1) / c.block_size;
    const kv::KvCacheShape shape = model.kv_shape();
    // Hybrid: the sliding layers need only their windows.
    const int64_t sliding_blocks = std::min(blocks, sliding_blocks_needed(c, shape));
    c.kv_cache_bytes = kv::bytes_for_blocks(shape, c.block_size, c.kv_type, {blocks, sliding_blocks});
  }
  return c;
}

kv::KvCacheConfig kv_config(const EngineConfig& c, const model::Model& model) {
  kv::KvCacheConfig k;
  k.block_size = c.block_size;
  k.type = c.kv_type;
  k.prefix_caching = c.prefix_caching;
  const kv::KvCacheShape shape = model.kv_shape();
  if (shape.hybrid()) {
    const kv::GroupBlocks split = kv::split_blocks_for_bytes(c.kv_cache_bytes, shape, c.block_size, c.kv_type,
                                                             sliding_blocks_needed(c, shape));
    k.n_blocks = split.full;
    k.n_sliding_blocks = split.sliding;
  } else {
    k.n_blocks = kv::blocks_for_bytes(c.kv_cache_bytes, shape, c.block_size, c.kv_type);
  }
  if (k.n_blocks < 1) fail("--kv-cache-memory ", c.kv_cache_bytes, " bytes is less than one KV block");
  // Blocks of different models must never match.
  k.salt = std::hash<std::string>{}(model.hparams().arch + "/" + model.hparams().name) ^
           static_cast<uint64_t>(model.weight_bytes());
  return k;
}

}  // namespace

EngineCore::EngineCore(model::Model& model, const tokenizer::Tokenizer* tokenizer, const EngineConfig& config,
                       ThreadPool& pool)
    : model_(model),
      tokenizer_(tokenizer),
      config_(resolve(config, model)),
      pool_(pool),
      kv_(model.kv_shape(), kv_config(config_, model)),
      scheduler_({config_.max_num_batched_tokens, config_.max_num_seqs}, kv_) {
  const double mib = static_cast<double>(kv_.bytes()) / (1 << 20);
  std::string sizes = str_cat("KV cache: ", kv_.n_blocks() * kv_.block_size(), " positions (", kv_.n_blocks(),
                              " blocks of ", kv_.block_size(), ")");
  if (kv_.hybrid()) {
    sizes += str_cat(" for the full-attention layers, ", kv_.n_sliding_blocks() * kv_.block_size(),
                     " for the sliding-window layers");
  }
  log::info(str_cat(sizes, ", ", static_cast<int64_t>(mib + 0.5), " MiB"));
  if (config_.speculative.mode == SpeculativeConfig::Mode::Draft) {
    model::Model* draft = config_.speculative.draft_model;
    if (draft == nullptr) fail("draft-model speculation needs a draft model");
    check_same_vocabulary(model_, *draft);
    drafter_ = std::make_unique<DraftProposer>(*draft, config_.block_size, kv_.n_blocks(), config_.kv_type);
  }
}

void EngineCore::validate(const Request& r) const {
  const int64_t n_vocab = model_.hparams().n_vocab;
  if (r.prompt.empty()) fail("the prompt is empty");
  for (const int32_t id : r.prompt) {
    if (id < 0 || id >= n_vocab) fail("prompt token id ", id, " is outside the vocabulary (size ", n_vocab, ")");
  }
  const auto len = static_cast<int64_t>(r.prompt.size());
  if (len >= config_.max_model_len) {
    fail("the prompt has ", len, " tokens; the context length is ", config_.max_model_len,
         " and at least one token must be generated");
  }
  if (kv_.blocks_for_tokens(len + 1) > kv_.n_blocks()) {
    fail("the prompt has ", len, " tokens, more than the whole KV cache holds (", kv_.n_blocks() * kv_.block_size(),
         " tokens); raise --kv-cache-memory");
  }
  if (r.n < 1 || r.n > config_.max_num_seqs) fail("n must be in 1..", config_.max_num_seqs, ", got ", r.n);
  if (r.max_tokens == 0 || r.max_tokens < -1) fail("max_tokens must be >= 1, got ", r.max_tokens);
  if (r.min_tokens < 0) fail("min_tokens must be >= 0, got ", r.min_tokens);
  if (r.max_tokens > 0 && r.min_tokens > r.max_tokens) fail("min_tokens (", r.min_tokens, ") exceeds max_tokens (", r.max_tokens, ")");
  if (!(std::abs(r.presence_penalty) <= 2.0f)) fail("presence_penalty must be in [-2, 2], got ", r.presence_penalty);
  if (!(std::abs(r.frequency_penalty) <= 2.0f)) fail("frequency_penalty must be in [-2, 2], got ", r.frequency_penalty);
  if (r.logprobs > n_vocab) fail("logprobs must be at most the vocabulary size ", n_vocab);
  for (const int32_t id : r.stop_token_ids) {
    if (id < 0 || id >= n_vocab) fail("stop token id ", id, " is outside the vocabulary (size ", n_vocab, ")");
  }
  for (const auto& [id, bias] : r.logit_bias) {
    if (id < 0 || id >= n_vocab) fail("logit_bias token id ", id, " is outside the vocabulary (size ", n_vocab, ")");
    if (!(bias >= -100.0f && bias <= 100.0f)) fail("logit_bias values must be in [-100, 100], got ", bias);
  }
  sampling::validate(r.sampling);
}

std::shared_ptr<RequestStream> EngineCore::add(Request request, std::shared_ptr<RequestStream> stream) {
  validate(request);
  if (static_cast<int64_t>(scheduler_.num_waiting()) >= config_.max_waiting) {
    throw OverloadedError(str_cat("the server is overloaded: ", scheduler_.num_waiting(),
                                  " requests are waiting; try again later"));
  }
  if (request.id.empty()) request.id = str_cat("req-", next_id_++);
  if (requests_.count(request.id)) fail("a request with id '", request.id, "' is already running");
  auto state = std::make_shared<RequestState>();
  state->stream = stream ? std::move(stream) : std::make_shared<RequestStream>(request.id, request.n);
  state->request = std::move(request);
  requests_.emplace(state->request.id, state);
  sequences_.push_back(std::make_unique<Sequence>(state, 0, next_arrival_++, tokenizer_));
  scheduler_.add(sequences_.back().get());
  return state->stream;
}

void EngineCore::cancel(const std::string& id) { cancelled_.push_back(id); }

void EngineCore::abort_all() {
  for (const auto& [id, state] : requests_) cancelled_.push_back(id);
  apply_cancellations();
}

void EngineCore::apply_cancellations() {
  for (const std::string& id : cancelled_) {
    const auto it = requests_.find(id);
    if (it == requests_.end()) continue;
    it->second->cancelled = true;
    std::vector<Sequence*> victims;
    for (const auto& s : sequences_) {
      if (s->req == it->second) victims.push_back(s.get());
    }
    for (Sequence* s : victims) finish(*s, FinishReason::Abort, Delta{});
  }
  cancelled_.clear();
}

void EngineCore::propose_drafts() {
  const SpeculativeConfig& spec = config_.speculative;
  proposing_.clear();
  proposal_sizes_.clear();
  for (Sequence* seq : scheduler_.running()) {
    seq->draft.clear();
    seq->draft_q.clear();
    if (spec.mode == SpeculativeConfig::Mode::None || seq->num_uncomputed() != 1) continue;
    const Request& r = seq->req->request;
    if (r.n > 1 && !seq->req->forked) continue;  // the first token forks the samples
    // Never propose past max_tokens or the context: the last one is sampled.
    int64_t k = spec.adaptive && seq->spec_k > 0 ? seq->spec_k : spec.num_tokens;
    if (r.max_tokens > 0) k = std::min(k, r.max_tokens - seq->num_generated() - 1);
    k = std::min(k, config_.max_model_len - static_cast<int64_t>(seq->tokens.size()) - 1);
    if (k <= 0) continue;
    if (spec.mode == SpeculativeConfig::Mode::Ngram) {
      propose_ngram(seq->tokens, spec.ngram_min, spec.ngram_max, static_cast<int>(k), seq->draft);
    } else {
      proposing_.push_back(seq);
      proposal_sizes_.push_back(k);
    }
  }
  if (!proposing_.empty()) drafter_->propose(proposing_, proposal_sizes_, pool_);
}

void EngineCore::step() {
  apply_cancellations();
  propose_drafts();
  too_big_.clear();
  const std::vector<ScheduledChunk>& chunks = scheduler_.schedule(too_big_);
  for (Sequence* s : too_big_) finish(*s, FinishReason::Length, Delta{});
  if (chunks.empty()) return;
  const auto t0 = std::chrono::steady_clock::now();
  const bool decode_only = std::all_of(chunks.begin(), chunks.end(), [](const ScheduledChunk& c) {
    return c.num_tokens == 1 && c.seq->num_uncomputed() == 1;
  });
  const auto n_chunks = static_cast<int64_t>(chunks.size());
  ++counters_.steps;
  counters_.max_running = std::max<int64_t>(counters_.max_running, static_cast<int64_t>(scheduler_.num_running()));

  build_batch(chunks);
  const model::Batch batch{tokens_, positions_, seq_index_, tables_.full, logits_rows_, tables_.sliding};
  model_.forward(batch, kv_, pool_, logits_);

  for (const ScheduledChunk& c : chunks) {
    Sequence& seq = *c.seq;
    // Draft positions count as computed only once verified.
    const int64_t real = std::min(c.num_tokens, seq.num_uncomputed());
    const int64_t prompt_part = std::max<int64_t>(0, std::min(seq.num_prompt, seq.num_computed + real) - seq.num_computed);
    counters_.prompt_tokens_computed += prompt_part;
    seq.num_computed += real;
    kv_.cache_computed_blocks(seq.blocks, seq.tokens, seq.num_computed);
    // Sliding layers: the next query (position num_computed) reads from
    // num_computed - window + 1 on; their older blocks go back.
    counters_.window_released_blocks += kv_.release_outside_window(seq.blocks, seq.num_computed);
  }
  // Sampling may finish sequences (and free them); the list was made before
  // the model ran and holds each one's logits rows.
  for (const ToSample& t : to_sample_) {
    if (t.drafts > 0) verify(*t.seq, t.row, t.drafts);
    else sample(*t.seq, row_of(t.row));
  }
  if (decode_only) {
    ++counters_.decode_only_steps;
    counters_.decode_only_tokens += n_chunks;
    counters_.decode_only_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
}

std::span<const float> EngineCore::row_of(size_t row) const {
  const auto n_vocab = static_cast<size_t>(model_.hparams().n_vocab);
  return std::span<const float>(logits_).subspan(row * n_vocab, n_vocab);
}

void EngineCore::verify(Sequence& seq, size_t first_row, int64_t drafts) {
  if (!seq.draft_q.empty()) {
    verify_sampled(seq, first_row, drafts);
    return;
  }
  // Row i predicts the token after draft i-1. Sample from it exactly as plain
  // decoding would; the draft token is right iff it equals the sample, and
  // then row i+1 was computed on the true prefix. The first mismatch (or
  // the row after the last draft) still yields one sampled token.
  const std::vector<int32_t> draft(seq.draft.begin(), seq.draft.begin() + drafts);
  count_verification(seq, drafts);
  for (int64_t i = 0; i <= drafts; ++i) {
    Sequence* s = &seq;
    const bool accepted_so_far = i < drafts;
    const int32_t expected = accepted_so_far ? draft[static_cast<size_t>(i)] : -1;
    const size_t before = s->tokens.size();
    if (sample(*s, row_of(first_row + static_cast<size_t>(i)))) return;  // finished
    const int32_t got = s->tokens[before];
    if (!accepted_so_far || got != expected) return;
    count_acceptance(*s, i, drafts);
    s->num_computed += 1;  // the draft's keys/values were computed on the right prefix
    kv_.cache_computed_blocks(s->blocks, s->tokens, s->num_computed);
  }
}

void EngineCore::verify_sampled(Sequence& seq, size_t first_row, int64_t drafts) {
  // Each proposal x was drawn from the draft's q; keep it with probability
  // min(1, p(x)/q(x)) or replace it by a draw from max(0, p - q) and stop.
  // After k kept proposals the row after the last one gives a bonus token.
  // The sequence may finish (and be freed) on any token: copy what is needed.
  const std::vector<int32_t> draft(seq.draft.begin(), seq.draft.begin() + drafts);
  const std::vector<std::vector<sampling::Candidate>> q = std::move(seq.draft_q);
  seq.draft_q.clear();
  count_verification(seq, drafts);
  for (int64_t i = 0; i < drafts; ++i) {
    const std::span<const float> logits = row_of(first_row + static_cast<size_t>(i));
    seq.sampler.distribution(adjusted_row(seq, logits), seq.tokens, target_dist_);
    const sampling::SpeculativeOutcome o = sampling::accept_or_resample(
        target_dist_, q[static_cast<size_t>(i)], draft[static_cast<size_t>(i)], seq.sampler, residual_);
    if (o.accepted) count_acceptance(seq, i, drafts);
    if (append_token(seq, o.token, logits) || !o.accepted) return;
    seq.num_computed += 1;  // the proposal's keys/values were computed on the right prefix
    kv_.cache_computed_blocks(seq.blocks, seq.tokens, seq.num_computed);
  }
  sample(seq, row_of(first_row + static_cast<size_t>(drafts)));
}

// The next proposal count follows the outcome (with adaptive speculation):
// all accepted -> one more (up to the configured K), none -> half, else
// one more than were accepted. Set as if none will be accepted, then raised
// by each acceptance, so it is right whenever the sequence stops or ends.
void EngineCore::count_verification(Sequence& seq, int64_t drafts) {
  ++counters_.spec_verify_steps;
  counters_.spec_proposed += drafts;
  if (counters_.spec_accepted_at.size() < static_cast<size_t>(drafts)) counters_.spec_accepted_at.resize(static_cast<size_t>(drafts));
  seq.spec_k = std::max<int64_t>(1, drafts / 2);
}

void EngineCore::count_acceptance(Sequence& seq, int64_t index, int64_t drafts) {
  ++counters_.spec_accepted;
  ++counters_.spec_accepted_at[static_cast<size_t>(index)];
  seq.spec_k = index + 1 == drafts ? std::min<int64_t>(config_.speculative.num_tokens, drafts + 1) : index + 2;
}

void EngineCore::build_batch(const std::vector<ScheduledChunk>& chunks) {
  tokens_.clear();
  positions_.clear();
  seq_index_.clear();
  logits_rows_.clear();
  tables_.clear();
  to_sample_.clear();
  for (const ScheduledChunk& c : chunks) {
    const Sequence& seq = *c.seq;
    const int32_t index = tables_.add(seq.blocks);
    const int64_t real = std::min(c.num_tokens, seq.num_uncomputed());
    const int64_t drafts = c.num_tokens - real;
    for (int64_t j = 0; j < c.num_tokens; ++j) {
      const int64_t pos = seq.num_computed + j;
      tokens_.push_back(j < real ? seq.tokens[static_cast<size_t>(pos)] : seq.draft[static_cast<size_t>(j - real)]);
      positions_.push_back(static_cast<int32_t>(pos));
      seq_index_.push_back(index);
    }
    // Logits only where the chunk reaches the last token (and for every
    // draft token after it): a prompt chunk that does not is cache filling.
    if (seq.num_computed + real == static_cast<int64_t>(seq.tokens.size())) {
      to_sample_.push_back({c.seq, logits_rows_.size(), drafts});
      for (int64_t j = real - 1; j < c.num_tokens; ++j) {
        logits_rows_.push_back(static_cast<int32_t>(tokens_.size() - static_cast<size_t>(c.num_tokens - j)));
      }
    }
  }
}

bool EngineCore::sample(Sequence& seq, std::span<const float> logits) {
  const Request& r = seq.req->request;
  if (r.n > 1 && !seq.req->forked) {
    // The prompt is computed: the other samples share its blocks and draw
    // their first token from this same row.
    for (Sequence* c : fork_samples(seq)) sample(*c, logits);
  }
  const int32_t token = seq.sampler.sample(adjusted_row(seq, logits), seq.tokens);
  return append_token(seq, token, logits);
}

std::span<const float> EngineCore::adjusted_row(const Sequence& seq, std::span<const float> logits) {
  const Request& r = seq.req->request;
  std::span<const float> row = logits;
  const bool too_early = seq.num_generated() < r.min_tokens;
  const bool penalties = r.presence_penalty != 0.0f || r.frequency_penalty != 0.0f;
  if (too_early || !r.logit_bias.empty() || penalties) {
    masked_.assign(logits.begin(), logits.end());
    for (const auto& [id, bias] : r.logit_bias) masked_[static_cast<size_t>(id)] += bias;
    if (penalties) {
      counts_.clear();
      for (size_t i = static_cast<size_t>(seq.num_prompt); i < seq.tokens.size(); ++i) ++counts_[seq.tokens[i]];
      for (const auto& [id, count] : counts_) {
        masked_[static_cast<size_t>(id)] -= r.presence_penalty + r.frequency_penalty * static_cast<float>(count);
      }
    }
    row = masked_;
  }
  if (too_early) {
    // Too early to end: EOS and the stop tokens cannot be drawn.
    if (tokenizer_) {
      const auto& v = tokenizer_->vocab();
      for (const int32_t id : {v.eos, v.eot}) {
        if (id >= 0 && static_cast<size_t>(id) < masked_.size()) masked_[static_cast<size_t>(id)] = -INFINITY;
      }
    }
    for (const int32_t id : r.stop_token_ids) masked_[static_cast<size_t>(id)] = -INFINITY;
    row = masked_;
  }
  return row;
}

std::vector<Sequence*> EngineCore::fork_samples(Sequence& parent) {
  parent.req->forked = true;
  const auto n = parent.req->request.n;
  std::vector<Sequence*> children;
  for (int i = 1; i < n; ++i) {
    auto child = std::make_unique<Sequence>(parent.req, i, next_arrival_++, tokenizer_);
    child->tokens = parent.tokens;
    child->num_computed = parent.num_computed;
    child->num_cached_prompt = parent.num_cached_prompt;
    child->queue_seconds = parent.queue_seconds;
    kv_.fork(parent.blocks, child->blocks);
    scheduler_.add_running(child.get());
    children.push_back(child.get());
    sequences_.push_back(std::move(child));
  }
  return children;
}

bool EngineCore::append_token(Sequence& seq, int32_t token, std::span<const float> logits) {
  const Request& r = seq.req->request;
  Delta d;
  d.index = seq.index;
  d.token_ids.push_back(token);
  if (r.logprobs >= 0) {
    d.logprobs.push_back({token, sampling::token_logprobs(logits, token, r.logprobs, top_)});
    d.top_logprobs.push_back(top_);
  }
  seq.tokens.push_back(token);
  ++counters_.generation_tokens;

  FinishReason fin = FinishReason::None;
  const bool eos = tokenizer_ && tokenizer_->vocab().is_end_of_generation(token);
  if (eos && !r.ignore_eos) {
    fin = FinishReason::Stop;
    d.stop_reason = std::to_string(token);
  } else if (std::find(r.stop_token_ids.begin(), r.stop_token_ids.end(), token) != r.stop_token_ids.end()) {
    fin = FinishReason::Stop;
    d.stop_reason = std::to_string(token);
  } else if (std::optional<std::string> matched = seq.text.append(token)) {
    fin = FinishReason::Stop;
    d.stop_reason = *matched;
  } else if ((r.max_tokens > 0 && seq.num_generated() >= r.max_tokens) ||
             static_cast<int64_t>(seq.tokens.size()) >= config_.max_model_len) {
    fin = FinishReason::Length;
  }
  if (fin != FinishReason::None) {
    finish(seq, fin, std::move(d));
    return true;
  }
  d.text = seq.text.take_ready();
  seq.stamp_first_delta(d);
  seq.req->stream->push(std::move(d));
  return false;
}

void EngineCore::finish(Sequence& seq, FinishReason reason, Delta d) {
  d.index = seq.index;
  d.finish = reason;
  d.text += seq.text.take_rest();
  seq.stamp_first_delta(d);
  const std::shared_ptr<RequestState> state = seq.req;
  state->stream->push(std::move(d));
  // Samples that were never forked end with their parent.
  if (!state->forked && seq.index == 0) {
    for (int i = 1; i < state->request.n; ++i) {
      Delta extra;
      extra.index = i;
      extra.finish = reason;
      extra.prompt_tokens = seq.num_prompt;
      state->stream->push(std::move(extra));
    }
  }
  release(seq);
  const bool any_left = std::any_of(sequences_.begin(), sequences_.end(), [&](const auto& s) { return s->req == state; });
  if (!any_left) {
    requests_.erase(state->request.id);
    ++counters_.requests_finished;
  }
}

void EngineCore::release(Sequence& seq) {
  seq.status = SeqStatus::Finished;
  if (drafter_) drafter_->release(seq);
  scheduler_.remove(&seq);
  const auto it = std::find_if(sequences_.begin(), sequences_.end(), [&](const auto& s) { return s.get() == &seq; });
  if (it != sequences_.end()) sequences_.erase(it);
}

EngineStats EngineCore::stats() const {
  EngineStats s = counters_;
  s.running = static_cast<int64_t>(scheduler_.num_running());
  s.waiting = static_cast<int64_t>(scheduler_.num_waiting());
  s.kv = kv_.stats();
  s.preemptions = scheduler_.num_preemptions();
  return s;
}

}  // namespace pagoda::engine
