#!/usr/bin/env python3
"""Exports a training checkpoint as a Hugging Face-style Llama directory.

    /usr/bin/python3 tools/train/export.py runs/target/ckpt.pt models/pagoda-target

OUTDIR receives:
  config.json             LlamaConfig keys, plus "pagoda_rope_interleaved": true
  model.safetensors       F32 tensors under Hugging Face Llama names, written by
                          hand (8-byte little-endian header length, JSON header
                          with dtype/shape/data_offsets, raw little-endian data)
  tokenizer.model         the SentencePiece model the checkpoint was trained with
  pagoda_tokenizer.json   the GGUF tokenizer fields (tokens, scores, token types,
                          special ids, add_bos, chat_template)

Q/K layout: the trainer applies RoPE to interleaved pairs (x[2i], x[2i+1]),
llama.cpp's "normal" rope, so q_proj/k_proj are stored exactly as GGUF wants
them. A Hugging Face checkpoint instead holds q/k for the rotate-half rope and
llama.cpp's converter permutes them; "pagoda_rope_interleaved": true tells a
converter not to. lm_head.weight is written only when the embeddings are
untied (tie_word_embeddings false); otherwise the output head is
model.embed_tokens.weight, as in Hugging Face's tied checkpoints.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

from model import ModelConfig  # noqa: E402
from spm_proto import read_model  # noqa: E402
from textio import ASSISTANT, END, SPECIAL_TOKENS, USER  # noqa: E402

# Jinja chat template for the markup the corpus uses. BOS is not in the
# template: the tokenizer adds it (add_bos_token), as llama.cpp expects.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ '" + USER + "' + message['content'] + '" + END + "' }}"
    "{% elif message['role'] == 'assistant' %}{{ '" + ASSISTANT + "' + message['content'] + '" + END + "' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '" + ASSISTANT + "' }}{% endif %}"
)


def hf_tensors(state: dict, mc: ModelConfig) -> list[tuple[str, np.ndarray]]:
    """The model's tensors under Hugging Face Llama names, in a fixed order."""
    def t(name: str) -> np.ndarray:
        return state[name].detach().cpu().numpy().astype("<f4", copy=False)

    out = [("model.embed_tokens.weight", t("tok_embeddings.weight"))]
    for i in range(mc.n_layers):
        p, q = f"layers.{i}.", f"model.layers.{i}."
        out += [
            (q + "input_layernorm.weight", t(p + "attention_norm.weight")),
            (q + "self_attn.q_proj.weight", t(p + "attention.wq.weight")),
            (q + "self_attn.k_proj.weight", t(p + "attention.wk.weight")),
            (q + "self_attn.v_proj.weight", t(p + "attention.wv.weight")),
            (q + "self_attn.o_proj.weight", t(p + "attention.wo.weight")),
            (q + "post_attention_layernorm.weight", t(p + "ffn_norm.weight")),
            (q + "mlp.gate_proj.weight", t(p + "feed_forward.w1.weight")),
            (q + "mlp.up_proj.weight", t(p + "feed_forward.w3.weight")),
            (q + "mlp.down_proj.weight", t(p + "feed_forward.w2.weight")),
        ]
    out.append(("model.norm.weight", t("norm.weight")))
    if not mc.tie_embeddings:
        out.append(("lm_head.weight", t("output.weight")))
    return out


def write_safetensors(path: Path, tensors: list[tuple[str, np.ndarray]], metadata: dict[str, str]) -> None:
    """F32 safetensors: u64 LE header size, JSON header (space-padded to 8 bytes), then the data."""
    header: dict[str, object] = {"__metadata__": metadata}
    offset = 0
    for name, a in tensors:
        if a.dtype != np.dtype("<f4"):
            raise ValueError(f"{name}: only F32 is written, got {a.dtype}")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
    blob += b" " * (-len(blob) % 8)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for _, a in tensors:
            f.write(np.ascontiguousarray(a).tobytes())
    os.replace(tmp, path)


def read_safetensors_header(path: Path) -> tuple[dict, int]:
    """(header, data start) of a safetensors file; checks that offsets tile the data exactly."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
    start, size = 8 + n, path.stat().st_size
    spans = sorted(tuple(v["data_offsets"]) for k, v in header.items() if k != "__metadata__")
    pos = 0
    for a, b in spans:
        if a != pos or b < a:
            raise ValueError(f"{path}: tensor data is not contiguous at byte {a}")
        pos = b
    if start + pos != size:
        raise ValueError(f"{path}: data ends at {start + pos}, file has {size} bytes")
    return header, start


def tokenizer_json(model_bytes: bytes) -> dict:
    """The GGUF tokenizer.ggml.* fields of a SentencePiece model."""
    m = read_model(model_bytes)
    ids = {p.text: i for i, p in enumerate(m.pieces)}
    types = [p.type for p in m.pieces]
    for tok in SPECIAL_TOKENS:
        if tok not in ids:
            raise ValueError(f"tokenizer lacks the chat token {tok}")

    def the(type_: int, text: str) -> int:
        i = ids.get(text, -1)
        if i < 0 or types[i] != type_:
            raise ValueError(f"tokenizer: {text!r} missing or of the wrong type")
        return i

    return {
        "model": "llama",
        "tokens": [p.text for p in m.pieces],
        "scores": [p.score for p in m.pieces],
        "token_type": types,
        "token_type_names": {"1": "normal", "2": "unknown", "3": "control", "4": "user-defined",
                             "5": "unused", "6": "byte"},
        "bos_token_id": the(3, "<s>"),
        "eos_token_id": the(3, "</s>"),
        "unknown_token_id": the(2, "<unk>"),
        "eot_token_id": ids[END],
        "add_bos_token": True,
        "add_eos_token": False,
        "add_space_prefix": m.add_dummy_prefix,
        "special_tokens": {"user": ids[USER], "assistant": ids[ASSISTANT], "end": ids[END]},
        "chat_template": CHAT_TEMPLATE,
    }


def export(ckpt_path: Path, outdir: Path) -> dict:
    """Writes the directory; returns config.json's dict."""
    import torch

    ckpt = torch.load(ckpt_path, map_location="cpu")
    mc = ModelConfig.from_dict(ckpt["model_config"])
    tok = tokenizer_json(ckpt["tokenizer_model"])
    if len(tok["tokens"]) != mc.vocab_size:
        raise ValueError(f"tokenizer has {len(tok['tokens'])} pieces, the model {mc.vocab_size}")
    outdir.mkdir(parents=True, exist_ok=True)
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": mc.dim,
        "intermediate_size": mc.ffn_dim,
        "num_hidden_layers": mc.n_layers,
        "num_attention_heads": mc.n_heads,
        "num_key_value_heads": mc.n_kv_heads,
        "head_dim": mc.head_dim,
        "hidden_act": "silu",
        "rms_norm_eps": mc.norm_eps,
        "rope_theta": mc.rope_theta,
        "max_position_embeddings": mc.context,
        "vocab_size": mc.vocab_size,
        "tie_word_embeddings": mc.tie_embeddings,
        "bos_token_id": tok["bos_token_id"],
        "eos_token_id": tok["eos_token_id"],
        "torch_dtype": "float32",
        "pagoda_rope_interleaved": True,
        "pagoda_train_steps": ckpt["step"],
        "pagoda_val_loss": ckpt.get("val_loss"),
    }
    tensors = hf_tensors(ckpt["model"], mc)
    write_safetensors(outdir / "model.safetensors", tensors, {"format": "pt", "pagoda_rope": "interleaved"})
    (outdir / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    (outdir / "tokenizer.model").write_bytes(ckpt["tokenizer_model"])
    (outdir / "pagoda_tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False) + "\n", encoding="utf-8")
    n = sum(a.size for _, a in tensors)
    print(f"exported {ckpt_path} (step {ckpt['step']}) -> {outdir}: {len(tensors)} tensors, {n:,} parameters")
    return config


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("outdir", type=Path)
    args = ap.parse_args()
    export(args.checkpoint, args.outdir)


if __name__ == "__main__":
    main()
