// `pagoda tokenize -m MODEL -p TEXT [--ids] [--no-bos] [--parse-special]` and
// `pagoda detokenize -m MODEL --ids '[...]'`: the model's tokenizer alone
// (only the GGUF metadata is read, not the weights).
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "gguf/file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace pagoda::cli {
namespace {

std::unique_ptr<tokenizer::Tokenizer> tokenizer_of(const std::string& path) {
  const gguf::File file = gguf::File::open(path);
  return tokenizer::make_tokenizer(tokenizer::load_vocab(file));
}

}  // namespace

int tokenize_command(const std::vector<std::string>& argv) {
  const Args args(argv, {"--model", "--prompt"}, {"--ids", "--no-bos", "--parse-special"},
                  {{"-m", "--model"}, {"-p", "--prompt"}});
  const auto tok = tokenizer_of(args.required("--model"));
  const std::vector<tokenizer::TokenId> ids =
      tok->encode(args.required("--prompt"), !args.has("--no-bos"), args.has("--parse-special"));
  if (args.has("--ids")) {
    std::cout << nlohmann::json(ids).dump() << "\n";
    return 0;
  }
  for (const tokenizer::TokenId id : ids) {
    const nlohmann::json piece = tok->token_to_piece(id, /*render_special=*/true);
    std::cout << id << " -> " << piece.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return 0;
}

int detokenize_command(const std::vector<std::string>& argv) {
  const Args args(argv, {"--model", "--ids"}, {"--render-special"}, {{"-m", "--model"}});
  const auto tok = tokenizer_of(args.required("--model"));
  std::vector<tokenizer::TokenId> ids;
  try {
    ids = nlohmann::json::parse(args.required("--ids")).get<std::vector<tokenizer::TokenId>>();
  } catch (const nlohmann::json::exception&) {
    fail("--ids must be a JSON list of token ids, such as [1, 15043]");
  }
  for (const tokenizer::TokenId id : ids) {
    if (!tok->vocab().contains(id)) fail("token id ", id, " is outside the vocabulary (size ", tok->vocab().size(), ")");
  }
  std::cout << tok->decode(ids, args.has("--render-special")) << "\n";
  return 0;
}

}  // namespace pagoda::cli
