"""The frozen build's float16 copy of the local model: half the size, the same vectors (cosine >= 0.9999)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from core.search.embeddings import LOCAL_MODEL_NAME, MODEL_FILES, local_embedder, model_dir, model_problem
from core.search.embeddings_float16 import WEIGHTS, write_float16_model
from core.search.minilm import MiniLM
from tests.core.test_embeddings import SENTENCES


@pytest.fixture(scope="module")
def float16_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The installed model's folder written as float16, the way build_windows.spec writes it."""
    source = model_dir()
    assert source is not None, model_problem()
    return write_float16_model(source, tmp_path_factory.mktemp("minilm-f16"))


def test_the_copy_is_complete_and_half_the_size(float16_dir: Path) -> None:
    source = model_dir()
    assert source is not None
    assert all((float16_dir / name).is_file() for name in MODEL_FILES)
    weights = load_file(str(float16_dir / WEIGHTS))
    floats = [t for t in weights.values() if t.dtype.kind == "f"]
    assert floats and all(t.dtype == np.float16 for t in floats)
    ratio = (float16_dir / WEIGHTS).stat().st_size / (source / WEIGHTS).stat().st_size
    assert 0.45 < ratio < 0.55, ratio


def test_float16_weights_give_the_float32_vectors(float16_dir: Path) -> None:
    full = local_embedder().embed(SENTENCES)
    model = MiniLM(float16_dir, LOCAL_MODEL_NAME)
    half = model.embed(SENTENCES)
    assert half.dtype == np.float32 and half.shape == full.shape  # computed in float32
    cosines = np.sum(half.astype(np.float64) * full, axis=1) / (
        np.linalg.norm(half, axis=1) * np.linalg.norm(full, axis=1)
    )
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.9999, f"sentence {worst}: cosine {cosines[worst]:.6f}"
    assert not np.array_equal(half, full)  # the weights really were rounded
