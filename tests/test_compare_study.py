"""Strategy comparison from a study file: the shipped example runs from the CLI and from Python with
identical tables; a user strategy defined in this file is compared and swept (chunked, resumed); the
basket weights and the buy-and-hold row agree with hand computations on real snapshot bars."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import aibt
from aibt.cli import cli
from aibt.errors import ConfigError
from aibt.results import io
from aibt.strategies.study_file import basket_weights, load_study, study_from_dict

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "supplier_baskets.toml"


def momentum(panel, lookback=20, top=2):
    """A user strategy: hold the ``top`` names with the best ``lookback``-session return, equally."""
    close = panel.frame("close")
    mom = close / close.shift(lookback) - 1.0
    rank = mom.rank(axis=1, ascending=False, method="first")
    w = (rank <= top).astype(float)
    return w.div(w.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)


def _user_study(tmp_path: Path) -> Path:
    p = tmp_path / "user.toml"
    p.write_text(f'''
title = "A user momentum strategy against the optical basket"
start = "2024-01-02"
end = "2025-06-30"
history_start = "2023-06-01"
benchmark = "000688"
rules = "a-share"
init_cash = 1000000

[costs]
commission = 0.00025
min_commission = 5.0

[[strategy]]
name = "optical equal"
kind = "basket"
members = "optical"
schedule = "monthly"

[[strategy]]
name = "momentum"
kind = "python"
function = "{Path(__file__).resolve()}:momentum"
members = "optical"
schedule = "monthly"
params = {{ lookback = 20, top = 2 }}

[strategy.sweep]
lookback = [20, 60]
top = [1, 2, 3]
''', encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def example_cli(tmp_path_factory):
    out = tmp_path_factory.mktemp("example")
    r = CliRunner().invoke(cli, ["compare", "--study", str(EXAMPLE), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out, r.output


def test_example_study_gives_identical_tables_from_cli_and_python(example_cli):
    out, output = example_cli
    comp = aibt.compare(EXAMPLE)
    assert (out / "tables" / "compare.csv").read_text(encoding="utf-8") == io.csv_text(comp.table, index=False)
    names = list(comp.table["strategy"])
    assert names[:7] == [s.name for s in load_study(EXAMPLE).strategies] and names[7] == "benchmark: 000688"
    for f in ("tables/compare.md", "plots/compare_equity.png", "plots/compare_drawdown.png", "report.html",
              "manifest.json"):
        assert (out / f).stat().st_size > 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "won: total return" in html and "won: total return" in output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "tables/compare.csv" in manifest["outputs"]
    # every row over the same sessions: 588790's first and last bar
    assert set(comp.table["start"]) == {"2025-01-09"} and set(comp.table["end"]) == {"2026-05-07"}


def test_example_buy_and_hold_and_index_rows_agree_with_the_prices(example_cli):
    comp = aibt.compare(EXAMPLE)
    t = comp.table.set_index("strategy")
    etf = aibt.load(["588790"]).series("588790").loc["2025-01-09":"2026-05-07"]
    # bought at the next session's open with lots and costs: within a few tenths of a percent of the
    # close-to-close price return (the first session's open-to-close move and the cash left over)
    bh = t.loc["588790 buy and hold", "total_return"]
    price_return = etf.iloc[-1] / etf.iloc[0] - 1.0
    assert bh == pytest.approx(price_return, abs=0.05)
    bench = aibt.load(["000688"]).series("000688").loc["2025-01-09":"2026-05-07"]
    assert t.loc["benchmark: 000688", "total_return"] == pytest.approx(bench.iloc[-1] / bench.iloc[0] - 1.0, rel=1e-12)
    assert t.loc["benchmark: 000688", "beta"] == pytest.approx(1.0)
    assert t.loc["588790 buy and hold", "n_filled"] == 1


def test_a_user_strategy_in_this_file_is_compared_and_swept(tmp_path):
    study = _user_study(tmp_path)
    comp = aibt.compare(study)
    row = comp.table.set_index("strategy").loc["momentum"]
    assert row["kind"] == "python" and row["n_filled"] > 10 and row["total_costs"] > 0
    # the same weights through aibt.backtest give the same curve (same rules, costs, sessions)
    st = load_study(study)
    panel = aibt.load(list(aibt.api.study_inputs(st)["panel"].symbols), start="2023-06-01", end="2025-06-30")
    w = momentum(panel.select(list(st.strategy("momentum").options["members"])))
    sub = panel.select(start="2024-01-02", end="2025-06-30")
    res = aibt.backtest(sub, w.reindex(columns=list(panel.symbols), fill_value=0.0).loc[sub.dates],
                        schedule="monthly", init_cash=1_000_000, commission=0.00025, min_commission=5.0)
    assert row["total_return"] == pytest.approx(res.summary["total_return"], rel=1e-12)

    runner = CliRunner()
    out = tmp_path / "sweep"
    args = ["compare", "--study", str(study), "--sweep", "momentum", "--out", str(out), "--chunk-size", "4", "--json"]
    r1 = runner.invoke(cli, args)
    assert r1.exit_code == 0, r1.output
    doc = json.loads(r1.output)
    assert doc["n_combinations"] == 6 and doc["n_chunks"] == 2 and doc["chunks_run"] == 2
    table = pd.read_parquet(out / "summary.parquet")
    assert list(table[["lookback", "top"]].itertuples(index=False, name=None)) == [
        (20, 1), (20, 2), (20, 3), (60, 1), (60, 2), (60, 3)]
    # the sweep's (lookback 20, top 2) row is the compared strategy, to the last digit
    same = table[(table["lookback"] == 20) & (table["top"] == 2)].iloc[0]
    assert same["total_return"] == pytest.approx(row["total_return"], rel=1e-12)
    assert table["final_value"].nunique() == 6
    r2 = runner.invoke(cli, args)  # resumable: a rerun finds both chunks done
    assert r2.exit_code == 0 and json.loads(r2.output)["chunks_skipped"] == 2


def test_user_sweep_on_dask_equals_local(tmp_path):
    pytest.importorskip("distributed")
    from aibt.strategies.study_sweep import user_sweep
    from aibt.strategies.sweep_runner import run_chunked_sweep

    study = _user_study(tmp_path)
    panel = aibt.api.study_inputs(load_study(study))["panel"]
    local = run_chunked_sweep(user_sweep(study, "momentum", chunk_size=6), tmp_path / "local", panel=panel)
    dask = run_chunked_sweep(user_sweep(study, "momentum", chunk_size=3), tmp_path / "dask", panel=panel,
                             scheduler="dask", n_workers=1)
    pd.testing.assert_frame_equal(local.table, dask.table, check_exact=True)


def test_basket_weights_by_hand_on_real_bars():
    members = ["300476", "603228", "002463", "600183"]
    panel = aibt.load(members, start="2025-03-03", end="2025-03-31")
    eq = basket_weights(panel, members, "equal")
    assert np.allclose(eq[:, [panel.column(m) for m in members]], 0.25)
    shares = {"300476": 8.6e8, "603228": 9.8e8, "002463": 1.9e9, "600183": 2.4e9}
    cap = basket_weights(panel, members, "cap", shares=shares)
    t = 5
    mv = np.array([panel.fields["close"][t, panel.column(m)] * shares[m] for m in members])
    assert cap[t, [panel.column(m) for m in members]] == pytest.approx(mv / mv.sum(), rel=1e-12)
    iv = basket_weights(panel, members, "inverse_vol", vol_window=10)
    r = panel.frame("close")[members].pct_change(fill_method=None)
    t = 15  # ten daily returns, rows 6..15
    sd = r.iloc[t - 9:t + 1].std()
    assert iv[t, [panel.column(m) for m in members]] == pytest.approx((1 / sd / (1 / sd).sum()).to_numpy(), rel=1e-9)


def test_a_name_weighs_only_while_it_has_data():
    members = ["301486", "300308"]  # 301486 lists on 2023-07-07; 6088.HK below ends 2025-10-30
    panel = aibt.load(members, start="2023-06-01", end="2023-08-31")
    w = basket_weights(panel, members, "equal")
    listed = panel.dates.searchsorted(pd.Timestamp("2023-07-07"))
    assert (w[:listed, panel.column("301486")] == 0).all() and (w[:listed, panel.column("300308")] == 1).all()
    assert np.allclose(w[listed:, :], 0.5)
    hk = aibt.load(["6088.HK", "300913"], start="2025-10-01", end="2025-11-28")
    w = basket_weights(hk, ["6088.HK", "300913"], "equal")
    after = hk.dates > pd.Timestamp("2025-10-30")
    assert (w[after, hk.column("6088.HK")] == 0).all() and (w[after, hk.column("300913")] == 1).all()


@pytest.mark.parametrize("raw, words", [
    ({"start": "2024-01-02", "strategy": [{"kind": "baskett", "members": "pcb"}]}, ["kind", "basket"]),
    ({"start": "2024-01-02", "strategy": [{"kind": "basket", "member": "pcb"}]}, ["'member'", "did you mean 'members'"]),
    ({"start": "2024-01-02", "strategy": [{"kind": "basket", "members": "pcb", "weighting": "capp"}]}, ["weighting", "cap"]),
    ({"strategy": [{"kind": "basket", "members": "pcb"}]}, ["start"]),
    ({"start": "2024-01-02", "strategy": [{"kind": "python", "function": "nomodule"}]}, ["module:function"]),
    ({"start": "2024-01-02", "strategy": [{"kind": "basket", "members": "pcb", "name": "a"},
                                          {"kind": "basket", "members": "pcb", "name": "a"}]}, ["named 'a'"]),
    ({"start": "2024-01-02", "rules": "china", "strategy": [{"kind": "basket", "members": "pcb"}]}, ["rules"]),
])
def test_study_file_errors_name_the_key_and_the_fix(raw, words):
    with pytest.raises(ConfigError) as e:
        study_from_dict(raw)
    assert all(w in str(e.value) for w in words), str(e.value)


def test_cli_study_error_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('start = "2024-01-02"\n[[strategy]]\nkind = "python"\nfunction = "no_such_module_x:f"\n')
    r = CliRunner().invoke(cli, ["compare", "--study", str(bad)])
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "no_such_module_x" in r.output


def test_a_weights_csv_strategy_rebalances_on_its_effective_dates(tmp_path):
    (tmp_path / "w.csv").write_text("effective_date,code,weight\n2024-01-02,300476,0.6\n2024-01-02,603228,0.4\n"
                                    "2024-07-01,300476,0.2\n2024-07-01,603228,0.8\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text('start = "2024-01-02"\nend = "2024-12-31"\nrules = "frictionless"\n'
                                     'init_cash = 1000000\n[[strategy]]\nname = "mine"\nkind = "weights_csv"\n'
                                     'path = "w.csv"\n', encoding="utf-8")
    comp = aibt.compare(tmp_path / "s.toml")
    res = comp.results["mine"]
    decided = list(res.decisions[res.decisions].index.strftime("%Y-%m-%d"))
    assert decided == ["2024-01-02", "2024-06-28"]  # the start, and the close before 2024-07-01
    # frictionless: filled at 2024-07-01's open at the review's targets, then drifted with the prices
    panel = aibt.load(["300476", "603228"], start="2024-07-01", end="2024-07-03")
    grow = {c: panel.traded("close")[-1, panel.column(c)] / panel.traded("open")[0, panel.column(c)]
            for c in ("300476", "603228")}
    w = res.weights.loc["2024-07-03"]
    assert w["300476"] / (w["300476"] + w["603228"]) == pytest.approx(
        0.2 * grow["300476"] / (0.2 * grow["300476"] + 0.8 * grow["603228"]), rel=1e-9)
    assert comp.table.loc[0, "total_return"] == pytest.approx(res.summary["total_return"], rel=1e-12)
