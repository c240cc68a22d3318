"""Table view bench: Warden's TableEditor against a plain QSqlTableModel + QTableView, by hand.

    python bench/table_view.py [--sqlite PATH] [--scale 100] [--repeat 5] [--timeout 300]

Both sides show the 1,000,000-row tool_executions table of the cached scale-100 SQLite demo database
offscreen in a 1200x800 window. Every run is a fresh child process (so peak RSS is per side and per run)
that measures, in order:

1. open: from constructing the editor (Warden) or QSqlTableModel.setTable + select (baseline) to the
   first paint of the viewport that shows real rows (no placeholders);
2. Ctrl+End: from the key press on the view to the paint that shows the last row. Warden loads the
   last page keyset-from-the-end; QSqlTableModel has to fetchMore every row first (capped by --timeout);
3. sort: a header click on duration_ms (not indexed) to the first paint of sorted rows;
4. filter: in a fresh editor/model, status = 'error' AND tool_name = X (Warden through the filter bar's
   signal, the baseline through setFilter) to the first paint of matching rows;
5. peak RSS of the process (ru_maxrss).

The connection (Warden: open_database + load_catalog; baseline: QSqlDatabase.open) is made before the
clock starts, as it is once per connection in the app. Both views enable header sorting the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import REPO_ROOT, Table, Timing, banner, bench_parser, demo_sqlite, fmt_ms, peak_rss_kib

TABLE = "tool_executions"
SORT_COLUMN = "duration_ms"
ISSUE_SCALE = 100
SIZE = (1200, 800)
SIDES = {"warden": "Warden", "qsql": "QSqlTableModel"}
STEPS = (
    ("open", "open → first rows painted"),
    ("end", "Ctrl+End → last rows painted"),
    ("sort", f"sort {SORT_COLUMN} → first rows"),
    ("filter", "filter → first rows painted"),
)
RESULT_PREFIX = "RESULT "


# --- child side: measuring one process --------------------------------------------------------------


class PaintProbe:
    """Times the end of the first viewport paint during which a condition holds.

    The probe filters the viewport's events ahead of the view's own filter; when the condition holds at
    a paint event, it has the view paint right away (viewportEvent) and takes the time once that returns.
    """

    def __init__(self, view: Any) -> None:
        from PySide6.QtCore import QEvent, QObject

        probe = self

        class Filter(QObject):
            def eventFilter(self, obj: Any, event: Any) -> bool:
                if event.type() == QEvent.Type.Paint:
                    return probe._on_paint(event)
                return False

        self._filter = Filter()
        view.viewport().installEventFilter(self._filter)
        self.view = view
        self._ready: Callable[[], bool] | None = None
        self._done: float | None = None
        self._loop: Any = None

    def _on_paint(self, event: Any) -> bool:
        if self._ready is None or self._done is not None or not self._ready():
            return False
        self._ready = None
        self.view.viewportEvent(event)  # the view paints now; this paint is the one being timed
        self._done = time.perf_counter()
        if self._loop is not None:
            self._loop.quit()
        return True

    def wait(self, ready: Callable[[], bool], timeout_s: float) -> float | None:
        """Run the event loop until a paint with `ready()` true has finished; its time, or None on timeout."""
        from PySide6.QtCore import QEventLoop, QTimer

        self._ready, self._done = ready, None
        self.view.viewport().update()
        self._loop = QEventLoop()
        QTimer.singleShot(int(timeout_s * 1000), self._loop.quit)
        if self._done is None:
            self._loop.exec()
        self._loop = None
        self._ready = None
        return self._done


def visible_rows(view: Any) -> tuple[int, int]:
    """First and last model rows the view's viewport shows (-1, -1 when none)."""
    first = view.rowAt(0)
    if first < 0:
        return -1, -1
    last = view.rowAt(view.viewport().height() - 1)
    return first, last if last >= 0 else view.model().rowCount() - 1


def last_row_shown(view: Any) -> bool:
    """Whether the model's last row is inside the viewport."""
    rows = view.model().rowCount()
    return rows > 0 and visible_rows(view)[1] == rows - 1


def click_header(view: Any, column: int) -> None:
    """Scroll `column` into view and click its header section, as a user sorts."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    header = view.horizontalHeader()
    top = max(view.rowAt(0), 0)
    view.scrollTo(view.model().index(top, column))
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(x, header.height() // 2))


def press_ctrl_end(view: Any) -> None:
    """Ctrl+End on the view, as a user presses it."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)


def show(widget: Any) -> None:
    """Show a top-level widget at the bench size, active, so that its shortcuts work."""
    widget.resize(*SIZE)
    widget.show()
    widget.activateWindow()


def sorted_ok(values: list[Any]) -> bool:
    """Whether `values` are in ascending or descending order."""
    return values == sorted(values) or values == sorted(values, reverse=True)


def ms(t0: float, t1: float | None) -> float | None:
    """Milliseconds from t0 to t1 (None stays None)."""
    return None if t1 is None else (t1 - t0) * 1000


def child_warden(db_path: str, tool: str, timeout_s: float) -> dict[str, Any]:
    """Measure Warden's TableEditor; returns the step timings (ms) and notes."""
    import logging

    from PySide6.QtWidgets import QApplication

    from core.data.repository import Filter
    from core.engine.db import open_database
    from core.schema.load import load_catalog
    from gui.editor.model.roles import Role, RowState
    from gui.editor.view import TableEditor

    logging.getLogger("warden.slow").setLevel(logging.ERROR)
    app = QApplication.instance() or QApplication([])
    db = open_database(db_path)
    catalog = load_catalog(db)
    out: dict[str, Any] = {"notes": []}

    def loaded(editor: TableEditor, row: int) -> bool:
        return bool(editor.model.index(row, 0).data(Role.ROW_STATE) != RowState.PLACEHOLDER)

    def first_rows(editor: TableEditor) -> Callable[[], bool]:
        def ready() -> bool:
            first, last = visible_rows(editor.view)
            return first >= 0 and loaded(editor, first) and loaded(editor, last)

        return ready

    counted: list[float] = []

    def open_editor() -> tuple[TableEditor, PaintProbe, float | None]:
        t0 = time.perf_counter()
        editor = TableEditor(db, catalog, TABLE)
        editor.model.count_changed.connect(
            lambda _n, exact: counted.append((time.perf_counter() - t0) * 1000) if exact else None
        )
        probe = PaintProbe(editor.view)
        show(editor)
        editor.view.setFocus()
        return editor, probe, ms(t0, probe.wait(first_rows(editor), timeout_s))

    editor, probe, out["open"] = open_editor()
    model = editor.model
    t0 = time.perf_counter()
    while not model.exact and time.perf_counter() - t0 < timeout_s:
        app.processEvents()
        time.sleep(0.001)
    out["count"] = counted[0] if counted else None  # from the start of open
    rows = model.rowCount()

    # Ctrl+End: the editor's "Last rows" shortcut (keyset from the end), else the view's own key handling.
    triggered: list[bool] = []
    editor.actions_by_name["end"].triggered.connect(lambda: triggered.append(True))
    t0 = time.perf_counter()
    press_ctrl_end(editor.view)
    out["end"] = ms(t0, probe.wait(lambda: loaded(editor, model.rowCount() - 1)
                                   and last_row_shown(editor.view), timeout_s))
    out["notes"].append(f"Ctrl+End via {'the Last rows action' if triggered else 'QTableView key handling'}; "
                        f"{rows:,} rows, {model.rows_held:,} held after Ctrl+End")

    col = [model.column_info(c).name for c in range(model.columnCount())].index(SORT_COLUMN)
    editor.view.scrollToTop()
    probe.wait(first_rows(editor), timeout_s)
    t0 = time.perf_counter()
    click_header(editor.view, col)
    out["sort"] = ms(t0, probe.wait(first_rows(editor), timeout_s))
    first, last = visible_rows(editor.view)
    values = [model.index(r, col).data(Role.ORIGINAL) for r in range(first, last + 1)]
    assert sorted_ok(values), f"Warden rows not sorted on {SORT_COLUMN}: {values[:5]}"
    editor.close()
    editor.deleteLater()

    editor, probe, _ = open_editor()
    filters = [Filter("status", "eq", "error"), Filter("tool_name", "eq", tool)]
    t0 = time.perf_counter()
    editor.filter_bar.filters_changed.emit(filters, "")  # what the filter bar emits after its pause
    out["filter"] = ms(t0, probe.wait(first_rows(editor), timeout_s))
    names = [editor.model.column_info(c).name for c in range(editor.model.columnCount())]
    top = visible_rows(editor.view)[0]
    row = [editor.model.index(top, c).data(Role.ORIGINAL) for c in range(len(names))]
    assert row[names.index("status")] == "error" and row[names.index("tool_name")] == tool, row
    editor.close()
    db.dispose()
    return out


def child_qsql(db_path: str, tool: str, timeout_s: float) -> dict[str, Any]:
    """Measure a plain QSqlTableModel in a QTableView on the same file; returns timings (ms) and notes."""
    from PySide6.QtCore import QModelIndex
    from PySide6.QtSql import QSqlDatabase, QSqlTableModel
    from PySide6.QtWidgets import QApplication, QTableView

    app = QApplication.instance() or QApplication([])
    qdb = QSqlDatabase.addDatabase("QSQLITE")
    qdb.setDatabaseName(db_path)
    assert qdb.open(), qdb.lastError().text()
    out: dict[str, Any] = {"notes": []}

    def open_view() -> tuple[QSqlTableModel, QTableView, PaintProbe, float | None]:
        t0 = time.perf_counter()
        model = QSqlTableModel(None, qdb)
        model.setTable(TABLE)
        model.select()
        view = QTableView()
        view.setModel(model)
        view.setSortingEnabled(True)  # as Warden's grid: header clicks sort (and Qt sorts column 0 now)
        probe = PaintProbe(view)
        show(view)
        view.setFocus()
        return model, view, probe, ms(t0, probe.wait(lambda: model.rowCount() > 0, timeout_s))

    model, view, probe, out["open"] = open_view()
    assert not model.lastError().isValid(), model.lastError().text()

    # Ctrl+End shows the last row *fetched*; to reach the table's end every row is fetched first (what
    # Qt does as the scrollbar keeps hitting the bottom), then Ctrl+End lands on the real last row.
    t0 = time.perf_counter()
    press_ctrl_end(view)
    deadline = t0 + timeout_s
    while model.canFetchMore(QModelIndex()) and time.perf_counter() < deadline:
        model.fetchMore(QModelIndex())
    complete = not model.canFetchMore(QModelIndex())
    press_ctrl_end(view)
    left = max(0.1, deadline - time.perf_counter())
    done = probe.wait(lambda: last_row_shown(view), left) if complete else None
    out["end"] = ms(t0, done)
    out["notes"].append(f"{model.rowCount():,} rows fetched for Ctrl+End"
                        + ("" if complete else f" (stopped at the {timeout_s:g} s timeout)"))

    col = model.fieldIndex(SORT_COLUMN)
    view.scrollToTop()
    t0 = time.perf_counter()
    click_header(view, col)
    out["sort"] = ms(t0, probe.wait(lambda: model.rowCount() > 0, timeout_s))
    first, last = visible_rows(view)
    values = [model.index(r, col).data() for r in range(first, last + 1)]
    assert sorted_ok(values), f"QSqlTableModel rows not sorted on {SORT_COLUMN}: {values[:5]}"
    view.close()

    model, view, probe, _ = open_view()
    t0 = time.perf_counter()
    model.setFilter(f"status = 'error' AND tool_name = '{tool}'")  # re-selects at once
    out["filter"] = ms(t0, probe.wait(lambda: model.rowCount() > 0, timeout_s))
    top = visible_rows(view)[0]
    record = model.record(top)
    assert record.value("status") == "error" and record.value("tool_name") == tool
    view.close()
    del app
    return out


def child_main(side: str, db_path: str, tool: str, timeout_s: float) -> None:
    """Child-process entry point: measure one side once and print one RESULT line of JSON."""
    run = child_warden if side == "warden" else child_qsql
    out = run(db_path, tool, timeout_s)
    out["rss_kib"] = peak_rss_kib()
    print(RESULT_PREFIX + json.dumps(out), flush=True)


# --- parent side: runs and the report --------------------------------------------------------------


@dataclass
class Side:
    """Every run of one side: step → samples in ms (None = timed out), peak RSS per run, notes."""

    name: str
    samples: dict[str, list[float | None]]
    rss_kib: list[int]
    notes: list[str]

    def timing(self, step: str) -> Timing | None:
        """The completed samples of a step as a Timing (None if none completed)."""
        done = [s for s in self.samples.get(step, []) if s is not None]
        return Timing(done) if done else None

    def timeouts(self, step: str) -> int:
        """How many runs of a step hit the timeout."""
        return sum(s is None for s in self.samples.get(step, []))


def run_child(side: str, db_path: Path, tool: str, timeout_s: float) -> dict[str, Any]:
    """One fresh process measuring one side; its parsed RESULT line."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    with tempfile.TemporaryDirectory(prefix="warden-bench-cfg-") as cfg:
        env["XDG_CONFIG_HOME"] = cfg  # fresh QSettings: no saved column widths or tabs
        cmd = [sys.executable, __file__, "--child", side, "--db", str(db_path), "--tool", tool,
               "--timeout", str(timeout_s)]
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=6 * timeout_s + 120)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{side} run failed (exit {proc.returncode})")
    result: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX):])
    return result


def pick_tool(db_path: Path) -> tuple[str, int, int]:
    """The tool name with the most errors, how many error rows it has, and the table's row count."""
    conn = sqlite3.connect(db_path)
    try:
        tool, n = conn.execute(
            f"SELECT tool_name, count(*) AS n FROM {TABLE} WHERE status = 'error'"
            " GROUP BY tool_name ORDER BY n DESC LIMIT 1"
        ).fetchone()
        total = conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]
    finally:
        conn.close()
    return str(tool), int(n), int(total)


def warm_page_cache(path: Path) -> float:
    """Read the database file once so that neither side pays for cold disk reads; seconds taken."""
    t0 = time.perf_counter()
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass
    return time.perf_counter() - t0


def report(sides: dict[str, Side], timeout_s: float) -> str:
    """The table of medians, p90s and ratios Warden / QSqlTableModel."""
    w, q = sides["warden"], sides["qsql"]
    table = Table(["measurement", "Warden med", "p90", "QSqlTM med", "p90", "ratio W/Q", "timeouts"])
    for step, label in STEPS:
        tw, tq = w.timing(step), q.timing(step)
        ratio = f"{tw.median / tq.median:.3g}x" if tw and tq else ""
        outs = [f"{s.timeouts(step)}/{len(s.samples[step])} {s.name[0]}" for s in (w, q) if s.timeouts(step)]
        q_med = fmt_ms(tq.median) if tq else f">{timeout_s * 1000:,.0f}" if q.timeouts(step) else "—"
        table.add(label, fmt_ms(tw.median if tw else None), fmt_ms(tw.p90 if tw else None), q_med,
                  fmt_ms(tq.p90 if tq else None), ratio, ", ".join(outs))
    count = w.timing("count")
    table.add("open → exact count (background)", fmt_ms(count.median if count else None),
              fmt_ms(count.p90 if count else None), "", "", "", "")
    table.rule()
    rw, rq = sorted(w.rss_kib)[len(w.rss_kib) // 2] / 1024, sorted(q.rss_kib)[len(q.rss_kib) // 2] / 1024
    table.add("peak RSS, MiB (median of runs)", f"{rw:,.1f}", f"{max(w.rss_kib) / 1024:,.1f}",
              f"{rq:,.1f}", f"{max(q.rss_kib) / 1024:,.1f}", f"{rw / rq:.3g}x", "")
    return table.render()


def goals(sides: dict[str, Side], timeout_s: float) -> tuple[str, list[str]]:
    """The issue's three goals with PASS/MISS, and the names of those missed."""
    w, q = sides["warden"], sides["qsql"]
    table = Table(["goal", "Warden", "QSqlTableModel", "ratio", "target", "result"])
    missed: list[str] = []

    def add(name: str, wv: float | None, qv: float | None, unit: str, target: str, ok: bool | None) -> None:
        ratio = f"{wv / qv:.3g}x" if wv and qv else ""
        status = "—" if ok is None else "PASS" if ok else "MISS"
        if ok is False:
            missed.append(name)
        table.add(name, f"{fmt_ms(wv)} {unit}", f"{fmt_ms(qv)} {unit}", ratio, target, status)

    ow, oq = w.timing("open"), q.timing("open")
    add("first rows", ow.median if ow else None, oq.median if oq else None, "ms", "≤ 2x",
        (ow.median <= 2 * oq.median) if ow and oq else None)
    ew, eq = w.timing("end"), q.timing("end")
    # A baseline that timed out took at least the timeout: the ratio is then an upper bound for Warden.
    q_end = eq.median if eq and not q.timeouts("end") else timeout_s * 1000 if q.timeouts("end") else None
    add("Ctrl+End", ew.median if ew else None, q_end, "ms", "≤ 1/20x (20x faster)",
        (ew.median * 20 <= q_end) if ew and q_end else None)
    rw, rq = sorted(w.rss_kib)[len(w.rss_kib) // 2] / 1024, sorted(q.rss_kib)[len(q.rss_kib) // 2] / 1024
    add("peak RSS", rw, rq, "MiB", "≤ 1/3x", rw * 3 <= rq)
    return table.render(), missed


def main(argv: list[str] | None = None) -> int:
    """Parse arguments; run each side --repeat times in fresh processes; print the report and goals."""
    parser = bench_parser(__doc__, ISSUE_SCALE)
    add = parser.add_argument
    add("--repeat", type=int, default=5, help="runs per side, each in a fresh process")
    add("--timeout", type=float, default=300.0, help="seconds any one step may take")
    add("--child", choices=sorted(SIDES), help=argparse.SUPPRESS)
    add("--db", help=argparse.SUPPRESS)
    add("--tool", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child, args.db, args.tool, args.timeout)
        return 0

    from PySide6 import __version__ as pyside_version

    print(f"Warden table view bench — Python {platform.python_version()}, PySide6 {pyside_version}, "
          f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at start")
    print(banner("SQLite"))
    path = args.sqlite.resolve() if args.sqlite else demo_sqlite(args.scale)
    tool, matches, total = pick_tool(path)
    print(f"  {total:,} {TABLE} rows; filter: status = 'error' AND tool_name = '{tool}' ({matches:,} rows)")
    size_mib = path.stat().st_size / 2**20
    print(f"  page cache warmed: read {size_mib:,.0f} MiB in {warm_page_cache(path):.1f} s")
    print(f"  {args.repeat} runs per side, each a fresh offscreen process, {SIZE[0]}x{SIZE[1]}; "
          f"timeout {args.timeout:g} s per step")
    sides = {k: Side(v, {s: [] for s, _ in (*STEPS, ("count", ""))}, [], []) for k, v in SIDES.items()}
    for i in range(args.repeat):
        for key, side in sides.items():  # alternate, so drift on the machine hits both sides alike
            t0 = time.perf_counter()
            result = run_child(key, path, tool, args.timeout)
            for step in side.samples:
                if step in result:
                    side.samples[step].append(result[step])
            side.rss_kib.append(int(result["rss_kib"]))
            side.notes = result["notes"]
            steps = "  ".join(f"{s} {fmt_ms(result.get(s))}" for s, _ in STEPS)
            print(f"  run {i + 1} {side.name:<14} {time.perf_counter() - t0:6.1f} s   {steps}  "
                  f"rss {result['rss_kib'] / 1024:,.0f} MiB", flush=True)
    for side in sides.values():
        for note in side.notes:
            print(f"  {side.name}: {note}")
    print()
    print(f"ms, median and p90 of {args.repeat} runs per side")
    print(report(sides, args.timeout))
    print(banner("Goals"))
    text, missed = goals(sides, args.timeout)
    print(text)
    print(f"\nload average at end: {os.getloadavg()[0]:.2f} (timings on a busy machine are noisier)")
    print(f"goals: {'all PASS' if not missed else 'MISS: ' + ', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
