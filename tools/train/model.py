"""A Llama-architecture decoder in plain PyTorch, laid out so that its
weights export to llama.cpp's `llama` GGUF tensors without any reordering.

Architecture: token embedding -> N x [RMSNorm -> grouped-query attention
with RoPE -> residual -> RMSNorm -> SwiGLU FFN -> residual] -> RMSNorm ->
output head. No biases, no dropout.

RoPE is the interleaved ("normal", GGML rope mode 0) form: within each head
the pairs (x[2i], x[2i+1]) are rotated by pos * theta^(-2i/head_dim). That is
the order llama.cpp computes for `llama` models, so the exported q/k weights
need no permutation (Hugging Face checkpoints use the rotate-half form and
llama.cpp's converter permutes them; ours are already interleaved, which
export.py records as "pagoda_rope_interleaved": true).

The output head is tied to the embedding by default (tie_embeddings): small
models save vocab x dim parameters and GGUF simply omits output.weight.
Query head h reads key/value head h // (n_heads // n_kv_heads), as in
llama.cpp and Hugging Face.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 2048
    dim: int = 384
    n_layers: int = 6
    n_heads: int = 6
    n_kv_heads: int = 2
    ffn_dim: int = 1024
    context: int = 512
    rope_theta: float = 10000.0
    norm_eps: float = 1e-5
    tie_embeddings: bool = True

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def validate(self) -> None:
        if self.dim % self.n_heads:
            raise ValueError(f"dim {self.dim} is not a multiple of n_heads {self.n_heads}")
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads {self.n_heads} is not a multiple of n_kv_heads {self.n_kv_heads}")
        if self.head_dim % 2:
            raise ValueError(f"head_dim {self.head_dim} must be even for RoPE")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


# Presets: `target` ~10M parameters, `draft` ~1M, `tiny` for tests.
PRESETS: dict[str, ModelConfig] = {
    "target": ModelConfig(dim=384, n_layers=6, n_heads=6, n_kv_heads=2, ffn_dim=1024),
    "draft": ModelConfig(dim=128, n_layers=4, n_heads=4, n_kv_heads=2, ffn_dim=384),
    "tiny": ModelConfig(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, ffn_dim=64, context=64),
}


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim: int, context: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos/sin of shape (context, head_dim // 2): angle pos * theta^(-2i/head_dim)."""
    inv = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    ang = torch.arange(context, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotates adjacent pairs of x (batch, heads, seq, head_dim); cos/sin are (seq, head_dim // 2)."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    return torch.stack((r0, r1), dim=-1).flatten(-2)


ATTN_CHUNK_ELEMS = 3_000_000  # score elements per attention chunk


def _attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """softmax(q k^T + mask) v for (groups, rows, hd) q and (groups, t, hd) k, v; q is pre-scaled."""
    scores = torch.baddbmm(mask, q, k.transpose(1, 2))  # the GEMM adds the mask
    return torch.bmm(F.softmax(scores, dim=-1), v)


class Attention(nn.Module):
    def __init__(self, c: ModelConfig) -> None:
        super().__init__()
        self.n_heads, self.n_kv, self.hd = c.n_heads, c.n_kv_heads, c.head_dim
        self.wq = nn.Linear(c.dim, c.n_heads * c.head_dim, bias=False)
        self.wk = nn.Linear(c.dim, c.n_kv_heads * c.head_dim, bias=False)
        self.wv = nn.Linear(c.dim, c.n_kv_heads * c.head_dim, bias=False)
        self.wo = nn.Linear(c.n_heads * c.head_dim, c.dim, bias=False)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        q = self.wq(x).view(b, t, self.n_heads, self.hd).transpose(1, 2)
        k = self.wk(x).view(b, t, self.n_kv, self.hd).transpose(1, 2)
        v = self.wv(x).view(b, t, self.n_kv, self.hd).transpose(1, 2)
        # Scaling q (b*h*t*hd values) is far cheaper than scaling the scores (b*h*t*t).
        q = apply_rope(q, cos, sin) * (1.0 / math.sqrt(self.hd))
        k = apply_rope(k, cos, sin)
        # Grouped-query attention without copying k/v: the `rep` query heads that share
        # kv head j (heads j*rep .. j*rep+rep-1) are stacked along the sequence axis.
        rep = self.n_heads // self.n_kv
        qg = q.reshape(b * self.n_kv, rep * t, self.hd)
        kg = k.reshape(b * self.n_kv, t, self.hd)
        vg = v.reshape(b * self.n_kv, t, self.hd)
        m = mask.repeat(rep, 1)
        # Attention in chunks of kv groups: the (rep*t, t) score matrices dominate memory
        # traffic, and a chunk of a few MB stays in cache through softmax and its backward
        # (about 3x faster than one batched call on a 2-core CPU). Same arithmetic either way.
        n = b * self.n_kv
        per_chunk = max(2, ATTN_CHUNK_ELEMS // (rep * t * t))
        if per_chunk >= n:
            out = _attend(qg, kg, vg, m)
        else:
            out = torch.cat([_attend(qg[i:i + per_chunk], kg[i:i + per_chunk], vg[i:i + per_chunk], m)
                             for i in range(0, n, per_chunk)])
        out = out.view(b, self.n_heads, t, self.hd).transpose(1, 2).reshape(b, t, self.n_heads * self.hd)
        return self.wo(out)


class FeedForward(nn.Module):
    """SwiGLU: w2(silu(w1 x) * w3 x); w1 = gate, w3 = up, w2 = down."""

    def __init__(self, c: ModelConfig) -> None:
        super().__init__()
        self.w1 = nn.Linear(c.dim, c.ffn_dim, bias=False)
        self.w3 = nn.Linear(c.dim, c.ffn_dim, bias=False)
        self.w2 = nn.Linear(c.ffn_dim, c.dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Block(nn.Module):
    def __init__(self, c: ModelConfig) -> None:
        super().__init__()
        self.attention_norm = RMSNorm(c.dim, c.norm_eps)
        self.attention = Attention(c)
        self.ffn_norm = RMSNorm(c.dim, c.norm_eps)
        self.feed_forward = FeedForward(c)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.attention_norm(x), cos, sin, mask)
        return x + self.feed_forward(self.ffn_norm(x))


class Llama(nn.Module):
    def __init__(self, c: ModelConfig) -> None:
        super().__init__()
        c.validate()
        self.config = c
        self.tok_embeddings = nn.Embedding(c.vocab_size, c.dim)
        self.layers = nn.ModuleList(Block(c) for _ in range(c.n_layers))
        self.norm = RMSNorm(c.dim, c.norm_eps)
        self.output = nn.Linear(c.dim, c.vocab_size, bias=False)
        if c.tie_embeddings:
            self.output.weight = self.tok_embeddings.weight
        cos, sin = rope_tables(c.head_dim, c.context, c.rope_theta)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        mask = torch.full((c.context, c.context), float("-inf")).triu(1)
        self.register_buffer("causal_mask", mask, persistent=False)
        self._init_weights()

    def _init_weights(self) -> None:
        """Normal(0, 0.02); projections into the residual stream scaled by 1/sqrt(2 n_layers)."""
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * self.config.n_layers) if name.endswith(("wo.weight", "w2.weight")) else 0.02
                nn.init.normal_(p, mean=0.0, std=std)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())  # tied weights count once

    def forward(self, tokens: torch.Tensor, targets: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits (batch, seq, vocab) and, with targets, the mean cross-entropy."""
        t = tokens.shape[1]
        if t > self.config.context:
            raise ValueError(f"sequence of {t} tokens exceeds the context {self.config.context}")
        h = self.tok_embeddings(tokens)
        cos, sin, mask = self.rope_cos[:t], self.rope_sin[:t], self.causal_mask[:t, :t]
        for layer in self.layers:
            h = layer(h, cos, sin, mask)
        logits = self.output(self.norm(h)).float()  # under bf16 autocast the head runs in bf16; the loss does not
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss

    @torch.no_grad()
    def generate(self, tokens: list[int], n: int, stop: set[int] | None = None) -> list[int]:
        """Greedy continuation (no cache; for samples in logs and tests)."""
        out = list(tokens)
        for _ in range(n):
            ctx = torch.tensor([out[-self.config.context:]], dtype=torch.long)
            nxt = int(self(ctx)[0][0, -1].argmax())
            out.append(nxt)
            if stop and nxt in stop:
                break
        return out[len(tokens):]
