"""Reading user files and checking output folders, with every fault as one actionable line.

Inputs must be regular files of bounded size: a FIFO, a device or a folder given as an input is
refused before it is opened (a FIFO would block forever), and a file larger than the limit for its
kind is refused before it is read. Text configs are UTF-8 (with or without BOM) or GBK/GB18030.
Output folders are checked before any work starts: empty names, existing files, over-long names and
folders that cannot be written to are errors naming the option and the fix.

Every error is a :class:`~aibt.errors.AibtError` subclass, so the CLI prints one line and exits 2.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

from aibt.errors import ConfigError, DataError, os_error_message, short

MiB = 1 << 20
#: Largest input read, by kind (bytes); ``AIBT_MAX_INPUT_MB`` raises or lowers every limit.
LIMITS = {"data": 512 * MiB, "config": 4 * MiB}
TEXT_ENCODINGS = ("utf-8-sig", "gbk", "gb18030")
#: Dates a user may give (anything else is a typo or a unit error, not a trading day).
FIRST_DATE, LAST_DATE = "1990-01-01", "2100-12-31"


def limit_for(kind: str) -> int:
    env = os.environ.get("AIBT_MAX_INPUT_MB")
    if env:
        try:
            return int(float(env) * MiB)
        except ValueError:
            raise ConfigError(f"AIBT_MAX_INPUT_MB={env!r} is not a number of megabytes") from None
    return LIMITS[kind]


def check_input(path, what: str = "input file", kind: str = "data", error=DataError) -> Path:
    """``path`` as a Path after checking it is an existing regular file within the size limit."""
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not text:
        raise error(f"{what}: no file name given")
    p = Path(text)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise error(f"{what} {short(text, 200)} does not exist (no such file)") from None
    except OSError as exc:
        raise error(f"{what}: {os_error_message(exc, text)}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{what} {short(text, 200)} is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind_name = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else \
            "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else \
            "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file"
        raise error(f"{what} {short(text, 200)} is {kind_name}; give a regular file (save the data to a file first)")
    limit = limit_for(kind)
    if st.st_size > limit:
        raise error(f"{what} {short(text, 200)} has {st.st_size / MiB:.1f} MB, more than the limit of "
                    f"{limit / MiB:.0f} MB; split it, or set AIBT_MAX_INPUT_MB to raise the limit")
    return p


def read_input_bytes(path, what: str = "input file", kind: str = "data", error=DataError) -> bytes:
    """The bytes of a checked input file (see :func:`check_input`); never blocks on a FIFO."""
    p = check_input(path, what, kind, error)
    limit = limit_for(kind)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):  # replaced since the check
                raise error(f"{what} {short(str(p), 200)} is not a regular file")
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"{what}: {os_error_message(exc, str(p))}") from None
    if len(data) > limit:
        raise error(f"{what} {short(str(p), 200)} is larger than the limit of {limit / MiB:.0f} MB")
    return data


def decode_text(data: bytes, where: str, error=ConfigError, encodings=TEXT_ENCODINGS) -> str:
    """Text of ``data``: UTF-8 (BOM or not), else GBK/GB18030; UTF-16/32 and binary are refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        raise error(f"{where}: the file is UTF-16/32 or binary; save it as UTF-8 text")
    for enc in encodings:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise error(f"{where}: cannot decode the text as {', '.join(encodings)}; save it as UTF-8")


def read_config_text(path, what: str) -> str:
    """A text config (TOML/YAML) of at most a few MB, decoded (BOM stripped, GBK accepted)."""
    data = read_input_bytes(path, what, kind="config", error=ConfigError)
    return decode_text(data, f"{what} {short(os.fspath(path), 200)}", ConfigError)


# ----------------------------------------------------------------------------------------- dates
_OFFSET = re.compile(r"(?<=\d)(Z|[+-]\d{2}:?\d{2})$")


def user_date(value, what: str, error=ConfigError):
    """A date given by the user (option or config) as a tz-naive day ``pd.Timestamp``.

    Accepts ``YYYY-MM-DD``, ``YYYYMMDD``, ``YYYY/MM/DD``, an ISO timestamp (its offset is dropped: the
    local calendar day counts) and ``datetime.date``. Numbers other than ``YYYYMMDD``, dates outside
    1990..2100 and anything unreadable are errors naming ``what``.
    """
    import datetime as _dt

    import pandas as pd

    shown = short(value, 40)
    if isinstance(value, bool) or value is None:
        raise error(f"{what} {shown} is not a date (use YYYY-MM-DD)")
    if isinstance(value, (_dt.date, pd.Timestamp)):
        text = value.isoformat()
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise error(f"{what} {shown} is not a date (use YYYY-MM-DD)")
    text = _OFFSET.sub("", text)
    if not re.fullmatch(r"\d{8}|\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?", text):
        raise error(f"{what} {shown} is not a date (use YYYY-MM-DD)")
    try:
        ts = pd.Timestamp(text.replace("/", "-")) if len(text) != 8 else pd.Timestamp(
            f"{text[:4]}-{text[4:6]}-{text[6:]}")
    except (ValueError, OverflowError):
        raise error(f"{what} {shown} is not a date (use YYYY-MM-DD)") from None
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    ts = ts.normalize()
    if not (pd.Timestamp(FIRST_DATE) <= ts <= pd.Timestamp(LAST_DATE)):
        raise error(f"{what} {shown} is outside {FIRST_DATE}..{LAST_DATE}")
    return ts


# ----------------------------------------------------------------------------------------- outputs
def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_out_dir(value, option: str = "--out") -> Path:
    """Validate an output folder before any work: refuse what would fail, or land somewhere unintended.

    Refuses an empty name, an existing non-folder, a name longer than the file system allows and a
    folder (or its nearest existing parent) that cannot be written to: a probe file is created and
    removed there. Nothing is created.
    """
    text = os.fspath(value) if isinstance(value, (str, os.PathLike)) else ""
    if not text or not text.strip():
        raise ConfigError(f"{option} is empty; give a folder name (use {option} . for the current folder)")
    p = Path(text)
    if "\x00" in text:
        raise ConfigError(f"{option} {short(text, 80)} contains a NUL character")
    for part in p.parts:
        if len(os.fsencode(part)) > 255:
            raise ConfigError(f"{option}: the name {short(part, 40)} is {len(os.fsencode(part))} bytes long, more "
                              "than the file system allows (255); use a shorter name")
    if len(os.fsencode(os.path.abspath(text))) > 4000:
        raise ConfigError(f"{option}: the path is too long for the file system; use a shorter one")
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{option} {short(text, 200)} exists and is not a folder; choose a folder")
    probe_in = p
    while not probe_in.exists():
        if probe_in.parent == probe_in:
            break
        probe_in = probe_in.parent
        if probe_in.exists() and not probe_in.is_dir():
            raise ConfigError(f"{option} {short(text, 200)}: {probe_in} is a file, not a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=".aibt-probe-", dir=probe_in)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        from aibt.errors import fault_hint

        raise ConfigError(f"{option} {short(text, 200)}: cannot create files in {short(str(probe_in), 200)}: "
                          f"{fault_hint(exc)}") from None
    return p


def missing_dirs(path) -> list[Path]:
    """The folders of ``path`` (itself included) that do not exist yet, deepest first."""
    out, p = [], Path(path)
    while not p.exists() and p.parent != p:
        out.append(p)
        p = p.parent
    return out


def remove_if_empty(dirs) -> None:
    """Remove each folder of ``dirs`` (deepest first) that is empty; what cannot be removed stays."""
    for d in dirs:
        try:
            os.rmdir(d)
        except OSError:
            pass


def fsync_dir(directory) -> None:
    """Flush a folder's entries (a rename into it) to disk where the OS allows; silently a no-op elsewhere."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_toml(path, what: str) -> dict:
    """A TOML config file as a dict, or a ConfigError naming ``what`` (e.g. ``study file``) and the fix:
    no name, no such file, too large, undecodable, or not valid TOML."""
    import tomllib

    from aibt.errors import one_line

    if not str(path).strip():
        raise ConfigError(f"{what}: no file name given")
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise ConfigError(f"{what} {str(p)!r} not found")
    text = read_config_text(p, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {str(p)!r} is not valid TOML: {one_line(str(exc), 200)}") from None
