"""The local data store: a folder with the snapshot's layout, written atomically.

Layout (the same files and schemas as the embedded ``data/snapshot/``; tables past the first five are
optional for readers)::

    bars.parquet  events.parquet  shares.parquet  securities.parquet  provenance.json
    nav.parquet  index_levels.parquet  index_weights.parquet  fx.parquet

``provenance.json`` holds ``content_sha256`` per table (:func:`content_hash`) and ``snapshot_sha256``
over them. Parquet files are written deterministically (:func:`write_parquet`): the same frames give
the same bytes.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


# ---------------------------------------------------------------------------------------------- hashing / io
def content_hash(df: pd.DataFrame) -> str:
    """sha256 of a frame's values in a canonical form (independent of the parquet writer)."""
    h = hashlib.sha256()
    for col in df.columns:
        h.update(col.encode())
        v = df[col]
        if pd.api.types.is_datetime64_any_dtype(v):
            h.update(v.to_numpy(dtype="datetime64[ns]").astype("<i8").tobytes())
        elif pd.api.types.is_bool_dtype(v):
            h.update(v.to_numpy(dtype=np.uint8).tobytes())
        elif pd.api.types.is_numeric_dtype(v):
            h.update(np.ascontiguousarray(v.to_numpy(dtype=np.float64)).astype("<f8").tobytes())
        else:
            h.update("\x1f".join(v.astype(str).tolist()).encode("utf-8"))
    return h.hexdigest()


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Deterministic parquet write (no pandas metadata, fixed options), atomically."""
    arrays, names = [], []
    for col in df.columns:
        v = df[col]
        if pd.api.types.is_datetime64_any_dtype(v):
            arrays.append(pa.array(v.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"), type=pa.date32()))
        elif pd.api.types.is_bool_dtype(v):
            arrays.append(pa.array(v.to_numpy(dtype=bool), type=pa.bool_()))
        elif pd.api.types.is_numeric_dtype(v):
            arrays.append(pa.array(v.to_numpy(dtype=np.float64), type=pa.float64()))
        else:
            arrays.append(pa.array(v.astype(str).tolist(), type=pa.string()))
        names.append(col)
    table = pa.Table.from_arrays(arrays, names=names)
    _atomic(path, lambda p: pq.write_table(table, p, compression="zstd", compression_level=9,
                                           use_dictionary=["symbol", "source"] if "source" in names else ["symbol"],
                                           write_statistics=False, row_group_size=1 << 20,
                                           data_page_version="1.0", version="2.6", store_schema=False))


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _write_text(path: Path, text: str) -> None:
    def w(p):
        with open(p, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    _atomic(path, w)
