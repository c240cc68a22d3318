"""Crash recovery of staged (unsaved) edits: one file per database in the user data folder.

The file holds users' data, so it lives only in the data folder, readable by the user alone, and is
replaced atomically (a temp file beside it, then os.replace): a kill at any moment leaves the previous
file or the new one, never half of one. Values are written in a typed JSON encoding so they come back
exactly as they were staged (UUID, naive and aware datetimes, Decimal, bytes, vectors…).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import itertools
import json
import logging
import os
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import WardenError
from core.paths import data_dir

log = logging.getLogger("warden.recovery")

FORMAT = "warden-recovery"
FORMAT_VERSION = 1
FOLDER = "recovery"
TAG = "$"  # a JSON object with this key is a typed value; every dict value is written as one

_sequence = itertools.count(1)
_write_lock = threading.Lock()  # one writer at a time, and the newest snapshot wins
_newest: dict[str, int] = {}  # database identity → sequence of the snapshot last saved


class RecoveryNotSaved(WardenError):
    """The recovery file could not be written (disk full, no permission…); the edits are still staged."""


@dataclass
class RecoveredRow:
    """A staged update or delete of one stored row: its key, new values, the row as loaded, its version."""

    key: tuple[Any, ...]
    values: dict[str, Any]
    original: dict[str, Any]
    version: int | None = None


@dataclass
class RecoveredTable:
    """What one editor had staged on one entity."""

    entity: str
    edits: list[RecoveredRow] = field(default_factory=list)
    deletes: list[RecoveredRow] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Rows with staged changes (as the editor counts them)."""
        return len(self.edits) + len(self.deletes) + len(self.inserts)


@dataclass
class Recovery:
    """The staged edits of one database, as last written."""

    target: str  # the display URL or file path (never a password)
    saved_at: dt.datetime  # aware, UTC
    tables: list[RecoveredTable] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Rows with staged changes over every table."""
        return sum(t.count for t in self.tables)


# --- where -------------------------------------------------------------------------------------------


def recovery_dir() -> Path:
    """The folder of recovery files (inside the user data folder)."""
    return data_dir() / FOLDER


def _identity(target: str) -> str:
    """A stable name for a database: a file as its absolute path, a URL as it is (password already hidden)."""
    if "://" in target or target == ":memory:":
        return target
    return os.path.abspath(os.path.expanduser(target))


def recovery_path(target: str) -> Path:
    """The recovery file of a database, named by a hash of its display URL or path."""
    digest = hashlib.sha256(_identity(target).encode("utf-8")).hexdigest()[:32]
    return recovery_dir() / f"{digest}.json"


# --- reading and writing -----------------------------------------------------------------------------


def next_sequence() -> int:
    """An increasing stamp for a snapshot of staged edits, taken where they are staged."""
    return next(_sequence)


def save_recovery(target: str, tables: list[RecoveredTable], sequence: int) -> bool:
    """Write `target`'s file with `tables`, or remove it when there are none; from any thread.

    A snapshot older than one already saved is skipped (False), so saves may finish in any order.
    RecoveryNotSaved says why a file could not be written (never with a value).
    """
    ident = _identity(target)
    with _write_lock:
        if _newest.get(ident, 0) > sequence:
            return False
        _newest[ident] = sequence
        try:
            if tables:
                write_recovery(Recovery(target, dt.datetime.now(dt.UTC), tables))
            else:
                remove_recovery(target)
        except OSError as exc:
            raise RecoveryNotSaved(f"{exc.strerror or exc} ({recovery_dir()})") from None
        except TypeError as exc:
            raise RecoveryNotSaved(str(exc)) from None
    return True


def write_recovery(recovery: Recovery) -> Path:
    """Write (replace) the recovery file of `recovery.target`, user-only and atomically; its path."""
    path = recovery_path(recovery.target)
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        path.parent.chmod(0o700)
    text = dumps(recovery)
    fd, temp = tempfile.mkstemp(prefix=".recovery-", suffix=".tmp", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def read_recovery(target: str) -> Recovery | None:
    """The recovery file of a database, or None when there is none (or it cannot be read: logged)."""
    path = recovery_path(target)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("cannot read the recovery file %s: %s", path, exc.strerror)
        return None
    try:
        recovery = loads(text)
    except (ValueError, KeyError, TypeError) as exc:
        # Moved aside, not deleted: a later Warden may read what this one cannot. The message names no value.
        aside = path.with_suffix(f".unreadable-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}")
        log.warning("cannot decode the recovery file %s (%s); moved to %s", path, type(exc).__name__, aside)
        try:
            os.replace(path, aside)
        except OSError as err:
            log.warning("cannot move %s aside: %s", path, err.strerror)
        return None
    if _identity(recovery.target) != _identity(target):
        return None
    return recovery


def remove_recovery(target: str) -> None:
    """Delete the recovery file of a database, if any."""
    recovery_path(target).unlink(missing_ok=True)


# --- the file format ---------------------------------------------------------------------------------


def dumps(recovery: Recovery) -> str:
    """The recovery as typed JSON text."""
    doc = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "target": recovery.target,
        "saved_at": recovery.saved_at.isoformat(),
        "tables": [
            {
                "entity": t.entity,
                "edits": [_row_doc(r) for r in t.edits],
                "deletes": [_row_doc(r) for r in t.deletes],
                "inserts": [encode_value(values) for values in t.inserts],
            }
            for t in recovery.tables
        ],
    }
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def loads(text: str) -> Recovery:
    """A recovery from typed JSON text (ValueError when it is not one)."""
    doc = json.loads(text)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("not a Warden recovery file")
    if doc.get("version") != FORMAT_VERSION:
        raise ValueError(f"recovery format {doc.get('version')!r} is not supported")
    tables = [
        RecoveredTable(
            str(t["entity"]),
            [_row_from(r) for r in t["edits"]],
            [_row_from(r) for r in t["deletes"]],
            [_dict_from(values) for values in t["inserts"]],
        )
        for t in doc["tables"]
    ]
    return Recovery(str(doc["target"]), dt.datetime.fromisoformat(doc["saved_at"]), tables)


def _row_doc(row: RecoveredRow) -> dict[str, Any]:
    return {
        "key": [encode_value(v) for v in row.key],
        "values": encode_value(row.values),
        "original": encode_value(row.original),
        "version": encode_value(row.version),
    }


def _row_from(doc: dict[str, Any]) -> RecoveredRow:
    version = decode_value(doc["version"])
    if version is not None and type(version) is not int:
        raise ValueError("a version counter is an integer")
    return RecoveredRow(
        tuple(decode_value(v) for v in doc["key"]),
        _dict_from(doc["values"]),
        _dict_from(doc["original"]),
        version,
    )


def _dict_from(encoded: Any) -> dict[str, Any]:
    value = decode_value(encoded)
    if not isinstance(value, dict):
        raise ValueError("expected an object of column values")
    return value


# --- typed values ------------------------------------------------------------------------------------


def encode_value(value: Any) -> Any:
    """A JSON-able form of a column value that decode_value turns back into an equal value of the same type.

    JSON's own str, int, bool, null, finite float and list stay as they are; everything else, and every
    dict (so a JSON column's objects can never be mistaken for a tag), becomes {"$": type, "v": ...}.
    """
    kind = type(value)
    if value is None or kind in (str, bool, int):
        return value
    if kind is float:
        return value if value == value and abs(value) != float("inf") else {TAG: "float", "v": repr(value)}
    if kind is list:
        return [encode_value(v) for v in value]
    if kind is dict:
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                return {TAG: "map", "v": [[encode_value(k), encode_value(v)] for k, v in value.items()]}
            # A reflected table's column names are SQLAlchemy's quoted_name (a str subclass): kept as str.
            out[str(k)] = encode_value(v)
        return {TAG: "dict", "v": out}
    if kind is tuple:
        return {TAG: "tuple", "v": [encode_value(v) for v in value]}
    if kind is uuid.UUID:
        return {TAG: "uuid", "v": str(value)}
    if kind is dt.datetime:
        return {TAG: "datetime", "v": value.isoformat()}
    if kind is dt.date:
        return {TAG: "date", "v": value.isoformat()}
    if kind is dt.time:
        return {TAG: "time", "v": value.isoformat()}
    if kind is dt.timedelta:
        return {TAG: "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if kind is decimal.Decimal:
        return {TAG: "decimal", "v": str(value)}
    if kind in (bytes, bytearray, memoryview):
        return {TAG: kind.__name__, "v": base64.b64encode(bytes(value)).decode("ascii")}
    return _encode_array(value)


def _encode_array(value: Any) -> Any:
    """Vectors (numpy arrays and scalars) as their dtype, shape and raw bytes: exact to the bit."""
    import numpy as np  # only when a vector is staged: numpy is slow to import

    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return {
            TAG: "ndarray",
            "dtype": data.dtype.str,
            "shape": list(data.shape),
            "v": base64.b64encode(data.tobytes()).decode("ascii"),
        }
    if isinstance(value, np.generic):
        return {TAG: "npscalar", "dtype": value.dtype.str, "v": base64.b64encode(value.tobytes()).decode()}
    # A type Warden does not stage (a driver's own object): refuse rather than write something else.
    raise TypeError(f"cannot keep a {type(value).__name__} value for recovery")


def decode_value(encoded: Any) -> Any:
    """The value encode_value wrote."""
    if isinstance(encoded, list):
        return [decode_value(v) for v in encoded]
    if not isinstance(encoded, dict):
        return encoded
    tag, v = encoded[TAG], encoded["v"]
    if tag == "dict":
        return {str(k): decode_value(x) for k, x in v.items()}
    simple = _DECODERS.get(tag)
    if simple is not None:
        return simple(v)
    if tag == "map":
        return {decode_value(k): decode_value(x) for k, x in v}
    if tag in ("ndarray", "npscalar"):
        import numpy as np

        dtype = np.dtype(encoded["dtype"])
        raw = base64.b64decode(v)
        if tag == "npscalar":
            return np.frombuffer(raw, dtype=dtype)[0]
        return np.frombuffer(raw, dtype=dtype).reshape(encoded["shape"]).copy()
    raise ValueError(f"unknown value type {tag!r} in a recovery file")


_DECODERS: dict[str, Any] = {
    "float": float,
    "tuple": lambda v: tuple(decode_value(x) for x in v),
    "uuid": uuid.UUID,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda v: dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "decimal": decimal.Decimal,
    "bytes": base64.b64decode,
    "bytearray": lambda v: bytearray(base64.b64decode(v)),
    "memoryview": lambda v: memoryview(base64.b64decode(v)),
}
