"""The script directory: Alembic's Config built in code, revisions, and the plan of an upgrade or downgrade.

Every function takes an optional `scripts` folder (holding env.py and versions/), or an external project's
alembic.ini; None means the revisions shipped with Warden. Tests point it at a fixture chain. An external
project's code runs only in a separate process (core/migrate/project.py), never in Warden's own.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import MultipleHeads as AlembicMultipleHeads
from alembic.script.revision import ResolutionError, RevisionError
from alembic.util import CommandError

import migrations as _env
from core.errors import MigrationFailed, NotFoundError

VERSION_TABLE = "alembic_version"
DIALECTS = ("sqlite", "postgresql")


class MultipleHeads(MigrationFailed):
    """ "head" names more than one revision: the caller picks one of `heads` (or "heads" for all)."""

    def __init__(self, message: str, heads: list[str]) -> None:
        super().__init__(message)
        self.heads = heads


@dataclass(frozen=True)
class Revision:
    """One revision: its id, parents, message (first docstring line) and whole docstring."""

    revision: str
    down_revision: tuple[str, ...]
    doc: str
    is_head: bool
    is_current: bool = False
    docstring: str = ""


def alembic_config(
    connection: sa.Connection | None = None,
    *,
    url: str | None = None,
    dialect_name: str | None = None,
    output: io.StringIO | None = None,
    on_version_apply: Sequence[Callable[..., None]] = (),
    scripts: Path | None = None,
) -> Config:
    """An Alembic Config built in code, script location from the installed package; or, when `scripts` is an
    external project's alembic.ini (core/migrate/project.py), that file with its script location made
    absolute and its `sqlalchemy.url` replaced by the database Warden works on."""
    if scripts is not None and scripts.suffix == ".ini":
        cfg = Config(str(scripts), output_buffer=output, stdout=io.StringIO())
        cfg.set_main_option(
            "script_location", project_scripts(scripts, cfg.get_main_option("script_location"))
        )
        if url is None and connection is not None:
            url = connection.engine.url.render_as_string(hide_password=False)
        elif url is None and dialect_name is not None:
            url = f"{dialect_name}://"  # offline SQL: the project's env.py only needs the dialect
    else:
        cfg = Config(output_buffer=output, stdout=io.StringIO())
        cfg.set_main_option("script_location", str(scripts or _env.script_location()))
        cfg.set_main_option("path_separator", "os")
    if url is not None:
        # Without a shared connection env.py opens this URL itself; ConfigParser needs % doubled.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    # Sharing a Connection (Alembic cookbook): env.py runs on it instead of opening its own.
    cfg.attributes["connection"] = connection
    cfg.attributes["dialect_name"] = dialect_name
    cfg.attributes["on_version_apply"] = tuple(on_version_apply)
    return cfg


def project_scripts(ini: Path, location: str | None) -> str:
    """An alembic.ini's script_location, relative paths taken from the ini's folder (package:path as is)."""
    if not location:
        raise MigrationFailed(f"{ini} names no script_location in its [alembic] section.")
    path = Path(location)
    if path.is_absolute() or (":" in location and not path.drive):
        return location
    return str(ini.parent / path)


def script_directory(scripts: Path | None = None) -> ScriptDirectory:
    """The revisions of `scripts` (default: those shipped with Warden)."""
    return ScriptDirectory.from_config(alembic_config(scripts=scripts))


def to_revision(script: Any, head_ids: set[str], at: set[str]) -> Revision:
    """A plain Revision from Alembic's Script."""
    return Revision(
        revision=script.revision,
        down_revision=down_revisions(script),
        doc=(script.doc or "").strip(),
        is_head=script.revision in head_ids,
        is_current=script.revision in at,
        docstring=(getattr(script.module, "__doc__", None) or "").strip(),
    )


def down_revisions(script: Any) -> tuple[str, ...]:
    """A revision's parents as a tuple (Alembic gives None, a string or a tuple)."""
    down = script.down_revision
    return tuple(down) if isinstance(down, list | tuple) else ((down,) if down else ())


def unknown(revision: str) -> NotFoundError:
    """The error for a revision the scripts do not have."""
    return NotFoundError(f"Unknown revision {revision!r}: run `warden migrate history` to list them")


def resolve(script: ScriptDirectory, revision: str) -> str | None:
    """The full id of a revision given by id, prefix or head/base; unknown ones raise NotFoundError."""
    try:
        found = script.get_revisions(revision)
    except AlembicMultipleHeads:
        raise multiple_heads(script, revision) from None
    except (CommandError, RevisionError):
        raise unknown(revision) from None
    return getattr(found[0], "revision", None) if found else None


def multiple_heads(script: ScriptDirectory, revision: str) -> MultipleHeads:
    """The error for "head" when the scripts have several: it names them so the caller can offer them."""
    heads = sorted(script.get_heads())
    return MultipleHeads(
        f"{revision!r} is ambiguous: the scripts have {len(heads)} heads ({', '.join(heads)}); "
        'pick one of them, or "heads" for all.',
        heads,
    )


def steps(script: ScriptDirectory, verb: str, revision: str, before: list[str]) -> list[Any]:
    """Alembic's own plan for the command: the very steps command.upgrade/downgrade will run."""
    # Alembic passes the tuple of current heads here itself; its annotations say str.
    heads_now: Any = tuple(before)
    if verb == "upgrade":
        return list(script._upgrade_revs(revision, heads_now))
    return list(script._downgrade_revs(revision, heads_now or None))


def plan(script: ScriptDirectory, verb: str, revision: str, before: list[str]) -> list[str]:
    """Revision ids the command would apply or undo, in order; unknown targets raise NotFoundError."""
    try:
        found = steps(script, verb, revision, before)
    except AlembicMultipleHeads:
        raise multiple_heads(script, revision) from None
    except (CommandError, RevisionError) as exc:
        if isinstance(exc, ResolutionError) or "Can't locate" in str(exc):
            raise unknown(revision) from None
        if "Multiple head" in str(exc):
            raise multiple_heads(script, revision) from None
        where = ", ".join(before) or "no revision"
        raise MigrationFailed(f"Cannot {verb} to {revision!r} from {where}: {exc}") from None
    return [step.revision.revision for step in found]


def check_known(script: ScriptDirectory, at: list[str]) -> None:
    """A database stamped by a newer Warden cannot be migrated by this one."""
    for rev in at:
        try:
            script.get_revision(rev)
        except (CommandError, RevisionError):
            raise NotFoundError(
                f"The database is at revision {rev!r}, which this Warden does not know; "
                "it was migrated by a newer version."
            ) from None


def is_below(script: ScriptDirectory, revision: str, start: str) -> bool:
    """True when `revision` is `start` itself or older: going there from `start` means a downgrade."""
    if revision == "base":
        return True
    target = resolve(script, revision)
    starts = [s for s in start.split(",") if s]
    below: set[str] = set()
    for s in starts:
        below |= {r.revision for r in script.iterate_revisions(s, "base")}
    return target in below
