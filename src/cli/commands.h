#pragma once
// The `pagoda` subcommands. Each takes the arguments after its name and
// returns the process exit code; pagoda::Error escapes to main, which prints it.
#include <string>
#include <vector>

namespace pagoda::cli {

int run_command(const std::vector<std::string>& args);
int inspect_command(const std::vector<std::string>& args);
int mkmodel_command(const std::vector<std::string>& args);
int convert_command(const std::vector<std::string>& args);
int perplexity_command(const std::vector<std::string>& args);
int kld_command(const std::vector<std::string>& args);
int quantize_command(const std::vector<std::string>& args);
int imatrix_command(const std::vector<std::string>& args);
int eval_gate_command(const std::vector<std::string>& args);
int tokenize_command(const std::vector<std::string>& args);
int detokenize_command(const std::vector<std::string>& args);
int bench_command(const std::vector<std::string>& args);
int serve_command(const std::vector<std::string>& args);
int bench_serve_command(const std::vector<std::string>& args);  // `pagoda bench serve`
int bench_speculative_command(const std::vector<std::string>& args);  // `pagoda bench spec`

}  // namespace pagoda::cli
