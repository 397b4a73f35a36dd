// Writes valid images as the seed corpus of tests/fuzz/gguf_fuzz.cpp, into
// $PAGODA_GGUF_FUZZ_SEEDS when set (else a temporary folder), and checks
// that every seed parses.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gguf_test_util.h"

namespace pagoda::gguf {
namespace {

void save(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

TEST(FuzzSeeds, WriteCorpus) {
  const char* dir = std::getenv("PAGODA_GGUF_FUZZ_SEEDS");
  const std::filesystem::path out = (dir && *dir) ? std::filesystem::path(dir)
                                                  : std::filesystem::temp_directory_path() / "pagoda-gguf-fuzz-seeds";
  std::filesystem::create_directories(out);

  save(out / "small.gguf", testing::small_valid_image());
  save(out / "all_kinds_align32.gguf", testing::make_writer(32).to_bytes());
  save(out / "all_kinds_align64.gguf", testing::make_writer(64).to_bytes());
  save(out / "metadata_only.gguf", testing::Bytes().header(0, 1).kv_u32("general.alignment", 16));
  testing::Bytes v2;
  v2.header(1, 1, 2).kv_str("general.architecture", "llama").tensor_info("t", {32}, testing::kQ4_0, 0)
      .pad_to(32).zeros(18);
  save(out / "v2.gguf", v2);
  for (const auto& entry : std::filesystem::directory_iterator(out)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    EXPECT_NO_THROW(File::parse(bytes)) << entry.path();
  }
}

}  // namespace
}  // namespace pagoda::gguf
