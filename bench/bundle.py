"""Bundle bench: the size of the PyInstaller folder build_windows.spec makes, against issue 13's 250 MB.

    python bench/bundle.py [DIST] [--goal MB]   (default: dist/Warden; build it first with
                                                 pyinstaller --noconfirm build_windows.spec)

Prints the total (MB = 10^6 bytes, as the goal counts, and MiB), the five largest parts (a package folder or
a file directly in _internal) and the five largest files. Sizes are the files' lengths, as an installer or
a zip would count them, not the blocks they take on this disk. The goal is judged on the apparent size
`du -s --apparent-size` gives (.ci/run prints it): the files, and the folders and symlinks too.

The default goal is 245 MB: issue 13's 250 less a margin, so the next dependency does not push the bundle
over unnoticed (it was 250.0 MB when that margin was set).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ISSUE_LIMIT_MB = 250.0
GOAL_MB = 245.0  # the limit less a margin for the next dependency


def sizes(root: Path) -> dict[Path, int]:
    """Every file below `root` (symlinks not followed) and its length in bytes."""
    found = (p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return {p.relative_to(root): p.stat().st_size for p in found}


def apparent_size(root: Path) -> int:
    """What `du -s --apparent-size -B1 root` counts: the lengths of `root` and all below it (symlinks too)."""
    return root.lstat().st_size + sum(p.lstat().st_size for p in root.rglob("*"))


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
    parser.add_argument(
        "--goal", type=float, default=GOAL_MB, help=f"at most this many MB (default {GOAL_MB:g})"
    )
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
    apparent = apparent_size(root) / 1e6
    ok = apparent <= args.goal
    print(f"apparent size (du --apparent-size, as .ci/run prints it): {apparent:.1f} MB")
    verdict = "PASS" if ok else "MISS"
    limit = f"issue 13's limit {ISSUE_LIMIT_MB:g}"
    print(f"goal: at most {args.goal:g} MB with the model ({limit}): {apparent:.1f} MB {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
