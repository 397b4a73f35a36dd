#pragma once
// `pagoda bench --concurrency 1,4,16`: the serving benchmark. For each
// level, that many requests go to one engine at once; it reports aggregate
// output tokens/s, time to first token and time per output token (mean and
// p99), and the prefix-cache hit rate.
#include "cli/args.h"

namespace pagoda::cli {

int bench_serving(const Args& args);

}  // namespace pagoda::cli
