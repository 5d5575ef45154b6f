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
import pyarrow as pa
import pyarrow.parquet as pq

from aibt.files import fsync_dir


# ---------------------------------------------------------------------------------------------- hashing / io
def content_hash(df: pd.DataFrame) -> str:
    """sha256 of a frame's values in a canonical form (independent of the parquet writer)."""
    import pandas as pd

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
    import pandas as pd

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


# ---------------------------------------------------------------------------------------------- the store
BASE_TABLES = ("bars", "events", "shares", "securities")
#: Tables the updater adds; each optional for readers.
EXTRA_TABLES = ("nav", "index_levels", "index_weights", "fx", "fund_shares")
ENV = "AIBT_DATA_DIR"
_DATE_COLS = {"bars": "date", "events": "ex_date", "shares": "date", "nav": "date", "index_levels": "date",
              "index_weights": "date", "fx": "date", "fund_shares": "date"}
_SORT = {"bars": ["symbol", "date"], "events": ["symbol", "ex_date"], "shares": ["symbol"],
         "securities": ["symbol"], "nav": ["symbol", "date"], "index_levels": ["symbol", "date"],
         "index_weights": ["index", "date", "symbol"], "fx": ["currency", "date"],
         "fund_shares": ["symbol", "date"]}


def default_dir() -> Path:
    """``$AIBT_DATA_DIR`` if set, else the user data directory (platformdirs), else ``~/.local/share/aibt``."""
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    try:
        import platformdirs
    except ImportError:
        return Path.home() / ".local" / "share" / "aibt"
    return Path(platformdirs.user_data_dir("aibt", appauthor=False))


def is_store(root: Path) -> bool:
    """A folder holding a store (its provenance.json names the tables)."""
    return (Path(root) / "provenance.json").is_file()


def _old(root: Path) -> Path:
    return root.parent / f".{root.name}.old"


def recover(root: Path) -> None:
    """Finish or undo a swap a killed writer left: the previous store comes back when the new one
    never arrived; leftover temp folders are removed."""
    root = Path(root)
    old = _old(root)
    if old.is_dir() and not root.exists():
        os.replace(old, root)
    elif old.is_dir():
        import shutil

        shutil.rmtree(old, ignore_errors=True)
    if root.parent.is_dir():
        import shutil

        for p in root.parent.glob(f".{root.name}.tmp-*"):
            shutil.rmtree(p, ignore_errors=True)


def normalise(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A table as read back: dates datetime64[ns], text columns Python str, sorted."""
    import pandas as pd

    df = df.reset_index(drop=True)
    for c in df.columns:
        v = df[c]
        if c == _DATE_COLS.get(name):
            df[c] = pd.to_datetime(v).astype("datetime64[ns]")
        elif not (pd.api.types.is_numeric_dtype(v) or pd.api.types.is_bool_dtype(v)):
            df[c] = v.astype(str).astype(object)
    return df.sort_values(_SORT[name], kind="mergesort").reset_index(drop=True) if name in _SORT else df


def read_tables(root: Path | None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Every table and the provenance of the store at ``root`` (None: the embedded snapshot)."""
    import io
    import json
    from importlib import resources

    import pandas as pd

    out: dict[str, pd.DataFrame] = {}
    if root is None:
        base = resources.files("aibt.data").joinpath("snapshot")
        for name in BASE_TABLES:
            out[name] = normalise(name, pd.read_parquet(io.BytesIO(base.joinpath(f"{name}.parquet").read_bytes())))
        return out, json.loads(base.joinpath("provenance.json").read_bytes().decode("utf-8"))
    root = Path(root)
    prov = json.loads((root / "provenance.json").read_text(encoding="utf-8"))
    for name in BASE_TABLES + EXTRA_TABLES:
        p = root / f"{name}.parquet"
        if p.is_file():
            out[name] = normalise(name, pd.read_parquet(p))
    return out, prov


def table_hashes(tables: dict[str, pd.DataFrame]) -> tuple[dict[str, str], str]:
    """``content_sha256`` per table and the store hash over the sorted ``table:hash`` lines."""
    hashes = {k: content_hash(v) for k, v in sorted(tables.items())}
    total = hashlib.sha256("\n".join(f"{k}:{v}" for k, v in sorted(hashes.items())).encode()).hexdigest()
    return hashes, total


def write_store(root: Path, tables: dict[str, pd.DataFrame], provenance: dict) -> dict:
    """Write ``tables`` and ``provenance`` (hashes filled in) as the store at ``root``, atomically.

    Everything goes to a temp folder beside ``root`` (fsynced), then the old store is renamed away,
    the new one renamed in, the old removed. A writer killed before the second rename leaves the old
    store in place (:func:`recover` puts it back if it was renamed away already); nothing half-written
    is ever at ``root``. Returns the provenance written.
    """
    import json
    import shutil

    root = Path(root)
    recover(root)
    if root.exists() and not root.is_dir():
        raise OSError(f"{root} is a file, not a data folder")
    if root.is_dir() and not is_store(root) and any(root.iterdir()):
        from aibt.errors import DataError

        raise DataError(f"{root} is not an aibt data store (no provenance.json) and not empty; "
                        "choose a new or empty folder for --data-dir")
    tables = {k: normalise(k, v) for k, v in tables.items()}
    hashes, total = table_hashes(tables)
    prov = dict(provenance)
    prov["content_sha256"] = hashes
    prov["snapshot_sha256"] = total
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}.tmp-"))
    try:
        for name, df in sorted(tables.items()):
            write_parquet(df, tmp / f"{name}.parquet")
        _write_text(tmp / "provenance.json", json.dumps(prov, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
        for p in tmp.iterdir():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o755)
        old = _old(root)
        if root.is_dir():
            os.replace(root, old)
        os.replace(tmp, root)
        fsync_dir(root.parent)
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return prov


