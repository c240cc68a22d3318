"""Bundle bench: the size of the PyInstaller folder build_windows.spec makes, against issue 13's 250 MB.

    python bench/bundle.py [DIST]          (default: dist/Warden; build it first with
                                            pyinstaller --noconfirm build_windows.spec)

Prints the total (MB = 10^6 bytes, as the goal counts, and MiB), the five largest parts (a package folder or
a file directly in _internal) and the five largest files. Sizes are the files' lengths, as an installer or
a zip would count them, not the blocks they take on this disk.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
GOAL_MB = 250.0


def sizes(root: Path) -> dict[Path, int]:
    """Every file below `root` (symlinks not followed) and its length in bytes."""
    found = (p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return {p.relative_to(root): p.stat().st_size for p in found}


def parts(files: dict[Path, int]) -> dict[str, int]:
    """Bytes per part: each folder directly in _internal (a package, numpy.libs…) or file beside it."""
    out: dict[str, int] = defaultdict(int)
    for path, size in files.items():
        names = path.parts
        if names[0] == "_internal" and len(names) > 1:
            out[names[1] + ("/" if len(names) > 2 else "")] += size
        else:
            out[names[0]] += size
    return out


def main(argv: list[str] | None = None) -> int:
    """Print the bundle's size and its largest parts; exit 1 when it is over the goal."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("dist", nargs="?", type=Path, default=REPO_ROOT / "dist" / "Warden")
    args = parser.parse_args(argv)
    root: Path = args.dist
    if not (root / "_internal").is_dir():
        print(f"{root} is not a PyInstaller folder: pyinstaller --noconfirm build_windows.spec makes one")
        return 2
    files = sizes(root)
    total = sum(files.values())
    print(f"bundle {root}: {total / 1e6:.1f} MB ({total / 2**20:.1f} MiB) in {len(files):,} files")
    print("five largest parts:")
    for name, size in sorted(parts(files).items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {size / 1e6:8.1f} MB  {size / total:5.1%}  {name}")
    print("five largest files:")
    for path, size in sorted(files.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {size / 1e6:8.1f} MB  {path.as_posix()}")
    ok = total / 1e6 <= GOAL_MB
    print(f"goal: at most {GOAL_MB:g} MB with the model: {total / 1e6:.1f} MB {'PASS' if ok else 'MISS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
