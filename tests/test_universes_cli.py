"""``aibt universe show`` through click's CliRunner on the group itself."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.commands.universe import universe
from aibt.errors import UniverseError


def run(*args):
    return CliRunner().invoke(universe, list(args))


def test_show_basket_json():
    r = run("show", "pcb", "--date", "2025-06-30", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["universe"] == "pcb" and info["date"] == "2025-06-30" and info["n_members"] == 4
    assert [m["code"] for m in info["members"]] == ["300476", "603228", "002463", "600183"]
    assert [m["weight"] for m in info["members"]] == [0.25] * 4
    assert info["members"][2]["name"] == "沪电股份"


def test_show_basket_before_a_listing_drops_the_unlisted_member():
    info = json.loads(run("show", "optical", "--date", "2023-01-03", "--json").output)
    codes = [m["code"] for m in info["members"]]
    assert "301486" not in codes and len(codes) == 8  # 致尚科技 listed 2023-07-07
    assert sum(m["weight"] for m in info["members"]) == pytest.approx(1.0)


def test_show_text_and_user_file(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text('name = "mine"\nmembers = ["300308", "6088.HK"]\nweights = { "300308" = 0.75, "6088.HK" = 0.25 }\n',
                 encoding="utf-8")
    r = run("show", str(p), "--date", "2025-01-02")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "mine as of 2025-01-02 (file weights, 2 members)"
    assert lines[1].split() == ["300308", "中际旭创", "0.7500"]
    assert lines[2].split() == ["6088.HK", "鸿腾精密", "0.2500"]


def test_show_errors_name_the_bad_thing():
    r = run("show", "optcal")
    assert isinstance(r.exception, UniverseError) and "did you mean 'optical'" in str(r.exception)
    r = run("show", "pcb", "--date", "2025-02-30")
    assert isinstance(r.exception, UniverseError) and "'2025-02-30'" in str(r.exception)
    r = run("show", "copper", "--date", "2010-01-04")
    assert isinstance(r.exception, UniverseError) and "no member of 'copper'" in str(r.exception)


# ---------------------------------------------------------------- real data: the embedded snapshot
def test_show_star_ai_on_the_snapshot():
    r = run("show", "star-ai", "--date", "2025-06-30", "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    w = [m["weight"] for m in info["members"]]
    # 28 AI-theme names are known after the 2025-06 reclassification (universes/tables/star_ai_theme.csv)
    assert info["n_members"] == 28 and len(set(m["code"] for m in info["members"])) == 28
    assert sum(w) == pytest.approx(1.0, abs=1e-12)
    assert max(w) <= 0.10 + 1e-9
    assert info["effective_date"] == "2025-06-16"
    assert w == sorted(w, reverse=True)
    codes = {m["code"] for m in info["members"]}
    # the three largest AI-chip / software names of the reported top 10 are in, capped at 10%
    assert {"688256", "688111", "688008"} <= codes and "688041" not in codes
    assert all(m["weight"] == pytest.approx(0.10) for m in info["members"][:3])


def test_star_ai_real_data_has_no_lookahead():
    from aibt.commands.universe import star_ai_inputs
    from aibt.universes.star_ai import select_reviews

    full = star_ai_inputs()
    full.pop("end")
    table = select_reviews(**full)
    cut = pd.Timestamp("2025-04-30")  # the 2025-06 review's data cutoff; weights set on 2025-06-13's close
    trunc = {**full, "market": full["market"][full["market"]["date"] <= cut],
             "weight_close": full["weight_close"].loc[:"2025-06-13"]}
    short = select_reviews(**trunc)
    mine = table[table["review_date"] <= cut].reset_index(drop=True)
    theirs = short[short["review_date"] <= cut].reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs)
    assert pd.Timestamp("2025-06-16") in set(mine["effective_date"])
    # market data after the cutoff changes no member, only (through later closes) no weight before 06-13
    blind = select_reviews(**{**trunc, "weight_close": full["weight_close"].loc[:cut]})
    assert blind[blind["review_date"] <= cut]["code"].tolist() == mine["code"].tolist()
    # every review from the base date on has weights summing to 1 under the cap
    g = table.groupby("effective_date")["weight"]
    assert (g.sum() - 1).abs().max() < 1e-12 and g.max().max() <= 0.10 + 1e-9
    assert (table[table["effective_date"] >= "2023-12-01"].groupby("effective_date").size() >= 27).all()