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
