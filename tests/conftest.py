"""Test-wide settings.

Hypothesis explores new random examples on every local run; under CI (the environment variable ``CI``
set, as `.ci/run` is started) it runs a fixed, derandomised sequence so that a landing is judged on
the same examples every time. Failures found locally are kept in `.hypothesis/` and replayed first.
"""
import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The suite tests the embedded snapshot unless a test points the loaders elsewhere itself.
os.environ.pop("AIBT_DATA_DIR", None)
# ... nor a store `aibt data update` may have written to the user data directory (platformdirs reads
# XDG_DATA_HOME): an empty folder of this run's own.
import tempfile  # noqa: E402

os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="aibt-test-xdg-")
