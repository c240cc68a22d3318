"""Connection profiles: a name, a target (a SQLite path or a PostgreSQL URL without password) and a
protection level, shared by the GUI and the CLI in the data folder's profiles.json.

A read-only profile opens a read-only session: the database itself refuses writes (core/engine/db.py), so
no code path can write through it, only an elevation (core/audit/elevation.py) reopens it writable. The
file never holds a password: a PostgreSQL password lives in the OS keyring (core/audit/secrets.py).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast, get_args

from core import paths
from core.audit.secrets import fetch_password
from core.errors import NotFoundError, WardenError

if TYPE_CHECKING:
    from core.engine.db import Database

__all__ = [
    "LEVELS",
    "PROFILES_FILE",
    "Level",
    "Profile",
    "connect_target",
    "default_level",
    "find_profile",
    "load_profiles",
    "make_profile",
    "open_profile",
    "profiles_path",
    "remove_profile",
    "save_profile",
]

log = logging.getLogger("warden.profiles")

Level = Literal["read-only", "confirm", "editor"]
LEVELS: tuple[Level, ...] = get_args(Level)
PROFILES_FILE = "profiles.json"
#: How many known names a "no such profile" message lists.
NAMES_SHOWN = 10


@dataclass(frozen=True)
class Profile:
    """One named connection: where it goes and how much it may change."""

    name: str
    target: str  # SQLite path or PostgreSQL URL WITHOUT password
    level: Level
    account: str = ""  # keyring account for a PostgreSQL password (user@host:port/db), "" for SQLite

    @property
    def writes(self) -> bool:
        """Whether the profile may write without an elevation (confirm and editor may)."""
        return self.level != "read-only"

    @property
    def is_postgresql(self) -> bool:
        """Whether the target is a PostgreSQL URL (else a SQLite file)."""
        from core.engine.connections import is_pg_url

        return is_pg_url(self.target)


def default_level(target: str) -> Level:
    """The level a new profile gets: read-only for PostgreSQL (a shared server), editor for a SQLite file."""
    from core.engine.connections import is_pg_url

    return "read-only" if is_pg_url(target) else "editor"


def make_profile(name: str, target: str, level: Level | None = None) -> tuple[Profile, str | None]:
    """A profile for `target`, and the password the target carried (stripped from it: keep it in the
    keyring, never in the profile). The level defaults to default_level."""
    from core.engine.connections import is_pg_url, parse_pasted_url

    name, text = name.strip(), target.strip()
    if not name:
        raise WardenError("A profile needs a name.")
    if not text:
        raise WardenError("A profile needs a database: a SQLite file path or a PostgreSQL URL.")
    chosen = _level(level if level is not None else default_level(text))
    if not is_pg_url(text):
        if "://" in text:
            raise WardenError("A profile's database is a SQLite file path or a PostgreSQL URL.")
        return Profile(name, str(Path(text).expanduser()), chosen), None
    pg, password = parse_pasted_url(text)
    return Profile(name, pg.url(), chosen, pg.account), password


def _level(value: str) -> Level:
    if value not in LEVELS:
        raise WardenError(f"A profile's level is one of {', '.join(LEVELS)}, not '{value}'.")
    return value


# --- the profiles file ----------------------------------------------------------------------------------


def profiles_path() -> Path:
    """Where the profiles are kept: profiles.json in the user data folder."""
    return paths.data_dir() / PROFILES_FILE


def load_profiles() -> list[Profile]:
    """Every saved profile, in the order they were added; none when the file is absent or unreadable."""
    path = profiles_path()
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, type(exc).__name__)
        return []
    items = doc.get("profiles", []) if isinstance(doc, dict) else []
    out: list[Profile] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        target, level = item.get("target"), item.get("level")
        if not isinstance(target, str) or level not in LEVELS:
            continue
        out.append(Profile(item["name"], target, cast(Level, level), str(item.get("account") or "")))
    return out


def save_profile(p: Profile) -> None:
    """Add `p`, or replace the profile of the same name (it keeps its place)."""
    from core.engine.connections import is_pg_url, parse_pasted_url

    if not p.name.strip():
        raise WardenError("A profile needs a name.")
    _level(p.level)
    if is_pg_url(p.target) and parse_pasted_url(p.target)[1] is not None:
        # The file is plain text in the user's folder: a password belongs in the keyring.
        raise WardenError(f"Profile '{p.name}': keep the password in the keyring, not in the URL.")
    profiles = load_profiles()
    names = [q.name for q in profiles]
    if p.name in names:
        profiles[names.index(p.name)] = p
    else:
        profiles.append(p)
    _write(profiles)


def remove_profile(name: str) -> None:
    """Forget the profile `name` (its keyring password stays: another profile may use the account)."""
    profiles = load_profiles()
    kept = [p for p in profiles if p.name != name]
    if len(kept) == len(profiles):
        find_profile(name)  # raises NotFoundError naming the known profiles
    _write(kept)


def find_profile(name: str) -> Profile:
    """The profile named `name`, or NotFoundError listing the known names."""
    profiles = load_profiles()
    for p in profiles:
        if p.name == name:
            return p
    names = [p.name for p in profiles]
    if not names:
        raise NotFoundError(f"There is no profile '{name}': no profiles are saved yet (warden profile add).")
    shown = ", ".join(names[:NAMES_SHOWN]) + (
        f" and {len(names) - NAMES_SHOWN} more" if len(names) > NAMES_SHOWN else ""
    )
    raise NotFoundError(f"There is no profile '{name}'. Known profiles: {shown}.")


def _write(profiles: list[Profile]) -> None:
    """Replace the file in one step (a crash leaves the old file or the new one, never half of one)."""
    path = profiles_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": 1, "profiles": [asdict(p) for p in profiles]}, indent=2, ensure_ascii=False)
    fd, tmp = tempfile.mkstemp(prefix=".profiles-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- opening --------------------------------------------------------------------------------------------


def open_profile(p: Profile, *, elevated: bool = False, password: str | None = None) -> Database:
    """Open the profile's database: a read-only session for a read-only profile unless `elevated`.

    The read-only session is the database's own refusal (SQLite mode=ro and query_only, PostgreSQL
    default_transaction_read_only), not a check in Warden's code. A PostgreSQL password comes from
    `password`, else the keyring.
    """
    from core.engine.db import open_database

    db = open_database(connect_target(p, password=password), read_only=not p.writes and not elevated)
    db.profile = p.name
    return db


def connect_target(p: Profile, *, password: str | None = None) -> str:
    """What to open for `p`: its SQLite path, or its URL with the password (`password`, else the keyring's).
    It carries a secret: pass it to open_database only, never show or log it."""
    if not p.is_postgresql:
        return p.target
    from core.engine.db import to_url

    secret = password if password is not None else (fetch_password(p.account) if p.account else None)
    url = to_url(p.target)
    if secret:
        url = url.set(password=secret)
    return url.render_as_string(hide_password=False)
