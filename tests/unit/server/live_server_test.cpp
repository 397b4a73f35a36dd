// The OpenAI-compatible server over real sockets: endpoints, parameters,
// streaming, errors, limits, disconnects and metrics.
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server_fixture.h"

namespace pagoda::server::test {
namespace {

class Serve : public LiveServer {
 protected:
  void SetUp() override { start(); }
};

TEST_F(Serve, HealthVersionModelsAndRoutingErrors) {
  EXPECT_EQ(call(port_, "GET", "/health").status, 200);
  EXPECT_EQ(call(port_, "GET", "/version").json_body()["version"], "test");
  const Reply models = call(port_, "GET", "/v1/models");
  ASSERT_EQ(models.status, 200);
  EXPECT_EQ(models.json_body()["data"][0]["id"], "stories260K");
  const Reply missing = call(port_, "GET", "/v1/nothing");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(missing.json_body()["error"]["message"].is_string());
  EXPECT_EQ(call(port_, "GET", "/v1/completions").status, 405);
  EXPECT_EQ(call(port_, "DELETE", "/v1/models").status, 405);
}

TEST_F(Serve, CompletionHasOpenAiShapeAndSeedsRepeat) {
  const json req = {{"model", "stories260K"},
                    {"prompt", "Once upon a time"},
                    {"max_tokens", 12},
                    {"temperature", 1.0},
                    {"seed", 7}};
  const Reply a = post(port_, "/v1/completions", req);
  ASSERT_EQ(a.status, 200) << a.body;
  const json j = a.json_body();
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["model"], "stories260K");
  EXPECT_TRUE(j["id"].get<std::string>().rfind("cmpl-", 0) == 0);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 12);
  EXPECT_EQ(j["usage"]["prompt_tokens"], 5);
  EXPECT_EQ(j["usage"]["total_tokens"], 17);
  EXPECT_FALSE(j["choices"][0]["text"].get<std::string>().empty());
  const Reply b = post(port_, "/v1/completions", req);
  EXPECT_EQ(b.json_body()["choices"][0]["text"], j["choices"][0]["text"]);
}

TEST_F(Serve, CompletionNLogprobsEchoAndStop) {
  const Reply r = post(port_, "/v1/completions",
                       {{"prompt", "The dog"},
                        {"max_tokens", 5},
                        {"n", 2},
                        {"logprobs", 2},
                        {"echo", true},
                        {"temperature", 0}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = r.json_body();
  ASSERT_EQ(j["choices"].size(), 2u);
  EXPECT_EQ(j["choices"][1]["index"], 1);
  EXPECT_EQ(j["choices"][0]["text"], j["choices"][1]["text"]);  // greedy
  EXPECT_EQ(j["choices"][0]["text"].get<std::string>().rfind("The dog", 0), 0u);
  const json& lp = j["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 5u);
  EXPECT_EQ(lp["top_logprobs"][0].size(), 2u);
  EXPECT_LE(lp["token_logprobs"][0].get<double>(), 0.0);

  const Reply plain = post(port_, "/v1/completions",
                           {{"prompt", "Once upon a time"}, {"max_tokens", 30}, {"temperature", 0}});
  const std::string text = plain.json_body()["choices"][0]["text"];
  const std::string stop = text.substr(10, 4);
  const Reply stopped =
      post(port_, "/v1/completions",
           {{"prompt", "Once upon a time"}, {"max_tokens", 30}, {"temperature", 0}, {"stop", stop}});
  EXPECT_EQ(stopped.json_body()["choices"][0]["text"], text.substr(0, text.find(stop)));
  EXPECT_EQ(stopped.json_body()["choices"][0]["finish_reason"], "stop");
}

TEST_F(Serve, ChatAndStreamingWithUsage) {
  const json messages =
      json::array({{{"role", "system"}, {"content", "Tell stories."}},
                   {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "A cat"}}})}}});
  const Reply chat =
      post(port_, "/v1/chat/completions", {{"messages", messages}, {"max_tokens", 8}, {"temperature", 0}});
  ASSERT_EQ(chat.status, 200) << chat.body;
  const json c = chat.json_body();
  EXPECT_EQ(c["object"], "chat.completion");
  EXPECT_EQ(c["choices"][0]["message"]["role"], "assistant");
  const std::string content = c["choices"][0]["message"]["content"];

  const Reply stream = post(port_, "/v1/chat/completions",
                            {{"messages", messages},
                             {"max_tokens", 8},
                             {"temperature", 0},
                             {"stream", true},
                             {"stream_options", {{"include_usage", true}}}});
  ASSERT_EQ(stream.status, 200);
  bool done = false;
  const std::vector<json> events = sse_events(stream.body, &done);
  EXPECT_TRUE(done);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0]["choices"][0]["delta"]["role"], "assistant");
  std::string streamed;
  std::string finish;
  for (const json& e : events) {
    EXPECT_EQ(e["object"], "chat.completion.chunk");
    if (e["choices"].empty()) continue;
    const json& d = e["choices"][0]["delta"];
    if (d.contains("content")) streamed += d["content"].get<std::string>();
    if (e["choices"][0]["finish_reason"].is_string()) finish = e["choices"][0]["finish_reason"];
  }
  EXPECT_EQ(streamed, content);
  EXPECT_EQ(finish, "length");
  EXPECT_TRUE(events.back()["choices"].empty());
  EXPECT_EQ(events.back()["usage"]["completion_tokens"], 8);
}

TEST_F(Serve, TokenizeDetokenizeAndApplyTemplate) {
  const Reply t = post(port_, "/tokenize", {{"prompt", "Once upon a time"}});
  ASSERT_EQ(t.status, 200) << t.body;
  const json ids = t.json_body()["tokens"];
  EXPECT_EQ(t.json_body()["count"], ids.size());
  const Reply d = post(port_, "/detokenize", {{"tokens", ids}});
  EXPECT_EQ(d.json_body()["prompt"], "Once upon a time");
  const Reply a =
      post(port_, "/apply-template", {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.json_body()["prompt"], "<s>user: hi\nassistant:");
}

TEST_F(Serve, ParametersChangeTheOutputAsSpecified) {
  const auto completion = [&](json body) {
    body["prompt"] = "Once upon a time";
    const Reply r = post(port_, "/v1/completions", body);
    EXPECT_EQ(r.status, 200) << body.dump() << " -> " << r.body;
    return r.json_body();
  };
  // logit_bias: a +100 bias makes that token the only choice.
  const json ids =
      post(port_, "/tokenize", {{"prompt", " the"}, {"add_special_tokens", false}}).json_body()["tokens"];
  const int token = ids.back();
  const json biased =
      completion({{"max_tokens", 3}, {"logit_bias", {{std::to_string(token), 100}}}, {"temperature", 1}});
  EXPECT_EQ(biased["choices"][0]["text"], " the the the");
  // max_completion_tokens on chat, max_tokens on completions.
  const Reply chat = post(
      port_, "/v1/chat/completions",
      {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}, {"max_completion_tokens", 3}});
  EXPECT_EQ(chat.json_body()["usage"]["completion_tokens"], 3);
  // stop as a list; ignore_eos + min_tokens keep generating.
  const json listed =
      completion({{"max_tokens", 40}, {"temperature", 0}, {"stop", json::array({"zzz", ","})}});
  EXPECT_EQ(listed["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(listed["choices"][0]["text"].get<std::string>().find(','), std::string::npos);
  const json eos_biased = completion({{"max_tokens", 5}, {"min_tokens", 3}, {"logit_bias", {{"2", 100}}}});
  EXPECT_EQ(eos_biased["usage"]["completion_tokens"], 4);  // 3 forced, then EOS
  EXPECT_EQ(eos_biased["choices"][0]["finish_reason"], "stop");
  const json ignored = completion({{"max_tokens", 5}, {"ignore_eos", true}, {"logit_bias", {{"2", 100}}}});
  EXPECT_EQ(ignored["usage"]["completion_tokens"], 5);
  EXPECT_EQ(ignored["choices"][0]["finish_reason"], "length");
  // A repeated prompt reports its cached tokens.
  const std::string long_prompt(300, 'a');
  post(port_, "/v1/completions", {{"prompt", long_prompt}, {"max_tokens", 1}});
  const json again = post(port_, "/v1/completions", {{"prompt", long_prompt}, {"max_tokens", 1}}).json_body();
  EXPECT_GT(again["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>(), 0);
  // Penalties and top_k/min_p are accepted and change sampling deterministically.
  const json a =
      completion({{"max_tokens", 20}, {"seed", 3}, {"frequency_penalty", 2.0}, {"presence_penalty", 2.0}});
  const json b =
      completion({{"max_tokens", 20}, {"seed", 3}, {"frequency_penalty", 2.0}, {"presence_penalty", 2.0}});
  EXPECT_EQ(a["choices"][0]["text"], b["choices"][0]["text"]);
  const json k1 = completion({{"max_tokens", 10}, {"top_k", 1}, {"temperature", 1.5}, {"seed", 9}});
  const json greedy = completion({{"max_tokens", 10}, {"temperature", 0}});
  EXPECT_EQ(k1["choices"][0]["text"], greedy["choices"][0]["text"]);  // top_k 1 is greedy
  // Streaming with n = 2: chunks for both choices, each ending with a finish reason.
  const Reply s2 =
      post(port_, "/v1/completions", {{"prompt", "A dog"}, {"max_tokens", 4}, {"n", 2}, {"stream", true}});
  bool done = false;
  std::set<int> finished;
  for (const json& e : sse_events(s2.body, &done)) {
    if (!e["choices"].empty() && e["choices"][0]["finish_reason"].is_string())
      finished.insert(e["choices"][0]["index"].get<int>());
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(finished, (std::set<int>{0, 1}));
  // Chat logprobs with top_logprobs.
  const json lp = post(port_, "/v1/chat/completions",
                       {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
                        {"max_tokens", 2},
                        {"logprobs", true},
                        {"top_logprobs", 3}})
                      .json_body();
  ASSERT_EQ(lp["choices"][0]["logprobs"]["content"].size(), 2u);
  EXPECT_EQ(lp["choices"][0]["logprobs"]["content"][0]["top_logprobs"].size(), 3u);
  EXPECT_TRUE(lp["choices"][0]["logprobs"]["content"][0]["bytes"].is_array());
}

struct BadCase {
  const char* name;
  std::string method, path, body;
  int status;
};

TEST_F(Serve, BadRequestsGetOpenAiErrorsAndTheServerStaysUp) {
  const std::string big(2 << 20, 'a');
  const std::vector<BadCase> cases = {
      {"broken json", "POST", "/v1/completions", "{\"prompt\": ", 400},
      {"not an object", "POST", "/v1/completions", "[1,2]", 400},
      {"empty body", "POST", "/v1/completions", "", 400},
      {"no prompt", "POST", "/v1/completions", R"({"max_tokens": 3})", 400},
      {"prompt number", "POST", "/v1/completions", R"({"prompt": 5})", 400},
      {"prompt object", "POST", "/v1/completions", R"({"prompt": {"a": 1}})", 400},
      {"prompt bad ids", "POST", "/v1/completions", R"({"prompt": [1, -4]})", 400},
      {"prompt huge id", "POST", "/v1/completions", R"({"prompt": [1, 99999999]})", 400},
      {"prompt mixed list", "POST", "/v1/completions", R"({"prompt": ["a", 3]})", 400},
      {"max_tokens string", "POST", "/v1/completions", R"({"prompt": "a", "max_tokens": "3"})", 400},
      {"max_tokens negative", "POST", "/v1/completions", R"({"prompt": "a", "max_tokens": -1})", 400},
      {"max_tokens zero", "POST", "/v1/completions", R"({"prompt": "a", "max_tokens": 0})", 400},
      {"max_tokens huge", "POST", "/v1/completions", R"({"prompt": "a", "max_tokens": 1e300})", 400},
      {"max_tokens 2^64", "POST", "/v1/completions", R"({"prompt": "a", "max_tokens": 18446744073709551615})",
       400},
      {"max_tokens over context", "POST", "/v1/completions", R"({"prompt": "a", "max_tokens": 100000})", 400},
      {"temperature high", "POST", "/v1/completions", R"({"prompt": "a", "temperature": 3})", 400},
      {"temperature negative", "POST", "/v1/completions", R"({"prompt": "a", "temperature": -0.5})", 400},
      {"temperature string", "POST", "/v1/completions", R"({"prompt": "a", "temperature": "hot"})", 400},
      {"top_p zero", "POST", "/v1/completions", R"({"prompt": "a", "top_p": 0})", 400},
      {"top_p above one", "POST", "/v1/completions", R"({"prompt": "a", "top_p": 1.5})", 400},
      {"n zero", "POST", "/v1/completions", R"({"prompt": "a", "n": 0})", 400},
      {"n huge", "POST", "/v1/completions", R"({"prompt": "a", "n": 100000})", 400},
      {"n float", "POST", "/v1/completions", R"({"prompt": "a", "n": 1.5})", 400},
      {"stop number", "POST", "/v1/completions", R"({"prompt": "a", "stop": 3})", 400},
      {"stop empty string", "POST", "/v1/completions", R"({"prompt": "a", "stop": [""]})", 400},
      {"presence penalty", "POST", "/v1/completions", R"({"prompt": "a", "presence_penalty": 5})", 400},
      {"frequency penalty", "POST", "/v1/completions", R"({"prompt": "a", "frequency_penalty": -3})", 400},
      {"logit_bias key", "POST", "/v1/completions", R"({"prompt": "a", "logit_bias": {"x": 1}})", 400},
      {"logit_bias value", "POST", "/v1/completions", R"({"prompt": "a", "logit_bias": {"5": 500}})", 400},
      {"logprobs too many", "POST", "/v1/completions", R"({"prompt": "a", "logprobs": 50})", 400},
      {"stream not bool", "POST", "/v1/completions", R"({"prompt": "a", "stream": "yes"})", 400},
      {"stream_options without stream", "POST", "/v1/completions",
       R"({"prompt": "a", "stream_options": {"include_usage": true}})", 400},
      {"unknown parameter", "POST", "/v1/completions", R"({"prompt": "a", "frobnicate": 1})", 400},
      {"unknown model", "POST", "/v1/completions", R"({"prompt": "a", "model": "gpt-9"})", 404},
      {"model not string", "POST", "/v1/completions", R"({"prompt": "a", "model": 3})", 400},
      {"seed string", "POST", "/v1/completions", R"({"prompt": "a", "seed": "x"})", 400},
      {"over-long prompt", "POST", "/v1/completions", json{{"prompt", std::vector<int>(600, 5)}}.dump(), 400},
      {"invalid utf-8", "POST", "/v1/completions", "{\"prompt\": \"\xff\xfe\"}", 400},
      {"chat no messages", "POST", "/v1/chat/completions", R"({"max_tokens": 3})", 400},
      {"chat empty messages", "POST", "/v1/chat/completions", R"({"messages": []})", 400},
      {"chat bad role", "POST", "/v1/chat/completions",
       R"({"messages": [{"role": "wizard", "content": "x"}]})", 400},
      {"chat content number", "POST", "/v1/chat/completions",
       R"({"messages": [{"role": "user", "content": 5}]})", 400},
      {"chat image part", "POST", "/v1/chat/completions",
       R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})", 400},
      {"chat top_logprobs alone", "POST", "/v1/chat/completions",
       R"({"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2})", 400},
      {"chat response_format", "POST", "/v1/chat/completions",
       R"({"messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}})",
       400},
      {"tokenize no prompt", "POST", "/tokenize", R"({})", 400},
      {"detokenize bad ids", "POST", "/detokenize", R"({"tokens": [1, "a"]})", 400},
      {"oversized body", "POST", "/v1/completions", "{\"prompt\": \"" + big + "\"}", 413},
  };
  ASSERT_GE(cases.size(), 40u);
  for (const BadCase& c : cases) {
    const auto t0 = std::chrono::steady_clock::now();
    const Reply r = call(port_, c.method, c.path, c.body);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5)) << c.name << " took too long";
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body.substr(0, 300);
    const json j = r.json_body();
    EXPECT_TRUE(j.is_object() && j.contains("error") && j["error"]["message"].is_string() &&
                j["error"].contains("type") && j["error"].contains("param") && j["error"].contains("code"))
        << c.name << ": " << r.body.substr(0, 300);
  }
  // Malformed HTTP, and a request that never completes (the test gives up on it).
  EXPECT_EQ(parse_reply(raw_exchange(port_, "NONSENSE\r\n\r\n")).status, 400);
  raw_exchange(port_, "POST /v1/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"pro", "",
               std::chrono::milliseconds(300));
  EXPECT_EQ(call(port_, "GET", "/health").status, 200);
  EXPECT_EQ(post(port_, "/v1/completions", {{"prompt", "a"}, {"max_tokens", 2}}).status, 200);
}

// The share of KV blocks in use, from /metrics.
double kv_usage(int port) {
  const std::string m = call(port, "GET", "/metrics").body;
  const std::string key = "\npagoda:kv_cache_usage_perc ";
  const size_t at = m.find(key);
  return at == std::string::npos ? -1 : std::stod(m.substr(at + key.size()));
}

TEST_F(Serve, DroppedStreamsCancelTheirRequestsAndFreeTheirBlocks) {
  // 8 samples each, so a request runs long enough to be dropped mid-way.
  const std::string body = json{
      {"prompt", "Once upon a time"},
      {"max_tokens", 400},
      {"stream", true},
      {"ignore_eos", true},
      {"n", 8}}.dump();
  const std::string req =
      "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  for (int i = 0; i < 20; ++i) {
    // Read until the first tokens arrive, then hang up.
    const std::string got = raw_exchange(port_, req, "\"text\"", std::chrono::seconds(20));
    EXPECT_NE(got.find("data: "), std::string::npos) << i;
  }
  double usage = 1;
  for (int i = 0; i < 200 && usage != 0.0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    usage = kv_usage(port_);
  }
  EXPECT_EQ(usage, 0.0);
  const std::string metrics = call(port_, "GET", "/metrics").body;
  EXPECT_NE(metrics.find("pagoda:request_success_total{finished_reason=\"abort\"} 160"), std::string::npos)
      << metrics.substr(metrics.find("pagoda:request_success_total"), 200);
}

TEST_F(Serve, MetricsExposeHistogramsCountersAndGauges) {
  post(port_, "/v1/completions", {{"prompt", "Once"}, {"max_tokens", 4}});
  post(port_, "/v1/completions", {{"prompt", 5}});
  // A streamed request that ends normally counts by its finish reason too.
  post(port_, "/v1/completions", {{"prompt", "Once"}, {"max_tokens", 4}, {"stream", true}});
  // The engine thread frees a finished request's sequence and blocks just
  // after its last delta reaches the client, so the gauges may lag the reply
  // by a step: poll until they settle.
  const std::vector<const char*> expected = {"pagoda:time_to_first_token_seconds_bucket{le=\"+Inf\"} 2",
                                             "pagoda:time_per_output_token_seconds_count 2",
                                             "pagoda:e2e_request_latency_seconds_count 2",
                                             "pagoda:request_queue_time_seconds_count 2",
                                             "pagoda:prompt_tokens_total 4",
                                             "pagoda:generation_tokens_total 8",
                                             "pagoda:request_success_total{finished_reason=\"length\"} 2",
                                             "pagoda:http_responses_total{status=\"400\"} 1",
                                             "pagoda:num_requests_running 0",
                                             "pagoda:num_requests_waiting 0",
                                             "pagoda:kv_cache_usage_perc 0",
                                             "pagoda:prefix_cache_hit_rate",
                                             "# TYPE pagoda:time_to_first_token_seconds histogram"};
  const auto all_present = [&](const std::string& body) {
    for (const char* name : expected) {
      if (body.find(name) == std::string::npos) return false;
    }
    return true;
  };
  Reply m = call(port_, "GET", "/metrics");
  for (int i = 0; i < 100 && m.status == 200 && !all_present(m.body); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    m = call(port_, "GET", "/metrics");
  }
  ASSERT_EQ(m.status, 200);
  for (const char* name : expected) EXPECT_NE(m.body.find(name), std::string::npos) << name << "\n" << m.body;
}

class ServeWithShortTimeout : public LiveServer {
 protected:
  void SetUp() override { start("", 1); }
};

TEST_F(ServeWithShortTimeout, SlowPartialRequestsAreDropped) {
  // A slowloris-style request: headers promise a body that never comes.
  bool closed = false;
  const auto t0 = std::chrono::steady_clock::now();
  raw_exchange(port_, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"pro", "",
               std::chrono::seconds(10), &closed);
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(call(port_, "GET", "/health").status, 200);
}

class ServeWithSpeculation : public LiveServer {
 protected:
  void SetUp() override { start("", 60, /*speculative=*/true); }
};

TEST_F(ServeWithSpeculation, NgramSpeculationIsExposedInTheMetrics) {
  const Reply r =
      post(port_, "/v1/completions", {{"prompt", "Lily and Ben"}, {"max_tokens", 300}, {"temperature", 0}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string m = call(port_, "GET", "/metrics").body;
  const auto value = [&](const std::string& name) {
    const size_t at = m.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(m.substr(at + name.size() + 2));
  };
  EXPECT_GT(value("pagoda:spec_decode_num_draft_tokens_total"), 0);
  EXPECT_GT(value("pagoda:spec_decode_num_accepted_tokens_total"), 0);
  EXPECT_GT(value("pagoda:spec_decode_draft_acceptance_rate"), 0);
  EXPECT_NE(m.find("pagoda:spec_decode_num_accepted_tokens_per_pos_total{position=\"0\"}"),
            std::string::npos);
}

class ServeWithKey : public LiveServer {
 protected:
  void SetUp() override { start("s3cret"); }
};

TEST_F(ServeWithKey, ApiKeyIsRequired) {
  const json req = {{"prompt", "a"}, {"max_tokens", 2}};
  EXPECT_EQ(post(port_, "/v1/completions", req).status, 401);
  EXPECT_EQ(post(port_, "/v1/completions", req, "Authorization: Bearer wrong\r\n").status, 401);
  EXPECT_EQ(post(port_, "/v1/completions", req, "Authorization: Bearer s3cret\r\n").status, 200);
  EXPECT_EQ(call(port_, "GET", "/health").status, 200);  // probes need no key
}

}  // namespace
}  // namespace pagoda::server::test
