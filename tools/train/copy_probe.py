#!/usr/bin/env python3
"""How well a checkpoint copies: teacher-forced greedy accuracy on the answer
of copy requests (the fraction of answer tokens whose argmax is the right
next token), per document kind. The answer of a repeat request is a copy of
the prompt, so this is close to the acceptance rate that n-gram (prompt
lookup) speculation can reach on such requests.

    /usr/bin/python3 tools/train/copy_probe.py build-train/target-ind/ckpt.pt --docs 40
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "corpus"))

from dialogue import distinct_words_doc, rename_doc, repeat_doc, words_doc  # noqa: E402
from model import Llama, ModelConfig  # noqa: E402
from textio import Encoder  # noqa: E402

KINDS = {"repeat": repeat_doc, "rename": rename_doc, "words": words_doc, "distinct_words": distinct_words_doc}


def load(ckpt_path: Path) -> tuple[Llama, Encoder]:
    ckpt = torch.load(ckpt_path, map_location="cpu")
    model = Llama(ModelConfig.from_dict(ckpt["model_config"]))
    model.load_state_dict(ckpt["model"])
    model.eval()
    with tempfile.TemporaryDirectory(prefix="pagoda-probe-") as tmp:
        tok_path = Path(tmp) / "tokenizer.model"
        tok_path.write_bytes(ckpt["tokenizer_model"])
        return model, Encoder(tok_path)


@torch.no_grad()
def answer_accuracy(model: Llama, enc: Encoder, doc: str) -> tuple[int, int]:
    """(right, total) over the assistant's answer tokens of one document that
    fit in the model's context ((0, 0) when the answer starts beyond it)."""
    ids = enc.encode_document(doc)[: model.config.context + 1]
    assistant = enc.special_ids["<|assistant|>"]
    if assistant not in ids:
        return 0, 0
    start = ids.index(assistant) + 1
    logits, _ = model(torch.tensor([ids[:-1]]))
    pred = logits[0].argmax(-1).tolist()
    right = sum(1 for i in range(start, len(ids)) if pred[i - 1] == ids[i])
    return right, len(ids) - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ckpt", type=Path)
    ap.add_argument("--docs", type=int, default=40, help="documents per kind")
    ap.add_argument("--seed", type=int, default=12345, help="generator seed (not a training corpus seed)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, enc = load(args.ckpt)
    for name, make in KINDS.items():
        rng = random.Random(args.seed)
        right = total = 0
        for _ in range(args.docs):
            doc, _ = make(rng)
            r, t = answer_accuracy(model, enc, doc)
            right += r
            total += t
        print(f"{name:>15}: {right / max(total, 1):6.1%} of {total} answer tokens")


if __name__ == "__main__":
    main()
