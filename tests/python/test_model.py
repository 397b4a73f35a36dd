"""Unit tests of the trainer's Llama model against direct formulations of the
maths the C++ engine also implements: interleaved ("normal") RoPE, grouped-
query attention with head h reading kv head h // (n_heads / n_kv_heads),
RMSNorm, SwiGLU, and causality.
"""
from __future__ import annotations

import math
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools" / "train"))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import model as model_module  # noqa: E402
from model import PRESETS, Llama, ModelConfig, apply_rope, rope_tables  # noqa: E402

CFG = ModelConfig(vocab_size=50, dim=24, n_layers=2, n_heads=6, n_kv_heads=2, ffn_dim=40, context=16)


def naive_forward(m: Llama, tokens: torch.Tensor) -> torch.Tensor:
    """One sequence, position by position, head by head: logits (seq, vocab)."""
    c = m.config
    hd, rep = c.head_dim, c.n_heads // c.n_kv_heads
    x = m.tok_embeddings.weight[tokens]

    def rms(v: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return v / torch.sqrt((v * v).mean(-1, keepdim=True) + c.norm_eps) * w

    def rope(v: torch.Tensor, pos: int) -> torch.Tensor:  # v: (hd,), pairs (2i, 2i+1)
        out = v.clone()
        for i in range(hd // 2):
            a = pos * c.rope_theta ** (-2 * i / hd)
            out[2 * i] = v[2 * i] * math.cos(a) - v[2 * i + 1] * math.sin(a)
            out[2 * i + 1] = v[2 * i] * math.sin(a) + v[2 * i + 1] * math.cos(a)
        return out

    t = len(tokens)
    for layer in m.layers:
        at = layer.attention
        h = rms(x, layer.attention_norm.weight)
        q, k, v = h @ at.wq.weight.T, h @ at.wk.weight.T, h @ at.wv.weight.T
        out = torch.zeros(t, c.n_heads * hd)
        for head in range(c.n_heads):
            kvh = head // rep
            qs = torch.stack([rope(q[p, head * hd:(head + 1) * hd], p) for p in range(t)])
            ks = torch.stack([rope(k[p, kvh * hd:(kvh + 1) * hd], p) for p in range(t)])
            vs = v[:, kvh * hd:(kvh + 1) * hd]
            for p in range(t):
                w = torch.softmax((ks[:p + 1] @ qs[p]) / math.sqrt(hd), dim=0)
                out[p, head * hd:(head + 1) * hd] = w @ vs[:p + 1]
        x = x + out @ at.wo.weight.T
        h = rms(x, layer.ffn_norm.weight)
        ff = layer.feed_forward
        x = x + (F.silu(h @ ff.w1.weight.T) * (h @ ff.w3.weight.T)) @ ff.w2.weight.T
    return rms(x, m.norm.weight) @ m.output.weight.T


class ModelTest(unittest.TestCase):
    def setUp(self) -> None:
        torch.manual_seed(0)
        self.m = Llama(CFG)
        for p in self.m.parameters():  # make norm gains non-trivial too
            p.data += 0.05 * torch.randn_like(p)

    def test_rope_is_interleaved_pairs(self) -> None:
        hd, t = 8, 5
        cos, sin = rope_tables(hd, t, 10000.0)
        x = torch.randn(1, 1, t, hd)
        got = apply_rope(x, cos, sin)
        z = torch.view_as_complex(x.reshape(1, 1, t, hd // 2, 2).contiguous())
        ang = torch.arange(t)[:, None] * 10000.0 ** (-torch.arange(0, hd, 2) / hd)[None, :]
        want = torch.view_as_real(z * torch.polar(torch.ones_like(ang), ang.float())).flatten(-2)
        self.assertTrue(torch.allclose(got, want, atol=1e-6))

    def test_forward_matches_naive(self) -> None:
        tokens = torch.randint(0, CFG.vocab_size, (7,))
        with torch.no_grad():
            got = self.m(tokens[None])[0][0]
            want = naive_forward(self.m, tokens)
        self.assertTrue(torch.allclose(got, want, atol=1e-4), (got - want).abs().max())

    def test_chunked_attention_matches_batched(self) -> None:
        x = torch.randint(0, CFG.vocab_size, (3, 12))

        def run() -> tuple[torch.Tensor, list[torch.Tensor]]:
            self.m.zero_grad()
            logits, loss = self.m(x[:, :-1], x[:, 1:])
            loss.backward()
            return logits.detach(), [p.grad.clone() for p in self.m.parameters()]

        saved = model_module.ATTN_CHUNK_ELEMS
        try:
            whole = run()
            model_module.ATTN_CHUNK_ELEMS = 1  # two kv groups per chunk: 3 chunks for 3 x 2 groups
            chunked = run()
        finally:
            model_module.ATTN_CHUNK_ELEMS = saved
        self.assertTrue(torch.allclose(whole[0], chunked[0], atol=1e-6))
        for a, b in zip(whole[1], chunked[1]):
            self.assertTrue(torch.allclose(a, b, atol=1e-6))

    def test_causal(self) -> None:
        a = torch.randint(0, CFG.vocab_size, (1, 10))
        b = a.clone()
        b[0, 6:] = (b[0, 6:] + 1) % CFG.vocab_size
        with torch.no_grad():
            la, lb = self.m(a)[0], self.m(b)[0]
        self.assertTrue(torch.allclose(la[0, :6], lb[0, :6], atol=1e-6))
        self.assertFalse(torch.allclose(la[0, 6:], lb[0, 6:]))

    def test_tied_head_and_loss(self) -> None:
        self.assertIs(self.m.output.weight, self.m.tok_embeddings.weight)
        x = torch.randint(0, CFG.vocab_size, (2, 9))
        logits, loss = self.m(x[:, :-1], x[:, 1:])
        self.assertEqual(tuple(logits.shape), (2, 8, CFG.vocab_size))
        self.assertAlmostEqual(float(loss), float(F.cross_entropy(logits.reshape(-1, CFG.vocab_size), x[:, 1:].reshape(-1))),
                               places=5)

    def test_preset_sizes(self) -> None:
        sizes = {k: Llama(v).num_parameters() for k, v in PRESETS.items() if k != "tiny"}
        self.assertTrue(5e6 <= sizes["target"] <= 15e6, sizes)
        self.assertTrue(0.5e6 <= sizes["draft"] <= 2e6, sizes)


if __name__ == "__main__":
    unittest.main()
