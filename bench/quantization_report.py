#!/usr/bin/env python3
"""Quality and speed of every quantization type for one model, in one run.

    python3 bench/quantization_report.py --model models/pagoda-tiny-10m-f16.gguf \\
        --text models/heldout-seed2.txt --out build/quant-report [--threads 2] [--ctx 512]

For each type: `pagoda quantize` (size, bits per weight), `pagoda perplexity`,
`pagoda kld` against the source model's saved distributions (mean and p99
KL divergence, top-1 agreement), and `pagoda bench -p 0 -n 64` (decode
tokens/s, median of the repetitions). Writes OUT/report.json, OUT/report.md
(the table) and OUT/ppl_vs_bpw.svg (the plot, drawn here without plotting
libraries). Only the pagoda binary is used (build/bin/pagoda unless
--pagoda is given).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

TYPES = ["f16", "q8_0", "q6_k", "q5_k_m", "q5_1", "q5_0", "q4_k_m", "q4_k_s", "q4_1", "q4_0", "q3_k_m", "q2_k"]


def run(cmd: list[str]) -> str:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}")
    return r.stdout


def svg_plot(rows: list[dict], path: Path, title: str) -> None:
    """PPL (y) against bits per weight (x), one labelled point per type."""
    w, h, left, right, top, bottom = 640, 400, 60, 20, 40, 50
    xs = [r["bits_per_weight"] for r in rows]
    ys = [r["ppl"] for r in rows]
    x0, x1 = min(xs) - 0.3, max(xs) + 0.3
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.1 or 0.05
    y0, y1 = y0 - pad, y1 + pad

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * (w - left - right)

    def py(y: float) -> float:
        return h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">{title}</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}" stroke="black"/>',
           f'<text x="{w / 2}" y="{h - 12}" text-anchor="middle">bits per weight</text>',
           f'<text x="16" y="{h / 2}" text-anchor="middle" transform="rotate(-90 16 {h / 2})">perplexity</text>']
    for i in range(6):
        xv = x0 + (x1 - x0) * i / 5
        yv = y0 + (y1 - y0) * i / 5
        out.append(f'<text x="{px(xv):.1f}" y="{h - bottom + 15}" text-anchor="middle">{xv:.1f}</text>')
        out.append(f'<text x="{left - 5}" y="{py(yv) + 4:.1f}" text-anchor="end">{yv:.3f}</text>')
    for r in rows:
        out.append(f'<circle cx="{px(r["bits_per_weight"]):.1f}" cy="{py(r["ppl"]):.1f}" r="4" fill="#2a6fdb"/>')
        out.append(f'<text x="{px(r["bits_per_weight"]) + 6:.1f}" y="{py(r["ppl"]) - 6:.1f}">{r["type"]}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="source model (F16 or F32 GGUF)")
    ap.add_argument("--text", required=True, help="evaluation text")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--pagoda", default=str(Path(__file__).resolve().parents[1] / "build" / "bin" / "pagoda"))
    ap.add_argument("--threads", default="2")
    ap.add_argument("--ctx", default="512")
    ap.add_argument("--reps", default="3")
    ap.add_argument("--imatrix", help="importance matrix for the K-quants (pagoda imatrix)")
    ap.add_argument("--types", default=",".join(TYPES))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    p = args.pagoda
    base = args.out / "base.kld"
    run([p, "kld", "-m", args.model, "-f", args.text, "-c", args.ctx, "-t", args.threads, "--save-base", str(base)])
    rows = []
    for t in args.types.split(","):
        q = args.out / f"{t}.gguf"
        cmd = [p, "quantize", args.model, str(q), t, "-t", args.threads]
        if args.imatrix:
            cmd += ["--imatrix", args.imatrix]
        qout = run(cmd)
        m = re.search(r"-> ([\d.]+) MiB, ([\d.]+) bits per weight", qout)
        kj = args.out / f"{t}.kld.json"
        run([p, "kld", "-m", str(q), "-f", args.text, "-t", args.threads, "--base", str(base), "--json", str(kj)])
        k = json.loads(kj.read_text())
        bj = args.out / f"{t}.bench.json"
        run([p, "bench", "-m", str(q), "-p", "0", "-n", "64", "-t", args.threads, "-r", args.reps, "--json", str(bj)])
        b = json.loads(bj.read_text())
        tg = [x for x in b if x.get("n_gen", 0) > 0][0]
        rows.append({"type": t, "size_mib": float(m.group(1)), "bits_per_weight": float(m.group(2)),
                     "ppl": k["ppl_model"], "ppl_ratio": k["ppl_ratio"], "mean_kld": k["mean_kld"],
                     "p99_kld": k["p99_kld"], "top1_agreement": k["top1_agreement"],
                     "decode_tokens_per_s": sorted(tg["samples_ts"])[len(tg["samples_ts"]) // 2],
                     "tensors": qout.strip().splitlines()[-1].split("tensors by type:")[-1].strip()})
        print(json.dumps(rows[-1]), flush=True)
    (args.out / "report.json").write_text(json.dumps({"model": args.model, "text": args.text, "ctx": args.ctx,
                                                      "threads": args.threads, "rows": rows}, indent=2) + "\n")
    lines = ["| type | size MiB | bits/weight | PPL | PPL ratio | mean KLD | p99 KLD | top-1 agree | decode t/s | tensors |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['type']} | {r['size_mib']:.2f} | {r['bits_per_weight']:.2f} | {r['ppl']:.4f} | "
                     f"{r['ppl_ratio']:.4f} | {r['mean_kld']:.5f} | {r['p99_kld']:.4f} | "
                     f"{100 * r['top1_agreement']:.1f}% | {r['decode_tokens_per_s']:.1f} | {r['tensors']} |")
    (args.out / "report.md").write_text("\n".join(lines) + "\n")
    svg_plot(rows, args.out / "ppl_vs_bpw.svg", f"{Path(args.model).name}: perplexity against size")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
