"""Local parquet cache of source fetches, safe against crashes, races and corruption.

Layout under the cache root (``$AIBT_CACHE_DIR``, default ``~/.cache/aibt``)::

    <source>/<name>.json                  manifest: key, data file, sha256, bytes, rows
    <source>/<name>.<sha256[:16]>.parquet  the data, content-addressed
    <source>/<name>.lock                  flock target, one per key

``<name>`` is the readable key (symbol, start, end, adjust) plus a short hash of the full key.

Writing (under an exclusive ``fcntl.flock`` on the key's lock file): the data goes to a temp file
in the same directory, is fsynced and renamed to its content-addressed name; then the manifest is
written the same way (temp + fsync + ``os.replace``) and the directory fsynced; only then are older
data files of the key removed. A process killed at any point leaves either the old manifest
pointing at the old, intact data or the new manifest pointing at the new data: nothing is lost and
nothing half-written is ever read. Reading (under a shared lock) checks the sha256 and size of the
data against the manifest; a mismatch or unreadable file is reported with a warning naming the key
and treated as a miss (never returned), so :meth:`Cache.get_or_fetch` refetches it and the next
write sweeps the bad file away.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from aibt.errors import DataError, os_error_message

ENV = "AIBT_CACHE_DIR"
Key = tuple  # (source, symbol, start, end, adjust)


class CacheWarning(UserWarning):
    """A cache entry was corrupt, truncated or unreadable and will be refetched."""


def default_root() -> Path:
    """``$AIBT_CACHE_DIR`` if set, else ``~/.cache/aibt``."""
    env = os.environ.get(ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "aibt"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, write: Callable[[object], None]) -> None:
    """Call ``write(fileobj)`` on a temp file beside ``path``, fsync it, and rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _check_key(key: Key) -> tuple[str, str, str, str, str]:
    if not isinstance(key, tuple) or len(key) != 5:
        raise DataError(f"cache key must be (source, symbol, start, end, adjust), got {key!r}")
    return tuple("" if k is None else str(k) for k in key)  # type: ignore[return-value]


class Cache:
    """Parquet cache keyed by ``(source, symbol, start, end, adjust)``.

    Parameters
    ----------
    root : directory or None (default :func:`default_root`).
    row_group_size : rows per parquet row group (smaller groups stream to disk sooner).
    """

    def __init__(self, root: str | os.PathLike | None = None, row_group_size: int = 100_000) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.row_group_size = int(row_group_size)

    # ------------------------------------------------------------------ paths
    def _names(self, key: Key) -> tuple[Path, str]:
        source, symbol, start, end, adjust = _check_key(key)
        digest = hashlib.sha256(json.dumps([source, symbol, start, end, adjust]).encode()).hexdigest()[:10]
        safe = re.sub(r"[^A-Za-z0-9._=-]+", "_", f"{symbol}_{start}_{end}_{adjust or 'none'}")
        d = self.root / re.sub(r"[^A-Za-z0-9._-]+", "_", source or "_")
        return d, f"{safe}_{digest}"

    def manifest_path(self, key: Key) -> Path:
        d, name = self._names(key)
        return d / f"{name}.json"

    def data_path(self, key: Key) -> Path | None:
        """The data file the manifest points at (None when there is no manifest)."""
        m = self._read_manifest(key)
        return None if m is None else self.manifest_path(key).parent / m["file"]

    @contextlib.contextmanager
    def lock(self, key: Key, exclusive: bool = True) -> Iterator[None]:
        """Cross-process ``flock`` on the key's lock file (exclusive or shared).

        On a cache that cannot be written (read-only file system, no permission, full disk) the lock
        file is opened read-only if it exists, else no lock is taken: nobody can write there, so
        readers cannot race a writer, and a warm hit still works.
        """
        d, name = self._names(key)
        fh = None
        try:
            d.mkdir(parents=True, exist_ok=True)
            fh = open(d / f"{name}.lock", "a+b")
        except OSError:
            with contextlib.suppress(OSError):
                fh = open(d / f"{name}.lock", "rb")
        if fh is None:
            yield
            return
        with fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            except OSError:  # a file system without flock (some network mounts): go on unlocked
                yield
                return
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    # ------------------------------------------------------------------ read
    def _read_manifest(self, key: Key) -> dict | None:
        path = self.manifest_path(key)
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            warnings.warn(f"cache entry {key!r}: unreadable manifest {path.name} ({exc}); refetching",
                          CacheWarning, stacklevel=3)
            return None
        if not _manifest_ok(m) or m.get("key") != list(_check_key(key)):
            warnings.warn(f"cache entry {key!r}: manifest {path.name} does not describe this key; refetching",
                          CacheWarning, stacklevel=3)
            return None
        return m

    def _get_unlocked(self, key: Key) -> pd.DataFrame | None:
        m = self._read_manifest(key)
        if m is None:
            return None
        path = self.manifest_path(key).parent / m["file"]
        problem = None
        if not path.exists():
            problem = f"data file {path.name} is missing"
        elif path.stat().st_size != m["bytes"]:
            problem = f"data file {path.name} has {path.stat().st_size} bytes, expected {m['bytes']} (truncated?)"
        elif sha256_file(path) != m["sha256"]:
            problem = f"data file {path.name} fails its sha256 check (corrupted)"
        if problem is None:
            try:
                frame = pd.read_parquet(path)
            except Exception as exc:  # noqa: BLE001 - any unreadable parquet
                problem = f"data file {path.name} is unreadable ({exc})"
            else:
                frame.attrs = dict(m.get("attrs") or {})
                return frame
        warnings.warn(f"cache entry {key!r}: {problem}; refetching", CacheWarning, stacklevel=3)
        return None

    def get(self, key: Key) -> pd.DataFrame | None:
        """The cached frame, or None on a miss or a corrupted entry (warned with :class:`CacheWarning`)."""
        if not self.manifest_path(key).exists():
            return None
        with self.lock(key, exclusive=False):
            return self._get_unlocked(key)

    # ------------------------------------------------------------------ write
    def _put_unlocked(self, key: Key, frame: pd.DataFrame) -> Path:
        d, name = self._names(key)
        d.mkdir(parents=True, exist_ok=True)
        clean = frame.copy()
        clean.attrs = {}
        fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{name}.", suffix=".parquet.tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                clean.to_parquet(f, index=False, row_group_size=self.row_group_size)
                f.flush()
                os.fsync(f.fileno())
            digest = sha256_file(Path(tmp))
            size = os.path.getsize(tmp)
            data = d / f"{name}.{digest[:16]}.parquet"
            os.replace(tmp, data)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        manifest = {"key": list(_check_key(key)), "file": data.name, "sha256": digest, "bytes": size,
                    "rows": int(len(frame)), "attrs": _jsonable(frame.attrs)}
        atomic_write_bytes(d / f"{name}.json", lambda f: f.write(json.dumps(manifest, indent=1).encode()))
        _fsync_dir(d)
        self._sweep(d, name, keep=data.name)
        return data

    @staticmethod
    def _sweep(d: Path, name: str, keep: str) -> None:
        """Remove older data files and temp files orphaned by killed writers (caller holds the lock)."""
        for p in d.glob(f"{name}.*.parquet"):
            if p.name != keep:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
        for p in d.glob(f".{name}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

    def put(self, key: Key, frame: pd.DataFrame) -> Path:
        """Store ``frame`` (atomic, locked, hashed); return the data file's path.

        Raises
        ------
        OSError
            When the cache cannot be written (full disk, read-only, permissions), with the cache
            folder as its file name (the CLI prints it with the fix); the previous entry is intact.
        """
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"cache entry {key!r}: can only store a DataFrame, got {type(frame).__name__}")
        with self.lock(key, exclusive=True):
            try:
                return self._put_unlocked(key, frame)
            except OSError as exc:
                if exc.filename is not None:
                    raise
                raise OSError(exc.errno, exc.strerror, str(self.root)) from exc

    def get_or_fetch(self, key: Key, fetch: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """Cached frame, or ``fetch()`` stored then returned.

        The exclusive lock is held across the fetch, so processes asking for the same key at once
        fetch it once; a corrupted entry is refetched. When the cache cannot be written (full disk,
        read-only) the fetched frame is returned anyway, with a :class:`CacheWarning`: data already
        fetched is never thrown away because the cache is full.
        """
        with self.lock(key, exclusive=True):
            hit = self._get_unlocked(key)
            if hit is not None:
                return hit
            frame = fetch()
            try:
                self._put_unlocked(key, frame)
            except OSError as exc:
                warnings.warn(f"cache entry {key!r} not stored ({os_error_message(exc)}); using the fetched data "
                              "without caching it", CacheWarning, stacklevel=2)
            return frame

    def invalidate(self, key: Key) -> None:
        """Forget an entry (manifest first, then its data files)."""
        d, name = self._names(key)
        with self.lock(key, exclusive=True):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(d / f"{name}.json")
            self._sweep(d, name, keep="")


def _manifest_ok(m) -> bool:
    """A manifest of the right shape and types (anything else is treated as a miss and refetched)."""
    return (isinstance(m, dict)
            and isinstance(m.get("file"), str) and re.fullmatch(r"[A-Za-z0-9._=-]+\.parquet", m["file"]) is not None
            and isinstance(m.get("sha256"), str) and re.fullmatch(r"[0-9a-f]{64}", m["sha256"]) is not None
            and isinstance(m.get("bytes"), int) and not isinstance(m.get("bytes"), bool) and m["bytes"] >= 0
            and isinstance(m.get("attrs", {}), (dict, type(None)))
            and isinstance(m.get("key"), list))


def _jsonable(attrs: dict) -> dict:
    """The JSON-safe part of ``frame.attrs`` (notes are lists of str)."""
    out = {}
    for k, v in attrs.items():
        try:
            json.dumps(v)
        except TypeError:
            continue
        out[str(k)] = v
    return out
