"""The default study: a rerun reproduces the committed tables byte for byte, and writes the report."""
import json
from pathlib import Path

import pytest

from aibt.study import run_study

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = REPO / "results" / "tables"


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    run_study(out, progress=False, command=["aibt", "run", "--out", str(out)])
    return out


def test_rerun_reproduces_the_published_tables(study_dir):
    published = sorted(p.name for p in PUBLISHED.iterdir() if p.suffix in (".csv", ".md"))
    produced = sorted(p.name for p in (study_dir / "tables").iterdir())
    assert published == produced
    for name in published:
        assert (study_dir / "tables" / name).read_bytes() == (PUBLISHED / name).read_bytes(), name


def test_manifest_hashes_every_output(study_dir):
    from aibt.data.snapshot import snapshot_hash
    from aibt.results.manifest import sha256_file

    manifest = json.loads((study_dir / "manifest.json").read_text())
    assert manifest["snapshot_hash"] == snapshot_hash()
    assert manifest["config"]["etf"] == "588790"
    assert manifest["command"][:2] == ["aibt", "run"]
    files = sorted(str(p.relative_to(study_dir)) for p in study_dir.rglob("*")
                   if p.is_file() and p.parent.name in ("tables", "plots"))
    assert sorted(manifest["outputs"]) == files
    for rel, digest in manifest["outputs"].items():
        assert sha256_file(study_dir / rel) == digest


def test_report_has_every_section(study_dir):
    html = (study_dir / "report.html").read_text(encoding="utf-8")
    for section in ("summary", "tracking", "etf-stats", "rotation", "screens"):
        assert f'id="{section}"' in html
    assert html.count("data:image/png;base64,") == 6
