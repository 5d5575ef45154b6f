"""The front door: ``aibt.load`` (snapshot, a data folder, CSV files), ``aibt.backtest`` (rules default,
strategies as callables or ``module:function``) and the Result (``.stats()`` = ``aibt stats --json``,
``.plot()`` figures, ``.report(path)``), on real snapshot bars."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.figure import Figure

import aibt
from aibt.cli import cli
from aibt.data import snapshot
from aibt.errors import ConfigError

CODES = ["300476", "603228"]


@pytest.fixture(scope="module")
def panel():
    return aibt.load(CODES, start="2024-01-02", end="2024-12-31")


def test_import_aibt_loads_no_numba_pandas_or_matplotlib():
    code = ("import sys, aibt; print(sorted(m for m in ('numba', 'pandas', 'matplotlib', 'aibt.api') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_load_reads_the_snapshot_a_data_folder_and_csv_files(tmp_path, panel):
    assert panel.symbols == tuple(CODES) and str(panel.dates[0].date()) == "2024-01-02"
    assert aibt.load("300476").symbols == ("300476",)
    # a data folder in the snapshot's layout, with one close changed by hand
    bars = pd.read_parquet(snapshot.resources.files("aibt.data").joinpath("snapshot", "bars.parquet"))
    sec = pd.read_parquet(snapshot.resources.files("aibt.data").joinpath("snapshot", "securities.parquet"))
    bars = bars[bars["symbol"].isin(CODES)].reset_index(drop=True)
    last = bars.index[bars["symbol"] == "300476"][-1]
    bars.loc[last, ["close", "traded_close"]] = 123.456
    folder = tmp_path / "store"
    folder.mkdir()
    bars.to_parquet(folder / "bars.parquet", index=False)
    sec[sec["symbol"].isin(CODES)].to_parquet(folder / "securities.parquet", index=False)
    p = aibt.load(folder)
    assert p.frame("close")["300476"].iloc[-1] == 123.456
    assert snapshot.data_dir() is None  # the folder was read for this call only
    # CSV files, one per symbol, named by the file
    for c in CODES:
        s = panel.frame("close")[c]
        pd.DataFrame({"date": panel.dates.strftime("%Y-%m-%d"), "open": panel.frame("open")[c], "high": panel.frame("high")[c],
                      "low": panel.frame("low")[c], "close": s, "volume": panel.frame("volume")[c]}).to_csv(
            tmp_path / f"{c}.csv", index=False)
    files = aibt.load([tmp_path / f"{c}.csv" for c in CODES])
    assert files.symbols == tuple(CODES)
    np.testing.assert_array_equal(files.fields["close"], panel.fields["close"])
    with pytest.raises(Exception, match="does not exist"):
        aibt.load(tmp_path / "nothing_here.csv")


def test_backtest_defaults_to_the_a_share_rules_and_frictionless_is_explicit(panel):
    w = {c: 0.5 for c in CODES}
    a = aibt.backtest(panel, w, schedule="monthly", commission=0.00025, min_commission=5.0)
    f = aibt.backtest(panel, w, schedule="monthly", commission=0.00025, min_commission=5.0, rules="frictionless")
    assert a.meta["rules"] == "a-share" and f.meta["rules"] == "frictionless"
    assert a.costs["stamp"].sum() > 0 and f.costs["stamp"].sum() == 0
    assert (a.positions.to_numpy() % 100 == 0).all()  # whole lots
    assert not np.allclose(f.positions.to_numpy() % 1, 0)  # fractional shares
    # a panel of securities the master does not know: frictionless, and said so
    from aibt.data.panel import Panel

    odd = Panel(panel.dates, ("XYZ1", "XYZ2"), {k: v.copy() for k, v in panel.fields.items()}, panel.tradable,
                panel.currency, panel.fx_to_cny)
    r = aibt.backtest(odd, {"XYZ1": 1.0})
    assert r.meta["rules"].startswith("frictionless (not in the security master: XYZ1")
    with pytest.raises(ConfigError, match="rules='a-share' needs every symbol"):
        aibt.backtest(odd, {"XYZ1": 1.0}, rules="a-share")


def half_and_half(panel, first=0.5):
    return pd.DataFrame({panel.symbols[0]: first, panel.symbols[1]: 1 - first}, index=panel.dates)


def test_strategies_as_callables_and_module_paths(panel):
    a = aibt.backtest(panel, half_and_half, params={"first": 0.7}, schedule="monthly")
    b = aibt.backtest(panel, f"{__file__}:half_and_half", params={"first": 0.7}, schedule="monthly")
    assert a.name == "half_and_half" and a.equity.equals(b.equity)
    with pytest.raises(ConfigError, match="module:function"):
        aibt.backtest(panel, "not a strategy")
    with pytest.raises(ConfigError, match="must return target weights"):
        aibt.backtest(panel, lambda p: 1.0)


def test_stats_is_the_dict_of_aibt_stats_json(panel, tmp_path):
    r = aibt.backtest(panel, {c: 0.5 for c in CODES}, schedule="monthly", commission=0.00025, min_commission=5.0)
    path = tmp_path / "equity.csv"
    pd.DataFrame({"date": r.equity.index.strftime("%Y-%m-%d"), "close": r.equity.to_numpy()}).to_csv(path, index=False)
    cli_out = CliRunner().invoke(cli, ["stats", "--csv", str(path), "--json"])
    assert cli_out.exit_code == 0, cli_out.output
    from_cli = json.loads(cli_out.output)
    mine = json.loads(json.dumps(r.stats(), allow_nan=False))
    from_cli.pop("source"), mine.pop("source")
    assert _close(mine, from_cli)
    assert r.stats()["total_return"] == pytest.approx(r.summary["total_return"], rel=1e-12)


def _close(a, b) -> bool:
    """Equal JSON documents, floats to 12 significant digits (the CSV round trip writes 17)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        return all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        assert len(a) == len(b)
        return all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, (int, float)):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15)
        return True
    assert a == b
    return True


def test_plot_returns_figures_and_report_writes_one_file(panel, tmp_path):
    from aibt.results.plots import plot_equity, save_figure

    r = aibt.backtest(panel, {c: 0.5 for c in CODES}, schedule="monthly")
    figs = r.plot()
    assert set(figs) == {"equity", "drawdown", "monthly"} and all(isinstance(f, Figure) for f in figs.values())
    assert isinstance(r.plot("drawdown"), Figure)
    # a figure saved later has the bytes of the same plot saved at once
    eq = r.equity.rename(r.name)
    direct = plot_equity(eq, tmp_path / "a.png", title=f"{r.name}: growth of 1").read_bytes()
    assert save_figure(figs["equity"], tmp_path / "b.png").read_bytes() == direct
    out = r.report(tmp_path / "r.html")
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3 and "Refused or cut orders" in html
    assert "a-share" in html
