// `pagoda bench serve`: a load generator for any OpenAI-compatible server
// (Pagoda's, llama.cpp's, vLLM's): fixed concurrency or Poisson arrivals,
// random token prompts of a given length or a JSONL dataset, streaming;
// reports request throughput, output tokens/s and TTFT / TPOT / ITL.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cli/args.h"
#include "cli/bench_common.h"
#include "cli/commands.h"
#include "cli/http_client.h"
#include "core/error.h"

namespace pagoda::cli {
namespace {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
using bench::printf_str;

struct Outcome {
  bool ok = false;
  std::string error;
  double ttft_ms = 0, tpot_ms = 0, e2e_ms = 0;
  std::vector<double> itl_ms;
  int64_t output_tokens = 0;
};

struct Summary {
  double mean = 0, median = 0, p99 = 0;
};

Summary summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  s.median = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, static_cast<size_t>(std::ceil(0.99 * static_cast<double>(v.size()))) - 1)];
  return s;
}

// One streamed request; times the chunks that carry text.
Outcome run_one(const HttpTarget& target, const std::string& path, const json& body, const std::string& headers,
                bool chat) {
  Outcome o;
  const auto t0 = Clock::now();
  Clock::time_point last;
  int64_t chunks = 0, usage_tokens = -1;
  std::string pending, error_body;
  const auto on_body = [&](const std::string& piece) {
    pending += piece;
    size_t end;
    while ((end = pending.find("\n\n")) != std::string::npos) {
      std::string event = pending.substr(0, end);
      pending.erase(0, end + 2);
      if (event.rfind("data: ", 0) != 0) {
        error_body += event;
        continue;
      }
      const std::string data = event.substr(6);
      if (data == "[DONE]") continue;
      const json j = json::parse(data, nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("usage") && j["usage"].is_object()) usage_tokens = j["usage"].value("completion_tokens", int64_t{-1});
      if (!j.contains("choices") || j["choices"].empty()) continue;
      const json& c = j["choices"][0];
      std::string text;
      if (chat && c.contains("delta") && c["delta"].contains("content") && c["delta"]["content"].is_string()) {
        text = c["delta"]["content"];
      } else if (!chat && c.contains("text") && c["text"].is_string()) {
        text = c["text"];
      }
      if (text.empty()) continue;
      const auto now = Clock::now();
      if (chunks == 0) o.ttft_ms = std::chrono::duration<double, std::milli>(now - t0).count();
      else o.itl_ms.push_back(std::chrono::duration<double, std::milli>(now - last).count());
      last = now;
      ++chunks;
    }
  };
  const HttpResult r = http_post_streaming(target, path, body.dump(), headers, on_body);
  o.e2e_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  if (!r.error.empty()) {
    o.error = r.error;
    return o;
  }
  if (r.status != 200) {
    o.error = str_cat("HTTP ", r.status, ": ", (error_body + pending).substr(0, 200));
    return o;
  }
  o.output_tokens = usage_tokens >= 0 ? usage_tokens : chunks;
  if (chunks == 0) {
    o.error = "no tokens in the response";
    return o;
  }
  if (o.output_tokens > 1) {
    o.tpot_ms = std::chrono::duration<double, std::milli>(last - t0).count() - o.ttft_ms;
    o.tpot_ms /= static_cast<double>(o.output_tokens - 1);
  }
  o.ok = true;
  return o;
}

}  // namespace

int bench_serve_command(const std::vector<std::string>& argv) {
  const Args args(argv,
                  {"--base-url", "--model", "--endpoint", "--concurrency", "--num-prompts", "--input-len",
                   "--output-len", "--request-rate", "--dataset", "--seed", "--api-key", "--json", "--token-range"},
                  {}, {});
  if (!args.positional().empty()) fail("unexpected argument '", args.positional()[0], "'");
  const HttpTarget target = parse_http_url(args.str("--base-url", "http://127.0.0.1:8080"));
  const std::string endpoint = args.str("--endpoint", "completions");
  if (endpoint != "completions" && endpoint != "chat") fail("--endpoint must be completions or chat");
  const bool chat = endpoint == "chat";
  const std::string path = chat ? "/v1/chat/completions" : "/v1/completions";
  const int64_t concurrency = args.integer("--concurrency", 16);
  const int64_t num_prompts = args.integer("--num-prompts", concurrency * 4);
  const int64_t input_len = args.integer("--input-len", 128);
  const int64_t output_len = args.integer("--output-len", 128);
  const double rate = args.number("--request-rate", 0.0);  // 0: all at once, limited by concurrency
  if (concurrency < 1 || num_prompts < 1 || input_len < 1 || output_len < 1 || rate < 0) {
    fail("--concurrency, --num-prompts, --input-len and --output-len must be >= 1 and --request-rate >= 0");
  }
  const std::string model = args.str("--model", "");
  const auto seed = static_cast<uint64_t>(args.integer("--seed", 1));
  std::string headers;
  if (args.has("--api-key")) headers = "Authorization: Bearer " + args.str("--api-key", "") + "\r\n";
  // Random prompts are token ids (both Pagoda's and llama.cpp's servers take
  // them), from a range every vocabulary has.
  const std::vector<std::string> range = bench::split(args.str("--token-range", "100:1000"), ':');
  if (range.size() != 2) fail("--token-range must be LOW:HIGH");
  const int64_t lo = std::stoll(range[0]), hi = std::stoll(range[1]);
  if (lo < 0 || hi <= lo) fail("--token-range must be LOW:HIGH with 0 <= LOW < HIGH");

  std::vector<json> bodies;
  std::mt19937_64 rng(seed);
  if (args.has("--dataset")) {
    std::ifstream in(args.str("--dataset", ""));
    if (!in) fail("cannot read the dataset ", args.str("--dataset", ""));
    std::string line;
    while (std::getline(in, line) && static_cast<int64_t>(bodies.size()) < num_prompts) {
      if (line.empty()) continue;
      const json j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("prompt") || !j["prompt"].is_string()) fail("dataset lines must be JSON with a string \"prompt\"");
      json b;
      if (chat) b["messages"] = json::array({{{"role", "user"}, {"content", j["prompt"]}}});
      else b["prompt"] = j["prompt"];
      b["max_tokens"] = j.value("max_tokens", output_len);
      bodies.push_back(b);
    }
    if (bodies.empty()) fail("the dataset has no prompts");
  } else {
    for (int64_t i = 0; i < num_prompts; ++i) {
      json ids = json::array();
      for (int64_t t = 0; t < input_len; ++t) ids.push_back(lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo)));
      json b;
      if (chat) fail("random prompts need --endpoint completions (token ids); give --dataset for chat");
      b["prompt"] = ids;
      b["max_tokens"] = output_len;
      b["ignore_eos"] = true;
      bodies.push_back(b);
    }
  }
  for (json& b : bodies) {
    if (!model.empty()) b["model"] = model;
    b["stream"] = true;
    b["stream_options"] = {{"include_usage", true}};
    b["temperature"] = 0;
  }

  // Arrival times: Poisson at `rate`, or all at time 0.
  std::vector<double> arrival_s(bodies.size(), 0.0);
  if (rate > 0) {
    std::exponential_distribution<double> gap(rate);
    double t = 0;
    for (double& a : arrival_s) {
      a = t;
      t += gap(rng);
    }
  }
  std::vector<Outcome> outcomes(bodies.size());
  std::atomic<size_t> next{0};
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int64_t w = 0; w < std::min<int64_t>(concurrency, static_cast<int64_t>(bodies.size())); ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < bodies.size(); i = next++) {
        std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(arrival_s[i])));
        outcomes[i] = run_one(target, path, bodies[i], headers, chat);
      }
    });
  }
  for (auto& t : workers) t.join();
  const double duration_s = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> ttft, tpot, itl, e2e;
  int64_t completed = 0, tokens = 0;
  std::vector<std::string> errors;
  for (const Outcome& o : outcomes) {
    if (!o.ok) {
      errors.push_back(o.error);
      continue;
    }
    ++completed;
    tokens += o.output_tokens;
    ttft.push_back(o.ttft_ms);
    if (o.output_tokens > 1) tpot.push_back(o.tpot_ms);
    itl.insert(itl.end(), o.itl_ms.begin(), o.itl_ms.end());
    e2e.push_back(o.e2e_ms);
  }
  const Summary s_ttft = summarize(ttft), s_tpot = summarize(tpot), s_itl = summarize(itl), s_e2e = summarize(e2e);
  json result;
  result["base_url"] = args.str("--base-url", "http://127.0.0.1:8080");
  result["endpoint"] = endpoint;
  result["concurrency"] = concurrency;
  result["request_rate"] = rate;
  result["num_prompts"] = static_cast<int64_t>(bodies.size());
  result["input_len"] = args.has("--dataset") ? json(nullptr) : json(input_len);
  result["output_len"] = output_len;
  result["completed"] = completed;
  result["errors"] = static_cast<int64_t>(errors.size());
  result["duration_s"] = duration_s;
  result["request_throughput"] = static_cast<double>(completed) / duration_s;
  result["output_tokens_per_s"] = static_cast<double>(tokens) / duration_s;
  for (const auto& [name, sm] : {std::pair{"ttft", s_ttft}, {"tpot", s_tpot}, {"itl", s_itl}, {"e2e", s_e2e}}) {
    result[str_cat(name, "_mean_ms")] = sm.mean;
    result[str_cat(name, "_median_ms")] = sm.median;
    result[str_cat(name, "_p99_ms")] = sm.p99;
  }
  if (!errors.empty()) result["first_error"] = errors.front();

  std::printf("| metric | mean | median | p99 |\n| --- | ---: | ---: | ---: |\n");
  for (const auto& [name, sm] : {std::pair{"TTFT ms", s_ttft}, {"TPOT ms", s_tpot}, {"ITL ms", s_itl}, {"E2E ms", s_e2e}}) {
    std::printf("| %s | %s | %s | %s |\n", name, printf_str("%.1f", sm.mean).c_str(), printf_str("%.1f", sm.median).c_str(),
                printf_str("%.1f", sm.p99).c_str());
  }
  std::printf("\ncompleted %lld/%zu in %.2f s: %.3f requests/s, %.2f output tokens/s, %zu errors\n",
              static_cast<long long>(completed), bodies.size(), duration_s, result["request_throughput"].get<double>(),
              result["output_tokens_per_s"].get<double>(), errors.size());
  if (!errors.empty()) std::printf("first error: %s\n", errors.front().c_str());
  if (args.has("--json")) {
    std::ofstream out(args.str("--json", ""));
    if (!out) fail("cannot write the JSON file ", args.str("--json", ""));
    out << result.dump(2) << "\n";
  }
  return errors.empty() ? 0 : 1;
}

}  // namespace pagoda::cli
