"""The `warden` command line: a thin layer over core, one module per command (demo, migrate, inspect,
export, selftest). Errors a user can act on are one line on stderr (boundary.py)."""

from __future__ import annotations

from collections.abc import Sequence

from core.cli.boundary import EXIT_USER_ERROR, fail, guarded
from core.cli.parser import COMMANDS, build_parser
from core.cli.targets import run_on_target

__all__ = ["COMMANDS", "EXIT_USER_ERROR", "build_parser", "guarded", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command (the GUI itself is started by gui.launcher, which calls this for commands)."""
    args = build_parser().parse_args(argv)
    if args.command is None:
        return fail("no command given; run `warden --help` (the `warden` launcher opens the GUI)")
    return guarded(lambda: run_on_target(COMMANDS[args.command].run, args), args.command)
