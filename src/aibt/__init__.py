"""aibt: backtests and screens for China's AI-compute theme under A-share trading rules.

The distribution installs the design card's folders as subpackages: ``aibt.universes``,
``aibt.data``, ``aibt.engine``, ``aibt.strategies``, ``aibt.results``; ``aibt.cli`` is the command line.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("aibt")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
