"""A BERT sentence encoder in numpy: the all-MiniLM-L6-v2 forward pass, mean pooling, L2 normalisation.

It reads the files sentence-transformers reads (config.json, sentence_bert_config.json, 1_Pooling/config.json,
tokenizer.json, model.safetensors) and computes what sentence-transformers computes, in float32, without
torch: one matmul per projection (query, key and value fused into one), erf GELU, LayerNorm with the config's
eps. Texts are sorted by length and batched under a token budget, so padding stays small.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]

#: Tokens (rows x padded length) per forward pass: large enough for BLAS to run at full speed, small
#: enough that the attention scores (rows x heads x length²) stay a few tens of MB at 256 word pieces.
TOKEN_BUDGET = 4096
#: The smallest batch worth a thread of its own (see MiniLM.embed).
MIN_TOKEN_BUDGET = 512
MAX_BATCH_ROWS = 128
MAX_WORKERS = 8
#: Token rows per feed-forward block (see MiniLM._layer).
FFN_BLOCK_ROWS = 256
#: Elements per GELU piece (see _gelu_inplace).
GELU_CHUNK = 1 << 16


@dataclass(frozen=True)
class _Layer:
    """One encoder layer's weights, linear weights transposed to (in, out) for `x @ w`."""

    qkv_w: F32
    qkv_b: F32
    out_w: F32
    out_b: F32
    ln1_g: F32
    ln1_b: F32
    up_w: F32
    up_b: F32
    down_w: F32
    down_b: F32
    ln2_g: F32
    ln2_b: F32


class MiniLM:
    """A loaded sentence encoder; `embed` is thread-safe (it keeps no state between calls)."""

    def __init__(self, model_dir: Path, name: str):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = _read_json(model_dir / "config.json")
        st_config = _read_json(model_dir / "sentence_bert_config.json")
        pooling = _read_json(model_dir / "1_Pooling" / "config.json")
        if not pooling.get("pooling_mode_mean_tokens", False):
            raise ValueError("only mean pooling is implemented")
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config.get('hidden_act')!r}")
        self.name = name
        self.dimension: int = int(pooling.get("word_embedding_dimension", config["hidden_size"]))
        self.max_tokens: int = min(
            int(st_config.get("max_seq_length", config["max_position_embeddings"])),
            int(config["max_position_embeddings"]),
        )
        self._heads = int(config["num_attention_heads"])
        self._eps = np.float32(config.get("layer_norm_eps", 1e-12))

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # tokenizer.json pads and cuts at 128; sentence-transformers cuts at max_seq_length and pads per batch
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer = tokenizer

        w = load_file(str(model_dir / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in w else ""

        def get(key: str) -> F32:
            return np.ascontiguousarray(w[prefix + key], dtype=np.float32)

        def lin(key: str) -> F32:
            return np.ascontiguousarray(get(key + ".weight").T)

        self._word = get("embeddings.word_embeddings.weight")
        self._pos = get("embeddings.position_embeddings.weight")
        self._type0 = get("embeddings.token_type_embeddings.weight")[0]
        self._emb_ln = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            att = p + "attention.self."
            layers.append(
                _Layer(
                    qkv_w=np.ascontiguousarray(
                        np.concatenate([lin(att + "query"), lin(att + "key"), lin(att + "value")], axis=1)
                    ),
                    qkv_b=np.concatenate([get(att + f"{n}.bias") for n in ("query", "key", "value")]),
                    out_w=lin(p + "attention.output.dense"),
                    out_b=get(p + "attention.output.dense.bias"),
                    ln1_g=get(p + "attention.output.LayerNorm.weight"),
                    ln1_b=get(p + "attention.output.LayerNorm.bias"),
                    up_w=lin(p + "intermediate.dense"),
                    up_b=get(p + "intermediate.dense.bias"),
                    down_w=lin(p + "output.dense"),
                    down_b=get(p + "output.dense.bias"),
                    ln2_g=get(p + "output.LayerNorm.weight"),
                    ln2_b=get(p + "output.LayerNorm.bias"),
                )
            )
        self._layers = tuple(layers)

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's word-piece ids with [CLS] and [SEP], cut at `max_tokens` like sentence-transformers."""
        # sentence-transformers strips each text before tokenizing
        return [e.ids for e in self._tokenizer.encode_batch([str(t).strip() for t in texts])]

    def embed(self, texts: Sequence[str]) -> F32:
        """Unit-length sentence vectors, float32 (len(texts), dimension), in the order of `texts`."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        workers = _workers()
        total = sum(len(i) for i in ids)
        # enough batches for every worker, but none so small that BLAS runs below speed
        budget = TOKEN_BUDGET if workers == 1 else max(MIN_TOKEN_BUDGET, min(TOKEN_BUDGET, total // workers))
        batches = _batches(ids, budget)
        if len(batches) == 1 or workers == 1:
            for rows in batches:
                out[rows] = self._encode([ids[i] for i in rows])
            return out
        # Batches in parallel threads (numpy releases the GIL in matmuls and ufuncs), BLAS single-threaded
        # meanwhile: the elementwise half of the work runs on every core too, and BLAS's own threads do not
        # spin against ours.
        with _one_blas_thread(), ThreadPoolExecutor(workers, thread_name_prefix="minilm") as pool:
            encoded = pool.map(lambda rows: self._encode([ids[i] for i in rows]), batches)
            for rows, vectors in zip(batches, encoded, strict=True):
                out[rows] = vectors
        return out

    def _encode(self, batch: list[list[int]]) -> F32:
        """One forward pass over a padded batch; mean-pooled, L2-normalised rows."""
        n, length = len(batch), max(len(ids) for ids in batch)
        ids = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for r, row in enumerate(batch):
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1.0

        x = self._word[ids] + (self._pos[:length] + self._type0)
        x = _layer_norm(x.reshape(n * length, -1), *self._emb_ln, self._eps)
        # padded keys get the lowest float, as transformers does, so they weigh nothing after softmax
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self._layers:
            x = self._layer(x, layer, n, length, bias)

        hidden = x.reshape(n, length, -1)
        summed = np.einsum("nld,nl->nd", hidden, mask, optimize=True)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), np.float32(1e-9))
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: F32 = (pooled / np.maximum(norms, np.float32(1e-12))).astype(np.float32, copy=False)
        return unit

    def _layer(self, x: F32, w: _Layer, n: int, length: int, bias: F32) -> F32:
        """One encoder layer on (n * length, hidden) rows."""
        hidden = x.shape[1]
        heads, size = self._heads, hidden // self._heads
        qkv = x @ w.qkv_w
        qkv += w.qkv_b
        # (n, length, 3, heads, size) -> three (n, heads, length, size)
        qkv4 = qkv.reshape(n, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
        q, k, v = qkv4[0], qkv4[1], qkv4[2]
        scores = q @ k.transpose(0, 1, 3, 2)
        scores *= np.float32(1.0 / math.sqrt(size))
        scores += bias
        _softmax_inplace(scores)
        ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(n * length, hidden)
        att = ctx @ w.out_w
        att += w.out_b
        att += x
        x = _layer_norm(att, w.ln1_g, w.ln1_b, self._eps)
        down = np.empty_like(x)
        # the feed-forward block in row blocks: its 4x wider activations then stay in cache through GELU
        for r in range(0, x.shape[0], FFN_BLOCK_ROWS):
            block = x[r : r + FFN_BLOCK_ROWS]
            up = block @ w.up_w
            up += w.up_b
            _gelu_inplace(up)
            np.matmul(up, w.down_w, out=down[r : r + FFN_BLOCK_ROWS])
        down += w.down_b
        down += x
        return _layer_norm(down, w.ln2_g, w.ln2_b, self._eps)


def _batches(ids: list[list[int]], budget: int) -> list[list[int]]:
    """Row numbers grouped into batches of similar length whose padded size stays within `budget` tokens."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batches, start = [], 0
    while start < len(order):
        # sorted by length, so the batch's last text is its longest: grow while the padded batch fits
        end = start + 1
        while (
            end < len(order)
            and end - start < MAX_BATCH_ROWS
            and (end - start + 1) * len(ids[order[end]]) <= budget
        ):
            end += 1
        batches.append(order[start:end])
        start = end
    return batches


def _workers() -> int:
    """Threads for one embed call: the cores this process may use, when BLAS can be held to one thread."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    if cores <= 1 or importlib.util.find_spec("threadpoolctl") is None:
        return 1
    return min(cores, MAX_WORKERS)


_blas_lock = threading.Lock()
_blas_users = 0
_blas_limits: Any = None


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS at one thread while any embed call runs its batches in parallel; restored by the last one out."""
    global _blas_users, _blas_limits
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    with _blas_lock:
        if _blas_users == 0:
            _blas_limits = threadpool_limits(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_limits is not None:
                _blas_limits.restore_original_limits()
                _blas_limits = None


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def _layer_norm(x: F32, gamma: F32, beta: F32, eps: np.float32) -> F32:
    mean = x.mean(axis=-1, keepdims=True)
    centred: F32 = x - mean
    var = np.mean(np.square(centred), axis=-1, keepdims=True)
    centred *= 1.0 / np.sqrt(var + eps)
    centred *= gamma
    centred += beta
    return centred


def _softmax_inplace(x: F32) -> None:
    x -= x.max(axis=-1, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=-1, keepdims=True)


# Abramowitz & Stegun 7.1.26: erf within 1.5e-7, below float32's resolution of GELU's output here
_P = np.float32(0.3275911)
_A = tuple(np.float32(a) for a in (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429))


def _gelu_inplace(x: F32) -> None:
    """x * Φ(x) with the exact (erf) form BERT was trained with, not the tanh approximation."""
    flat = x.reshape(-1)
    # a dozen elementwise passes: in pieces that stay in cache they run about 4x faster than over it all
    for start in range(0, flat.size, GELU_CHUNK):
        _gelu_piece(flat[start : start + GELU_CHUNK])


def _gelu_piece(x: F32) -> None:
    a = np.abs(x)
    z = a * np.float32(1.0 / math.sqrt(2.0))
    # past 6, erf is 1 in float32; the cap also keeps exp(-z²) out of slow subnormals
    np.minimum(z, np.float32(6.0), out=z)
    t = z * _P
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * _A[4]
    for c in (_A[3], _A[2], _A[1], _A[0]):
        poly += c
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # erfc(|x| / √2)
    # x·Φ(x) = (x + |x|·erf(|x|/√2)) / 2 = (x + |x| - |x|·erfc(|x|/√2)) / 2, for either sign of x
    poly *= a
    a -= poly
    x += a
    x *= np.float32(0.5)
