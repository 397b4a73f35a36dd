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

EvalInput load_eval_input(const std::string& model_path, const std::string& text_path);

}  // namespace pagoda::cli
