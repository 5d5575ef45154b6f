"""The layer contract: ``universes -> data -> engine -> strategies -> results``, one way.

A module may import from its own layer and the layers to its left, never to its right; none of the five
imports the root package's CLI (``aibt.cli``, ``aibt.commands``) or the study (``aibt.study``), and the
study imports no CLI module. Every ``import`` statement counts, also those inside functions (a lazy import
is still a dependency). The imports are read with :mod:`ast` from the source files: import-linter's graph
builder (grimp) finds a package's subpackages under its own folder, and the layers here are folders beside
``src/aibt`` mapped in by ``package-dir``, so it cannot see them.

Strategies, screens and tracking take their data as arguments; only the root package (commands, the study,
``aibt.screens``, ``aibt.tracking``) reads the snapshot. The modules that still load data themselves are
listed in :data:`STILL_LOADING`, each with why; the list may only shrink.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("universes", "data", "engine", "strategies", "results")
CLI = ("aibt.cli", "aibt.commands")
#: the root package's modules every layer may use (errors and file checks); any other root module
#: (commands, study, loaders, the front door) sits above every layer
ROOT_UTILITIES = ("aibt.errors", "aibt.files")
#: modules that read or fetch data (the snapshot or a data folder, the network sources)
LOADERS = ("aibt.data.snapshot", "aibt.data.sources", "aibt.data.source_akshare", "aibt.data.source_yfinance")
#: strategies modules that still read the snapshot themselves (being moved to take data as arguments)
STILL_LOADING: dict[str, str] = {}


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute ``aibt`` import in ``path``; ``from aibt import x`` gives ``aibt.x``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "aibt":
                out += [(node.lineno, f"aibt.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            out.append((node.lineno, "." * node.level + (node.module or "")))
    return [(n, m) for n, m in out if m == "aibt" or m.startswith(("aibt.", "."))]


def layer_files():
    for layer in LAYERS:
        for f in sorted((ROOT / layer).rglob("*.py")):
            yield layer, f


def violations() -> list[str]:
    bad = []
    for layer, f in layer_files():
        rank = LAYERS.index(layer)
        for line, mod in imports(f):
            where = f"{f.relative_to(ROOT)}:{line} imports {mod}"
            if mod.startswith("."):
                bad.append(f"{where} (relative imports hide the layer; write aibt.<layer>...)")
                continue
            parts = mod.split(".")
            if len(parts) == 1 or (parts[1] not in LAYERS and ".".join(parts[:2]) not in ROOT_UTILITIES):
                bad.append(f"{where} (the root package's commands, study and loaders sit above every layer)")
            elif len(parts) > 1 and parts[1] in LAYERS and LAYERS.index(parts[1]) > rank:
                bad.append(f"{where} ({layer} is left of {parts[1]})")
    return bad


def test_layers_import_one_way():
    assert violations() == []


def test_the_study_imports_no_cli_module():
    mods = [m for _, m in imports(ROOT / "src" / "aibt" / "study.py")]
    assert not [m for m in mods if m.startswith(CLI)], mods


def test_strategies_screens_and_tracking_never_load_data():
    loading = {str(f.relative_to(ROOT)) for layer, f in layer_files() if layer == "strategies"
               and any(m.startswith(LOADERS) for _, m in imports(f))}
    assert loading <= set(STILL_LOADING), sorted(loading - set(STILL_LOADING))
    for name in ("screening.py", "universe_screens.py", "factors.py", "tracking.py", "sweep_runner.py",
                 "study_file.py"):
        assert f"strategies/{name}" not in loading


@pytest.mark.parametrize("source, expected", [
    ("from aibt.results import metrics\n", ["strategies/x.py:1 imports aibt.results (strategies is left of results)"]),
    ("def f():\n    from aibt.commands.screen import screen_table\n",
     ["strategies/x.py:2 imports aibt.commands.screen (the root package's commands, study and loaders sit "
      "above every layer)"]),
    ("from aibt.engine import simulate\nimport numpy\n", []),
])
def test_the_checker_catches_an_upward_import(tmp_path, monkeypatch, source, expected):
    (tmp_path / "strategies").mkdir()
    (tmp_path / "strategies" / "x.py").write_text(source)
    for layer in LAYERS:
        (tmp_path / layer).mkdir(exist_ok=True)
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path, raising=False)
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        assert violations() == expected
    finally:
        ROOT = saved


def test_the_readme_states_the_contract():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "universes -> data -> engine -> strategies -> results" in text


def test_the_front_door_and_loaders_count_as_above_the_layers(tmp_path):
    global ROOT
    (tmp_path / "strategies").mkdir()
    for layer in LAYERS:
        (tmp_path / layer).mkdir(exist_ok=True)
    (tmp_path / "strategies" / "x.py").write_text("def f():\n    from aibt.loaders import star_ai_inputs\n"
                                                  "    import aibt\n    from aibt.errors import DataError\n")
    saved, ROOT = ROOT, tmp_path
    try:
        assert [v.split(" (")[0] for v in violations()] == ["strategies/x.py:2 imports aibt.loaders",
                                                             "strategies/x.py:3 imports aibt"]
    finally:
        ROOT = saved
