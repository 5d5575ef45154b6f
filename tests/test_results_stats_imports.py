"""`aibt stats SYMBOL` (and `aibt compare SYMBOL ...`) runs without pandas, exchange_calendars, numba or matplotlib (issue 13: under
0.5 s warm; pandas alone is 0.5-0.9 s of imports on the benchmark machine)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: packages `aibt stats SYMBOL` must not import (pyarrow.compute: 0.1 s, only pyarrow's own buffers are read)
HEAVY = ("pandas", "exchange_calendars", "numba", "matplotlib", "scipy", "pyarrow.compute")

PROBE = """
import contextlib, io, json, sys
from aibt.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "chars": len(out.getvalue()),
                  "loaded": sorted({m for m in sys.modules if m in %r or m.split('.')[0] in %r})}))
""" % (HEAVY, HEAVY[:5])  # noqa: UP031


def _loaded(*args: str) -> dict:
    res = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [("stats", "588790"), ("stats", "588790", "--json"),
                                  ("stats", "6088.HK", "--benchmark", "000688", "--rf", "0.015"),
                                  ("compare", "588790", "588000", "--periods-per-year", "250")])
def test_stats_symbol_imports_no_pandas(args):
    out = _loaded(*args)
    assert out["code"] == 0 and out["chars"] > 500
    assert out["loaded"] == [], f"aibt {' '.join(args)} imported {out['loaded']}"


def test_stats_csv_still_works_with_pandas():
    # a user's CSV goes through the shared file reader (pandas): allowed, and it still works
    out = _loaded("stats", "--csv", "tests/fixtures/stats_golden/prices_a.csv")
    assert out["code"] == 0 and "pandas" in out["loaded"]
