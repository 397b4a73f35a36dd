#include "cli/eval_input.h"

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "tokenizer/vocab.h"

namespace pagoda::cli {

EvalInput load_eval_input(const std::string& model_path, const std::string& text_path, bool parse_special) {
  EvalInput in;
  std::ifstream file(text_path, std::ios::binary);
  if (!file) fail(text_path, ": cannot open");
  std::ostringstream text;
  text << file.rdbuf();
  in.model = model::Model::load(model_path);
  in.tokenizer = tokenizer::make_tokenizer(tokenizer::load_vocab(in.model->file()));
  in.tokens = in.tokenizer->encode(text.str(), /*add_special=*/true, parse_special);
  const tokenizer::Vocab& v = in.tokenizer->vocab();
  in.bos = v.add_bos ? v.bos : -1;
  return in;
}

}  // namespace pagoda::cli
