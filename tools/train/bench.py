#!/usr/bin/env python3
"""Measures training throughput of a preset, to size a step budget.

    /usr/bin/python3 tools/train/bench.py --preset target --threads 2 --steps 5

Runs a few full optimizer steps (forward, backward, AdamW) on random tokens
after one warm-up step and prints parameters, seconds per step and tokens/s.
Speed does not depend on the data, so no corpus is needed.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from model import PRESETS, Llama  # noqa: E402
from train import autocast, make_optimizer, resolve_precision  # noqa: E402


def bench(preset: str, threads: int, steps: int, batch_size: int, vocab: int, precision: str = "auto") -> dict:
    torch.set_num_threads(threads)
    precision = resolve_precision(precision)
    torch.manual_seed(0)
    mc = replace(PRESETS[preset], vocab_size=vocab)
    model = Llama(mc)
    opt = make_optimizer(model, {"lr": 1e-3, "beta1": 0.9, "beta2": 0.95, "weight_decay": 0.1})
    x = torch.randint(0, vocab, (batch_size, mc.context + 1))
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        with autocast(precision):
            _, loss = model(x[:, :-1], x[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if i:  # the first step warms up allocators and caches
            times.append(time.perf_counter() - t0)
    per_step = sorted(times)[len(times) // 2]
    return {"preset": preset, "precision": precision, "threads": threads, "params": model.num_parameters(), "batch_size": batch_size,
            "context": mc.context, "s_per_step": round(per_step, 3),
            "tokens_per_s": round(batch_size * mc.context / per_step, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="target")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--vocab", type=int, default=2048)
    ap.add_argument("--precision", choices=("auto", "bf16", "f32"), default="auto")
    args = ap.parse_args()
    print(json.dumps(bench(args.preset, args.threads, args.steps, args.batch_size, args.vocab, args.precision)))


if __name__ == "__main__":
    main()
