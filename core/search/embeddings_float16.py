"""A float16 copy of the local model's folder: half the size on disk, for the frozen build.

The build (build_windows.spec) bundles this copy instead of the package's float32 weights. The loader
(core/search/minilm.py) widens every tensor to float32 as it loads it, so the forward pass is unchanged;
only the weights are rounded (cosine >= 0.9999 against float32, tests/core/test_float16_model.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from core.search.embeddings import MODEL_FILES

WEIGHTS = "model.safetensors"


def write_float16_model(source: Path, target: Path) -> Path:
    """Copy the model files in `source` to `target`, float32 weights stored as float16; returns `target`."""
    from safetensors.numpy import load_file, save_file

    for name in MODEL_FILES:
        if name == WEIGHTS:
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)
    tensors = load_file(str(source / WEIGHTS))
    halved = {}
    for key, tensor in tensors.items():
        if tensor.dtype != np.float32:  # integer buffers (position ids) stay as they are
            halved[key] = tensor
            continue
        small = tensor.astype(np.float16)
        # a weight past float16's range (65504) would become inf: refuse rather than ship a broken model
        if not np.isfinite(small).all():
            raise ValueError(f"{key} does not fit in float16")
        halved[key] = small
    target.mkdir(parents=True, exist_ok=True)
    save_file(halved, str(target / WEIGHTS))
    return target
