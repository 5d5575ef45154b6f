"""Errors a user can act on.

Every exception raised for bad input derives from :class:`AibtError`; the CLI prints its message on
one line and exits with code 2 (no traceback unless ``--debug``).
"""


class AibtError(Exception):
    """Base class for errors caused by user input or data, with a message naming the bad thing."""


class DataError(AibtError):
    """Bad or missing market data: unknown symbol, NaN/non-positive prices, unsorted/duplicate dates."""


class UniverseError(AibtError):
    """Unknown universe or security code, malformed universe file."""


class ConfigError(AibtError):
    """A config file or option that cannot be understood (typo, wrong type, out of range)."""


class SourceError(DataError):
    """A data source (akshare, yfinance, a file) failed or returned data that does not fit the schema."""


#: Longest message the CLI prints (one line); longer ones are cut with an ellipsis.
MAX_MESSAGE = 500


def short(value, limit: int = 60) -> str:
    """A bounded ``repr`` of ``value`` for error messages.

    Safe on huge or self-similar values (a YAML alias bomb, a million-item list): nesting, item
    counts and string lengths are capped before anything is formatted, so the cost is bounded.
    """
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxtuple, r.maxdict, r.maxset = 2, 4, 4, 4, 4
    r.maxstring, r.maxother, r.maxlong = max(limit, 10), max(limit, 10), 40
    try:
        text = r.repr(value)
    except Exception:  # noqa: BLE001 - a value whose repr itself fails
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` on one line (whitespace runs collapsed), at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def os_error_message(exc: OSError, what: str | None = None) -> str:
    """One line for a filesystem fault: the path, what went wrong and what to do about it."""
    import errno

    path = exc.filename if exc.filename is not None else what
    name = f"{path}" if path is not None else "a file"
    hints = {
        errno.ENOSPC: "the disk is full; free some space or choose another folder",
        errno.EDQUOT: "the disk quota is exhausted; free some space or choose another folder",
        errno.EROFS: "the file system is read-only; choose a writable folder",
        errno.EACCES: "permission denied; choose a folder you can write to or fix the permissions",
        errno.EPERM: "operation not permitted; choose a folder you can write to or fix the permissions",
        errno.ENAMETOOLONG: "the name is too long for the file system; use a shorter path",
        errno.EISDIR: "it is a folder, not a file; give a file",
        errno.ENOTDIR: "a part of the path is a file, not a folder; fix the path",
        errno.ENOENT: "no such file or folder; check the path",
        errno.EEXIST: "it already exists; remove it or choose another name",
        errno.ELOOP: "too many symbolic links; fix the path",
        errno.EIO: "an input/output error from the device; check the disk",
        errno.EMFILE: "too many open files; raise the limit (ulimit -n)",
    }
    hint = hints.get(exc.errno, exc.strerror or type(exc).__name__)
    return one_line(f"cannot use {short(str(name), 200)}: {hint}")


def fault_hint(exc: OSError) -> str:
    """What went wrong and what to do, without the path (see :func:`os_error_message`)."""
    return os_error_message(OSError(exc.errno, exc.strerror), "x").split(": ", 1)[1]
