"""At a revision Warden's migrations do not know, the window and core agree (issue 10, "When Warden
connects"): the standing the window reads holds core's writes to the open database (ReadOnlyError with the
reason, whatever screen or path asks), and a standing at a known revision lifts the hold again."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.data.changes import Insert
from core.data.writes import save
from core.engine.db import open_database
from core.errors import ReadOnlyError
from core.migrate import migrations as mig
from gui.runtime import workers
from tests.fixtures.editing import open_window

UNKNOWN = "ffffffffffff"


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("WARDEN_DATA_DIR", str(folder))
    return folder


def _stand_at(path: str, revision: str) -> None:
    db = open_database(path)
    try:
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})
    finally:
        db.dispose()


def test_the_windows_standing_holds_core_writes_until_the_revision_is_known(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    _stand_at(demo_copy_path, UNKNOWN)
    window = open_window(qtbot, demo_copy_path)
    watch = window.migration_watch
    qtbot.waitUntil(lambda: watch.standing is not None, timeout=30_000)
    assert watch.standing is not None and not watch.standing.known
    db, catalog = window.open_db.database, window.open_db.catalog
    assert db is not None and catalog is not None
    with pytest.raises(ReadOnlyError, match=f"revision {UNKNOWN}, which Warden's migrations do not know"):
        save(db, catalog, [Insert("users", {"username": "ann", "email": "ann@example.org"})])
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users WHERE username = 'ann'")).scalar_one() == 0

    _stand_at(demo_copy_path, mig.heads()[0])  # brought to a revision Warden knows (here: by hand)
    with qtbot.waitSignal(watch.standing_changed, timeout=30_000):
        watch.check()
    assert watch.standing is not None and watch.standing.known
    save(db, catalog, [Insert("users", {"username": "ann", "email": "ann@example.org"})])
    assert workers.wait_idle(30_000)
