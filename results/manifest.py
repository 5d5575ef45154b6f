"""The run manifest: what produced a set of outputs, so a result folder can be reproduced and checked.

``manifest.json`` holds the aibt version, the git commit of the code (when it runs from a git
checkout), a sha256 of the installed package's source files (so the code is identified after a plain
``pip install .`` too, where there is no git), the Python/numpy/pandas/numba/matplotlib versions, the full config, the data snapshot
hash, the command line and the sha256 of every output file. It holds no wall-clock time, so two
runs on the same inputs write the same manifest; the optional ``run_info.json`` keeps the times.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable, Mapping

from aibt.errors import AibtError
from aibt.results.io import to_jsonable, write_json

__all__ = [
    "MANIFEST_NAME",
    "RUN_INFO_NAME",
    "MANIFEST_SCHEMA",
    "sha256_file",
    "hash_outputs",
    "git_commit",
    "git_state",
    "package_versions",
    "source_hash",
    "build_manifest",
    "write_manifest",
    "write_run_info",
]

MANIFEST_NAME = "manifest.json"
RUN_INFO_NAME = "run_info.json"
#: Bumped when the manifest's keys change meaning (2: ``source_hash`` and ``source_files``).
MANIFEST_SCHEMA = 2
#: The subpackages whose files identify the code (the snapshot is identified by its own hash).
SOURCE_PACKAGES = ("aibt", "aibt.commands", "aibt.universes", "aibt.data", "aibt.engine", "aibt.strategies",
                   "aibt.results")
#: Files of a subpackage that count as source: Python modules, and the rule tables of the universes
#: (``results/tables`` holds the published outputs, which are not code).
SOURCE_PATTERNS = ("*.py",)
RULE_TABLE_PATTERNS = ("tables/*.csv", "tables/*.toml")

_PACKAGES = ("numpy", "pandas", "numba", "matplotlib")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes.

    Raises
    ------
    AibtError
        If the file cannot be read (message names it).
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise AibtError(f"cannot hash output {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


def hash_outputs(paths: Iterable[str | os.PathLike[str]], root: str | os.PathLike[str]) -> dict[str, str]:
    """Map each output file, as a POSIX path relative to ``root``, to its sha256.

    Relative keys keep the manifest independent of where the result folder lives.

    Parameters
    ----------
    paths : iterable of path-like
        Output files, absolute or relative to the working directory, all inside ``root``.
    root : path-like
        The result folder.

    Returns
    -------
    dict
        ``{"tables/summary.csv": "9f86d0...", ...}`` sorted by path.

    Raises
    ------
    AibtError
        If a file is outside ``root`` or cannot be read.
    """
    base = Path(root).resolve()
    out: dict[str, str] = {}
    for p in paths:
        full = Path(p).resolve()
        try:
            rel = full.relative_to(base).as_posix()
        except ValueError:
            raise AibtError(f"output {p} is not inside the result folder {root}") from None
        out[rel] = sha256_file(full)
    return dict(sorted(out.items()))


def git_state(directory: str | os.PathLike[str] | None = None) -> tuple[str | None, bool | None]:
    """The commit checked out at ``directory`` and whether tracked files differ from it; never raises.

    Parameters
    ----------
    directory : path-like, optional
        Where to ask git; default the folder of the installed ``aibt.results`` package, i.e. the
        source checkout for an editable install (the code that produced the results).

    Returns
    -------
    commit : str or None
        40-hex commit id; None outside a git checkout or without git.
    dirty : bool or None
        True when tracked files have uncommitted changes; None when unknown.
    """
    where = Path(directory) if directory is not None else Path(__file__).resolve().parent
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}

    def run(*args: str) -> subprocess.CompletedProcess[str] | None:
        try:
            return subprocess.run(
                ["git", "-C", str(where), *args], capture_output=True, text=True, timeout=10, env=env
            )
        except (OSError, subprocess.SubprocessError, ValueError):
            return None

    head = run("rev-parse", "--verify", "HEAD")
    if head is None or head.returncode != 0:
        return None, None
    commit = head.stdout.strip()
    if len(commit) != 40:
        return None, None
    status = run("status", "--porcelain", "--untracked-files=no")
    if status is None or status.returncode != 0:
        return commit, None
    return commit, bool(status.stdout.strip())


def git_commit(directory: str | os.PathLike[str] | None = None) -> str | None:
    """The commit checked out at ``directory`` (see :func:`git_state`), or None; never raises."""
    return git_state(directory)[0]


def source_hash() -> tuple[str, int]:
    """sha256 over the installed package's source files, and how many there are.

    Every Python module and packaged rule table of :data:`SOURCE_PACKAGES` (wherever they are
    installed: site-packages or an editable checkout) contributes its package-relative path and the
    sha256 of its bytes, in sorted order, so the hash changes with any code or rule edit and not with
    the install location. Byte-compiled caches are ignored.
    """
    import importlib

    entries: list[str] = []
    for name in SOURCE_PACKAGES:
        module = importlib.import_module(name)
        root = Path(module.__file__).resolve().parent
        for pattern in SOURCE_PATTERNS + (RULE_TABLE_PATTERNS if name == "aibt.universes" else ()):
            for f in sorted(root.glob(pattern)):
                if f.is_file():
                    entries.append(f"{name}/{f.relative_to(root).as_posix()}\0{sha256_file(f)}")
    digest = hashlib.sha256("\n".join(sorted(entries)).encode("utf-8")).hexdigest()
    return digest, len(entries)


def package_versions() -> dict[str, str | None]:
    """Versions of python, aibt and the numeric stack (None for a package that is not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("aibt", *_PACKAGES):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def build_manifest(
    config: Mapping[str, Any],
    snapshot_hash: str,
    command: list[str],
    outputs: Mapping[str, str],
    *,
    git_dir: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Describe a run: code, environment, inputs and the hash of every output.

    Parameters
    ----------
    config : mapping
        The full, resolved run configuration (any JSON-able values; see :func:`aibt.results.io.to_jsonable`).
    snapshot_hash : str
        Hash identifying the market-data snapshot the run read.
    command : list of str
        The command line (``sys.argv``-style).
    outputs : mapping of str -> str
        Output path (relative to the result folder, see :func:`hash_outputs`) -> hex sha256.
    git_dir : path-like, optional
        Where to look for the git commit (see :func:`git_state`).

    Returns
    -------
    dict
        Keys ``schema``, ``aibt_version``, ``git_commit``, ``git_dirty``, ``source_hash``,
        ``source_files``, ``versions``, ``config``, ``snapshot_hash``, ``command``, ``outputs``; plain
        JSON types, no wall-clock time. ``git_commit`` is None outside a git checkout; ``source_hash``
        (:func:`source_hash`) identifies the code either way.

    Raises
    ------
    TypeError
        If the config holds a value with no JSON form (the message names where).
    AibtError
        If ``command`` is not a list of strings or an output hash is not a 64-hex sha256.
    """
    if isinstance(command, str) or not all(isinstance(a, str) for a in command):
        raise AibtError("manifest command must be a list of strings, e.g. sys.argv")
    checked: dict[str, str] = {}
    for path, digest in outputs.items():
        text = str(digest).lower()
        if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
            raise AibtError(f"output {path}: {digest!r} is not a hex sha256 (use hash_outputs)")
        checked[Path(path).as_posix()] = text
    versions = package_versions()
    commit, dirty = git_state(git_dir)
    src_hash, n_src = source_hash()
    return {
        "schema": MANIFEST_SCHEMA,
        "aibt_version": versions.pop("aibt"),
        "git_commit": commit,
        "git_dirty": dirty,
        "source_hash": src_hash,
        "source_files": n_src,
        "versions": versions,
        "config": to_jsonable(dict(config), "$config"),
        "snapshot_hash": str(snapshot_hash),
        "command": list(command),
        "outputs": dict(sorted(checked.items())),
    }


def write_manifest(directory: str | os.PathLike[str], manifest: Mapping[str, Any]) -> Path:
    """Write ``manifest`` to ``directory/manifest.json`` (sorted keys, atomic); returns the path."""
    return write_json(dict(manifest), Path(directory) / MANIFEST_NAME)


def write_run_info(
    directory: str | os.PathLike[str],
    started: _dt.datetime,
    finished: _dt.datetime,
) -> Path:
    """Write the run's wall-clock times to ``directory/run_info.json``, kept apart from the manifest.

    Parameters
    ----------
    directory : path-like
        The result folder.
    started, finished : datetime
        Timezone-aware start and end of the run.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    if started.tzinfo is None or finished.tzinfo is None:
        raise AibtError("run_info times must be timezone-aware (use datetime.now(timezone.utc))")
    info = {
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "seconds": round((finished - started).total_seconds(), 3),
    }
    return write_json(info, Path(directory) / RUN_INFO_NAME)
