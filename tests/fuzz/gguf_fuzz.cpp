// libFuzzer target for the GGUF reader. Any input must either parse or be
// rejected with pagoda::Error: no crash, no sanitizer report, no other
// exception (bad_alloc included), no hang. Inputs that parse must also
// survive a Writer round trip unchanged, so reader and writer agree on the
// format.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/writer.h"

namespace {

using pagoda::gguf::File;
using pagoda::gguf::Writer;

Writer rewrite(const File& file) {
  Writer w;
  for (const auto& [key, value] : file.metadata()) w.set(key, value);
  for (const auto& t : file.tensors()) {
    w.add_tensor(t.name, t.type, t.dims, std::vector<uint8_t>(t.data, t.data + t.nbytes));
  }
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<File> file;
  try {
    file.emplace(File::parse(std::span(data, size)));
  } catch (const pagoda::Error&) {
    return 0;  // rejected cleanly: the expected outcome for most inputs
  }

  // Past this point the file is valid, so any exception is a bug and is left
  // to escape (libFuzzer reports it as a crash).
  for (const auto& t : file->tensors()) {
    if (t.nbytes == 0) continue;
    // ASan checks that the validated range really lies inside the buffer.
    volatile uint8_t first = t.data[0];
    volatile uint8_t last = t.data[t.nbytes - 1];
    (void)first;
    (void)last;
  }
  for (const auto& [key, value] : file->metadata()) {
    if (file->find(key) != &value) __builtin_trap();
  }

  // A valid general.alignment may be up to 2^31, and the Writer would pad the
  // image to it: skip such round trips rather than allocate gigabytes.
  if (file->alignment() > 4096) return 0;
  // Compared as bytes, not Values, since NaN metadata is valid but != itself.
  const auto once = rewrite(*file).to_bytes();
  const auto twice = rewrite(File::parse(once)).to_bytes();
  if (once != twice) __builtin_trap();
  return 0;
}
