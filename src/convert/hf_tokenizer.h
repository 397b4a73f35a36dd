#pragma once
// The tokenizer of a Hugging Face checkpoint as GGUF tokenizer.ggml.* keys.
// Sources, in order of preference:
//   pagoda_tokenizer.json  the GGUF fields themselves (tools/train/export.py)
//   tokenizer.json         a BPE model: with byte_fallback it is a
//                          SentencePiece-style vocabulary ("llama": scores from
//                          the merge ranks, <0xNN> byte tokens), otherwise a
//                          byte-level one ("gpt2": tokens plus merges)
// plus tokenizer_config.json for the BOS/EOS tokens, add_bos_token and the
// chat template.
#include <cstdint>
#include <string>

#include "convert/hf_checkpoint.h"
#include "gguf/writer.h"

namespace pagoda::convert {

struct TokenizerSummary {
  std::string model;     // tokenizer.ggml.model
  std::string source;    // the file it came from
  int64_t n_tokens = 0;  // after padding to min_tokens
};

// Writes the keys; pads the vocabulary with unused tokens up to min_tokens
// (checkpoints often have more embedding rows than tokens). A byte-level
// BPE's tokenizer.ggml.pre is recognised from the pre-tokenizer's regexes
// (pagoda::Error naming them when they are not a known one).
TokenizerSummary write_tokenizer(gguf::Writer& w, const HfCheckpoint& ck, int64_t min_tokens);

}  // namespace pagoda::convert
