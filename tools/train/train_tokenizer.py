#!/usr/bin/env python3
"""Trains Pagoda's SentencePiece BPE tokenizer on a generated corpus.

    /usr/bin/python3 tools/train/train_tokenizer.py --corpus data/corpus/train.txt --out data/tok --vocab-size 2048

Writes OUT/tokenizer.model (the SentencePiece ModelProto, what export.py
copies and what the Python tools load) and OUT/tokenizer.vocab (one
"piece<TAB>score" line per id, for reading).

Vocabulary layout (fixed by the options below):
  0 <unk>, 1 <s> (BOS), 2 </s> (EOS), 3 <|user|>, 4 <|assistant|>, 5 <|end|>
  (user-defined: always one piece), then the 256 byte pieces <0x00>..<0xFF>
  (byte_fallback: a character outside the vocabulary becomes its UTF-8
  bytes), then the merged pieces in merge order (score = -rank).

Why BPE and these options: llama.cpp's SPM tokenizer (and Pagoda's, which
matches it) merges the highest-scoring adjacent pair greedily, which is
exactly SentencePiece's BPE encoding. The identity normalizer and
remove_extra_whitespaces=False keep SentencePiece from rewriting text that
llama.cpp would leave alone. Training is deterministic: the input is the
first --sample-mb of the corpus in file order, with no sampling or shuffling,
on one thread.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from textio import SPECIAL_TOKENS, read_documents, tokenizer_lines  # noqa: E402


def write_training_lines(corpus: Path, dest: Path, max_bytes: int) -> int:
    """Writes sentence lines from the corpus until max_bytes; returns the line count."""
    n = written = 0
    with open(dest, "w", encoding="utf-8") as f:
        for doc in read_documents(corpus):
            for line in tokenizer_lines(doc):
                f.write(line + "\n")
                n += 1
                written += len(line) + 1
            if written >= max_bytes:
                break
    return n


def train_tokenizer(corpus: Path, out: Path, vocab_size: int, sample_mb: float = 10.0,
                    model_type: str = "bpe", threads: int = 1) -> Path:
    """Trains and returns the path of OUT/tokenizer.model."""
    import sentencepiece as spm

    out.mkdir(parents=True, exist_ok=True)
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        # The model file records the input path and model prefix: train inside the
        # temporary directory with fixed relative names so the bytes never depend on
        # where the corpus or the output live.
        n = write_training_lines(corpus.resolve(), Path(tmp) / "lines.txt", int(sample_mb * 1e6))
        os.chdir(tmp)
        try:
            spm.SentencePieceTrainer.train(
                input="lines.txt",
                model_prefix="tokenizer",
                model_type=model_type,
                vocab_size=vocab_size,
                character_coverage=1.0,
                byte_fallback=True,
                unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
                unk_piece="<unk>", bos_piece="<s>", eos_piece="</s>",
                user_defined_symbols=list(SPECIAL_TOKENS),
                normalization_rule_name="identity",
                remove_extra_whitespaces=False,
                add_dummy_prefix=True,
                split_digits=True,
                input_sentence_size=0,
                shuffle_input_sentence=False,
                max_sentence_length=1 << 14,
                num_threads=threads,
                minloglevel=2,
            )
        finally:
            os.chdir(cwd)
        for name in ("tokenizer.model", "tokenizer.vocab"):
            shutil.move(str(Path(tmp) / name), str(out / name))
    model = out / "tokenizer.model"
    print(f"trained {model} on {n} lines: vocab {vocab_size}, sha256 "
          f"{hashlib.sha256(model.read_bytes()).hexdigest()[:16]}")
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, required=True, help="train.txt from tools/corpus/generate.py")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--vocab-size", type=int, default=2048)
    ap.add_argument("--sample-mb", type=float, default=10.0, help="train on the first N MB of the corpus")
    ap.add_argument("--model-type", choices=("bpe", "unigram"), default="bpe",
                    help="bpe matches llama.cpp's greedy SPM merge exactly; unigram does not")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    train_tokenizer(args.corpus, args.out, args.vocab_size, args.sample_mb, args.model_type, args.threads)


if __name__ == "__main__":
    main()
