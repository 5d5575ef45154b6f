"""results.plots: byte-identical PNGs, right sizes, colours that mean what they should, exact numbers."""
from __future__ import annotations

import math
import struct
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from aibt.data.snapshot import load_snapshot
from aibt.errors import ConfigError, DataError
from aibt.results import metrics
from aibt.results.plots import (
    plot_equity,
    plot_monthly_heatmap,
    plot_rolling_tracking_error,
    plot_sweep_heatmap,
    plot_underwater,
    rolling_tracking_error,
    sweep_grid,
)

def _close(code: str, name: str) -> pd.Series:
    """2023-2024 daily closes of an index from the embedded snapshot (one row per session)."""
    return load_snapshot(code, "2023-01-01", "2024-12-31").series(code, "close").rename(name)


@pytest.fixture(scope="module")
def star50() -> pd.Series:
    return _close("000688", "STAR 50")


@pytest.fixture(scope="module")
def csi300() -> pd.Series:
    return _close("000300", "CSI 300")


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _synthetic_levels() -> pd.Series:
    idx = pd.bdate_range("2024-01-01", periods=120)
    rng = np.random.default_rng(7)
    return pd.Series(100 * np.cumprod(1 + rng.normal(0.0005, 0.02, len(idx))), idx, name="strategy")


def test_every_plot_is_byte_identical_on_rerun_and_has_no_software_or_time_tag(tmp_path, star50, csi300):
    r, b = star50.pct_change().dropna(), csi300.pct_change().dropna()
    monthly = (1 + r).resample("ME").prod() - 1
    sweep = pd.DataFrame([{"fast": f, "slow": s, "sharpe": f / s} for f in (5, 10) for s in (20, 60)])

    def draw_all(folder: Path) -> list[bytes]:
        paths = [
            plot_equity(star50, folder / "eq.png", benchmark=csi300),
            plot_underwater(star50, folder / "uw.png"),
            plot_monthly_heatmap(monthly, folder / "mh.png"),
            plot_rolling_tracking_error(r, b, folder / "te.png", window=20),
            plot_sweep_heatmap(sweep, "slow", "fast", "sharpe", folder / "sw.png"),
        ]
        assert [p.name for p in paths] == ["eq.png", "uw.png", "mh.png", "te.png", "sw.png"]
        return [p.read_bytes() for p in paths]

    first, second = draw_all(tmp_path / "a"), draw_all(tmp_path / "b")
    assert first == second
    for blob in first:
        assert b"Software" not in blob and b"tIME" not in blob and b"matplotlib" not in blob.lower()


def test_png_identical_in_a_fresh_interpreter(tmp_path):
    here = plot_equity(_synthetic_levels(), tmp_path / "here.png")
    code = (
        "import numpy as np, pandas as pd, sys\n"
        "from aibt.results.plots import plot_equity\n"
        "idx = pd.bdate_range('2024-01-01', periods=120)\n"
        "rng = np.random.default_rng(7)\n"
        "s = pd.Series(100 * np.cumprod(1 + rng.normal(0.0005, 0.02, len(idx))), idx, name='strategy')\n"
        "plot_equity(s, sys.argv[1])\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there.png")], check=True)
    assert (tmp_path / "there.png").read_bytes() == here.read_bytes()


def test_sizes_are_fixed(tmp_path, star50, csi300):
    assert _png_size(plot_equity(star50, tmp_path / "e.png", benchmark=csi300)) == (1000, 450)
    assert _png_size(plot_underwater(star50, tmp_path / "u.png")) == (1000, 320)
    r = star50.pct_change().dropna()
    # two years of months -> 1.2 + 0.42 * 2 inches at 100 dpi
    assert _png_size(plot_monthly_heatmap((1 + r).resample("ME").prod() - 1, tmp_path / "m.png")) == (1000, 204)


def test_equity_plot_changes_with_the_data(tmp_path):
    s = _synthetic_levels()
    a = plot_equity(s, tmp_path / "a.png").read_bytes()
    b = plot_equity(s * s.rank() / 60, tmp_path / "b.png").read_bytes()
    assert a != b


def _colour_rows(path: Path) -> tuple[float, float]:
    """Mean pixel row of clearly green and of clearly red pixels."""
    img = mpimg.imread(path)[:, :, :3]
    r, g = img[:, :, 0], img[:, :, 1]
    green = np.argwhere((g - r) > 0.25)
    red = np.argwhere((r - g) > 0.25)
    assert len(green) > 2000 and len(red) > 2000
    return green[:, 0].mean(), red[:, 0].mean()


def test_monthly_heatmap_green_gains_on_top_red_losses_below(tmp_path):
    table = pd.DataFrame([[0.08] * 12, [-0.08] * 12], index=pd.Index([2023, 2024], name="year"),
                         columns=list(range(1, 13)))
    green_row, red_row = _colour_rows(plot_monthly_heatmap(table, tmp_path / "m.png"))
    assert green_row < red_row  # 2023 (gains) is drawn above 2024 (losses)
    flipped = table.iloc[::-1].set_axis([2023, 2024])
    green_row, red_row = _colour_rows(plot_monthly_heatmap(flipped, tmp_path / "f.png"))
    assert green_row > red_row


def test_monthly_heatmap_accepts_the_tables_module_layout_and_period_series(tmp_path):
    table = pd.DataFrame(np.nan, index=pd.Index([2024], name="year"), columns=list(range(1, 13)))
    table.loc[2024, 1], table.loc[2024, 2] = 0.05, -0.02
    table["total"] = 1.05 * 0.98 - 1
    assert _png_size(plot_monthly_heatmap(table, tmp_path / "t.png"))[0] == 1000
    series = pd.Series([0.05, -0.02], index=pd.period_range("2024-01", periods=2, freq="M"))
    plot_monthly_heatmap(series, tmp_path / "s.png")
    with pytest.raises(DataError, match="one value per month"):
        plot_monthly_heatmap(pd.Series([0.01, 0.02], index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"])),
                             tmp_path / "x.png")
    with pytest.raises(DataError, match="month numbers"):
        plot_monthly_heatmap(pd.DataFrame({13: [0.1]}, index=[2024]), tmp_path / "x.png")


def test_rolling_tracking_error_exact_values():
    idx = pd.bdate_range("2024-01-01", periods=5)
    bench = pd.Series([0.01, -0.02, 0.0, 0.03, 0.01], idx)
    tracker = bench + pd.Series([0.001, -0.001, 0.002, 0.0, 0.001], idx)
    te = rolling_tracking_error(tracker, bench, window=3, periods_per_year=250)
    # active returns 0.001, -0.001, 0.002, 0, 0.001: sd of the first window (ddof=1) = 0.0015275...
    expected_first = np.std([0.001, -0.001, 0.002], ddof=1) * math.sqrt(250)
    assert te.iloc[:2, 0].isna().all()
    assert te.iloc[2, 0] == pytest.approx(expected_first, rel=1e-9)
    assert te.iloc[4, 0] == pytest.approx(np.std([0.002, 0.0, 0.001], ddof=1) * math.sqrt(250), rel=1e-9)
    same = rolling_tracking_error(bench + 0.0005, bench, window=2, periods_per_year=250)
    assert np.allclose(same.iloc[1:, 0], 0.0, atol=1e-12)  # a constant gap has no tracking error


def test_rolling_tracking_error_agrees_with_metrics_on_the_last_window(star50, csi300):
    r, b = star50.pct_change().dropna(), csi300.pct_change().dropna()
    te = rolling_tracking_error(r, b, window=60, periods_per_year=243)
    last = metrics.tracking_error(r.iloc[-60:], b.iloc[-60:], periods_per_year=243)
    assert te.iloc[-1, 0] == pytest.approx(float(last), rel=1e-9)
    assert 0.05 < te.iloc[-1, 0] < 0.8  # STAR 50 vs CSI 300: tens of percent a year
    default = rolling_tracking_error(r, b, window=60)
    assert default.iloc[-1, 0] == pytest.approx(te.iloc[-1, 0] * math.sqrt(242 / 243), rel=0.01)


def test_sweep_grid_pivot_and_aggregation():
    rows = [{"fast": f, "slow": s, "cost": c, "sharpe": f * 10 + s + c}
            for f in (10, 5) for s in (60, 20) for c in (0.0, 0.5)]
    results = pd.DataFrame(rows)
    with pytest.raises(ConfigError, match="aggfunc='max'"):
        sweep_grid(results, "slow", "fast", "sharpe")
    grid = sweep_grid(results, "slow", "fast", "sharpe", aggfunc="max")
    assert grid.index.tolist() == [5, 10] and grid.columns.tolist() == [20, 60]
    assert grid.to_numpy().tolist() == [[70.5, 110.5], [120.5, 160.5]]
    assert sweep_grid(results, "slow", "fast", "sharpe", aggfunc="mean").loc[5, 20] == 70.25
    with pytest.raises(ConfigError, match="column 'calmar' not in results"):
        sweep_grid(results, "slow", "fast", "calmar")


def test_sweep_heatmap_best_cell_is_green(tmp_path):
    rows = [{"x": x, "y": y, "m": -((x - 3) ** 2) - (y - 1) ** 2} for x in range(5) for y in range(3)]
    img = mpimg.imread(plot_sweep_heatmap(pd.DataFrame(rows), "x", "y", "m", tmp_path / "s.png"))[:, :, :3]
    greenish = ((img[:, :, 1] - img[:, :, 0]) > 0.3).sum()
    reddish = ((img[:, :, 0] - img[:, :, 1]) > 0.3).sum()
    assert greenish > 500 and reddish > 500
    flipped = plot_sweep_heatmap(pd.DataFrame(rows), "x", "y", "m", tmp_path / "f.png", higher_is_better=False)
    assert flipped.read_bytes() != (tmp_path / "s.png").read_bytes()


def test_errors_name_the_problem(tmp_path):
    s = _synthetic_levels()
    with pytest.raises(DataError, match="must be positive"):
        plot_equity(s - 200, tmp_path / "x.png")
    with pytest.raises(DataError, match="duplicate date 2024-01-01"):
        plot_underwater(pd.concat([s.iloc[:1], s]), tmp_path / "x.png")
    with pytest.raises(DataError, match="index must be dates"):
        plot_equity(s.reset_index(drop=True), tmp_path / "x.png")
    with pytest.raises(DataError, match="no date in common"):
        plot_equity(s.iloc[:10], tmp_path / "x.png", benchmark=s.iloc[20:])
    with pytest.raises(ConfigError, match="window must be an integer >= 2"):
        rolling_tracking_error(s.pct_change(), s.pct_change(), window=1)
    with pytest.raises(DataError, match="fewer than window=500"):
        rolling_tracking_error(s.pct_change(), s.pct_change(), window=500)
    assert not (tmp_path / "x.png").exists()


def test_global_matplotlib_style_does_not_leak_into_plots(tmp_path):
    import matplotlib

    before = plot_equity(_synthetic_levels(), tmp_path / "before.png").read_bytes()
    with matplotlib.rc_context({"lines.linewidth": 5.0, "axes.facecolor": "#eeeeee", "font.size": 14.0}):
        during = plot_equity(_synthetic_levels(), tmp_path / "during.png").read_bytes()
    assert during == before


def test_chinese_names_render_with_a_cjk_font(tmp_path):
    """With a CJK font installed (CI: fonts-wqy-zenhei) no glyph is missing; without one the plot is
    still written (boxes, no crash)."""
    import warnings

    from aibt.results.plots import cjk_font, plot_weights

    w = pd.DataFrame({"code": ["688256", "688008", "688041"], "name": ["寒武纪", "澜起科技", "海光信息"],
                      "weight": [0.15, 0.12, 0.1], "review_weight": [0.1, 0.1, 0.1]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = plot_weights(w, tmp_path / "w.png")
    assert out.exists() and out.stat().st_size > 5000
    missing = [str(c.message) for c in caught if "missing from font" in str(c.message)]
    if cjk_font() is not None:
        assert missing == []
    a = plot_weights(w, tmp_path / "a.png").read_bytes()
    assert a == out.read_bytes()  # same bytes on a rerun
