"""The core calls of unlocking, locking again and the confirm level's SQL, run on workers (each imports its
core module when it runs, off the GUI thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.audit.elevation import Elevation
    from core.audit.profiles import Profile
    from core.engine.db import Database
    from core.schema.catalog import Catalog


def profile_of(db: Database, name: str | None) -> Profile:
    """The profile `db` was opened with, or one made for it (a file or URL opened without a profile)."""
    from core.audit.profiles import find_profile, make_profile
    from core.errors import NotFoundError

    if name:
        try:
            return find_profile(name)
        except NotFoundError:
            pass  # removed since it was opened: the open database's own target
    profile, _ = make_profile(name or db.display_url, target_of(db), "read-only")
    return profile


def target_of(db: Database) -> str:
    """The open database as a profile's target: a SQLite path, or a PostgreSQL URL without its password."""
    if db.backend != "postgresql":
        return str(db.url.database)
    return db.url.set(password=None).render_as_string(hide_password=False)


def open_profile(profile: Profile, target: str) -> Database:
    """core.audit.profiles.open_profile at its level, imported on the calling (worker) thread; `target` is
    the profile's target with the password the person typed or the keyring gave (a URL), if any."""
    from core.audit.profiles import open_profile as open_
    from core.engine.db import to_url

    password = to_url(target).password if profile.is_postgresql else None
    db = open_(profile, password=str(password) if password is not None else None)
    db.profile = profile.name or None  # a connection the dialog did not save as a profile names none
    return db


def unlock(
    current: Database, name: str | None, reason: str, minutes: int | None, create_log: bool = False
) -> tuple[Database, Elevation]:
    """Reopen `current` writable and write the unlock to its audit log (core.audit.elevation.elevate);
    with `create_log`, a database without an audit log gets one first (the person agreed to it)."""
    from core.audit.consent import ensure_audit_table
    from core.audit.elevation import elevate
    from core.audit.profiles import open_profile as open_

    profile = profile_of(current, name)
    db = open_(profile, elevated=True, password=current.url.password)
    db.profile = name or None  # an open without a profile stays one (messages name no profile)
    try:
        if create_log:
            ensure_audit_table(db)
        return db, elevate(db, profile, reason, minutes=minutes, level="confirm")  # saves confirm
    except BaseException:
        db.dispose()  # not unlocked: the writable connection goes, the read-only one stays
        raise


def relock(current: Database, name: str | None) -> Database:
    """`current` reopened read-only, as its profile opens it."""
    from core.audit.profiles import open_profile as open_

    profile = profile_of(current, name)
    read_only = type(profile)(profile.name, profile.target, "read-only", profile.account)
    db = open_(read_only, password=current.url.password)
    db.profile = name or None
    return db


def save_statements(db: Database, catalog: Catalog, changes: list[Any]) -> list[str]:
    """core.data.save_sql.save_statements, imported on the calling (worker) thread."""
    from core.data.save_sql import save_statements as statements

    return statements(db, catalog, changes)
