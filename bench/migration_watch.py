"""Migration watch bench: finding the screens to pause (GUI thread; every standing, pause and resume).

    python bench/migration_watch.py [--sqlite PATH] [--scale 1] [--tabs 20] [--repeat 30]

A window offscreen on a copy of the cached SQLite demo database with `--tabs` table editors open, each with
its record form, and the graph and search panels. It measures, in this one process:

1. walk (the baseline, the watch before): every widget of the window checked against the Pausable protocol,
   and every QObject of the window against WriteHoldable;
2. registry (the watch now): the panels `equip` registered, the open editors' forms, the link edits found
   once at equip;
3. apply: the watch's whole `_apply` now (the editors' holds included), for scale.

Both ways must find the same screens and parts (checked). It prints medians, p90s and walk / registry.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import Table, banner, bench_parser, demo_sqlite, fmt_ms, measure


def main() -> None:
    parser = bench_parser(__doc__, default_scale=1)
    parser.add_argument("--tabs", type=int, default=20, help="table editors to open (each with its form)")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = Path(tempfile.mkdtemp(prefix="warden-watch-bench-"))
    os.environ["WARDEN_DATA_DIR"] = str(scratch / "data")
    os.environ["WARDEN_LOG_DIR"] = str(scratch / "logs")
    os.environ["XDG_CONFIG_HOME"] = str(scratch / "config")
    source = args.sqlite or demo_sqlite(args.scale)
    path = scratch / "demo.db"
    shutil.copy(source, path)
    try:
        run(str(path), args.tabs, args.repeat)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(path: str, tabs: int, repeat: int) -> None:
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication, QWidget

    from gui.main_window import MainWindow
    from gui.migrate.pausable import Pausable, WriteHoldable
    from gui.runtime import workers

    app = QApplication.instance() or QApplication(sys.argv[:1])
    workers.install(workers.Workers(app))  # as gui/app.py does
    window = MainWindow()
    window.resize(1300, 800)
    window.show()
    counted: list[bool] = []
    window.counts_loaded.connect(lambda *_a: counted.append(True))
    window.open_target(path)
    wait(lambda: bool(counted) and window.open_db.catalog is not None)
    catalog = window.open_db.catalog
    assert catalog is not None
    names = sorted(n for n, e in catalog.entities.items() if not e.read_only)[:tabs]
    for name in names:
        window.navigator.entity_activated.emit(name)
        editor = window.tabs.currentWidget()
        editor.show_form()  # type: ignore[attr-defined]
    window.show_graph()
    window.show_search()
    workers.wait_idle(60_000)
    app.processEvents()
    watch = window.migration_watch

    def walk() -> tuple[Sequence[object], Sequence[object]]:
        screens = [w for w in window.findChildren(QWidget) if isinstance(w, Pausable)]
        parts = [o for o in screens if isinstance(o, WriteHoldable)]  # the screens that hold writes
        return screens, parts

    def registry() -> tuple[Sequence[object], Sequence[object]]:
        screens = list(watch.screens())  # what _apply walks; a screen holding writes passes it on (graph)
        return screens, [s for s in screens if isinstance(s, WriteHoldable)]

    old, new = walk(), registry()
    # The stale bar is paused by its search panel (its set_paused), so the walk finds it and the registry not.
    walked = {id(s) for s in old[0] if type(s).__name__ != "StaleBar"}
    assert walked == {id(s) for s in new[0]}, "the registry misses a screen the walk finds"
    assert {id(p) for p in old[1]} == {id(p) for p in new[1]}, "the registry misses a screen holding writes"
    widgets = len(window.findChildren(QWidget))
    objects = len(window.findChildren(QObject))
    base, now = measure(walk, repeat), measure(registry, repeat)
    applied = measure(watch._apply, repeat)
    load = os.getloadavg()
    print(banner(f"migration watch: {len(names)} editors with forms, graph, search"))
    print(f"  {widgets:,} widgets, {objects:,} objects; {len(new[0])} screens, {len(new[1])} holding writes")
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    table = Table(["finding the screens", "median ms", "p90 ms", "first ms"])
    table.add("walk (before)", fmt_ms(base.median), fmt_ms(base.p90), fmt_ms(base.cold))
    table.add("registry (now)", fmt_ms(now.median), fmt_ms(now.p90), fmt_ms(now.cold))
    table.add("whole _apply now", fmt_ms(applied.median), fmt_ms(applied.p90), fmt_ms(applied.cold))
    print(table.render())
    print(f"  walk / registry: {base.median / max(now.median, 1e-6):,.0f}x")
    for _, editor in window._editor_pages():
        editor.model.revert()
    window.close()
    workers.wait_idle(30_000)


def wait(done: Callable[[], bool], timeout: float = 60.0) -> None:
    """Process Qt's events until `done()`."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while not done():
        QApplication.processEvents()
        if time.monotonic() > end:
            raise TimeoutError("the window did not open the database")
        time.sleep(0.01)


if __name__ == "__main__":
    main()
