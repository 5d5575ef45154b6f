"""The rqalpha cross-check (benchmarks/crosscheck_rqalpha.py) on two short strategies.

Runs only where the optional extra is installed (``pip install '.[crosscheck]'``); CI does not install it,
so there the test is skipped. The expected fills, refusals, dividends and values come from rqalpha.
"""
import importlib.util
import os
import sys

import numpy as np
import pytest

pytest.importorskip("rqalpha")
pytest.importorskip("h5py")

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, os.pardir, "benchmarks", "crosscheck_rqalpha.py")


@pytest.fixture(scope="module")
def cc():
    spec = importlib.util.spec_from_file_location("crosscheck_rqalpha", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up by name
    spec.loader.exec_module(mod)
    return mod


def _run(cc, tmp_path, plan):
    plan = cc.prepare(plan)
    cc.write_bundle(str(tmp_path / "bundle"), [plan])
    a = cc.run_aibt(plan)
    r = cc.run_rqalpha(plan, str(tmp_path / "bundle"))
    return plan, a, r


def test_rotation_through_limit_up_opens_matches_rqalpha(cc, tmp_path):
    """Daily rotation over 2024-10-08, when most of these names opened at the upper limit."""
    plan = cc.Plan("optical_daily_short", "test", ["300308", "300502", "300394", "688048", "688498", "688313",
                                                  "688041", "688158"], "2024-09-02", "2024-10-31", "open", 0.25)
    plan, a, r = _run(cc, tmp_path, plan)
    fc = cc.compare_fills(a["fills"], r["fills"])
    assert fc["aibt"] > 20 and fc["matched"] == fc["aibt"] == fc["rqalpha"], fc["differ"]
    assert fc["costs_matched"] == fc["matched"]
    rc = cc.compare_refusals(a["refused"], r["refused"])
    assert rc["by_reason"].get("limit_up", 0) >= 1
    assert rc["matched"] == rc["aibt"] == rc["rqalpha"], rc["differ"]
    assert abs(a["final_value"] / r["final_value"] - 1.0) < 1e-9


def test_monthly_basket_with_dividends_matches_rqalpha(cc, tmp_path):
    """PCB basket, monthly, fills at the close; the dividends of 2024 credited to cash on their ex-dates."""
    plan = cc.Plan("pcb_monthly_short", "test", ["300476", "603228", "002463", "600183"], "2024-01-02",
                   "2024-12-31", "close", None)
    plan, a, r = _run(cc, tmp_path, plan)
    fc = cc.compare_fills(a["fills"], r["fills"])
    assert fc["matched"] == fc["aibt"] == fc["rqalpha"], fc["differ"]
    dc = cc.compare_divs(a["dividends"], r["dividends"])
    assert dc["aibt"] >= 1 and dc["matched"] == dc["aibt"] == dc["rqalpha"], dc["differ"]
    assert np.isclose(dc["cash_aibt"], dc["cash_rqalpha"], rtol=0, atol=1e-6)
    assert abs(a["final_value"] / r["final_value"] - 1.0) < 1e-9
