"""At a revision Warden's migrations do not know, the window and core agree (issue 10, "When Warden
connects"): the standing the window reads holds core's writes to the open database (ReadOnlyError with the
reason, whatever screen or path asks), and a standing at a known revision lifts the hold again."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from core.data.changes import Insert
from core.data.writes import save
from core.engine.db import Database, open_database
from core.errors import ReadOnlyError
from core.migrate import migrations as mig
from core.schema.load import load_catalog
from gui.main_window import MainWindow
from gui.runtime import workers
from tests.fixtures.editing import let_close, open_editor, open_window
from tests.fixtures.unknown_revision import UNKNOWN, graph_window, restamp, stand_file_at
from tests.gui.test_graph_links import shift_drag, two_locations_shown

pytestmark = pytest.mark.usefixtures("data_dir")  # a user data folder of the test's own


def test_the_windows_standing_holds_core_writes_until_the_revision_is_known(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    stand_file_at(demo_copy_path, UNKNOWN)
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

    restamp(qtbot, window, demo_copy_path, mig.heads()[0])  # to a revision Warden knows (here: by hand)
    assert watch.standing is not None and watch.standing.known
    save(db, catalog, [Insert("users", {"username": "ann", "email": "ann@example.org"})])
    assert workers.wait_idle(30_000)


def test_graph_links_stage_nothing_at_an_unknown_revision_and_say_why(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    stand_file_at(demo_copy_path, UNKNOWN)
    window, graph = graph_window(qtbot, demo_copy_path)
    watch = window.migration_watch
    db = window.open_db.database
    assert db is not None
    source, target = two_locations_shown(qtbot, graph, db)
    held = watch.unknown_reason
    assert held is not None and UNKNOWN in held
    editor = open_editor(qtbot, window, "location_connections")
    assert editor.read_only_reason() == held, "the graph says what the table editors say"
    window.tabs.setCurrentWidget(graph)

    shift_drag(graph, source, target)  # as a person links two locations
    assert graph.links.form is None and graph.links.staged_count == 0
    assert graph.message.text() == held
    edge = next(e for e in graph.document.hood.edges if e.kind == "link" and e.via == "location_connections")
    assert graph.links.edge_reason(edge) == held
    qtbot.wait(50)  # the message line's new height is laid out
    graph.grab().save("/tmp/warden_graph_held.png")

    restamp(qtbot, window, demo_copy_path, mig.heads()[0])  # to a revision Warden knows: links stage again
    assert graph.links.hold_reason is None and graph.links.edge_reason(edge) is None
    shift_drag(graph, source, target)
    assert graph.links.form is not None and graph.links.form.isVisible()
    graph.links.form.reject()
    assert workers.wait_idle(30_000)


def _save_one_user(db: Database) -> None:
    """A save through core's one save path, as an editor's worker sends it (the catalog read first)."""
    save(db, load_catalog(db), [Insert("users", {"username": "bo", "email": "bo@example.org"})])


def test_a_save_sent_before_the_standing_arrives_is_refused_at_an_unknown_revision(
    qtbot: QtBot, demo_copy_path: str
) -> None:
    stand_file_at(demo_copy_path, UNKNOWN)
    window = MainWindow()
    qtbot.addWidget(window, before_close_func=let_close)
    window.show()
    watch = window.migration_watch
    sent: dict[str, Any] = {}

    def save_at_once(db: Database | None) -> None:
        """The database is open and nothing of it is read yet: a save goes out on a worker right now."""
        if db is None or sent:
            return
        sent["standing"] = watch.standing
        workers.run(
            _save_one_user, db,
            on_done=lambda _r: sent.update(result="saved"),
            on_error=lambda failure: sent.update(result=failure.exception),
            owner=window,
        )  # fmt: skip

    window.open_db.database_changed.connect(save_at_once)
    with qtbot.waitSignal(window.counts_loaded, timeout=30_000):
        window.open_target(demo_copy_path)
    qtbot.waitUntil(lambda: "result" in sent, timeout=30_000)
    assert sent["standing"] is None, "the save was sent before the standing was read"
    assert isinstance(sent["result"], ReadOnlyError), sent["result"]
    assert f"revision {UNKNOWN}" in str(sent["result"])
    with open_database(demo_copy_path).engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users WHERE username = 'bo'")).scalar_one() == 0
    qtbot.waitUntil(lambda: watch.standing is not None, timeout=30_000)
    assert workers.wait_idle(30_000)
