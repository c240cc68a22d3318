"""The schema head a start compares with comes from the Alembic scripts, not from a copied revision id."""

from __future__ import annotations

from pathlib import Path

from core.bootstrap import SCHEMA_HEAD, script_head
from core.migrate.migrations import heads

SCRIPT = '''"""{doc}"""
from __future__ import annotations

revision: str = "{rev}"
down_revision: str | Sequence[str] | None = {down}
'''


def write(folder: Path, rev: str, down: str, doc: str = "A revision.") -> None:
    """One Alembic revision script as `alembic revision` writes it."""
    (folder / f"{rev}_step.py").write_text(SCRIPT.format(doc=doc, rev=rev, down=down), encoding="utf-8")


def test_the_shipped_head_is_what_alembic_reads() -> None:
    assert SCHEMA_HEAD is not None and heads() == [SCHEMA_HEAD] == [script_head()]


def test_a_new_revision_is_the_new_head(tmp_path: Path) -> None:
    assert script_head(tmp_path) is None  # no scripts: nothing to compare with
    write(tmp_path, "aaa111", "None", doc="Revision ID: aaa111\nRevises:")
    write(tmp_path, "bbb222", '"aaa111"', doc="Revises: aaa111 (a docstring line is not the revision)")
    assert script_head(tmp_path) == "bbb222"
    write(tmp_path, "ccc333", '"aaa111"')  # a branch: two heads, so no single one to trust
    assert script_head(tmp_path) is None
    write(tmp_path, "ddd444", '("bbb222", "ccc333")')  # a merge joins them again
    assert script_head(tmp_path) == "ddd444"
