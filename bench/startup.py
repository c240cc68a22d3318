"""Start-up bench: time to a visible window, Warden against DB Browser for SQLite, under Xvfb.

    python bench/startup.py [--sqlite PATH] [--scale 100] [--repeat 7] [--baseline REF | --no-baseline]
                            [--floor] [--frozen DIST]

Needs the Debian packages xvfb, xdotool and sqlitebrowser (`apt-get install -y xvfb xdotool sqlitebrowser`).
One Xvfb server (1280x1024x24, no window manager) hosts every run. Each run is a fresh process opening the
same database file (the cached scale-100 demo database: 1,000,000 tool_executions, unless --sqlite):

- Warden: `warden --db FILE` (gui.launcher.main) from this working tree;
- Warden frozen (with --frozen DIST): `DIST/Warden --db FILE`, the windowed executable of the PyInstaller
  folder build_windows.spec makes (dist/Warden); issue 13's goals: at most 2 s to the window and at most
  1.5x DB Browser's time;
- Warden baseline: the same command from a git worktree of --baseline (default bf46654, the commit before
  the start-up work), created under /tmp on first use, with PYTHONPATH pointing at it and the same venv;
- an empty PySide6 QMainWindow (with --floor): what any PySide6 program pays before its window shows;
- DB Browser for SQLite: `sqlitebrowser FILE`.

Time to visible window is from just before the process is spawned until `xdotool search --onlyvisible
--pid PID` sees a mapped window of that process (polled every 10 ms); "CPU to visible" is the CPU time the
process had used when the poll saw the window (from /proc, 10 ms ticks): a busy machine inflates it less
than wall time, but it also counts what the program did between mapping and the poll (Warden starts
opening the database right after its first paint), so it is an upper bound. "Database shown" is until the
window title names the file (Warden sets it when the catalog has loaded; DB Browser when the file is
open). Sides alternate within each round, so drift on the machine hits them alike. The first round is a
warm-up (page cache, fontconfig cache, Python bytecode in a scratch PYTHONPYCACHEPREFIX, as an installed
Warden has it) and is not counted. Settings go to a temporary XDG_CONFIG_HOME and WARDEN_DATA_DIR per
side, kept across that side's runs, as a returning user's would be.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# _common is this folder's module; importing it first puts the repository root on sys.path.
from _common import REPO_ROOT, Table, banner, bench_parser, demo_sqlite, fmt_ms

ISSUE_SCALE = 100
BASELINE_REF = "bf46654"
GOAL_RATIO = 1.2  # Warden's time to a visible window, at most this many times DB Browser's
FROZEN_GOAL_MS = 2000.0  # the frozen build's time to a visible window (issue 13)
FROZEN_GOAL_RATIO = 1.5  # and at most this many times DB Browser's
POLL_S = 0.010
LAUNCH = "import sys; from gui.launcher import main; sys.exit(main(['--db', sys.argv[1]]))"
# The floor for any PySide6 program: an empty QMainWindow titled with the file's name, nothing else.
EMPTY_WINDOW = (
    "import sys, pathlib; from PySide6.QtWidgets import QApplication, QMainWindow; app = QApplication([]); "
    "w = QMainWindow(); w.setWindowTitle(pathlib.Path(sys.argv[1]).name); w.resize(1200, 800); w.show(); "
    "sys.exit(app.exec())"
)


@dataclass
class Side:
    """One program under test: how to start it, and its samples in milliseconds."""

    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    title_mark: str  # the window title contains this once the database is shown
    visible: list[float] = field(default_factory=list)
    shown: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # CPU time the process had used when it was visible
    failures: list[str] = field(default_factory=list)


# --- the X server -----------------------------------------------------------------------------------


class Xvfb:
    """A private Xvfb server on a display it picks itself (-displayfd), stopped on exit."""

    def __enter__(self) -> Xvfb:
        read_fd, write_fd = os.pipe()
        screen = ["-screen", "0", "1280x1024x24"]
        # -noreset: an X server resets when its last client leaves, refusing connections meanwhile.
        self.proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), *screen, "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()  # written once the server accepts connections
        if not number:
            self.proc.kill()
            raise SystemExit("Xvfb did not start")
        self.display = f":{number}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


# --- one run ----------------------------------------------------------------------------------------


def visible_window(display: str, pid: int) -> str | None:
    """The id of a mapped window of process `pid`, if there is one yet."""
    out = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--pid", str(pid)],
        capture_output=True, text=True, env={**os.environ, "DISPLAY": display},
    ).stdout.split()  # fmt: skip
    return out[0] if out else None


def window_title(display: str, window: str) -> str:
    """The window's title ('' if it is gone)."""
    return subprocess.run(
        ["xdotool", "getwindowname", window],
        capture_output=True, text=True, env={**os.environ, "DISPLAY": display},
    ).stdout.strip()  # fmt: skip


def cpu_ms(pid: int) -> float:
    """User + system CPU time of process `pid` (all its threads) so far, in ms (clock-tick resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")  # utime, stime


def run_once(side: Side, display: str, timeout: float) -> tuple[float, float | None, float]:
    """Start `side`, wait for its visible window and then for the database in its title; ms each, and
    the CPU time it had used when its window was seen (which the machine's load does not inflate)."""
    env = {**side.env, "DISPLAY": display}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        side.command, cwd=side.cwd, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        window = None
        while window is None:
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
                raise RuntimeError(f"exited with {proc.returncode}: {err.splitlines()[-1:] or ''}")
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"no visible window after {timeout:g} s")
            window = visible_window(display, proc.pid)
            if window is None:
                time.sleep(POLL_S)
        visible = (time.perf_counter() - t0) * 1000
        cpu = cpu_ms(proc.pid)
        shown: float | None = None
        while time.perf_counter() - t0 < timeout:
            if side.title_mark in window_title(display, window):
                shown = (time.perf_counter() - t0) * 1000
                break
            time.sleep(POLL_S)
        return visible, shown, cpu
    finally:
        with_group_signal(proc, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with_group_signal(proc, signal.SIGKILL)
            proc.wait(10)
        if proc.stderr:
            proc.stderr.close()


def with_group_signal(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Send `sig` to the run's own process group (the program and anything it started)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


# --- the sides --------------------------------------------------------------------------------------


def baseline_tree(ref: str) -> Path:
    """A detached git worktree of `ref` under /tmp, made on first use."""
    tree = Path(tempfile.gettempdir()) / f"warden-startup-{ref}"
    if not (tree / "gui" / "launcher.py").exists():
        print(f"  git worktree add {tree} {ref}", flush=True)
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), ref],
            cwd=REPO_ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return tree


def make_sides(
    db: Path, baseline: str | None, scratch: Path, floor: bool, frozen: Path | None = None
) -> list[Side]:
    """Warden (this tree), the Warden baseline, the frozen build and the empty PySide6 window (if asked)
    and DB Browser, each with its own settings."""
    dropped = ("QT_QPA_PLATFORM", "PYTHONPATH", "WAYLAND_DISPLAY")  # every side runs on the Xvfb display
    base_env = {k: v for k, v in os.environ.items() if k not in dropped}
    base_env["HF_HUB_OFFLINE"] = "1"

    def env_for(key: str, **extra: str) -> dict[str, str]:
        folder = scratch / key
        for sub in ("config", "data", "logs"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            **base_env, "XDG_CONFIG_HOME": str(folder / "config"), "WARDEN_DATA_DIR": str(folder / "data"),
            "WARDEN_LOG_DIR": str(folder / "logs"), **extra,
        }  # fmt: skip

    python = sys.executable
    warden_mark = " — Warden"
    # An installed Warden runs from compiled bytecode (pip and PyInstaller both ship it); a checkout with
    # PYTHONDONTWRITEBYTECODE would compile every module on every start. The warm-up round writes the
    # bytecode to a folder of its own, never beside the sources.
    base_env.pop("PYTHONDONTWRITEBYTECODE", None)
    new_env = env_for("new", PYTHONPYCACHEPREFIX=str(scratch / "new" / "pycache"))
    sides = [Side("Warden", [python, "-c", LAUNCH, str(db)], REPO_ROOT, new_env, warden_mark)]
    if baseline:
        tree = baseline_tree(baseline)
        env = env_for("base", PYTHONPATH=str(tree), PYTHONPYCACHEPREFIX=str(scratch / "base" / "pycache"))
        sides.append(Side(f"Warden {baseline}", [python, "-c", LAUNCH, str(db)], tree, env, warden_mark))
    if frozen is not None:
        # the frozen app runs its own bytecode from the bundle; nothing of this tree is on its path
        sides.append(Side("Warden frozen", [str(frozen / "Warden"), "--db", str(db)], scratch,
                          env_for("frozen"), warden_mark))  # fmt: skip
    if floor:
        env = env_for("floor", PYTHONPYCACHEPREFIX=str(scratch / "floor" / "pycache"))
        sides.append(Side("empty PySide6", [python, "-c", EMPTY_WINDOW, str(db)], scratch, env, db.name))
    sqlitebrowser = shutil.which("sqlitebrowser")
    assert sqlitebrowser is not None  # checked in main()
    sides.append(Side("DB Browser", [sqlitebrowser, str(db)], scratch, env_for("dbb"), db.name))
    return sides


# --- report -----------------------------------------------------------------------------------------


def median(values: list[float]) -> float | None:
    """The median, or None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def ratio(a: float | None, b: float | None) -> str:
    """a / b as '1.23×', or '—'."""
    return f"{a / b:.2f}×" if a is not None and b else "—"


def report(sides: list[Side]) -> str:
    """Medians, spread and ratios against DB Browser (the last side)."""
    ref = sides[-1]
    table = Table([
        "", "visible: median", "min", "max", "ratio", "CPU to visible", "ratio", "database shown: median",
        "ratio", "runs",
    ])  # fmt: skip
    for side in sides:
        v, s, c = median(side.visible), median(side.shown), median(side.cpu)
        low, high = min(side.visible, default=None), max(side.visible, default=None)
        table.add(
            side.name, fmt_ms(v), fmt_ms(low), fmt_ms(high), ratio(v, median(ref.visible)),
            fmt_ms(c), ratio(c, median(ref.cpu)),
            fmt_ms(s), ratio(s, median(ref.shown)), len(side.visible),
        )  # fmt: skip
    return table.render()


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start Xvfb, run every side --repeat times (after one warm-up round), report."""
    parser = bench_parser(__doc__, ISSUE_SCALE)
    add = parser.add_argument
    add("--repeat", type=int, default=7, help="counted runs per side, each a fresh process")
    add("--timeout", type=float, default=60.0, help="seconds a run may take to show its window")
    add("--baseline", default=BASELINE_REF, help="git ref of the Warden to compare with")
    add("--no-baseline", dest="baseline", action="store_const", const=None, help="skip the baseline")
    add("--floor", action="store_true", help="also time an empty PySide6 window (the floor for Warden)")
    add("--frozen", type=Path, help="also time the PyInstaller build in this folder (e.g. dist/Warden)")
    args = parser.parse_args(argv)
    missing = [tool for tool in ("Xvfb", "xdotool", "sqlitebrowser") if shutil.which(tool) is None]
    if missing:
        print(f"missing: {', '.join(missing)}; install with: apt-get install -y xvfb xdotool sqlitebrowser")
        return 2

    print(
        f"Warden start-up bench — Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start"
    )
    print(banner("Setup"))
    db = args.sqlite.resolve() if args.sqlite else demo_sqlite(args.scale)
    print(f"  database: {db} ({db.stat().st_size / 2**20:,.0f} MiB)")
    with tempfile.TemporaryDirectory(prefix="warden-startup-") as scratch, Xvfb() as xvfb:
        frozen = args.frozen.resolve() if args.frozen else None
        if frozen is not None and not (frozen / "Warden").is_file():
            print(f"no executable Warden in {frozen}: pyinstaller --noconfirm build_windows.spec makes it")
            return 2
        sides = make_sides(db, args.baseline, Path(scratch), args.floor, frozen)
        print(f"  Xvfb on {xvfb.display}; {args.repeat} counted runs per side after one warm-up round")
        print(banner("Runs (ms: visible window / database shown (CPU used when visible))"))
        for i in range(args.repeat + 1):
            cells = []
            for side in sides:  # alternate, so drift on the machine hits every side alike
                try:
                    visible, shown, cpu = run_once(side, xvfb.display, args.timeout)
                except RuntimeError as exc:
                    side.failures.append(str(exc))
                    cells.append(f"{side.name}: failed")
                    continue
                if i > 0:
                    side.visible.append(visible)
                    side.cpu.append(cpu)
                    if shown is not None:
                        side.shown.append(shown)
                cells.append(f"{side.name} {fmt_ms(visible)} / {fmt_ms(shown)} (cpu {fmt_ms(cpu)})")
            label = "warm-up" if i == 0 else f"run {i}"
            print(f"  {label:<8} " + "   ".join(cells), flush=True)
    for side in sides:
        for failure in side.failures:
            print(f"  {side.name} failed: {failure}")
    print(banner("Time to a visible window (and the CPU used by then), and to the database in the title"))
    print(report(sides))
    warden, dbb = median(sides[0].visible), median(sides[-1].visible)
    ok = warden is not None and dbb is not None and warden <= GOAL_RATIO * dbb
    print(
        f"\ngoal: Warden's time to a visible window ≤ {GOAL_RATIO}× DB Browser's: "
        f"{ratio(warden, dbb)} {'PASS' if ok else 'MISS'}"
    )
    frozen_side = next((side for side in sides if side.name == "Warden frozen"), None)
    if frozen_side is not None:
        f = median(frozen_side.visible)
        fast = f is not None and f <= FROZEN_GOAL_MS
        near = f is not None and dbb is not None and f <= FROZEN_GOAL_RATIO * dbb
        print(
            f"goal: the frozen build's time to a visible window ≤ {FROZEN_GOAL_MS / 1000:g} s: "
            f"{fmt_ms(f)} {'PASS' if fast else 'MISS'}; ≤ {FROZEN_GOAL_RATIO}× DB Browser's: "
            f"{ratio(f, dbb)} {'PASS' if near else 'MISS'}; against from source: {ratio(f, warden)}"
        )
        ok = ok and fast and near
    print(f"load average at end: {os.getloadavg()[0]:.2f} (timings on a busy machine are noisier)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
