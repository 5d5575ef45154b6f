"""`aibt stats` / `aibt compare` print byte for byte what they printed before the pandas-free path.

The expected outputs were recorded from the commands as they were (pandas, exchange_calendars, the
Panel loader) before `aibt stats SYMBOL` was rewritten to run without them (issue 13); a change here
is a change of what users see. Record again only on purpose: ``python tests/test_results_stats_golden.py --record``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "fixtures" / "stats_golden"
CASES = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))["cases"]


def _run(args: list[str]) -> tuple[int, str]:
    from aibt.cli import cli

    res = CliRunner().invoke(cli, args, prog_name="aibt")
    return res.exit_code, res.output


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the case lines name the fixture CSVs relative to the repository
    monkeypatch.delenv("AIBT_DATA_DIR", raising=False)
    from aibt.data import snapshot

    monkeypatch.setattr(snapshot, "default_store", lambda: None)  # the embedded snapshot, not a user store


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_unchanged(name):
    code, out = _run(CASES[name])
    want = (GOLDEN / f"{name}.out").read_text(encoding="utf-8")
    want_code = int((GOLDEN / f"{name}.code").read_text())
    assert code == want_code, out
    assert out == want


if __name__ == "__main__" and "--record" in sys.argv:
    import os

    os.chdir(ROOT)
    os.environ.pop("AIBT_DATA_DIR", None)
    for name, args in sorted(CASES.items()):
        code, out = _run(args)
        (GOLDEN / f"{name}.out").write_text(out, encoding="utf-8")
        (GOLDEN / f"{name}.code").write_text(f"{code}\n")
        print(f"{name:22s} exit {code}  {len(out)} chars")
