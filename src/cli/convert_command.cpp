// `pagoda convert`: a Hugging Face checkpoint directory (config.json,
// *.safetensors, tokenizer files) to one GGUF file.
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "convert/hf_to_gguf.h"
#include "convert/llama2c.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace pagoda::cli {
namespace {

quant::TensorType outtype(const Args& args) {
  const std::string type_name = args.str("--outtype", "f16");
  const auto type = quant::type_from_name(type_name);
  if (!type || (*type != quant::TensorType::F32 && *type != quant::TensorType::F16 && *type != quant::TensorType::BF16 &&
                *type != quant::TensorType::Q8_0)) {
    fail("convert: --outtype must be f32, f16, bf16 or q8_0 (use `pagoda quantize` for smaller types), got '", type_name, "'");
  }
  return *type;
}

// pagoda convert --llama2c MODEL.bin --tokenizer TOKENIZER.bin -o OUT.gguf
int convert_llama2c_command(const Args& args) {
  const std::string out_path = args.required("--output");
  ThreadPool pool(static_cast<int>(args.integer("--threads", default_thread_count())));
  gguf::Writer w;
  const convert::Llama2cSummary s = convert::convert_llama2c(args.str("--llama2c", ""), args.required("--tokenizer"),
                                                             outtype(args), args.str("--name", ""), w, pool);
  w.write(out_path);
  std::printf("wrote %s: llama, %lld layers, n_embd %lld, vocab %lld, %s classifier\n", out_path.c_str(),
              static_cast<long long>(s.n_layer), static_cast<long long>(s.n_embd), static_cast<long long>(s.n_vocab),
              s.shared_classifier ? "shared" : "separate");
  return 0;
}

}  // namespace

int convert_command(const std::vector<std::string>& argv) {
  const Args args(argv, {"--outtype", "--output", "--name", "--threads", "--llama2c", "--tokenizer"}, {"--vocab-only"},
                  {{"-o", "--output"}, {"-t", "--threads"}});
  if (args.has("--llama2c")) return convert_llama2c_command(args);
  if (args.positional().size() != 1) {
    fail("usage: pagoda convert HF_DIR -o OUT.gguf [--outtype f16|f32|bf16|q8_0] [--name NAME] [--vocab-only]");
  }
  const std::string out_path = args.required("--output");
  if (args.has("--vocab-only")) {
    gguf::Writer w;
    const convert::TokenizerSummary t =
        convert::convert_vocab_only(convert::HfCheckpoint::open_tokenizer_only(args.positional()[0]), args.str("--name", ""), w);
    w.write(out_path);
    std::printf("wrote %s: tokenizer %s, %lld tokens (from %s)\n", out_path.c_str(), t.model.c_str(),
                static_cast<long long>(t.n_tokens), t.source.c_str());
    return 0;
  }
  const std::string type_name = args.str("--outtype", "f16");
  const quant::TensorType type = outtype(args);
  ThreadPool pool(static_cast<int>(args.integer("--threads", default_thread_count())));
  const auto ck = convert::HfCheckpoint::open(args.positional()[0]);
  gguf::Writer w;
  const convert::ConvertSummary s = convert::convert_hf(ck, {type, args.str("--name", "")}, w, pool);
  w.write(out_path);
  std::printf("wrote %s: %s, %lld tensors, %lld parameters, matrices %s, tokenizer %s (%lld tokens, from %s)\n",
              out_path.c_str(), s.arch.c_str(), static_cast<long long>(s.n_tensors),
              static_cast<long long>(s.n_parameters), type_name.c_str(), s.tokenizer.model.c_str(),
              static_cast<long long>(s.tokenizer.n_tokens), s.tokenizer.source.c_str());
  return 0;
}

}  // namespace pagoda::cli
