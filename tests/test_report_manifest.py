"""results.manifest: versions, git commit, config, hashes; no wall-clock time; byte-identical reruns."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import shutil
import subprocess
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aibt.errors import AibtError
from aibt.results.io import write_csv
from aibt.results.manifest import (
    build_manifest,
    git_state,
    hash_outputs,
    sha256_file,
    write_manifest,
    write_run_info,
)

REPO = Path(__file__).resolve().parents[1]


def _outputs(tmp_path: Path) -> dict[str, str]:
    write_csv(pd.DataFrame({"r": [0.01, -0.02]}), tmp_path / "tables" / "r.csv")
    (tmp_path / "note.txt").write_bytes(b"abc")
    return hash_outputs([tmp_path / "note.txt", tmp_path / "tables" / "r.csv"], tmp_path)


def test_hash_outputs_relative_sorted_and_exact(tmp_path):
    out = _outputs(tmp_path)
    assert list(out) == ["note.txt", "tables/r.csv"]
    assert out["note.txt"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # sha256("abc")
    assert out["tables/r.csv"] == hashlib.sha256(b"r\n0.01\n-0.02\n").hexdigest()
    assert sha256_file(tmp_path / "note.txt") == out["note.txt"]


def test_hash_outputs_rejects_file_outside_root(tmp_path):
    (tmp_path / "x").write_bytes(b"1")
    (tmp_path / "run").mkdir()
    with pytest.raises(AibtError, match="not inside the result folder"):
        hash_outputs([tmp_path / "x"], tmp_path / "run")
    with pytest.raises(AibtError, match="cannot hash output"):
        hash_outputs([tmp_path / "run" / "missing.csv"], tmp_path / "run")


def test_build_manifest_content(tmp_path):
    outputs = _outputs(tmp_path)
    config = {"etf": "588790", "window": 60, "fees": {"commission": 0.00025}, "dates": [pd.Timestamp("2024-01-02")],
              "weights": np.array([0.5, 0.5])}
    m = build_manifest(config, "sha256:feed", ["aibt", "run", "--out", "x"], outputs)
    assert set(m) == {"schema", "aibt_version", "git_commit", "git_dirty", "source_hash", "source_files", "versions",
                      "config", "snapshot_hash", "command", "outputs"}
    assert m["aibt_version"] == version("aibt")
    assert m["versions"]["python"] == platform.python_version()
    assert m["versions"]["numpy"] == np.__version__
    assert m["versions"]["pandas"] == pd.__version__
    assert m["versions"]["numba"] == version("numba")
    assert m["config"] == {"etf": "588790", "window": 60, "fees": {"commission": 0.00025}, "dates": ["2024-01-02"],
                           "weights": [0.5, 0.5]}
    assert m["command"] == ["aibt", "run", "--out", "x"]
    assert m["snapshot_hash"] == "sha256:feed"
    assert m["outputs"] == outputs
    text = json.dumps(m)
    assert dt.date.today().isoformat() not in text  # no wall-clock date anywhere


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="needs git and a checkout")
def test_git_commit_inside_checkout_matches_head():
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    commit, dirty = git_state(REPO)
    assert commit == head
    assert isinstance(dirty, bool)
    assert build_manifest({}, "s", ["aibt"], {}, git_dir=REPO)["git_commit"] == head


def test_git_commit_outside_checkout_is_null(tmp_path):
    assert git_state(tmp_path) == (None, None)
    assert build_manifest({}, "s", ["aibt"], {}, git_dir=tmp_path)["git_commit"] is None
    assert git_state(tmp_path / "does-not-exist") == (None, None)


def test_bad_inputs_are_named():
    with pytest.raises(AibtError, match="list of strings"):
        build_manifest({}, "s", "aibt run", {})
    with pytest.raises(AibtError, match="r.csv.*not a hex sha256"):
        build_manifest({}, "s", ["aibt"], {"r.csv": "abc"})
    with pytest.raises(TypeError, match=r"\$config\['f'\]"):
        build_manifest({"f": object()}, "s", ["aibt"], {})


def test_write_manifest_twice_is_byte_identical(tmp_path):
    outputs = _outputs(tmp_path)
    a = write_manifest(tmp_path / "a", build_manifest({"w": 1 / 3}, "h", ["aibt", "run"], outputs, git_dir=tmp_path))
    b = write_manifest(tmp_path / "b", build_manifest({"w": 1 / 3}, "h", ["aibt", "run"], outputs, git_dir=tmp_path))
    assert a.name == "manifest.json"
    assert a.read_bytes() == b.read_bytes()
    loaded = json.loads(a.read_text("utf-8"))
    assert loaded["config"] == {"w": 0.3333333333}
    assert list(loaded) == sorted(loaded)


def test_run_info_keeps_time_apart(tmp_path):
    start = dt.datetime(2024, 5, 6, 9, 30, tzinfo=dt.timezone.utc)
    path = write_run_info(tmp_path, start, start + dt.timedelta(seconds=12.3456))
    assert json.loads(path.read_text()) == {"started": "2024-05-06T09:30:00+00:00",
                                            "finished": "2024-05-06T09:30:12.345600+00:00", "seconds": 12.346}
    with pytest.raises(AibtError, match="timezone-aware"):
        write_run_info(tmp_path, dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2))


def test_code_is_identified_without_git(tmp_path):
    """After a plain ``pip install .`` there is no git: the source hash still names the code."""
    import hashlib
    from pathlib import Path

    import aibt.results.manifest as man

    m = build_manifest({}, "sha256:feed", ["aibt"], {}, git_dir=tmp_path)  # tmp_path: not a git checkout
    assert m["git_commit"] is None and m["git_dirty"] is None
    assert len(m["source_hash"]) == 64 and m["source_files"] > 50
    # recomputed by hand from the installed package's folders (site-packages after `pip install .`, the
    # checkout's folders in an editable install): its modules, and the universes' rule tables
    import importlib

    dirs = {name: Path(importlib.import_module(name).__file__).resolve().parent
            for name in ("aibt", "aibt.commands", "aibt.universes", "aibt.data", "aibt.engine", "aibt.strategies",
                         "aibt.results")}
    entries = []
    for name, root in dirs.items():
        for pattern in ("*.py",) + (("tables/*.csv", "tables/*.toml") if name == "aibt.universes" else ()):
            for f in root.glob(pattern):
                entries.append(f"{name}/{f.relative_to(root).as_posix()}\0{hashlib.sha256(f.read_bytes()).hexdigest()}")
    assert m["source_hash"] == hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()
    assert man.source_hash()[0] == m["source_hash"]
