#pragma once
// Prompt-lookup (n-gram) speculation: guesses the next tokens of a sequence
// by finding the most recent earlier occurrence of its last n tokens (n from
// max_n down to min_n) and copying what followed. No draft model; strong
// when the output repeats the input (editing, summaries, RAG answers).
#include <cstdint>
#include <span>
#include <vector>

namespace pagoda::engine {

// Appends at most `k` proposed tokens to `out` (nothing when no n-gram recurs).
void propose_ngram(std::span<const int32_t> tokens, int min_n, int max_n, int k, std::vector<int32_t>& out);

}  // namespace pagoda::engine
