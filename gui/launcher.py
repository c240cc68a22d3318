"""The `warden` console script: CLI commands go to core.cli; no command opens the GUI."""

from __future__ import annotations

import gc
import io
import sys
from collections.abc import Callable, Sequence

_NOT_JUST_THE_WINDOW = "\0"  # a target no path or URL can be


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch: `warden [--db X]` opens the window, `warden COMMAND …` runs the command line."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if sys.stderr is None:  # the windowed exe has no console: a failure to start must still be seen
        return _shown_in_a_dialog(lambda: _dispatch(argv))
    return _dispatch(argv)


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["__migrate-project"]:  # a frozen build's child for an external Alembic project
        from core.migrate.project_runner import main as run_project

        return run_project()
    if argv[:1] == ["__export-part"]:  # a frozen build's helper process of a two-process export
        from core.data.export_parallel import helper_main

        return helper_main()
    if argv[:1] == ["__copy-digest"]:  # a frozen build's helper process summing a copy's source rows
        from core.migrate.copy_helper import helper_main as sum_copy

        return sum_copy()
    target = _window_target(argv)
    if target != _NOT_JUST_THE_WINDOW:
        return _guarded_gui(target)
    from core import cli

    args = cli.build_parser().parse_args(argv)
    target = getattr(args, "db_sub", None) or args.db
    if args.command == "selftest":
        return cli.guarded(lambda: _selftest(args.json), "selftest")
    if args.command is not None:
        return cli.main(argv)
    if args.profile:  # `warden --profile NAME`: the window on the profile's database, at its level
        if target:
            return cli.guarded(_both_db_and_profile, "gui")
        return cli.guarded(lambda: _open_gui(None, profile=args.profile), "gui")
    return cli.guarded(lambda: _open_gui(target), "gui")


def _both_db_and_profile() -> int:
    from core.errors import WardenError

    raise WardenError("give either --db or --profile, not both")


def _window_target(argv: list[str]) -> str | None:
    """For `warden` or `warden --db X` alone, the target (None: the default database); else a marker.

    That start skips the command line's parser and its imports (about 30 ms before the window shows).
    """
    if not argv:
        return None
    if len(argv) == 2 and argv[0] == "--db" and argv[1] and not argv[1].startswith("-"):
        return argv[1]
    if len(argv) == 1 and argv[0].startswith("--db=") and len(argv[0]) > len("--db="):
        return argv[0][len("--db=") :]
    return _NOT_JUST_THE_WINDOW


def _shown_in_a_dialog(run: Callable[[], int]) -> int:
    """Run with stderr kept in memory; when it fails, show what it would have printed in a dialog.

    The windowed build (PyInstaller, console=False) has no stderr, so the error boundary's one line
    (a bad --db, a locked file, an internal error with the log's path) would otherwise vanish.
    """
    captured = io.StringIO()
    sys.stderr = captured
    try:
        code = run()
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    finally:
        sys.stderr = None  # as the windowed build started
    said = captured.getvalue().strip()
    if code != 0 and said:
        show_start_failure(said.splitlines()[-1].removeprefix("warden: error: "))
    return code


def show_start_failure(message: str) -> None:
    """A modal 'Warden could not start' box with `message` (a QApplication is made if none exists)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    box = QMessageBox(QMessageBox.Icon.Critical, "Warden could not start", message)
    box.setObjectName("startFailure")
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()
    del app


def _guarded_gui(target: str | None) -> int:
    """Open the window; a failure before the event loop goes through the command line's error boundary."""
    try:
        return _open_gui(target)
    except (Exception, KeyboardInterrupt) as exc:
        from core import cli

        failure = exc

        def again() -> int:
            raise failure

        return cli.guarded(again, "gui")


def _open_gui(target: str | None, *, profile: str | None = None) -> int:
    from gui.platform_check import EXIT_NO_WINDOW, display_problem

    found = None
    if profile is not None:
        from core.audit.profiles import find_profile

        found = find_profile(profile)  # an unknown name: one line and exit 2, before any window
    problem = display_problem()
    if problem:  # Qt would abort with a misleading message, past any try/except: say it in one line
        print(problem, file=sys.stderr)
        return EXIT_NO_WINDOW
    if target is None and found is None:
        from core.bootstrap import ensure_default_database
        from core.paths import default_database

        if not default_database().exists():
            print(f"First run: creating the demo database at {default_database()} …", file=sys.stderr)
        target = str(ensure_default_database())
    # Start-up makes many objects and few cycles: collecting them costs ~5% of the time to the window.
    # gui.app.main turns collection back on once the window has painted.
    gc.disable()
    from gui.app import main as gui_main

    return gui_main(target, profile=found)


def _selftest(as_json: bool) -> int:
    """The seven steps of the selftest, the window's included (gui/selftest.py), offscreen."""
    from core.cli.selftest import run_command
    from gui.selftest import run_gui_selftest

    return run_command(run_gui_selftest, as_json)


if __name__ == "__main__":
    sys.exit(main())
