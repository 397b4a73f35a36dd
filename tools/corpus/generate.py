#!/usr/bin/env python3
"""Generates Pagoda's training corpus: simple stories and chat dialogues.

    /usr/bin/python3 tools/corpus/generate.py --seed 1 --out DIR --size-mb 30

Writes DIR/train.txt, DIR/valid.txt and DIR/stats.json. Each document is one
line; documents are separated by a blank line (so a reader splits on
"\\n\\n"). Every 100th document goes to valid.txt. The output depends only on
the seed and the size (Python's `random.Random` is stable across versions
for the calls used here), so the same command always writes the same bytes.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dialogue import MIXES, SPECIAL_TOKENS, make_document  # noqa: E402

_WORD_RE = re.compile(r"[a-z']+")


def generate(seed: int, out: Path, size_bytes: int, valid_every: int = 100, quiet: bool = False,
             mix: str = "stories") -> dict:
    """Writes the corpus and returns the stats (also written to out/stats.json)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    start = time.perf_counter()
    sentences: set[int] = set()
    documents: set[int] = set()
    words: set[str] = set()
    kinds: Counter[str] = Counter()
    n_sent = n_words = written = n_docs = n_valid = 0
    tmp_train, tmp_valid = out / "train.txt.tmp", out / "valid.txt.tmp"
    with open(tmp_train, "w", encoding="utf-8", newline="\n") as ft, \
            open(tmp_valid, "w", encoding="utf-8", newline="\n") as fv:
        while written < size_bytes:
            kind, text, sents = make_document(rng, mix)
            n_docs += 1
            kinds[kind] += 1
            documents.add(hash(text))
            n_sent += len(sents)
            sentences.update(map(hash, sents))
            plain = text
            for tok in SPECIAL_TOKENS:
                plain = plain.replace(tok, " ")
            ws = _WORD_RE.findall(plain.lower())
            n_words += len(ws)
            words.update(ws)
            line = text + "\n\n"
            if n_docs % valid_every == 0:
                fv.write(line)
                n_valid += 1
            else:
                ft.write(line)
            written += len(line.encode("utf-8"))
            if not quiet and n_docs % 20000 == 0:
                print(f"  {written / 1e6:.1f} MB, {n_docs} documents", file=sys.stderr)
    os.replace(tmp_train, out / "train.txt")
    os.replace(tmp_valid, out / "valid.txt")
    stats = {
        "seed": seed,
        "mix": mix,
        "bytes": written,
        "train_bytes": (out / "train.txt").stat().st_size,
        "valid_bytes": (out / "valid.txt").stat().st_size,
        "documents": n_docs,
        "train_documents": n_docs - n_valid,
        "valid_documents": n_valid,
        "distinct_documents": len(documents),
        "document_kinds": dict(sorted(kinds.items())),
        "sentences": n_sent,
        "distinct_sentences": len(sentences),
        "words": n_words,
        "distinct_words": len(words),
        "seconds": round(time.perf_counter() - start, 2),
        "separator": "documents are single lines separated by one blank line",
        "special_tokens": list(SPECIAL_TOKENS),
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--size-mb", type=float, required=True, help="total size of train+valid in MB (10^6 bytes)")
    ap.add_argument("--valid-every", type=int, default=100, help="every Nth document goes to valid.txt")
    ap.add_argument("--mix", choices=sorted(MIXES), default="stories",
                    help="document kinds: stories (pre-training) or copy (adds repeat/rename requests, for fine-tuning)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    stats = generate(args.seed, args.out, int(args.size_mb * 1e6), args.valid_every, args.quiet, args.mix)
    print(json.dumps(stats, indent=2))


if __name__ == "__main__":
    main()
