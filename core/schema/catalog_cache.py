"""The catalog of a database, cached per database and per version of its schema: a reopen is instant.

A catalog is kept in this process (the last few databases) and in a file under the user data folder, and
used again only while three things are unchanged:

- the database: a SQLite file's resolved path; PostgreSQL's server, database and user;
- its schema: `PRAGMA schema_version` and a hash of `sqlite_master` on SQLite; on PostgreSQL a fingerprint
  of the system catalogs (see PG_FINGERPRINT) — no trigger or table is ever added to someone's database;
- Warden's catalog code (the compiled code of core/schema and core/types, and the library versions), and
  what Warden could do with the database when it was opened (its capabilities).

The schema is fingerprinted before the catalog is built: a change made meanwhile leaves an old fingerprint
on a new catalog, which only costs a rebuild on the next open, never a stale catalog.

What reflection guessed from the data (JSON kept in TEXT, BLOB vectors) stays as it was first guessed until
the schema changes: the guess is the schema's, not a row's. A cache file that cannot be read, or was written
by another Warden, is ignored and written again; the cache never fails an open.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import logging
import marshal
import os
import pickle
import pkgutil
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from core.engine.db import Database
from core.paths import data_dir

if TYPE_CHECKING:  # the catalog's code is loaded by the first catalog built or read: `warden inspect` loads
    # it while the server works out the schema's stamp
    from core.schema.catalog import Catalog

log = logging.getLogger("warden.catalog_cache")

FOLDER = "catalog-cache"
FORMAT = 2  # bumped when the file's layout changes
MEMORY_SLOTS = 4  # databases whose catalogs this process keeps
FILES_KEPT = 64  # cache files kept on disk; the least recently written go first

#: One row that changes with every committed DDL a catalog could see. Per system catalog: its row count and
#: the sum of its rows' xmin (the transaction that wrote each row version). Any committed insert, update or
#: delete changes the pair: a new row version's xmin is newer (larger) than every row the cache saw, so with
#: equal counts the sum can only grow. Temporary objects (pg_temp_* schemas) are left out, so another
#: session's temp tables do not throw the cache away; VACUUM and ANALYZE update pg_class in place (same
#: xmin) and leave it alone. Role memberships (a shared catalog) change what the user can see.
PG_FINGERPRINT = """
with temp_ns as (
    select oid from pg_catalog.pg_namespace where nspname ~ '^pg_(toast_)?temp_'
), rels as (
    select oid, xmin from pg_catalog.pg_class where relnamespace not in (select oid from temp_ns)
), tally(part) as (
    select count(*) || '/' || coalesce(sum(xmin::text::bigint), 0) from rels
    union all select count(*) || '/' || coalesce(sum(a.xmin::text::bigint), 0)
        from pg_catalog.pg_attribute a where a.attrelid in (select oid from rels)
    union all select count(*) || '/' || coalesce(sum(d.xmin::text::bigint), 0)
        from pg_catalog.pg_attrdef d where d.adrelid in (select oid from rels)
    union all select count(*) || '/' || coalesce(sum(c.xmin::text::bigint), 0)
        from pg_catalog.pg_constraint c where c.connamespace not in (select oid from temp_ns)
    union all select count(*) || '/' || coalesce(sum(i.xmin::text::bigint), 0)
        from pg_catalog.pg_index i where i.indrelid in (select oid from rels)
    union all select count(*) || '/' || coalesce(sum(r.xmin::text::bigint), 0)
        from pg_catalog.pg_rewrite r where r.ev_class in (select oid from rels)
    union all select count(*) || '/' || coalesce(sum(h.xmin::text::bigint), 0)
        from pg_catalog.pg_inherits h where h.inhrelid in (select oid from rels)
    union all select count(*) || '/' || coalesce(sum(t.xmin::text::bigint), 0)
        from pg_catalog.pg_type t where t.typnamespace not in (select oid from temp_ns)
    union all select count(*) || '/' || coalesce(sum(xmin::text::bigint), 0) from pg_catalog.pg_enum
    union all select count(*) || '/' || coalesce(sum(xmin::text::bigint), 0) from pg_catalog.pg_namespace
    union all select count(*) || '/' || coalesce(sum(xmin::text::bigint), 0) from pg_catalog.pg_auth_members
)
select current_database(), current_user, current_setting('search_path'), string_agg(part, ' ')
from tally
"""


@dataclass
class CacheStats:
    """What the cache did in this process: catalogs built, and catalogs found in memory or on disk."""

    builds: int = 0
    memory_hits: int = 0
    disk_hits: int = 0


@dataclass(frozen=True)
class Stamp:
    """Which database a catalog describes (`database`) and the version of everything it depends on."""

    database: str
    version: str


stats = CacheStats()
_memory: OrderedDict[str, tuple[str, Catalog]] = OrderedDict()
_lock = threading.Lock()


def cached_catalog(
    db: Database,
    build: Callable[[Database], Catalog],
    *,
    stamp_given: Callable[[], Stamp | None] | None = None,
) -> Catalog:
    """The catalog of `db`: the cached one while its schema is unchanged, else `build(db)` (then cached).

    `stamp_given` gives stamp_of(db) when the caller asked for it before (its query ran meanwhile).
    """
    stamp = stamp_given() if stamp_given is not None else stamp_of(db)
    if stamp is None:  # an in-memory database: nothing to find it by again
        with _lock:
            stats.builds += 1
        return build(db)
    with _lock:
        held = _memory.get(stamp.database)
        if held is not None and held[0] == stamp.version:
            _memory.move_to_end(stamp.database)
            stats.memory_hits += 1
            return held[1]
    catalog = _read_file(stamp)
    if catalog is not None:
        with _lock:
            stats.disk_hits += 1
    else:
        catalog = build(db)
        with _lock:
            stats.builds += 1
        _write_file(stamp, catalog)
    _remember(stamp, catalog)
    return catalog


def forget() -> None:
    """Drop the catalogs held in this process (the files stay)."""
    with _lock:
        _memory.clear()


def stamp_of(db: Database) -> Stamp | None:
    """The database's identity and its schema's version (one cheap query); None for an in-memory database."""
    if db.backend == "sqlite":
        path = db.url.database or ""
        if path in ("", ":memory:") or path.startswith("file:"):
            return None
        database = f"sqlite:{Path(path).resolve()}"
        schema = _sqlite_fingerprint(db)
    else:
        database = db.url.set(password=None).render_as_string(hide_password=True)
        schema = _pg_fingerprint(db)
    capabilities = json.dumps(db.capabilities.as_dict(), sort_keys=True, default=str)
    version = hashlib.sha256(f"{code_version()}\n{capabilities}\n{schema}".encode()).hexdigest()
    return Stamp(database, version)


def _sqlite_fingerprint(db: Database) -> str:
    """PRAGMA schema_version (bumped by every DDL) and a hash of sqlite_master: another file put at the
    same path with the same count of schema changes is still told apart. Both are reads."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        version = conn.exec_driver_sql("PRAGMA schema_version").scalar()
        rows = conn.exec_driver_sql("select type, name, tbl_name, sql from sqlite_master order by rowid")
        for row in rows:
            digest.update(repr(tuple(row)).encode())
    return f"{version}:{digest.hexdigest()}"


def _pg_fingerprint(db: Database) -> str:
    """The PG_FINGERPRINT row, with the database, user and search path that decide what is visible."""
    with db.engine.connect() as conn:
        row = conn.exec_driver_sql(PG_FINGERPRINT).one()
    return "|".join(str(v) for v in row)


@cache
def code_version() -> str:
    """A hash of the code that builds a catalog (core/schema, core/types) and of the libraries whose objects
    a cached catalog holds: a new Warden never reads an old Warden's cache.

    It hashes a module's source file where there is one, else its compiled code object (a frozen build has no
    sources). The source is read as it is: compiling it (where no bytecode is cached) cost 80 ms per process.
    """
    digest = hashlib.sha256(f"{FORMAT} {sys.version} {sa.__version__} {_pgvector_version()}".encode())
    specs = _catalog_modules()
    for name in sorted(specs):
        spec = specs[name]
        loader = spec.loader if spec is not None else None
        digest.update(name.encode())
        if isinstance(loader, importlib.machinery.SourceFileLoader) and spec is not None and spec.origin:
            digest.update(b"source:" + loader.get_data(spec.origin))
            continue
        get_code = getattr(loader, "get_code", None)
        code = get_code(name) if get_code is not None else None
        digest.update(marshal.dumps(code) if code is not None else b"-")
    return digest.hexdigest()


def _catalog_modules() -> dict[str, importlib.machinery.ModuleSpec | None]:
    """core.types and every module under core/schema by name, found without importing them: walk_packages
    imported each package to look inside it, and so the reference models, the ORM and numpy (a fifth of a
    second) in every process that read a catalog, on any database."""
    found = {"core.types": importlib.util.find_spec("core.types")}
    todo = [(list(sys.modules["core.schema"].__path__), "core.schema.")]
    while todo:
        path, prefix = todo.pop()
        for info in pkgutil.iter_modules(path, prefix):
            finder: Any = info.module_finder  # a path entry's finder: it finds a name without its parent
            spec = finder.find_spec(info.name)
            found[info.name] = spec
            if info.ispkg and spec is not None and spec.submodule_search_locations:
                todo.append((list(spec.submodule_search_locations), f"{info.name}."))
    return found


def _pgvector_version() -> str:
    try:
        return importlib.metadata.version("pgvector")
    except importlib.metadata.PackageNotFoundError:  # a frozen build without package metadata
        return "?"


def _remember(stamp: Stamp, catalog: Catalog) -> None:
    with _lock:
        _memory[stamp.database] = (stamp.version, catalog)
        _memory.move_to_end(stamp.database)
        while len(_memory) > MEMORY_SLOTS:
            _memory.popitem(last=False)


# --- the file on disk ---------------------------------------------------------------------------------


def cache_file(database: str) -> Path:
    """The cache file of one database (named by a hash: no path, host or user name in the file name)."""
    return data_dir() / FOLDER / f"{hashlib.sha256(database.encode()).hexdigest()[:32]}.catalog"


def _read_file(stamp: Stamp) -> Catalog | None:
    """The catalog in the database's cache file if it was written for this stamp; None otherwise."""
    path = cache_file(stamp.database)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        header, payload = pickle.loads(data)  # the outer pickle holds plain strings and bytes only
        if header != (FORMAT, stamp.database, stamp.version):
            return None
        with collector_paused():
            return _from_plain(pickle.loads(payload))
    except Exception:  # any damage to the file means "not cached", never a failed open
        log.info("catalog cache file %s is unreadable; it will be written again", path.name)
        return None


def _write_file(stamp: Stamp, catalog: Catalog) -> None:
    """Write the catalog beside the others, atomically; a catalog that cannot be pickled stays in memory."""
    folder = data_dir() / FOLDER
    try:
        with collector_paused():
            payload = pickle.dumps(_to_plain(catalog), pickle.HIGHEST_PROTOCOL)
        data = pickle.dumps(((FORMAT, stamp.database, stamp.version), payload), pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # e.g. a reflected type that cannot be pickled
        log.info("catalog not cached on disk: %s", type(exc).__name__)
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, cache_file(stamp.database))
    except OSError as exc:
        log.info("catalog cache not written: %s", exc.strerror or type(exc).__name__)
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
        return
    with contextlib.suppress(OSError):  # another Warden may be pruning or writing at the same time
        _prune(folder)


def _prune(folder: Path) -> None:
    """Keep the FILES_KEPT most recently written cache files, and no temporary file of a write that died
    (an hour old: another process may be writing one now)."""
    files = sorted(folder.glob("*.catalog"), key=lambda p: p.stat().st_mtime, reverse=True)
    stale = [p for p in folder.glob("*.tmp") if time.time() - p.stat().st_mtime > 3600]
    for old in files[FILES_KEPT:] + stale:
        with contextlib.suppress(OSError):
            old.unlink()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: reading a catalog or (un)pickling it makes many objects at once,
    and a collection after every few thousand of them would walk them all again (it more than triples the
    time of unpickling; a 2,500-table catalog read a third faster, its JSON document made in a third of
    the time). The objects are not garbage: nothing is left for the collector to find."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # Everything made meanwhile is young: the first collection after the pause would walk it all
            # (a quarter of a second for a 2,500-table catalog). Moved to the oldest generation (freeze, then
            # unfreeze: two list splices), it waits for the next full collection like any long-lived object.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


@dataclass(frozen=True)
class _ModelTable:
    """A table of the reference models, written by name: read back, it is the models' own Table."""

    key: str


def _to_plain(catalog: Catalog) -> dict[str, Any]:
    """The catalog's declared fields (cached properties left out: they are worked out again on use).

    An entity's source that is a reference model's Table is written by name. Only there: the C pickler then
    writes everything else without calling back into Python per object (a persistent_id hook ran 2.5 million
    times for 2,500 tables, half of the write).
    """
    from core.schema.catalog import Catalog, Entity

    names = [f.name for f in dataclasses.fields(Entity)]
    models = _loaded_model_metadata()
    entities = []
    for key, e in catalog.entities.items():
        held = vars(e)  # a frozen dataclass keeps its fields there (beside its cached properties)
        fields = {name: held[name] for name in names}
        source = fields["source"]
        if isinstance(source, sa.Table) and source.metadata is models:
            fields["source"] = _ModelTable(source.key)
        entities.append((key, fields))
    return {
        "catalog": {
            f.name: getattr(catalog, f.name) for f in dataclasses.fields(Catalog) if f.name != "entities"
        },
        "entities": entities,
    }


def _loaded_model_metadata() -> sa.MetaData | None:
    """The reference models' MetaData if they were loaded: a catalog holds their Tables only then, and a
    catalog of another database does not load them (the ORM and numpy) just to say so."""
    models = sys.modules.get("core.schema.models")
    if models is None:
        return None
    metadata: sa.MetaData = models.metadata
    return metadata


def _from_plain(plain: dict[str, Any]) -> Catalog:
    from core.schema.catalog import Catalog, Entity

    entities = {}
    for key, fields in plain["entities"]:
        source = fields["source"]
        if isinstance(source, _ModelTable):
            from core.schema.models import metadata as model_metadata

            fields = {**fields, "source": model_metadata.tables[source.key]}
        entities[key] = Entity(**fields)
    return Catalog(entities=entities, **plain["catalog"])
