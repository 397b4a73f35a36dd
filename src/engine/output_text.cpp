#include "engine/output_text.h"

#include <algorithm>

namespace pagoda::engine {

OutputText::OutputText(const tokenizer::Tokenizer* tokenizer, const std::vector<std::string>& stops) : stops_(&stops) {
  if (tokenizer) decoder_.emplace(*tokenizer);
  for (const auto& s : stops) longest_stop_ = std::max(longest_stop_, s.size());
}

std::optional<std::string> OutputText::append(int32_t token) {
  if (!decoder_ || stopped_) return std::nullopt;
  const size_t old_size = text_.size();
  text_ += decoder_->push(token);
  if (longest_stop_ == 0 || text_.size() == old_size) return std::nullopt;
  // A match must end in the new bytes, so it starts at most longest-1 before them.
  const size_t from = old_size >= longest_stop_ ? old_size - (longest_stop_ - 1) : 0;
  size_t best = std::string::npos;
  const std::string* matched = nullptr;
  for (const auto& s : *stops_) {
    if (s.empty()) continue;
    const size_t at = text_.find(s, std::max(from, sent_));
    if (at != std::string::npos && at < best) {
      best = at;
      matched = &s;
    }
  }
  if (!matched) return std::nullopt;
  text_.resize(best);
  stopped_ = true;
  return *matched;
}

std::string OutputText::take_ready() {
  size_t ready = text_.size();
  if (!stopped_ && longest_stop_ > 0) {
    // Hold back the longest tail that a stop string starts with.
    const size_t max_hold = std::min(longest_stop_ - 1, text_.size() - sent_);
    for (size_t k = max_hold; k > 0; --k) {
      const std::string_view tail(text_.data() + text_.size() - k, k);
      const bool prefix = std::any_of(stops_->begin(), stops_->end(),
                                      [&](const std::string& s) { return s.size() > k && s.compare(0, k, tail) == 0; });
      if (prefix) {
        ready = text_.size() - k;
        break;
      }
    }
  }
  std::string out = text_.substr(sent_, ready - sent_);
  sent_ = ready;
  return out;
}

std::string OutputText::take_rest() {
  if (decoder_ && !stopped_) text_ += decoder_->flush();
  std::string out = text_.substr(sent_);
  sent_ = text_.size();
  return out;
}

}  // namespace pagoda::engine
