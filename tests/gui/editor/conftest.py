"""Fixtures shared by the editor's tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.engine.db import Database, open_database
from core.schema.catalog import Catalog
from core.schema.load import load_catalog


@pytest.fixture
def fresh_demo(demo_template: Path, tmp_path: Path) -> Iterator[tuple[Database, Catalog]]:
    """A fresh copy of the scale-1 SQLite demo database, open, with its catalog (the test may save)."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_template, path)
    db = open_database(str(path))
    yield db, load_catalog(db)
    db.dispose()
