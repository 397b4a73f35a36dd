// The `pagoda` command: dispatches to subcommands and turns errors a user
// can cause into one clear line on stderr and exit code 1.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"

namespace {

constexpr const char* kUsage =
    "usage: pagoda <command> [options]\n"
    "\n"
    "commands:\n"
    "  run      generate text:   pagoda run -m MODEL.gguf -p PROMPT -n N [--temp T --top-k K --top-p P\n"
    "                            --min-p P --repeat-penalty R --seed S --threads T --ctx-size C --json -v]\n"
    "  tokenize    pagoda tokenize -m MODEL -p TEXT [--ids] [--no-bos] [--parse-special]\n"
    "  detokenize  pagoda detokenize -m MODEL --ids '[1, 15043]' [--render-special]\n"
    "  inspect  print a GGUF file's metadata and tensor table:  pagoda inspect MODEL.gguf\n"
    "  mkmodel  write a random-weights model:  pagoda mkmodel --arch llama --n-embd E --n-layer L\n"
    "           --n-head H --n-head-kv K --n-ff F (--vocab-from VOCAB.gguf | --vocab-size V)\n"
    "           --type f32|f16|bf16|q8_0|q4_0|... --seed S -o OUT.gguf\n"
    "  convert  Hugging Face checkpoint directory -> GGUF (Llama, Mistral, Qwen2; safetensors F32/F16/BF16):\n"
    "           pagoda convert HF_DIR -o OUT.gguf [--outtype f16|f32|bf16|q8_0] [--name NAME] [--vocab-only]\n"
    "           llama2.c: pagoda convert --llama2c MODEL.bin --tokenizer TOKENIZER.bin -o OUT.gguf [--outtype]\n"
    "  quantize quantize a model:  pagoda quantize IN.gguf OUT.gguf TYPE [--imatrix FILE --threads T]\n"
    "           TYPE: q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k_s q3_k_m q4_k_s q4_k_m q5_k_s q5_k_m q6_k f16 bf16 f32\n"
    "  imatrix  importance matrix for quantize:  pagoda imatrix -m MODEL -f TEXT -o FILE [-c CTX --chunks N]\n"
    "  eval-gate  fail (exit 1) on a perplexity regression:  pagoda eval-gate --model M\n"
    "           --baseline PPL.json --max-ppl-increase 2%  (PPL.json from pagoda perplexity --json)\n"
    "  perplexity  llama-perplexity's measure:  pagoda perplexity -m MODEL -f TEXT [-c CTX --chunks N\n"
    "           --kv-cache-type f16|f32|q8_0 --parse-special --json FILE]\n"
    "  kld      KL divergence against a reference:  pagoda kld -m REF -f TEXT -c CTX --save-base BASE, then\n"
    "           pagoda kld -m MODEL -f TEXT --base BASE [--json FILE]\n"
    "  bench    measure prompt (ppN) and generation (tgN) speed, like llama-bench:\n"
    "           pagoda bench -m MODEL[,MODEL...] -p 128,512 -n 64 -t 1,2 -r 5 [--json FILE] [--membw]\n"
    "           [--membw-mib MIB] [--ctx-size C]\n"
    "           serving benchmark: --concurrency 1,4,16 [--shared-prefix N] [engine flags]\n"
    "           load generator for any OpenAI server: pagoda bench serve --base-url http://HOST:PORT\n"
    "           [--model NAME --concurrency C --num-prompts N --input-len I --output-len O --request-rate R\n"
    "           --dataset FILE.jsonl --endpoint completions|chat --api-key K --json FILE]\n"
    "           speculative decoding side by side: pagoda bench spec -m MODEL [--draft-model DRAFT]\n"
    "           [--modes none,ngram,draft -p PROMPT | -f PROMPT_FILE -n N -r R --temp T --num-speculative-tokens K]\n"
    "  serve    OpenAI-compatible HTTP server:  pagoda serve -m MODEL.gguf [--host H --port P --threads T\n"
    "           --api-key KEY --chat-template FILE --config pagoda.toml --drain-timeout S --timeout S\n"
    "           --max-body-bytes N --served-model-name NAME] [engine flags]\n"
    "  engine flags: --ctx-size N --kv-cache-memory SIZE|FRACTION --kv-cache-type f16|f32|q8_0\n"
    "           --block-size N --max-num-batched-tokens N --max-num-seqs N --max-waiting N --no-prefix-caching\n"
    "           --speculative none|ngram|draft --draft-model FILE --num-speculative-tokens K --ngram-min N\n"
    "           --ngram-max N --no-adaptive-speculation\n"
    "  version  print the version\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "run") return pagoda::cli::run_command(args);
    if (command == "inspect") return pagoda::cli::inspect_command(args);
    if (command == "mkmodel") return pagoda::cli::mkmodel_command(args);
    if (command == "convert") return pagoda::cli::convert_command(args);
    if (command == "perplexity") return pagoda::cli::perplexity_command(args);
    if (command == "kld") return pagoda::cli::kld_command(args);
    if (command == "quantize") return pagoda::cli::quantize_command(args);
    if (command == "imatrix") return pagoda::cli::imatrix_command(args);
    if (command == "eval-gate") return pagoda::cli::eval_gate_command(args);
    if (command == "tokenize") return pagoda::cli::tokenize_command(args);
    if (command == "detokenize") return pagoda::cli::detokenize_command(args);
    if (command == "bench") return pagoda::cli::bench_command(args);
    if (command == "serve") return pagoda::cli::serve_command(args);
    if (command == "version" || command == "--version") {
      std::printf("pagoda %s\n", PAGODA_VERSION);
      return 0;
    }
    std::fprintf(stderr, "pagoda: unknown command '%s'\n\n%s", command.c_str(), kUsage);
    return 2;
  } catch (const pagoda::Error& e) {
    std::fprintf(stderr, "pagoda %s: error: %s\n", command.c_str(), e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "pagoda %s: error: out of memory\n", command.c_str());
    return 1;
  }
}
