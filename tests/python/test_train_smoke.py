"""End-to-end smoke test of the small-model pipeline, through the real CLIs:
corpus -> tokenizer -> a few training steps -> stop and resume -> export.

Sized for CI (a ~200 KB corpus, a 400-piece vocabulary, a 30K-parameter
model): it checks that every stage runs and fits together, not that the
model is any good.

    /usr/bin/python3 -m unittest discover -s tests/python
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TRAIN = REPO / "tools" / "train"
CORPUS = REPO / "tools" / "corpus"
sys.path.insert(0, str(TRAIN))
sys.path.insert(0, str(CORPUS))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from export import read_safetensors_header  # noqa: E402
from model import Llama, ModelConfig  # noqa: E402
from textio import SPECIAL_TOKENS, Encoder, read_documents, split_special  # noqa: E402

PY = sys.executable
STEPS = 20
TRAIN_FLAGS = ["--preset", "tiny", "--steps", str(STEPS), "--batch-size", "8", "--warmup", "2", "--lr", "3e-3",
               "--log-every", "5", "--eval-every", "10", "--ckpt-every", "5", "--eval-batches", "2", "--threads", "1"]


def run(*args: str | Path) -> str:
    r = subprocess.run([PY, *map(str, args)], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"{args} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def log_records(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]


def llama_spm_encode(text: str, tok: dict) -> list[int]:
    """llama.cpp's SPM tokenization from the exported GGUF fields alone: special tokens
    split out; each text fragment gets a leading space, spaces become U+2581; adjacent
    symbols merge greedily, highest-scoring result first (leftmost on ties); leftover
    characters become their <0xNN> byte tokens."""
    ids_of = {t: i for i, t in enumerate(tok["tokens"])}
    scores = tok["scores"]
    out: list[int] = []
    for part in split_special(text):
        if part in SPECIAL_TOKENS:
            out.append(ids_of[part])
            continue
        syms = list((" " + part).replace(" ", "\u2581"))
        while True:
            best = None
            for i in range(len(syms) - 1):
                j = ids_of.get(syms[i] + syms[i + 1])
                if j is not None and (best is None or scores[j] > best[0]):
                    best = (scores[j], i)
            if best is None:
                break
            i = best[1]
            syms[i:i + 2] = [syms[i] + syms[i + 1]]
        for sym in syms:
            if sym in ids_of:
                out.append(ids_of[sym])
            else:
                out.extend(ids_of[f"<0x{b:02X}>"] for b in sym.encode("utf-8"))
    return out


class PipelineSmokeTest(unittest.TestCase):
    tmp: tempfile.TemporaryDirectory
    root: Path

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="pagoda-train-smoke-")
        cls.root = Path(cls.tmp.name)
        cls.corpus = cls.root / "corpus"
        cls.tok = cls.root / "tok"
        run(CORPUS / "generate.py", "--seed", "3", "--out", cls.corpus, "--size-mb", "0.2", "--valid-every", "20",
            "--quiet")
        run(TRAIN / "train_tokenizer.py", "--corpus", cls.corpus / "train.txt", "--out", cls.tok,
            "--vocab-size", "400")
        cls.tok_model = cls.tok / "tokenizer.model"
        # One uninterrupted run, and one stopped at step 10 then resumed.
        cls.straight, cls.resumed = cls.root / "straight", cls.root / "resumed"
        common = ["--corpus", cls.corpus, "--tokenizer", cls.tok_model]
        run(TRAIN / "train.py", *common, *TRAIN_FLAGS, "--out", cls.straight)
        run(TRAIN / "train.py", *common, *TRAIN_FLAGS, "--out", cls.resumed, "--stop-at", "10")
        cls.after_stop = torch.load(cls.resumed / "ckpt.pt", map_location="cpu")["step"]
        run(TRAIN / "train.py", "--out", cls.resumed, "--resume", "--threads", "1")
        cls.export_dir = cls.root / "export"
        run(TRAIN / "export.py", cls.straight / "ckpt.pt", cls.export_dir)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    # --- corpus ---------------------------------------------------------------
    def test_corpus_is_deterministic_and_split(self) -> None:
        again = self.root / "corpus-again"
        run(CORPUS / "generate.py", "--seed", "3", "--out", again, "--size-mb", "0.2", "--valid-every", "20", "--quiet")
        for name in ("train.txt", "valid.txt"):
            self.assertEqual(sha(self.corpus / name), sha(again / name), name)
        stats = json.loads((self.corpus / "stats.json").read_text())
        self.assertGreater(stats["distinct_sentences"], 1000)
        self.assertEqual(stats["documents"], stats["train_documents"] + stats["valid_documents"])
        docs = list(read_documents(self.corpus / "train.txt"))
        self.assertEqual(len(docs), stats["train_documents"])
        self.assertTrue(any(d.startswith("<|user|>") and d.endswith("<|end|>") for d in docs))

    def test_induction_mix_copies_distinct_words(self) -> None:
        import random

        from dialogue import distinct_words_doc, make_document

        rng = random.Random(9)
        for _ in range(50):
            doc, _ = distinct_words_doc(rng)
            ask, answer = doc.split("<|end|><|assistant|>")
            words = answer.removesuffix("<|end|>").split(" ")
            self.assertTrue(ask.endswith(" ".join(words)), doc)  # the answer is the list, in order
            self.assertEqual(len(words), len(set(words)), doc)
            self.assertGreaterEqual(len(words), 8)
        kinds = {make_document(rng, "induction")[0] for _ in range(300)}
        self.assertIn("distinct_words_doc", kinds)
        self.assertIn("repeat_doc", kinds)

    # --- tokenizer ------------------------------------------------------------
    def test_tokenizer_layout_and_determinism(self) -> None:
        again = self.root / "tok-again"
        run(TRAIN / "train_tokenizer.py", "--corpus", self.corpus / "train.txt", "--out", again, "--vocab-size", "400")
        self.assertEqual(sha(self.tok_model), sha(again / "tokenizer.model"))
        enc = Encoder(self.tok_model)
        sp = enc.sp
        self.assertEqual((sp.unk_id(), sp.bos_id(), sp.eos_id()), (0, 1, 2))
        self.assertEqual([sp.id_to_piece(i) for i in range(3)], ["<unk>", "<s>", "</s>"])
        self.assertEqual(enc.vocab_size, 400)
        ids = enc.encode("<|user|>Hi there.<|end|><|assistant|>Hello!<|end|>")
        self.assertEqual(ids[0], enc.special_ids["<|user|>"])
        self.assertEqual(sp.id_to_piece(ids[1])[0], "\u2581")  # text after a special token starts a word
        self.assertEqual(enc.decode(ids), "<|user|>Hi there.<|end|><|assistant|>Hello!<|end|>")
        # A character outside the vocabulary falls back to its UTF-8 bytes.
        self.assertEqual(enc.decode(enc.encode("snow ☃")), "snow ☃")

    # --- training -------------------------------------------------------------
    def test_loss_decreases(self) -> None:
        recs = log_records(self.straight)
        self.assertEqual(recs[-1]["step"], STEPS)
        self.assertLess(recs[-1]["train_loss"], recs[0]["train_loss"] - 0.3)
        vals = [r["val_loss"] for r in recs if r["val_loss"] is not None]
        self.assertEqual(len(vals), 2)
        self.assertLess(vals[-1], vals[0])
        for key in ("step", "train_loss", "val_loss", "lr", "tokens_per_s"):
            self.assertIn(key, recs[0])

    def test_copy_probe_reports_every_kind(self) -> None:
        out = run(TRAIN / "copy_probe.py", self.straight / "ckpt.pt", "--docs", "3")
        lines = out.strip().splitlines()
        self.assertEqual([ln.split(":")[0].strip() for ln in lines], ["repeat", "rename", "words", "distinct_words"])
        for ln in lines:
            share = float(ln.split(":")[1].split("%")[0])
            self.assertGreaterEqual(share, 0.0)
            self.assertLessEqual(share, 100.0)

    def test_resume_matches_uninterrupted_run(self) -> None:
        self.assertEqual(self.after_stop, 10)
        a = torch.load(self.straight / "ckpt.pt", map_location="cpu")
        b = torch.load(self.resumed / "ckpt.pt", map_location="cpu")
        self.assertEqual(a["step"], STEPS)
        self.assertEqual(b["step"], STEPS)
        for k in a["model"]:
            self.assertTrue(torch.equal(a["model"][k], b["model"][k]), k)
        self.assertEqual(log_records(self.resumed)[-1]["step"], STEPS)

    # --- export ---------------------------------------------------------------
    def test_export_config(self) -> None:
        cfg = json.loads((self.export_dir / "config.json").read_text())
        ckpt = torch.load(self.straight / "ckpt.pt", map_location="cpu")
        mc = ModelConfig.from_dict(ckpt["model_config"])
        expect = {"hidden_size": mc.dim, "intermediate_size": mc.ffn_dim, "num_hidden_layers": mc.n_layers,
                  "num_attention_heads": mc.n_heads, "num_key_value_heads": mc.n_kv_heads,
                  "rms_norm_eps": mc.norm_eps, "rope_theta": mc.rope_theta, "max_position_embeddings": mc.context,
                  "vocab_size": 400, "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2,
                  "pagoda_rope_interleaved": True}
        for k, v in expect.items():
            self.assertEqual(cfg[k], v, k)
        self.assertEqual((self.export_dir / "tokenizer.model").read_bytes(), self.tok_model.read_bytes())
        tok = json.loads((self.export_dir / "pagoda_tokenizer.json").read_text())
        self.assertEqual(len(tok["tokens"]), 400)
        self.assertEqual(len(tok["scores"]), 400)
        self.assertEqual(tok["token_type"][:6], [2, 3, 3, 4, 4, 4])
        self.assertEqual(tok["tokens"][6], "<0x00>")
        self.assertEqual(tok["token_type"].count(6), 256)
        self.assertEqual((tok["bos_token_id"], tok["eos_token_id"], tok["unknown_token_id"]), (1, 2, 0))
        self.assertEqual(tok["tokens"][tok["eot_token_id"]], "<|end|>")
        self.assertTrue(tok["add_bos_token"])
        self.assertIn("<|assistant|>", tok["chat_template"])
        self.assertTrue(any(t.startswith("\u2581") for t in tok["tokens"]))

    def test_exported_vocab_tokenizes_like_training(self) -> None:
        """The GGUF fields, run through llama.cpp's algorithm, give the training token ids."""
        tok = json.loads((self.export_dir / "pagoda_tokenizer.json").read_text())
        enc = Encoder(self.tok_model)
        docs = list(read_documents(self.corpus / "valid.txt"))[:6] + ["snow ☃ and  two spaces", "<|user|>Hi!<|end|>"]
        for doc in docs:
            self.assertEqual(llama_spm_encode(doc, tok), enc.encode(doc), doc[:80])

    def test_safetensors_parse_back(self) -> None:
        path = self.export_dir / "model.safetensors"
        raw = path.read_bytes()
        (n,) = struct.unpack("<Q", raw[:8])
        self.assertEqual((8 + n) % 8, 0)
        header, start = read_safetensors_header(path)
        self.assertEqual(start, 8 + n)
        cfg = json.loads((self.export_dir / "config.json").read_text())
        d, ff, hd = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
        nh, nkv, v = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["vocab_size"]
        shapes = {"model.embed_tokens.weight": [v, d], "model.norm.weight": [d]}
        for i in range(cfg["num_hidden_layers"]):
            p = f"model.layers.{i}."
            shapes |= {p + "input_layernorm.weight": [d], p + "post_attention_layernorm.weight": [d],
                       p + "self_attn.q_proj.weight": [nh * hd, d], p + "self_attn.k_proj.weight": [nkv * hd, d],
                       p + "self_attn.v_proj.weight": [nkv * hd, d], p + "self_attn.o_proj.weight": [d, nh * hd],
                       p + "mlp.gate_proj.weight": [ff, d], p + "mlp.up_proj.weight": [ff, d],
                       p + "mlp.down_proj.weight": [d, ff]}
        got = {k: v["shape"] for k, v in header.items() if k != "__metadata__"}
        self.assertEqual(got, shapes)  # tied: no lm_head.weight
        for k, meta in header.items():
            if k == "__metadata__":
                continue
            self.assertEqual(meta["dtype"], "F32")
            a, b = meta["data_offsets"]
            self.assertEqual(b - a, 4 * int(np.prod(meta["shape"])))

    def test_exported_weights_reproduce_the_model(self) -> None:
        """Rebuild the model from the Hugging Face names and compare logits."""
        path = self.export_dir / "model.safetensors"
        header, start = read_safetensors_header(path)
        raw = path.read_bytes()

        def tensor(name: str) -> torch.Tensor:
            a, b = header[name]["data_offsets"]
            arr = np.frombuffer(raw[start + a:start + b], dtype="<f4").reshape(header[name]["shape"])
            return torch.from_numpy(arr.copy())

        ckpt = torch.load(self.straight / "ckpt.pt", map_location="cpu")
        mc = ModelConfig.from_dict(ckpt["model_config"])
        ref = Llama(mc)
        ref.load_state_dict(ckpt["model"])
        names = {"attention_norm": "input_layernorm", "attention.wq": "self_attn.q_proj",
                 "attention.wk": "self_attn.k_proj", "attention.wv": "self_attn.v_proj",
                 "attention.wo": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
                 "feed_forward.w1": "mlp.gate_proj", "feed_forward.w3": "mlp.up_proj",
                 "feed_forward.w2": "mlp.down_proj"}
        state = {"tok_embeddings.weight": tensor("model.embed_tokens.weight"),
                 "norm.weight": tensor("model.norm.weight"),
                 "output.weight": tensor("model.embed_tokens.weight")}
        for i in range(mc.n_layers):
            for ours, hf in names.items():
                state[f"layers.{i}.{ours}.weight"] = tensor(f"model.layers.{i}.{hf}.weight")
        rebuilt = Llama(mc)
        rebuilt.load_state_dict(state)
        x = torch.randint(0, mc.vocab_size, (2, 24), generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            self.assertTrue(torch.equal(ref(x)[0], rebuilt(x)[0]))

    def test_pagoda_convert_runs_the_model(self) -> None:
        """`pagoda convert` of the export, then Pagoda's greedy continuation equals the trainer's."""
        binary = Path(os.environ.get("PAGODA_BINARY", REPO / "build" / "bin" / "pagoda"))
        if not binary.exists():
            if os.environ.get("CI") == "true":
                self.fail(f"{binary} not built")
            self.skipTest(f"{binary} not built")
        gguf = self.root / "tiny-f32.gguf"
        r = subprocess.run([str(binary), "convert", str(self.export_dir), "-o", str(gguf), "--outtype", "f32"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([str(binary), "run", "-m", str(gguf), "-p", "Once upon a time", "-n", "16", "--temp", "0",
                            "--json", "--threads", "1"], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        enc = Encoder(self.tok_model)
        prompt = enc.encode_document("Once upon a time")[:-1]
        self.assertEqual(got["prompt_tokens"], prompt)
        ckpt = torch.load(self.straight / "ckpt.pt", map_location="cpu")
        model = Llama(ModelConfig.from_dict(ckpt["model_config"]))
        model.load_state_dict(ckpt["model"])
        model.eval()
        with torch.no_grad():
            want = model.generate(prompt, 16, {enc.eos_id})
        if want and want[-1] == enc.eos_id:  # Pagoda reports the stop, not the EOS token
            want = want[:-1]
        self.assertEqual(got["tokens"], want)


if __name__ == "__main__":
    unittest.main()
