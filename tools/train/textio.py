"""Corpus reading and tokenization shared by the tokenizer trainer, the
model trainer and the exporter.

The one rule that matters: text is tokenized the way llama.cpp's (and
Pagoda's) SPM tokenizer does it at inference time. Special tokens are split
out first; every text fragment (the start of a document, or the text after a
special token) gets its own leading space, which SentencePiece's
add_dummy_prefix supplies when each fragment is encoded on its own. With the
identity normalizer and no whitespace squeezing, SentencePiece's BPE then
produces exactly the pieces that llama.cpp's greedy highest-score merge
produces, so the model is trained on the token sequences it will see.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

SPECIAL_TOKENS = ("<|user|>", "<|assistant|>", "<|end|>")
USER, ASSISTANT, END = SPECIAL_TOKENS
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(t) for t in SPECIAL_TOKENS) + ")")
# A sentence ends at . ! or ? (optionally closing a quote) followed by a space.
_SENTENCE_END_RE = re.compile(r'(?<=[.!?])"? (?=["A-Z])')


def read_documents(path: Path) -> Iterator[str]:
    """Yields the documents of a corpus file (separated by blank lines)."""
    buf: list[str] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line:
                buf.append(line)
            elif buf:
                yield "\n".join(buf)
                buf = []
    if buf:
        yield "\n".join(buf)


def split_special(text: str) -> list[str]:
    """'<|user|>Hi<|end|>' -> ['<|user|>', 'Hi', '<|end|>'] (no empty parts)."""
    return [p for p in _SPECIAL_RE.split(text) if p]


def tokenizer_lines(doc: str) -> Iterator[str]:
    """Lines to train the tokenizer on: text fragments cut at sentence ends.

    Cutting at a space is harmless because SentencePiece never merges across
    a word boundary (split_by_whitespace), and each line's dummy prefix
    stands for the space that was cut.
    """
    for part in split_special(doc):
        if part in SPECIAL_TOKENS:
            continue
        for line in part.split("\n"):
            start = 0
            for m in _SENTENCE_END_RE.finditer(line):
                yield line[start:m.end() - 1] if line[m.end() - 1] == " " else line[start:m.end()]
                start = m.end()
            if start < len(line):
                yield line[start:]


class Encoder:
    """Wraps a SentencePiece model with the llama.cpp-compatible encoding."""

    def __init__(self, model_path: str | Path) -> None:
        import sentencepiece as spm

        self.sp = spm.SentencePieceProcessor(model_file=str(model_path))
        self.special_ids = {t: self.sp.piece_to_id(t) for t in SPECIAL_TOKENS}
        for t, i in self.special_ids.items():
            if self.sp.id_to_piece(i) != t:
                raise ValueError(f"tokenizer {model_path} lacks the special token {t}")
        self.bos_id, self.eos_id = self.sp.bos_id(), self.sp.eos_id()
        self.vocab_size = self.sp.get_piece_size()

    def encode(self, text: str) -> list[int]:
        """Token ids of text (no BOS/EOS)."""
        parts = split_special(text)
        plain = [p for p in parts if p not in self.special_ids]
        encoded = iter(self.sp.encode(plain) if plain else [])
        ids: list[int] = []
        for p in parts:
            if p in self.special_ids:
                ids.append(self.special_ids[p])
            else:
                ids.extend(next(encoded))
        return ids

    def encode_document(self, doc: str) -> list[int]:
        """BOS + tokens + EOS: one training document."""
        return [self.bos_id, *self.encode(doc), self.eos_id]

    def decode(self, ids: list[int]) -> str:
        """Text of ids; special tokens are printed as their text."""
        out: list[str] = []
        run: list[int] = []
        specials = set(self.special_ids.values())
        for i in ids:
            if i in specials:
                if run:
                    out.append(self.sp.decode(run))
                    run = []
                out.append(self.sp.id_to_piece(i))
            elif i not in (self.bos_id, self.eos_id):
                run.append(i)
        if run:
            out.append(self.sp.decode(run))
        return "".join(out)
