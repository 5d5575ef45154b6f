"""``--data-dir DIR`` / ``AIBT_DATA_DIR``: every loader and command reads a folder in the snapshot's layout.

The fixture folder is written here from real snapshot bars with one close changed by hand, so a read
of the folder is told apart from a read of the embedded snapshot by that value.
"""
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from aibt.cli import COMMANDS, cli
from aibt.data import snapshot
from aibt.errors import DataError


@pytest.fixture()
def store(tmp_path):
    bars = pd.read_parquet(snapshot.resources.files("aibt.data").joinpath("snapshot", "bars.parquet"))
    sec = pd.read_parquet(snapshot.resources.files("aibt.data").joinpath("snapshot", "securities.parquet"))
    keep = ["588790", "000688", "300308"]
    bars = bars[bars["symbol"].isin(keep)].reset_index(drop=True)
    last = bars.index[bars["symbol"] == "588790"][-1]
    bars.loc[last, ["close", "traded_close"]] = 9.999  # a value the embedded snapshot does not have
    bars.to_parquet(tmp_path / "bars.parquet", index=False)
    sec[sec["symbol"].isin(keep)].to_parquet(tmp_path / "securities.parquet", index=False)
    return tmp_path


def test_loaders_follow_the_data_folder_and_restore(store):
    embedded = snapshot.load_snapshot(["588790"]).frame("close")["588790"].iloc[-1]
    with snapshot.use_data_dir(store) as root:
        assert root == store.resolve()
        p = snapshot.load_snapshot(["588790"])
        assert p.frame("close")["588790"].iloc[-1] == 9.999
        assert p.meta["source"] == f"data folder {store.resolve()}"
        assert snapshot.symbols() == ["000688", "300308", "588790"]
        assert len(snapshot.load_events()) == 0 and len(snapshot.load_shares()) == 0  # optional files
        with pytest.raises(DataError, match="not in the snapshot"):
            snapshot.load_snapshot(["688256"])
    assert snapshot.data_dir() is None
    assert snapshot.load_snapshot(["588790"]).frame("close")["588790"].iloc[-1] == embedded != 9.999


def test_environment_variable_sets_the_default(store, monkeypatch):
    monkeypatch.setenv("AIBT_DATA_DIR", str(store))
    assert snapshot.data_dir() == store.resolve()
    assert snapshot.load_snapshot(["588790"]).frame("close")["588790"].iloc[-1] == 9.999


@pytest.mark.parametrize("bad, fragment", [("missing", "does not exist"), ("file", "is a file"),
                                           ("empty", "has no bars.parquet")])
def test_bad_folders_are_one_line_exit_2(tmp_path, bad, fragment):
    target = tmp_path / bad
    if bad == "file":
        target.write_text("x")
    elif bad == "empty":
        target.mkdir()
    for args in (["--data-dir", str(target), "stats", "588790"], ["stats", "588790", "--data-dir", str(target)]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 2, r.output
        lines = [line for line in r.output.splitlines() if line.strip()]
        assert len(lines) == 1 and fragment in lines[0] and "error:" in lines[0]


def test_damaged_parquet_is_named(store):
    (store / "bars.parquet").write_bytes(b"not parquet")
    r = CliRunner().invoke(cli, ["stats", "588790", "--data-dir", str(store)])
    assert r.exit_code == 2 and "bars.parquet" in r.output and "not a readable parquet" in r.output


def test_commands_read_the_folder(store):
    r = CliRunner().invoke(cli, ["data", "info", "--json", "--data-dir", str(store)])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output)
    assert rec["data"] == f"data folder {store.resolve()}"
    assert [s["symbol"] for s in rec["symbols"]] == ["000688", "300308", "588790"]
    r = CliRunner().invoke(cli, ["data", "bars", "588790", "--traded", "--data-dir", str(store)])
    assert r.exit_code == 0, r.output
    assert "9.999" in r.output.strip().splitlines()[-1]


def test_every_command_accepts_data_dir():
    group = cli
    ctx = group.make_context("aibt", ["--help"], resilient_parsing=True)
    for name in COMMANDS:
        cmd = group.get_command(ctx, name)
        leaves = list(cmd.commands.values()) if hasattr(cmd, "commands") else [cmd]
        for leaf in leaves:
            assert any(p.name == "data_dir" for p in leaf.params), f"{name} {leaf.name} lacks --data-dir"


def test_the_option_holds_for_one_invocation_only(store):
    r = CliRunner().invoke(cli, ["data", "info", "--json", "--data-dir", str(store)])
    assert r.exit_code == 0
    assert snapshot.data_dir() is None
    assert "688256" in snapshot.symbols()


def test_a_new_folder_before_the_command_is_only_for_data_update(tmp_path):
    new = tmp_path / "new-store"
    r = CliRunner().invoke(cli, ["--data-dir", str(new), "data", "update"])
    assert r.exit_code == 2 and "name symbols" in r.output  # reached update's own checks, not the folder's
    r = CliRunner().invoke(cli, ["--data-dir", str(new), "data", "info"])
    assert r.exit_code == 2 and "does not exist" in r.output
    assert not new.exists()
