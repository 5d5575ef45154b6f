"""Chunked, resumable sweeps (the rotation grid, or a user strategy's parameters), in-process or on Dask.

The caller loads the data and passes the Panel; nothing here reads the snapshot. A sweep is a *job*:
a :class:`~aibt.strategies.sweep_config.SweepConfig` (the rotation) or a
:class:`~aibt.strategies.study_sweep.UserSweep` (a user strategy of a study file), both with
``grid.size``, ``chunk_size``, ``work_hash(data_hash)`` and ``to_json()``.

The grid's combinations ``0 .. C-1`` are cut into chunks of ``chunk_size`` consecutive ids. Chunk
``i`` of ``n`` has the deterministic id ``chunk-{i:06d}-of-{n:06d}-{work_hash}`` and its summary (one
row per combination: parameters and metrics, indexed by combination id) is written atomically to
``OUT/chunks/<id>.parquet``. A rerun of the same work skips every chunk whose file exists, so a sweep
killed at any point resumes where it stopped. The merged table ``OUT/summary.parquet`` is sorted by
combination id; ``OUT/sweep.json`` records the config, the work hash and the chunking.

Results do not depend on the chunking or on the number of workers: every combination is simulated
independently by :func:`aibt.strategies.rotation.rotation_sweep` from the same shared inputs,
and the parquet round trip of float64 columns is exact.

Schedulers: ``"local"`` runs the chunks one after another in this process (each chunk already uses
every core through :mod:`aibt.engine.parallel`'s threads); ``"dask"`` starts a ``distributed.LocalCluster``;
anything else is a scheduler address (``tcp://host:8786``) for ``distributed.Client``. The Panel is
scattered to the workers once; they need aibt installed (and a user strategy's module importable)
and write the chunk files themselves, so ``out`` must be a folder every worker can reach (a shared
file system) when the cluster spans machines.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from aibt.data.cache import atomic_write_bytes
from aibt.errors import ConfigError, DataError, one_line
from aibt.strategies.sweep_config import SweepConfig, check_size, config_from_json

CHUNK_FOLDER = "chunks"
SUMMARY_FILE = "summary.parquet"
MANIFEST_FILE = "sweep.json"

# One kernel call at a time per process: Numba's default threading layer must not be entered from
# two threads at once (a Dask worker with several threads would otherwise do so).
_KERNEL_LOCK = threading.Lock()


# ----------------------------------------------------------------------------- chunk plan
@dataclass(frozen=True)
class ChunkPlan:
    """How a sweep of ``n_combinations`` is cut into chunks of ``chunk_size``."""

    n_combinations: int
    chunk_size: int
    work_hash: str

    @property
    def n_chunks(self) -> int:
        return -(-self.n_combinations // self.chunk_size)

    def bounds(self, index: int) -> tuple[int, int]:
        """Half-open combination range ``[first, stop)`` of chunk ``index``."""
        if not 0 <= index < self.n_chunks:
            raise ConfigError(f"chunk index {index} outside 0..{self.n_chunks - 1}")
        first = index * self.chunk_size
        return first, min(first + self.chunk_size, self.n_combinations)

    def chunk_id(self, index: int) -> str:
        return f"chunk-{index:06d}-of-{self.n_chunks:06d}-{self.work_hash}"

    def path(self, out: Path, index: int) -> Path:
        return Path(out) / CHUNK_FOLDER / f"{self.chunk_id(index)}.parquet"


def data_hash(panel) -> str:
    """Content hash of the data a sweep runs on (part of every work hash): the snapshot's hash the
    Panel was loaded with, else a hash of its dates, symbols and fields."""
    h = panel.meta.get("snapshot_sha256") if panel is not None else None
    if h:
        return str(h)
    import hashlib

    import numpy as np

    d = hashlib.sha256()
    d.update(np.asarray(panel.dates.asi8).tobytes())
    d.update("|".join(panel.symbols).encode("utf-8"))
    for name in sorted(panel.fields):
        d.update(name.encode("utf-8"))
        d.update(np.ascontiguousarray(panel.fields[name]).tobytes())
    return d.hexdigest()


def _check_job_size(cfg) -> None:
    if hasattr(cfg, "check_size"):
        cfg.check_size()
    else:
        check_size(cfg)


def plan_for(cfg, panel=None) -> ChunkPlan:
    """The chunk plan of ``cfg`` (its work hash includes the content hash of ``panel``'s data; without
    a panel, for checking a grid's size before anything is loaded, the hash of no data).

    Raises ConfigError when the grid exceeds ``cfg.max_combinations`` or the chunk count its limit.
    """
    _check_job_size(cfg)
    return ChunkPlan(cfg.grid.size, cfg.chunk_size, cfg.work_hash(data_hash(panel) if panel is not None else ""))


class SweepWarning(UserWarning):
    """A finished-looking chunk file was unreadable or incomplete and is computed again."""


# ----------------------------------------------------------------------------- shared inputs
def sweep_symbols(cfg: SweepConfig) -> tuple[list[str], dict[str, tuple[str, ...]]]:
    """Codes a rotation sweep needs (for the caller to load) and, in basket mode, the baskets' members."""
    if cfg.sleeves == "baskets":
        from aibt.universes import get_universe

        baskets = {b: tuple(get_universe(b).members) for b in cfg.baskets}
        codes = list(dict.fromkeys(c for m in baskets.values() for c in m))
        return codes, baskets
    if cfg.symbols:
        return list(dict.fromkeys(cfg.symbols)), {}
    from aibt.universes import get_universe

    return list(get_universe(cfg.name).members), {}


def build_setup(cfg, panel):
    """The shared inputs of every chunk of ``cfg`` on ``panel``: for the rotation the
    :class:`~aibt.strategies.rotation.RotationSetup` (signals, market arrays and costs shared by all
    combinations); a user sweep builds its own (``cfg.build_setup``)."""
    if hasattr(cfg, "build_setup"):
        return cfg.build_setup(panel)
    from aibt.strategies.rotation import asset_sleeves, build_sleeves, prepare

    codes, baskets = sweep_symbols(cfg)
    missing = [c for c in codes if c not in panel.symbols]
    if missing:
        raise DataError(f"the sweep's data lack {', '.join(missing[:5])}; load every symbol of the sweep's universe")
    sub = panel.select(codes) if tuple(codes) != panel.symbols else panel
    sleeves = build_sleeves(sub, baskets) if cfg.sleeves == "baskets" else asset_sleeves(sub)
    rules = None
    if cfg.rules:
        from aibt.universes import compile_rules

        rules = compile_rules(sub.dates, list(sub.symbols))
    return prepare(sub, sleeves, cfg.grid, rules, price=cfg.price, commission=cfg.commission,
                   min_commission=cfg.min_commission, slippage_bps=cfg.slippage_bps,
                   init_cash=cfg.init_cash, vol_window=cfg.vol_window)


def job_from_json(text: str):
    """A job from its JSON (a rotation :class:`SweepConfig`, or a user sweep)."""
    if '"job":"user"' in text:
        from aibt.strategies.study_sweep import UserSweep

        return UserSweep.from_json(text)
    return config_from_json(text)


_SETUPS: dict = {}  # (job json, id(panel)) -> setup; the panel is kept alive with its setup


def _cached_setup(cfg_json: str, panel):
    # each chunk's parameter rows come from the job's grid table(first, stop), derived arithmetically
    key = (cfg_json, id(panel))
    hit = _SETUPS.get(key)
    if hit is None or hit[0] is not panel:
        if len(_SETUPS) >= 2:
            _SETUPS.pop(next(iter(_SETUPS)))
        hit = (panel, build_setup(job_from_json(cfg_json), panel))
        _SETUPS[key] = hit
    return hit[1]


# ----------------------------------------------------------------------------- one chunk
def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` atomically (temporary file in the same folder, fsync, rename)."""
    from aibt.errors import fault_hint

    buf = io.BytesIO()
    frame.to_parquet(buf)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, lambda f: f.write(buf.getvalue()))
    except OSError as exc:
        raise DataError(f"cannot write {path}: {fault_hint(exc)}; finished chunks are kept, rerun to "
                        "resume") from None


def run_chunk(cfg_json: str, index: int, out: str, panel) -> str:
    """Simulate chunk ``index`` of the sweep ``cfg_json`` on ``panel`` and write its summary; skip if done.

    Runs on a Dask worker as well as in-process: the shared inputs are built once per process
    (cached by job and panel) and the kernel is called for this chunk's combinations only.

    Returns
    -------
    str
        The chunk file's path.
    """
    cfg = job_from_json(cfg_json)
    plan = plan_for(cfg, panel)
    path = plan.path(Path(out), index)
    if path.exists() and chunk_is_complete(path, plan, index):
        return str(path)
    setup = _cached_setup(cfg_json, panel)
    with _KERNEL_LOCK:
        if hasattr(cfg, "run_chunk"):
            table = cfg.run_chunk(setup, *plan.bounds(index))
        else:
            from aibt.strategies.rotation import run_sweep

            table, _ = run_sweep(setup, cfg.start, cfg.end, combos=plan.bounds(index))
    write_parquet(table, path)
    return str(path)


# ----------------------------------------------------------------------------- the sweep
@dataclass(frozen=True)
class SweepOutcome:
    """What :func:`run_chunked_sweep` did.

    Attributes
    ----------
    table : DataFrame, one row per combination sorted by id (parameters and metrics).
    ran, skipped : chunk indices simulated in this run / found finished from an earlier run.
    plan : ChunkPlan. out : the output folder. seconds : wall time of this run.
    """

    table: pd.DataFrame
    ran: tuple[int, ...]
    skipped: tuple[int, ...]
    plan: ChunkPlan
    out: Path
    seconds: float


def chunk_is_complete(path: Path, plan: ChunkPlan, index: int) -> bool:
    """True when ``path`` is a readable parquet file holding exactly chunk ``index``'s rows.

    Reads only the parquet footer. A truncated or damaged file (a disk that filled up, a copy that
    stopped) is removed with a :class:`SweepWarning`, so it is computed again.
    """
    import pyarrow.parquet as pq

    first, stop = plan.bounds(index)
    try:
        rows = pq.read_metadata(path).num_rows
    except Exception as exc:  # noqa: BLE001 - ArrowInvalid, OSError ...: an unreadable file
        problem = f"is unreadable ({one_line(str(exc), 120)})"
    else:
        if rows == stop - first:
            return True
        problem = f"has {rows} rows, expected {stop - first}"
    warnings.warn(f"chunk file {path} {problem}; computing it again", SweepWarning, stacklevel=2)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return False


def finished_chunks(out: Path, plan: ChunkPlan) -> set[int]:
    """Indices of the chunks of ``plan`` already complete in ``out`` (one directory listing)."""
    folder = Path(out) / CHUNK_FOLDER
    try:
        names = set(os.listdir(folder))
    except FileNotFoundError:
        return set()
    suffix = f"-of-{plan.n_chunks:06d}-{plan.work_hash}.parquet"
    done = set()
    for name in names:
        if name.startswith("chunk-") and name.endswith(suffix):
            try:
                i = int(name[len("chunk-"):-len(suffix)])
            except ValueError:
                continue
            if 0 <= i < plan.n_chunks and chunk_is_complete(folder / name, plan, i):
                done.add(i)
    return done


@contextlib.contextmanager
def stop_between_chunks():
    """Turn the first Ctrl-C into "stop after the current chunk" (the second stops at once; a notice
    is printed if the chunk is still running a second later).

    Yields a callable that raises :class:`KeyboardInterrupt` if Ctrl-C was pressed; call it between
    chunks. A compiled kernel is never interrupted mid-call (Numba would report a ``SystemError``),
    and every finished chunk is on disk, so rerunning the command resumes. Only in the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    hits: list[int] = []
    notice: list[threading.Timer] = []

    def tell() -> None:
        with contextlib.suppress(Exception):
            print("stopping after the current chunk (Ctrl-C again to stop now)", file=sys.stderr, flush=True)

    def handler(signum, frame):
        hits.append(signum)
        if len(hits) > 1:
            raise KeyboardInterrupt
        # say so only if the chunk takes a while: a quick stop stays one line (the CLI's "interrupted")
        timer = threading.Timer(1.0, tell)
        timer.daemon = True
        timer.start()
        notice.append(timer)

    def check() -> None:
        if hits:
            for t in notice:
                t.cancel()
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, previous)


def _simulated(cfg, panel, n_combinations: int) -> int:
    """Combinations the kernel simulates; each other one equals one of them and is reported with its
    results (:func:`aibt.strategies.sweep_config.representatives`). A user sweep simulates them all."""
    if hasattr(cfg, "run_chunk"):
        return n_combinations
    from aibt.strategies.rotation import session_range
    from aibt.strategies.sweep_config import count_computed

    setup = _cached_setup(cfg.to_json(), panel)
    t0, t1 = session_range(setup.panel.dates, cfg.start, cfg.end)
    return count_computed(cfg.grid, len(setup.sleeves.names), setup.signals, t0, t1)


def _check_manifest(out: Path, plan: ChunkPlan, cfg, panel) -> None:
    """Refuse an output folder that holds another sweep; write this sweep's manifest."""
    man = out / MANIFEST_FILE
    if man.exists():
        try:
            old = json.loads(man.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("work_hash") not in (None, plan.work_hash):
            raise ConfigError(
                f"output folder {str(out)!r} holds another sweep (work hash {old.get('work_hash')}, this one "
                f"{plan.work_hash}); choose another [run] out / --out, or delete the folder")
    meta = {"work_hash": plan.work_hash, "snapshot_sha256": data_hash(panel), "n_combinations": plan.n_combinations,
            "simulated_combinations": _simulated(cfg, panel, plan.n_combinations),
            "chunk_size": plan.chunk_size, "n_chunks": plan.n_chunks, "config": json.loads(cfg.to_json())}
    from aibt.errors import fault_hint

    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(man, lambda f: f.write(json.dumps(meta, indent=2, sort_keys=True).encode("utf-8")))
    except OSError as exc:
        raise ConfigError(f"cannot write {man}: {fault_hint(exc)}") from None


def merge_chunks(out: Path, plan: ChunkPlan) -> pd.DataFrame:
    """Concatenate every chunk summary of ``plan`` in combination order.

    Raises
    ------
    DataError
        If a chunk file is missing or its rows are not the chunk's combinations.
    """
    parts = []
    for i in range(plan.n_chunks):
        p = plan.path(out, i)
        if not p.exists():
            raise DataError(f"chunk file {p} is missing; rerun the sweep to compute it")
        try:
            part = pd.read_parquet(p)
        except Exception as exc:  # noqa: BLE001 - a file damaged after it was written
            raise DataError(f"chunk file {p} is unreadable ({one_line(str(exc), 120)}); rerun the sweep to "
                            "compute it again") from None
        first, stop = plan.bounds(i)
        if len(part) != stop - first or len(part) == 0 or int(part.index[0]) != first:
            raise DataError(f"chunk file {p} holds combinations {part.index[0]}..{part.index[-1]}, expected "
                            f"{first}..{stop - 1}; delete it and rerun")
        parts.append(part)
    table = pd.concat(parts)
    table.index.name = "combo"
    return table.sort_index(kind="mergesort")


def _run_dask(client, task: Callable, cfg_json: str, pending: list[int], out: Path, panel,
              on_chunk: Callable[[int], None] | None = None) -> None:
    from distributed import as_completed

    shared = client.scatter(panel, broadcast=True)  # one copy per worker, not one per task
    futures = client.map(task, [cfg_json] * len(pending), pending, [str(out)] * len(pending),
                         [shared] * len(pending), pure=False)
    for future in as_completed(futures):
        future.result()  # raises the task's error, if any
        if on_chunk is not None:
            on_chunk(1)


def run_chunked_sweep(cfg, out=None, *, panel, scheduler: str = "local", n_workers: int = 2,
                      client=None, task: Callable[[str, int, str, object], str] = run_chunk,
                      on_chunk: Callable[[int], None] | None = None) -> SweepOutcome:
    """Run (or resume) the sweep ``cfg`` on ``panel`` chunk by chunk and merge the chunk summaries.

    Parameters
    ----------
    cfg : SweepConfig (the rotation) or a user sweep (:class:`~aibt.strategies.study_sweep.UserSweep`)
    panel : Panel, the data (loaded by the caller: ``aibt sweep`` loads the snapshot or ``--data-dir``)
    out : folder for ``chunks/``, ``summary.parquet`` and ``sweep.json`` (default ``cfg.out``).
    scheduler : ``"local"`` (in-process, no Dask), ``"dask"`` (a ``LocalCluster`` of ``n_workers``
        single-threaded worker processes) or a Dask scheduler address such as ``tcp://10.0.0.5:8786``.
    client : an existing ``distributed.Client`` to use instead of ``scheduler``.
    task : the function that runs one chunk, ``task(cfg_json, index, out, panel) -> path`` (default
        :func:`run_chunk`; other callables wrap it, e.g. to instrument a run).
    on_chunk : called with 1 each time a chunk finishes (progress bars).

    Returns
    -------
    SweepOutcome
    """
    t_begin = time.perf_counter()
    out = Path(out if out is not None else cfg.out)
    plan = plan_for(cfg, panel)
    cfg_json = cfg.to_json()
    # validate everything (symbols, universe, dates, costs) before the first file is written, so a
    # bad config leaves nothing behind; the shared inputs are cached for the in-process chunks
    from aibt.strategies.rotation import session_range

    session_range(_cached_setup(cfg_json, panel).panel.dates, cfg.start, cfg.end)
    from aibt.files import missing_dirs

    created = missing_dirs(out)
    try:
        return _run_in(out, plan, cfg, cfg_json, panel, scheduler, n_workers, client, task, on_chunk, t_begin)
    except BaseException:
        _remove_if_nothing_done(out, plan, created)
        raise


def _remove_if_nothing_done(out: Path, plan: ChunkPlan, created: list[Path]) -> None:
    """A folder this run created, left without a single finished chunk, is removed (with its manifest)."""
    if not created:
        return
    folder = Path(out) / CHUNK_FOLDER
    with contextlib.suppress(OSError):
        if any(n.endswith(".parquet") for n in os.listdir(folder)):
            return
    for p in (folder, Path(out) / MANIFEST_FILE):
        with contextlib.suppress(OSError):
            p.rmdir() if p.is_dir() else p.unlink()
    from aibt.files import remove_if_empty

    remove_if_empty(created)


def _run_in(out, plan, cfg, cfg_json, panel, scheduler, n_workers, client, task, on_chunk,
            t_begin) -> "SweepOutcome":
    _check_manifest(out, plan, cfg, panel)
    finished = finished_chunks(out, plan)
    done = sorted(finished)
    pending = [i for i in range(plan.n_chunks) if i not in finished]
    if pending:
        if client is not None:
            _run_dask(client, task, cfg_json, pending, out, panel, on_chunk)
        elif scheduler == "local":
            with stop_between_chunks() as check_interrupt:
                for i in pending:
                    task(cfg_json, i, str(out), panel)
                    if on_chunk is not None:
                        on_chunk(1)
                    check_interrupt()
        else:
            try:
                from distributed import Client, LocalCluster
            except ImportError:
                raise ConfigError("--scheduler dask/ADDRESS needs dask.distributed: "
                                  "pip install 'aibt[dask]'") from None
            if scheduler == "dask":
                with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, Client(cluster) as c:
                    _run_dask(c, task, cfg_json, pending, out, panel, on_chunk)
            else:
                try:
                    c = Client(scheduler, timeout="20s")
                except (OSError, TimeoutError) as exc:
                    raise ConfigError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
                with c:
                    _run_dask(c, task, cfg_json, pending, out, panel, on_chunk)
    table = merge_chunks(out, plan)
    write_parquet(table, out / SUMMARY_FILE)
    return SweepOutcome(table, tuple(pending), tuple(done), plan, out, time.perf_counter() - t_begin)
