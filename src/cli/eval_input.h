#pragma once
// What `pagoda perplexity` and `pagoda kld` start from: a model, its
// tokenizer, and a text file tokenized once with BOS, as llama-perplexity does.
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace pagoda::cli {

struct EvalInput {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
  std::vector<int32_t> tokens;
  int32_t bos = -1;  // put at the start of every chunk; -1 when the model adds none
};

// parse_special: control-token texts in the file (chat markup such as
// <|user|>) become their ids instead of being spelled out in pieces.
EvalInput load_eval_input(const std::string& model_path, const std::string& text_path, bool parse_special);

}  // namespace pagoda::cli
