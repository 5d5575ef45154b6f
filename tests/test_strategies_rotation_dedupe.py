"""Equivalent sweep combinations are simulated once: same results as simulating every one of them."""
from types import SimpleNamespace

import numpy as np
import pytest

from aibt.data.snapshot import load_snapshot
from aibt.strategies import rotation_nb as rnb
from aibt.strategies.rotation import ParamGrid, build_sleeves, prepare, run_sweep, session_range
from aibt.strategies.sweep_config import axis_representatives, count_computed, representatives
from aibt.universes import BASKETS, compile_rules

BASKET_CODES = {k: list(v) for k, v in BASKETS.items() if k in ("optical", "copper", "pcb")}


@pytest.fixture(scope="module")
def setup():
    codes = sorted({c for m in BASKET_CODES.values() for c in m})
    panel = load_snapshot(codes, start="2022-06-01", end="2024-12-31")
    grid = ParamGrid((20, 60), (1, 3, 4, 5), (5, 21), ("equal", "inv_vol"), (0, 20, 400))
    return prepare(panel, build_sleeves(panel, BASKET_CODES), grid, compile_rules(panel.dates, panel.symbols),
                   slippage_bps=5.0)


def every_combination(setup, t0, t1):
    """The kernel on every row of the grid, no deduplication."""
    s = setup
    from aibt.strategies import rotation

    return rotation.rotation_sweep(s.grid.codes(), s.signals.order, s.signals.n_valid, s.signals.inv_vol,
                                 s.signals.trend_ok, s.sleeves.member_w, s.market, s.cost, s.extra["policy"],
                                 int(s.extra["lots"]), s.init_cash, t0, t1, True)


def test_deduplicated_sweep_equals_every_combination_simulated(setup):
    t0, t1 = session_range(setup.panel.dates, "2023-01-03", None)
    table, eq = run_sweep(setup, "2023-01-03", None, keep_equity=True)
    summary, equity = every_combination(setup, t0, t1)
    np.testing.assert_array_equal(table["final_value"].to_numpy(), summary[:, 1])
    np.testing.assert_array_equal(eq.to_numpy().T, equity)
    # three sleeves: K = 3, 4, 5 hold the same; the three trend windows bind differently, and the
    # single pick's inverse-volatility weight is not always exactly 1.0 on these data: 2 lookbacks x
    # (K 1, 3) x 2 periods x 2 weightings x 3 windows
    assert table.attrs["computed"] == 2 * 2 * 2 * 2 * 3 == count_computed(setup.grid, 3, setup.signals, t0, t1)
    assert table.attrs["computed"] < setup.grid.size


def test_representatives_do_not_depend_on_the_chunking(setup):
    full, _ = run_sweep(setup)
    halves = [run_sweep(setup, combos=c)[0] for c in ((0, 37), (37, setup.grid.size))]
    for part in halves:
        np.testing.assert_array_equal(part["final_value"].to_numpy(), full.loc[part.index, "final_value"].to_numpy())
    reps = representatives(setup.grid, 3, setup.signals, *session_range(setup.panel.dates), np.arange(setup.grid.size))
    assert (reps <= np.arange(setup.grid.size)).all()
    assert (reps[reps] == reps).all()  # a representative represents itself


def test_axis_rules_k_at_least_sleeves_windows_and_single_pick_weighting():
    grid = ParamGrid((5,), (1, 2, 3, 7), (1,), ("equal", "inv_vol"), (0, 10, 20))
    t, s = 30, 3
    trend = np.ones((3, t, s), dtype=bool)
    trend[2, 12, 1] = False  # window 20 binds once; window 10 never does (the same as no filter)
    mom = np.full((1, t, s), 0.1)
    sig = SimpleNamespace(trend_ok=trend, momentum=mom, inv_vol=np.full((t, s), 4.0))
    k_rep, f_rep, w_rep = axis_representatives(grid, s, sig, 0, t)
    np.testing.assert_array_equal(k_rep, [0, 1, 2, 2])
    np.testing.assert_array_equal(f_rep, [0, 0, 2])
    np.testing.assert_array_equal(w_rep, [0, 0])  # 4 x (1 / 4) == 1 exactly: one pick is the same strategy
    # an inverse volatility whose product is not exactly 1.0, or missing where a signal exists: distinct
    for bad in (49.0, np.nan):
        iv = np.full((t, s), 4.0)
        iv[7, 2] = bad
        assert list(axis_representatives(grid, s, SimpleNamespace(trend_ok=trend, momentum=mom, inv_vol=iv), 0, t)[2]) == [0, 1]
    assert count_computed(grid, s, sig, 0, t) == 1 * (1 + 2 + 2) * 1 * 2


def test_chunked_sweep_manifest_reports_the_simulated_combinations(tmp_path):
    import json

    from aibt.commands.sweep import load_sweep_panel
    from aibt.strategies.sweep_config import config_from_dict
    from aibt.strategies.sweep_runner import run_chunked_sweep

    cfg = config_from_dict({
        "universe": {"sleeves": "baskets", "baskets": ["optical", "copper", "pcb"]},
        "dates": {"start": "2024-01-02", "end": "2024-12-31"},
        "grid": {"lookbacks": [20], "top_k": [1, 3, 4], "periods": [21], "weightings": ["equal"],
                 "trend_windows": [0]},
        "run": {"chunk_size": 2},
    })
    res = run_chunked_sweep(cfg, tmp_path / "out", panel=load_sweep_panel(cfg))
    meta = json.loads((tmp_path / "out" / "sweep.json").read_text(encoding="utf-8"))
    assert meta["n_combinations"] == 3 and meta["simulated_combinations"] == 2  # K = 4 is K = 3 on 3 sleeves
    np.testing.assert_array_equal(res.table.loc[2].drop("top_k").to_numpy(), res.table.loc[1].drop("top_k").to_numpy())


def test_sweep_threads_do_not_change_results(setup):
    """Chunks of combinations on 1 or 3 threads (:mod:`aibt.engine.parallel`) give bit-identical summaries and
    equity: every combination is simulated alone."""
    from aibt.strategies import rotation

    s = setup
    t0, t1 = session_range(s.panel.dates, "2023-01-03", None)
    args = (s.grid.codes(), s.signals.order, s.signals.n_valid, s.signals.inv_vol, s.signals.trend_ok,
            s.sleeves.member_w, s.market, s.cost, s.extra["policy"], int(s.extra["lots"]), s.init_cash, t0, t1, True)
    one = rotation.rotation_sweep(*args, n_threads=1)
    three = rotation.rotation_sweep(*args, n_threads=3)
    np.testing.assert_array_equal(one[0], three[0])
    np.testing.assert_array_equal(one[1], three[1])


def test_run_chunks_covers_every_index_once_and_raises():
    from aibt.engine.parallel import run_chunks

    seen = []
    run_chunks(lambda a, b: seen.extend(range(a, b)), 101, n_threads=2)
    assert sorted(seen) == list(range(101))

    def bad(a, b):
        if a > 0:
            raise ValueError("chunk failed")

    with pytest.raises(ValueError, match="chunk failed"):
        run_chunks(bad, 50, n_threads=2)


def test_run_chunks_stops_starting_chunks_after_a_failure():
    import threading
    import time

    from aibt.engine.parallel import run_chunks

    started = []
    lock = threading.Lock()

    def slow(a, b):
        with lock:
            started.append(a)
        if a == 0:
            raise KeyboardInterrupt  # as Ctrl-C would arrive
        time.sleep(0.01)

    with pytest.raises(KeyboardInterrupt):
        run_chunks(slow, 1600, n_threads=2)  # 16 chunks
    assert len(started) < 16
