"""The frozen bundle's size tools: what bench/bundle.py counts, and the spec's stripping of patched libraries.

build_windows.spec runs only inside PyInstaller, so its ELF helpers are read out of it (by name) and run
here on a real auditwheel-patched library: numpy's OpenBLAS.
"""

from __future__ import annotations

import ast
import importlib.util
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench_bundle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_bundle", ROOT / "bench" / "bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _spec_functions(*names: str) -> dict[str, Any]:
    """The named top-level functions of build_windows.spec, defined on their own (with struct and Path)."""
    tree = ast.parse((ROOT / "build_windows.spec").read_text(encoding="utf-8"))
    wanted: list[ast.stmt] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in names]
    assert {n.name for n in wanted if isinstance(n, ast.FunctionDef)} == set(names)
    namespace: dict[str, Any] = {"struct": struct, "Path": Path}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), "build_windows.spec", "exec"), namespace)
    return namespace


def test_the_goal_is_judged_on_what_du_counts(tmp_path: Path) -> None:
    """Folders and symlinks count too, as in .ci/run's `du -s --apparent-size`."""
    if not shutil.which("du"):
        pytest.skip("no du")
    root = tmp_path / "Warden"
    (root / "_internal" / "pkg" / "sub").mkdir(parents=True)
    (root / "_internal" / "pkg" / "a.so").write_bytes(b"x" * 70_001)
    (root / "_internal" / "pkg" / "sub" / "b.pyc").write_bytes(b"y" * 123)
    (root / "_internal" / "link.so").symlink_to("pkg/a.so")
    du = subprocess.run(["du", "-s", "--apparent-size", "-B1", str(root)], capture_output=True, text=True)
    bundle = _bench_bundle()
    assert bundle.apparent_size(root) == int(du.stdout.split()[0])
    assert bundle.apparent_size(root) > sum(bundle.sizes(root).values())  # the folders and the symlink


@pytest.mark.skipif(sys.platform != "linux" or not shutil.which("strip"), reason="Linux strip")
def test_a_stripped_patched_library_loads_once_its_empty_segments_are_aligned(tmp_path: Path) -> None:
    import numpy

    libs = Path(numpy.__file__).resolve().parents[1] / "numpy.libs"
    blas = next(libs.glob("libscipy_openblas*.so"), None)
    if blas is None:
        pytest.skip("this numpy has no bundled OpenBLAS")
    for lib in libs.iterdir():  # OpenBLAS finds its libgfortran beside it ($ORIGIN)
        shutil.copyfile(lib, tmp_path / lib.name)
    target = tmp_path / blas.name
    subprocess.run(["strip", "--strip-unneeded", str(target)], check=True)
    spec = _spec_functions("_aligned_load_segments")
    assert target.stat().st_size < blas.stat().st_size

    assert spec["_aligned_load_segments"](target)
    # dlopen it in a fresh process and call into it: it loads, and it computes
    code = (
        "import ctypes, sys\n"
        "lib = ctypes.CDLL(sys.argv[1])\n"
        "dot = lib.scipy_cblas_sdot64_\n"
        "dot.restype = ctypes.c_float\n"
        "dot.argtypes = [ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64]\n"
        "x = (ctypes.c_float * 3)(1, 2, 3)\n"
        "print(dot(3, x, 1, x, 1))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert float(done.stdout) == 14.0


def _elf(segments: list[tuple[int, int, int, int]]) -> bytes:
    """A 64-bit little-endian ELF header and its program headers: (type, offset, address, size in file)."""
    head = bytearray(64)
    head[:6] = b"\x7fELF\x02\x01"
    struct.pack_into("<Q", head, 0x20, 64)
    struct.pack_into("<HH", head, 0x36, 56, len(segments))
    table = b"".join(
        struct.pack("<IIQQQQQQ", k, 4, off, addr, addr, size, size, 4096) for k, off, addr, size in segments
    )
    return bytes(head) + table


def test_only_empty_load_segments_are_realigned_and_the_answer_says_whether_it_loads(tmp_path: Path) -> None:
    """One walk: an empty misaligned PT_LOAD gets an offset aligned as its address (the file is written);
    a misaligned one with content cannot be moved, so the library is not loadable; other kinds are left."""
    spec = _spec_functions("_aligned_load_segments")
    fixable = tmp_path / "fixable.so"
    fixable.write_bytes(_elf([(1, 0, 0, 800), (1, 0x1234, 0x5000 + 0x10, 0), (4, 0x99, 0x1, 10)]))
    assert spec["_aligned_load_segments"](fixable)
    offsets = [struct.unpack_from("<Q", fixable.read_bytes(), 64 + i * 56 + 8)[0] for i in range(3)]
    assert offsets == [0, 0x10, 0x99]
    assert spec["_aligned_load_segments"](fixable)  # already aligned: still loadable, nothing to change

    broken = tmp_path / "broken.so"
    broken.write_bytes(_elf([(1, 0x1234, 0x5010, 64), (1, 0x1234, 0x6010, 0)]))
    assert not spec["_aligned_load_segments"](broken)
    assert struct.unpack_from("<Q", broken.read_bytes(), 64 + 56 + 8)[0] == 0x10  # the empty one still fixed
    (tmp_path / "text.so").write_bytes(b"not an ELF file")
    assert not spec["_aligned_load_segments"](tmp_path / "text.so")
