"""`warden profile`: list, add and remove connection profiles (a name, a database, a protection level).

Profiles live in the data folder's profiles.json, shared with the GUI; a PostgreSQL password goes to the
OS keyring, never to the file, the screen or the log. Every command takes `--profile NAME`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.errors import WardenError

LEVEL_CHOICES = ("read-only", "confirm", "editor")


def add_parser(sub: Any) -> None:
    """The `profile` subcommand and its actions."""
    p = sub.add_parser(
        "profile",
        help="list, add or remove connection profiles (use one with --profile NAME)",
        description=(
            "A profile names a database and a protection level: read-only (the default for PostgreSQL; the "
            "database refuses every write), confirm, or editor (the default for a SQLite file). A "
            "PostgreSQL password is kept in the OS keyring, never in the profiles file."
        ),
    )
    actions = p.add_subparsers(dest="profile_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the saved profiles")
    listing.add_argument("--json", action="store_true", help="print JSON")
    add = actions.add_parser("add", help="add a profile, or replace the one of that name")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--db", dest="profile_db", required=True, metavar="URL|PATH", help="its database")
    add.add_argument("--level", choices=LEVEL_CHOICES, help="default: read-only for PostgreSQL, else editor")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the PostgreSQL password from the first line of stdin and keep it in the keyring",
    )
    remove = actions.add_parser("remove", help="forget a profile (and its password, if no other uses it)")
    remove.add_argument("name", metavar="NAME")


def run(args: argparse.Namespace, target: str | None) -> int:
    """List, add or remove profiles."""
    if args.profile_action == "list":
        return _list(as_json=args.json)
    if args.profile_action == "add":
        return _add(args)
    return _remove(args.name)


def _list(*, as_json: bool) -> int:
    from core.audit.profiles import load_profiles
    from core.audit.secrets import fetch_password
    from core.engine.connections import display_safe

    rows = [
        {
            "name": p.name,
            "level": p.level,
            "target": display_safe(p.target),
            "account": p.account,
            # Whether one is kept, never what it is.
            "password_kept": bool(p.account) and fetch_password(p.account) is not None,
        }
        for p in load_profiles()
    ]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no profiles (add one: warden profile add NAME --db URL|PATH)")
        return 0
    width = max(len(str(r["name"])) for r in rows)
    for r in rows:
        kept = "  (password in the keyring)" if r["password_kept"] else ""
        print(f"{r['name']:<{width}}  {r['level']:<9}  {r['target']}{kept}")
    return 0


def _add(args: argparse.Namespace) -> int:
    from core.audit.profiles import make_profile, save_profile
    from core.audit.secrets import keyring_problem, store_password

    profile, in_url = make_profile(args.name, args.profile_db, args.level)
    password = in_url
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n") or None
    if password is not None:
        if not profile.account:
            raise WardenError("A SQLite file has no password: --password-stdin is for PostgreSQL profiles.")
        problem = keyring_problem()
        if problem is not None:
            # Kept in memory only, it would be gone when this command ends: say so instead of pretending.
            raise WardenError(
                "No system keyring is available, so the password cannot be kept; nothing was saved. "
                "Add the profile without a password (libpq's .pgpass or PGPASSWORD can supply it)."
            )
        store_password(profile.account, password)
    save_profile(profile)
    where = "; password in the keyring" if password is not None else ""
    from core.engine.connections import display_safe

    print(f"Saved profile '{profile.name}' ({profile.level}): {display_safe(profile.target)}{where}")
    return 0


def _remove(name: str) -> int:
    from core.audit.profiles import find_profile, load_profiles, remove_profile
    from core.audit.secrets import forget_password

    profile = find_profile(name)
    remove_profile(name)
    if profile.account and all(p.account != profile.account for p in load_profiles()):
        forget_password(profile.account)
    print(f"Removed profile '{name}'.")
    return 0
