"""`warden selftest`: prove an installation (or a frozen build) can do real work, without a network."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    """The `selftest` subcommand (no arguments)."""
    sub.add_parser("selftest", help="check that the installation works (sqlite-vec, migrations, Qt)")


def run(_args: argparse.Namespace, _target: str | None) -> int:
    """Check the data core of the installation: sqlite-vec, migrations, catalog (gui.launcher adds Qt)."""
    return 0 if run_selftest(print) else 1


def run_selftest(say: Callable[[str], object]) -> bool:
    """Open a temporary SQLite database with sqlite-vec, migrate it, seed a little, read it back."""
    from core.engine.db import open_database
    from core.migrate import migrations
    from core.schema.load import load_catalog

    ok = True
    with tempfile.TemporaryDirectory(prefix="warden-selftest-") as d:
        db = open_database(Path(d) / "selftest.db", create=True)
        try:
            caps = db.capabilities
            native = caps.vector_search == "sqlite-vec"
            say(
                f"sqlite {caps.server_version} via {caps.driver}; vector search: {caps.vector_search}"
                + ("" if native else f" ({caps.vector_reason})")
            )
            ok &= native
            migrations.upgrade(db, "head")
            cur, heads = migrations.current(db), migrations.heads()
            say(f"migrations: current {', '.join(cur)}; heads {', '.join(heads)}")
            ok &= bool(cur) and set(cur) == set(heads)
            cat = load_catalog(db)
            vectors = sum(len(e.vectors) for e in cat.entities.values())
            say(f"catalog: {len(cat.entities)} entities, {vectors} vector columns")
            ok &= len(cat.entities) >= 20 and vectors >= 7
        finally:
            db.dispose()
    ok &= _check_embedder(say)
    say("selftest: " + ("ok" if ok else "FAILED"))
    return ok


def _check_embedder(say: Callable[[str], object]) -> bool:
    """Load the local embedding model (from its package, never downloaded) and embed one sentence."""
    import time

    from core.search.embeddings import local_embedder
    from core.search.errors import EmbeddingUnavailable

    started = time.perf_counter()
    try:
        embedder = local_embedder()
        vector = embedder.embed(["a haunted lighthouse on the northern cliffs"])
    except EmbeddingUnavailable as exc:
        say(f"embeddings: {exc}")
        return False
    ms = (time.perf_counter() - started) * 1000
    say(f"embeddings: {embedder.name}, {vector.shape[1]}-d, one sentence in {ms:.0f} ms (load included)")
    return bool(vector.shape == (1, embedder.dimension) and abs(float((vector * vector).sum()) - 1) < 1e-4)
