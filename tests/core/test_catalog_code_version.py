"""The catalog cache's code version (core/schema/catalog_cache.py `code_version`) changes when any module it
covers changes (core.types, a module of core/schema, one of core/schema/models): from sources, and from
compiled files only, as the frozen build ships them (build_windows.spec: noarchive .pyc files, python -OO).

It finds the modules through their path entries' finders without importing them (9781f1f); a module found
by name but not read would leave the version unchanged, and a new Warden would read an old Warden's cache."""

from __future__ import annotations

import json
import os
import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EDITED = ["core/types.py", "core/schema/catalog.py", "core/schema/models/players.py"]
CHILD = """
import json
import core
from core.schema import catalog_cache
print(json.dumps({"file": core.__file__, "version": catalog_cache.code_version()}))
"""


def _version(tree: Path, tmp_path: Path) -> str:
    """code_version() of a process that imports `core` from `tree` alone."""
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "PYTHONDONTWRITEBYTECODE": "1",
        "WARDEN_DATA_DIR": str(tmp_path / "data"),
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, cwd=tree, check=True
    )
    found = json.loads(done.stdout.splitlines()[-1])
    assert Path(found["file"]).is_relative_to(tree)  # not the checkout's own core
    version: str = found["version"]
    return version


def _sources(tmp_path: Path) -> Path:
    tree = tmp_path / "src"
    shutil.copytree(REPO / "core", tree / "core", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return tree


def _edit(tree: Path, name: str) -> None:
    with (tree / name).open("a", encoding="utf-8") as fh:
        fh.write("\n_REVIEW_EDIT = 1  # new code in the module\n")


def test_editing_any_catalog_module_changes_the_version(tmp_path: Path) -> None:
    tree = _sources(tmp_path)
    seen = [_version(tree, tmp_path)]
    for name in EDITED:
        _edit(tree, name)
        seen.append(_version(tree, tmp_path))
    assert len(set(seen)) == len(seen)


def _compile(source: Path, built: Path) -> None:
    built.parent.mkdir(parents=True, exist_ok=True)
    py_compile.compile(str(source), cfile=str(built), optimize=2, doraise=True)


def test_compiled_files_only_still_version_every_module(tmp_path: Path) -> None:
    """Each .pyc beside no source, as the frozen build holds them: an edit recompiled changes the version."""
    source = _sources(tmp_path)
    built = tmp_path / "built"
    for py in (source / "core").rglob("*.py"):
        _compile(py, (built / py.relative_to(source)).with_suffix(".pyc"))
    assert not list(built.rglob("*.py"))
    seen = [_version(built, tmp_path)]
    for name in EDITED:
        _edit(source, name)
        _compile(source / name, (built / name).with_suffix(".pyc"))
        seen.append(_version(built, tmp_path))
    assert len(set(seen)) == len(seen)
