#!/usr/bin/env python3
"""Trains a small Llama-architecture model on CPU, resumably.

    /usr/bin/python3 tools/train/train.py --preset target --corpus data/corpus \\
        --tokenizer data/tok/tokenizer.model --out runs/target --steps 2400 --threads 2

The corpus directory holds train.txt and valid.txt (tools/corpus/generate.py).
OUT receives:
  ckpt.pt      the latest checkpoint (model, optimizer, step, configs and the
               tokenizer model bytes), replaced atomically every --ckpt-every
               steps, at the end, and on SIGINT/SIGTERM or --max-minutes
  log.jsonl    one JSON record per --log-every steps: step, train_loss,
               val_loss (at evaluations, else null), lr, tokens_per_s, elapsed_s
  tokens/      the cached token ids of the corpus (.npy), unless --cache-dir names
               another place (share one between the target and draft runs)

--resume continues from OUT/ckpt.pt with the checkpoint's own settings
(schedule, batch, seed), so the learning rate and the batches are the ones
an uninterrupted run would have used; only runtime flags (threads, logging,
checkpoint interval, time limit) come from the command line.

--init-from CKPT starts a new run (new schedule, fresh optimizer) from the
weights of another run's checkpoint: fine-tuning on another corpus. The
model shape comes from CKPT and the tokenizer must be the one CKPT used.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from data import batch_at, eval_windows, load_tokens  # noqa: E402
from model import PRESETS, Llama, ModelConfig  # noqa: E402
from textio import Encoder  # noqa: E402

CKPT_FORMAT = "pagoda-train-v1"
# Flags that define the run; a resume takes them from the checkpoint.
SCHEDULE_KEYS = ("steps", "batch_size", "lr", "min_lr_ratio", "warmup", "weight_decay", "beta1", "beta2",
                 "grad_clip", "seed", "eval_batches", "precision")
# Flags that may change between sessions.
RUNTIME_KEYS = ("cache_dir", "threads", "log_every", "eval_every", "ckpt_every", "max_minutes", "stop_at", "sample")


def cpu_has_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (oneDNN then runs bf16 GEMMs ~5x faster than f32)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(p: str) -> str:
    return ("bf16" if cpu_has_bf16() else "f32") if p == "auto" else p


def autocast(precision: str):
    """bf16 autocast: matmuls in bf16 with f32 master weights, residual stream and loss in f32."""
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def lr_at(step: int, t: dict) -> float:
    """Linear warmup to lr, then cosine down to lr * min_lr_ratio at the last step."""
    if step < t["warmup"]:
        return t["lr"] * (step + 1) / t["warmup"]
    progress = min(1.0, (step - t["warmup"]) / max(1, t["steps"] - t["warmup"]))
    low = t["lr"] * t["min_lr_ratio"]
    return low + 0.5 * (t["lr"] - low) * (1.0 + math.cos(math.pi * progress))


def save_checkpoint(path: Path, state: dict) -> None:
    """Writes then renames, so a stop mid-write leaves the previous checkpoint intact."""
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def make_optimizer(model: Llama, t: dict) -> torch.optim.Optimizer:
    """AdamW; weight decay on matrices (and the embedding), not on norm gains."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": t["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=t["lr"], betas=(t["beta1"], t["beta2"]), eps=1e-8, foreach=True)


@torch.no_grad()
def evaluate(model: Llama, windows: np.ndarray, batch_size: int, precision: str) -> float:
    model.eval()
    total, n = 0.0, 0
    for i in range(0, len(windows), batch_size):
        w = torch.from_numpy(windows[i:i + batch_size])
        with autocast(precision):
            _, loss = model(w[:, :-1], w[:, 1:])
        total += float(loss) * len(w)
        n += len(w)
    model.train()
    return total / n


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, help="directory with train.txt and valid.txt")
    ap.add_argument("--tokenizer", type=Path, help="tokenizer.model from train_tokenizer.py")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--preset", choices=sorted(PRESETS), default="target")
    ap.add_argument("--config", type=Path, help="JSON with model keys (dim, n_layers, ...) overriding the preset")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/ckpt.pt")
    ap.add_argument("--init-from", type=Path,
                    help="new run starting from this checkpoint's weights (fine-tuning; same tokenizer)")
    ap.add_argument("--cache-dir", type=Path, help="where tokenized corpora are cached (default OUT/tokens)")
    ap.add_argument("--steps", type=int, default=2000, help="total optimizer steps of the schedule")
    ap.add_argument("--batch-size", type=int, default=16, help="windows of `context` tokens per step")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--beta1", type=float, default=0.9)
    ap.add_argument("--beta2", type=float, default=0.95)
    ap.add_argument("--grad-clip", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-batches", type=int, default=8, help="validation windows = eval_batches * batch_size")
    ap.add_argument("--precision", choices=("auto", "bf16", "f32"), default="auto",
                    help="bf16 autocast for matmuls (auto: when the CPU has avx512_bf16/amx_bf16)")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--ckpt-every", type=int, default=100)
    ap.add_argument("--max-minutes", type=float, default=0.0, help="checkpoint and stop after this long (0: no limit)")
    ap.add_argument("--stop-at", type=int, default=0, help="checkpoint and stop after this step (0: run the schedule)")
    ap.add_argument("--sample", action="store_true", help="print a greedy sample at each evaluation")
    ap.add_argument("--reschedule-steps", type=int, default=0,
                    help="with --resume: end the schedule at this step instead (the cosine continues from the "
                         "current step's progress in the new length; recorded in the checkpoint)")
    return ap.parse_args(argv)


def train(args: argparse.Namespace) -> dict:
    """Runs (or resumes) training; returns the final checkpoint state's summary."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "ckpt.pt"
    torch.set_num_threads(args.threads)
    t = {k: getattr(args, k) for k in SCHEDULE_KEYS}
    t["precision"] = resolve_precision(t["precision"])

    ckpt = None
    if args.resume:
        if not ckpt_path.exists():
            raise SystemExit(f"--resume: no checkpoint at {ckpt_path}")
        ckpt = torch.load(ckpt_path, map_location="cpu")
        if ckpt.get("format") != CKPT_FORMAT:
            raise SystemExit(f"{ckpt_path} is not a {CKPT_FORMAT} checkpoint")
        saved = ckpt["train_config"]
        changed = [k for k in SCHEDULE_KEYS if t[k] != saved[k]]
        if changed:
            print(f"resume: keeping the checkpoint's {', '.join(changed)}", file=sys.stderr)
        t = {k: saved[k] for k in SCHEDULE_KEYS}
        t["reschedules"] = list(saved.get("reschedules", []))
        if "init_from" in saved:
            t["init_from"] = saved["init_from"]
        if args.reschedule_steps:
            if args.reschedule_steps <= ckpt["step"]:
                raise SystemExit(f"--reschedule-steps {args.reschedule_steps} is not after step {ckpt['step']}")
            t["reschedules"].append({"at_step": ckpt["step"], "from_steps": t["steps"], "to_steps": args.reschedule_steps})
            t["steps"] = args.reschedule_steps
            print(f"resume: schedule now ends at step {t['steps']}", file=sys.stderr)
        corpus, tok_path = Path(saved["corpus"]), Path(saved["tokenizer"])
        mc = ModelConfig.from_dict(ckpt["model_config"])
        tok_bytes: bytes = ckpt["tokenizer_model"]
        if hashlib.sha256(tok_path.read_bytes()).hexdigest() != hashlib.sha256(tok_bytes).hexdigest():
            raise SystemExit(f"tokenizer {tok_path} changed since the checkpoint was written")
    else:
        if args.corpus is None or args.tokenizer is None:
            raise SystemExit("--corpus and --tokenizer are required for a new run")
        corpus, tok_path = args.corpus.resolve(), args.tokenizer.resolve()
        tok_bytes = tok_path.read_bytes()
        if args.init_from:
            init = torch.load(args.init_from, map_location="cpu")
            if init.get("format") != CKPT_FORMAT:
                raise SystemExit(f"{args.init_from} is not a {CKPT_FORMAT} checkpoint")
            if init["tokenizer_model"] != tok_bytes:
                raise SystemExit(f"--init-from: {args.init_from} was trained with another tokenizer than {tok_path}")
            mc = ModelConfig.from_dict(init["model_config"])
            t["init_from"] = {"checkpoint": str(args.init_from.resolve()), "step": init["step"]}
        else:
            mc = PRESETS[args.preset]
            if args.config:
                mc = ModelConfig.from_dict({**mc.to_dict(), **json.loads(args.config.read_text())})
            mc = replace(mc, vocab_size=Encoder(tok_path).vocab_size)

    cache_dir = args.cache_dir or out / "tokens"
    train_tokens = load_tokens(corpus / "train.txt", tok_path, cache_dir)
    valid_tokens = load_tokens(corpus / "valid.txt", tok_path, cache_dir)
    windows = eval_windows(valid_tokens, t["eval_batches"] * t["batch_size"], mc.context)

    torch.manual_seed(t["seed"])
    model = Llama(mc)
    opt = make_optimizer(model, t)
    step = 0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        step = ckpt["step"]
    elif args.init_from:
        model.load_state_dict(init["model"])
    n_params = model.num_parameters()
    print(f"model: {n_params:,} parameters {mc.to_dict()}")
    print(f"precision {t['precision']}, {args.threads} thread(s); data: {len(train_tokens):,} train tokens, {len(valid_tokens):,} valid tokens; "
          f"{t['batch_size'] * mc.context} tokens/step; starting at step {step} of {t['steps']}")

    def state(val_loss: float | None) -> dict:
        return {"format": CKPT_FORMAT, "step": step, "model_config": mc.to_dict(),
                "train_config": {**t, "corpus": str(corpus), "tokenizer": str(tok_path)},
                "model": model.state_dict(), "optimizer": opt.state_dict(), "tokenizer_model": tok_bytes,
                "n_params": n_params, "val_loss": val_loss}

    stop = {"signal": None}

    def on_signal(signum, _frame) -> None:
        stop["signal"] = signum

    old_handlers = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    enc = Encoder(tok_path) if args.sample else None
    log = open(out / "log.jsonl", "a", encoding="utf-8")
    start = time.perf_counter()
    interval_start, interval_losses = start, []
    val_loss = ckpt.get("val_loss") if ckpt else None
    try:
        model.train()
        while step < t["steps"]:
            lr = lr_at(step, t)
            for g in opt.param_groups:
                g["lr"] = lr
            x, y = batch_at(train_tokens, t["seed"], step, t["batch_size"], mc.context)
            with autocast(t["precision"]):
                _, loss = model(torch.from_numpy(x), torch.from_numpy(y))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if t["grad_clip"] > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), t["grad_clip"])
            opt.step()
            step += 1
            interval_losses.append(float(loss))
            last = step == t["steps"]
            evaluated = step % args.eval_every == 0 or last
            if evaluated:
                val_loss = evaluate(model, windows, t["batch_size"], t["precision"])
            if step % args.log_every == 0 or evaluated:
                now = time.perf_counter()
                rec = {"step": step, "train_loss": round(sum(interval_losses) / len(interval_losses), 4),
                       "val_loss": round(val_loss, 4) if evaluated else None, "lr": lr,
                       "tokens_per_s": round(len(interval_losses) * t["batch_size"] * mc.context / (now - interval_start), 1),
                       "elapsed_s": round(now - start, 1)}
                log.write(json.dumps(rec) + "\n")
                log.flush()
                print(json.dumps(rec), flush=True)
                interval_start, interval_losses = time.perf_counter(), []
            if evaluated and enc is not None:
                prompt = enc.encode_document("Once upon a time")[:-1]
                print("sample:", enc.decode(model.generate(prompt, 48, {enc.eos_id})), flush=True)
                model.train()
            timed_out = (args.max_minutes > 0 and (time.perf_counter() - start) > args.max_minutes * 60) or \
                step == args.stop_at
            if step % args.ckpt_every == 0 or last or timed_out or stop["signal"]:
                save_checkpoint(ckpt_path, state(val_loss))
            if timed_out or stop["signal"]:
                why = "--max-minutes/--stop-at" if timed_out else f"signal {stop['signal']}"
                print(f"stopping at step {step} ({why}); resume with --resume", file=sys.stderr)
                break
    finally:
        log.close()
        for s, h in old_handlers.items():
            signal.signal(s, h)
    return {"step": step, "val_loss": val_loss, "n_params": n_params}


def main() -> None:
    train(parse_args())


if __name__ == "__main__":
    main()
