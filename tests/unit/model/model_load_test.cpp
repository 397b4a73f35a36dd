// Loading models: mkmodel output reloads and runs; broken models give clear errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "gguf/writer.h"
#include "model/model.h"
#include "model/single_sequence.h"
#include "shared_data.h"
#include "subprocess.h"
#include "tokenizer/tokenizer.h"

namespace pagoda {
namespace {

using testing::run_command;
using testing::shell_quote;

std::string mkmodel(const std::string& out, const std::string& extra) {
  const std::string cmd = testing::pagoda_binary().string() +
                          " mkmodel --arch llama --n-embd 64 --n-layer 2 --n-head 4 --n-head-kv 2 --n-ff 96 "
                          "--seed 7 -o " + shell_quote(out) + " " + extra + " 2>&1";
  const auto r = run_command(cmd);
  EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.out;
  return out;
}

TEST(ModelLoad, MkmodelOutputReloadsAndGenerates) {
  const auto dir = testing::test_temp_dir();
  for (const std::string type : {"f32", "f16", "q8_0", "q4_0"}) {
    const std::string path = mkmodel((dir / ("m-" + type + ".gguf")).string(), "--vocab-size 300 --type " + type);
    auto model = model::Model::load(path);
    EXPECT_EQ(model->hparams().n_layer, 2);
    EXPECT_EQ(model->hparams().n_head_kv, 2);
    EXPECT_EQ(model->hparams().n_vocab, 300);
    EXPECT_EQ(quant::type_info(model->weights().layers[0].wq.type).name, type);
    ThreadPool pool(2);
    model::SingleSequence seq(*model, 32);
    std::vector<float> logits;
    const std::vector<int32_t> prompt = {1, 100, 200};
    seq.forward(prompt, true, pool, logits);
    ASSERT_EQ(logits.size(), 3u * 300u);
    for (float v : logits) ASSERT_TRUE(std::isfinite(v));
    auto tok = tokenizer::make_tokenizer(tokenizer::load_vocab(model->file()));
    EXPECT_FALSE(tok->encode("hello world", true, false).empty());

    const auto run = run_command(testing::pagoda_binary().string() + " run -m " + shell_quote(path) +
                                 " -p hello -n 5 --seed 3 --json");
    EXPECT_EQ(run.exit_code, 0) << run.out;
  }
}

TEST(ModelLoad, MkmodelIsDeterministicForASeed) {
  const auto dir = testing::test_temp_dir();
  const std::string a = mkmodel((dir / "a.gguf").string(), "--vocab-size 300 --type f16 --threads 1");
  const std::string b = mkmodel((dir / "b.gguf").string(), "--vocab-size 300 --type f16 --threads 2");
  EXPECT_EQ(run_command("cmp -s " + shell_quote(a) + " " + shell_quote(b)).exit_code, 0);
}

TEST(ModelLoad, MkmodelCopiesVocabulary) {
  PAGODA_REQUIRE_SHARED(vocab, "peer-tests/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
  const auto dir = testing::test_temp_dir();
  const std::string path = mkmodel((dir / "spm.gguf").string(), "--vocab-from " + shell_quote(vocab) + " --type q8_0");
  auto model = model::Model::load(path);
  EXPECT_EQ(model->hparams().n_vocab, 32000);
  auto tok = tokenizer::make_tokenizer(tokenizer::load_vocab(model->file()));
  EXPECT_EQ(tok->encode("Hello world", false, false), (std::vector<int32_t>{15043, 3186}));
}

// A valid tiny llama built in memory, then damaged by `edit`.
std::string write_model(const std::filesystem::path& path, const std::function<void(gguf::Writer&)>& edit) {
  gguf::Writer w;
  w.set("general.architecture", gguf::Value::string("llama"));
  w.set("llama.embedding_length", gguf::Value::u32(32));
  w.set("llama.block_count", gguf::Value::u32(1));
  w.set("llama.feed_forward_length", gguf::Value::u32(64));
  w.set("llama.attention.head_count", gguf::Value::u32(4));
  w.set("llama.context_length", gguf::Value::u32(64));
  const auto f32 = [](int64_t n) { return std::vector<uint8_t>(static_cast<size_t>(n) * 4, 0); };
  w.add_tensor("token_embd.weight", quant::TensorType::F32, {32, 16}, f32(32 * 16));
  w.add_tensor("output_norm.weight", quant::TensorType::F32, {32}, f32(32));
  w.add_tensor("blk.0.attn_norm.weight", quant::TensorType::F32, {32}, f32(32));
  w.add_tensor("blk.0.attn_q.weight", quant::TensorType::F32, {32, 32}, f32(32 * 32));
  w.add_tensor("blk.0.attn_k.weight", quant::TensorType::F32, {32, 32}, f32(32 * 32));
  w.add_tensor("blk.0.attn_v.weight", quant::TensorType::F32, {32, 32}, f32(32 * 32));
  w.add_tensor("blk.0.attn_output.weight", quant::TensorType::F32, {32, 32}, f32(32 * 32));
  w.add_tensor("blk.0.ffn_norm.weight", quant::TensorType::F32, {32}, f32(32));
  w.add_tensor("blk.0.ffn_gate.weight", quant::TensorType::F32, {32, 64}, f32(32 * 64));
  w.add_tensor("blk.0.ffn_up.weight", quant::TensorType::F32, {32, 64}, f32(32 * 64));
  if (edit) edit(w);
  w.write(path.string());
  return path.string();
}

void expect_load_error(const std::string& path, const std::string& fragment) {
  try {
    model::Model::load(path);
    ADD_FAILURE() << "loaded " << path;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(ModelLoad, BrokenModelsGiveClearErrors) {
  const auto dir = testing::test_temp_dir();
  // The base model lacks ffn_down: completing it makes it load.
  const auto complete = [](gguf::Writer& w) {
    w.add_tensor("blk.0.ffn_down.weight", quant::TensorType::F32, {64, 32}, std::vector<uint8_t>(64 * 32 * 4));
  };
  EXPECT_NO_THROW(model::Model::load(write_model(dir / "ok.gguf", complete)));
  expect_load_error(write_model(dir / "missing.gguf", nullptr), "missing tensor 'blk.0.ffn_down.weight'");
  expect_load_error(write_model(dir / "shape.gguf",
                                [](gguf::Writer& w) {
                                  w.add_tensor("blk.0.ffn_down.weight", quant::TensorType::F32, {32, 64},
                                               std::vector<uint8_t>(64 * 32 * 4));
                                }),
                    "has shape [32, 64], expected [64, 32]");
  expect_load_error(write_model(dir / "arch.gguf",
                                [&](gguf::Writer& w) {
                                  complete(w);
                                  w.set("general.architecture", gguf::Value::string("mamba"));
                                }),
                    "architecture 'mamba' is not supported");
  expect_load_error(write_model(dir / "heads.gguf",
                                [&](gguf::Writer& w) {
                                  complete(w);
                                  w.set("llama.attention.head_count_kv", gguf::Value::u32(3));
                                }),
                    "not a multiple of attention.head_count_kv");
  expect_load_error(write_model(dir / "nolayers.gguf",
                                [&](gguf::Writer& w) {
                                  complete(w);
                                  w.set("llama.block_count", gguf::Value::string("two"));
                                }),
                    "llama.block_count");
  expect_load_error((dir / "absent.gguf").string(), "absent.gguf");
}

TEST(ModelLoad, ForwardRejectsBadTokensAndFullContext) {
  const auto dir = testing::test_temp_dir();
  const std::string path = mkmodel((dir / "m.gguf").string(), "--vocab-size 300 --type f32");
  auto model = model::Model::load(path);
  ThreadPool pool(1);
  model::SingleSequence seq(*model, 4);
  std::vector<float> logits;
  const std::vector<int32_t> bad = {1, 300};
  EXPECT_THROW(seq.forward(bad, false, pool, logits), Error);
  const std::vector<int32_t> five = {1, 2, 3, 4, 5};
  EXPECT_THROW(seq.forward(five, false, pool, logits), Error);
}

TEST(Cli, UserErrorsExitWithOneClearLine) {
  const std::string bin = testing::pagoda_binary().string();
  auto r = run_command(bin + " run -m /nonexistent.gguf -p hi 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("/nonexistent.gguf"), std::string::npos) << r.out;
  r = run_command(bin + " run --bogus 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("unknown flag --bogus"), std::string::npos) << r.out;
  r = run_command(bin + " run -m x.gguf --temp abc 2>&1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("--temp"), std::string::npos) << r.out;
  r = run_command(bin + " frobnicate 2>&1");
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace pagoda
