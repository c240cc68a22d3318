"""The `warden` argument parser, built from the command modules: each adds its own subcommand."""

from __future__ import annotations

import argparse
from typing import Any, Protocol

from core.cli import audit, copy, demo, embed, export, graph, inspect, migrate, profile, search, selftest


class CommandModule(Protocol):
    """What a command's module offers: its arguments, and running it on the --db target."""

    def add_parser(self, sub: Any) -> None:
        """Add the command's subparser to `sub` (argparse's subparsers action)."""

    def run(self, args: argparse.Namespace, target: str | None) -> int:
        """Run the command; its exit code."""


#: The commands by name, in the order `warden --help` lists them.
COMMANDS: dict[str, CommandModule] = {
    "demo": demo,
    "migrate": migrate,
    "copy": copy,
    "inspect": inspect,
    "export": export,
    "graph": graph,
    "search": search,
    "embed": embed,
    "audit": audit.listing,
    "revert": audit.reverting,
    "selftest": selftest,
    "profile": profile,
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    p = argparse.ArgumentParser(prog="warden", description="Browse and edit an application's database.")
    p.add_argument("--db", help="SQLAlchemy URL or SQLite file path (default: the embedded demo database)")
    p.add_argument("--profile", metavar="NAME", help="a saved connection profile (warden profile list)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(sub)
    return p
