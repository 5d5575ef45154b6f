"""load_closes (one symbol's closes, numpy arrays, no pandas) is the Panel's close series."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aibt.data import snapshot
from aibt.data.snapshot import load_closes, load_snapshot, use_data_dir
from aibt.errors import DataError

SNAP = Path(snapshot.__file__).resolve().parent / "snapshot"


def _same(symbol: str) -> None:
    s = load_snapshot(symbol).series(symbol, "close")
    d, c = load_closes(symbol)
    assert d.dtype == "datetime64[ns]" and c.dtype == np.float64
    np.testing.assert_array_equal(d, s.index.to_numpy())
    np.testing.assert_array_equal(c, s.to_numpy())


def test_every_snapshot_symbol_equals_the_panel_series(monkeypatch):
    monkeypatch.setattr(snapshot, "default_store", lambda: None)
    monkeypatch.delenv("AIBT_DATA_DIR", raising=False)
    for symbol in snapshot.symbols():  # A-share stocks, ETFs, indices and a .HK name (HK days dropped)
        _same(symbol)


def test_a_data_folder_with_timestamps_gaps_and_repeats(tmp_path):
    for f in ("securities.parquet", "events.parquet", "provenance.json"):
        shutil.copy(SNAP / f, tmp_path / f)
    bars = pq.read_table(SNAP / "bars.parquet")
    keep = np.flatnonzero(np.isin(np.asarray(bars.column("symbol").to_pylist()), ["588790", "6088.HK"]))
    bars = bars.take(pa.array(keep))
    close = bars.column("close").to_pylist()
    close[5] = None  # a bar with a missing close is left out, as a NaN close in the Panel
    bars = bars.set_column(bars.schema.get_field_index("close"), "close", pa.array(close, pa.float64()))
    ts = pa.array(np.asarray(bars.column("date").to_pylist(), dtype="datetime64[ns]"), pa.timestamp("ns"))
    bars = bars.set_column(bars.schema.get_field_index("date"), "date", ts)
    bars = pa.concat_tables([bars, bars.slice(10, 3)])  # repeated rows: the later one counts, as in the Panel
    pq.write_table(bars, tmp_path / "bars.parquet", row_group_size=5000)  # several chunks
    with use_data_dir(tmp_path):
        for symbol in ("588790", "6088.HK"):
            _same(symbol)
        assert len(load_closes("588790")[0]) == 316  # 317 sessions, one without a close
        d, c = load_closes("588000")  # a security without bars: empty (the command says "has no prices")
        assert len(d) == len(c) == 0 and d.dtype == "datetime64[ns]"


def test_a_data_folder_with_text_dates_and_numeric_codes(tmp_path):
    for f in ("securities.parquet", "events.parquet", "provenance.json"):
        shutil.copy(SNAP / f, tmp_path / f)
    bars = pq.read_table(SNAP / "bars.parquet")
    keep = np.flatnonzero(np.asarray(bars.column("symbol").to_pylist()) == "588790")
    bars = bars.take(pa.array(keep))
    text = pa.array([str(d) for d in bars.column("date").to_pylist()], pa.string())
    bars = bars.set_column(bars.schema.get_field_index("date"), "date", text)
    pq.write_table(bars, tmp_path / "bars.parquet")
    with use_data_dir(tmp_path):
        _same("588790")  # text dates: read the way the Panel reads them (pandas, only on this path)
    codes = pa.array([int(v) for v in bars.column("symbol").to_pylist()], pa.int64())
    bars = bars.set_column(bars.schema.get_field_index("symbol"), "symbol", codes)
    pq.write_table(bars, tmp_path / "bars.parquet")
    snapshot.clear_caches()
    with use_data_dir(tmp_path):
        _same("588790")  # codes stored as numbers compare as text, as the Panel's astype(str)


def test_unknown_symbol_and_bad_file(tmp_path):
    with pytest.raises(DataError, match=r"unknown symbol\(s\) 'NOPE'"):
        load_closes("NOPE")
    for f in ("securities.parquet",):
        shutil.copy(SNAP / f, tmp_path / f)
    pq.write_table(pa.table({"date": pa.array([0], pa.date32()), "symbol": ["588790"]}), tmp_path / "bars.parquet")
    with use_data_dir(tmp_path), pytest.raises(DataError, match="lacks column"):
        load_closes("588790")
    (tmp_path / "bars.parquet").write_bytes(b"not parquet")
    with use_data_dir(tmp_path), pytest.raises(DataError, match="not a readable parquet file"):
        load_closes("588790")
