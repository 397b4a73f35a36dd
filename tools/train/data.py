"""Token streams for training: tokenize a corpus file once, cache the ids,
and cut random windows whose positions depend only on (seed, step).

Each document becomes BOS + tokens + EOS and the documents are concatenated
in file order into one uint16 stream. The cache file name carries a hash of
the corpus and the tokenizer model, so a changed corpus or tokenizer never
reuses stale ids. Because batch k is drawn from an RNG seeded with
(seed, k), a run resumed at step k sees exactly the batches an uninterrupted
run would have seen.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from textio import Encoder, read_documents


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


def load_tokens(corpus: Path, tokenizer: Path, cache_dir: Path, log=print) -> np.ndarray:
    """The corpus as one uint16 token stream, from the cache when it is there."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    cache = cache_dir / f"{corpus.stem}.{_digest(corpus, tokenizer)}.npy"
    if cache.exists():
        return np.load(cache, mmap_mode="r")
    enc = Encoder(tokenizer)
    if enc.vocab_size > 65535:
        raise ValueError("vocabulary too large for uint16 token ids")
    chunks: list[np.ndarray] = []
    batch: list[str] = []

    def flush() -> None:
        ids: list[int] = []
        for doc in batch:
            ids.extend(enc.encode_document(doc))
        chunks.append(np.asarray(ids, dtype=np.uint16))
        batch.clear()

    for doc in read_documents(corpus):
        batch.append(doc)
        if len(batch) == 2000:
            flush()
    if batch:
        flush()
    tokens = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint16)
    tmp = cache.with_suffix(".tmp.npy")
    np.save(tmp, tokens)
    os.replace(tmp, cache)
    log(f"tokenized {corpus} -> {cache.name}: {len(tokens)} tokens")
    return tokens


def batch_at(tokens: np.ndarray, seed: int, step: int, batch_size: int, context: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-token targets (batch, context) for one training step."""
    if len(tokens) <= context + 1:
        raise ValueError(f"corpus of {len(tokens)} tokens is shorter than the context {context} + 1")
    rng = np.random.default_rng([seed, step])
    starts = rng.integers(0, len(tokens) - context - 1, size=batch_size)
    idx = starts[:, None] + np.arange(context + 1)[None, :]
    w = np.asarray(tokens[idx], dtype=np.int64)
    return w[:, :-1], w[:, 1:]


def eval_windows(tokens: np.ndarray, n: int, context: int) -> np.ndarray:
    """n fixed windows (n, context + 1) spread evenly over the validation stream."""
    if len(tokens) <= context + 1:
        raise ValueError(f"validation set of {len(tokens)} tokens is shorter than the context {context} + 1")
    starts = np.linspace(0, len(tokens) - context - 1, num=n).astype(np.int64)
    idx = starts[:, None] + np.arange(context + 1)[None, :]
    return np.asarray(tokens[idx], dtype=np.int64)
