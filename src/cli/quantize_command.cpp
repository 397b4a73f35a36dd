// `pagoda quantize IN.gguf OUT.gguf TYPE [--imatrix FILE] [--threads T]`.
#include <unistd.h>

#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "convert/importance_file.h"
#include "convert/quantize_model.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace pagoda::cli {

int quantize_command(const std::vector<std::string>& argv) {
  const Args args(argv, {"--imatrix", "--threads"}, {}, {{"-t", "--threads"}});
  if (args.positional().size() != 3) {
    std::string types;
    for (const auto& n : convert::quantize_type_names()) types += " " + n;
    fail("usage: pagoda quantize IN.gguf OUT.gguf TYPE [--imatrix FILE] [--threads T]; TYPE one of:", types);
  }
  const std::string& in_path = args.positional()[0];
  const std::string& out_path = args.positional()[1];
  std::string type = args.positional()[2];
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const gguf::File in = gguf::File::open(in_path);
  convert::ImportanceMatrix importance;
  if (args.has("--imatrix")) importance = convert::read_importance_file(args.str("--imatrix", ""));
  ThreadPool pool(static_cast<int>(args.integer("--threads", default_thread_count())));
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  gguf::Writer w;
  const convert::QuantizeSummary s = convert::quantize_model(
      in, type, args.has("--imatrix") ? &importance : nullptr, w, pool, [&](int64_t done, int64_t total) {
        if (!tty) return;
        const int width = 40, filled = static_cast<int>(width * done / std::max<int64_t>(1, total));
        std::fprintf(stderr, "\r[%s%s] %lld/%lld tensors", std::string(static_cast<size_t>(filled), '#').c_str(),
                     std::string(static_cast<size_t>(width - filled), '.').c_str(), static_cast<long long>(done),
                     static_cast<long long>(total));
        if (done == total) std::fputc('\n', stderr);
      });
  w.write(out_path);
  std::printf("quantized %s -> %s (%s): %lld tensors, %lld requantized", in_path.c_str(), out_path.c_str(),
              type.c_str(), static_cast<long long>(s.n_tensors), static_cast<long long>(s.n_quantized));
  if (s.n_fallbacks) std::printf(", %lld fell back to a legacy type (rows not a multiple of the block)", static_cast<long long>(s.n_fallbacks));
  if (args.has("--imatrix")) std::printf(", %lld with importance weights", static_cast<long long>(s.n_importance));
  std::printf("\nsize: %.2f MiB -> %.2f MiB, %.2f bits per weight; tensors by type:", s.bytes_in / 1048576.0,
              s.bytes_out / 1048576.0, s.bits_per_weight());
  for (const auto& [name, n] : s.tensors_by_type) std::printf(" %s %lld", name.c_str(), static_cast<long long>(n));
  std::printf("\n");
  return 0;
}

}  // namespace pagoda::cli
