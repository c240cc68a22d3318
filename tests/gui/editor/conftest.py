"""Fixtures shared by the editor's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.bootstrap import create_demo_database
from core.catalog import Catalog, load_catalog
from core.db import Database, open_database


@pytest.fixture
def demo(empty_url: str) -> Iterator[tuple[Database, Catalog]]:
    """A scale-1 demo database on the current backend, with its catalog."""
    create_demo_database(empty_url, scale=1)
    db = open_database(empty_url)
    yield db, load_catalog(db)
    db.dispose()
