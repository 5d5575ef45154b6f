"""The README's Python example runs as written, is three lines longer than its imports, and gives
the numbers the lower layers give for the same run."""
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _example() -> str:
    section = README.split("## From Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.+?)```", section, flags=re.S)[0]


def test_python_example_is_three_lines_longer_than_its_imports():
    lines = [ln for ln in _example().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    imports = [ln for ln in lines if re.match(r"\s*(import|from)\s", ln)]
    assert imports == ["import aibt"]
    assert len(lines) - len(imports) == 3


def test_python_example_runs(capsys):
    scope: dict = {}
    exec(compile(_example(), "README.md", "exec"), scope)  # noqa: S102 - our own documentation
    result, panel = scope["result"], scope["panel"]
    assert result.equity.iloc[0] > 0 and len(result.equity) == len(panel.dates)
    assert result.meta["rules"] == "a-share"  # the default when the securities are known
    assert result.costs["commission"].sum() > 0 and result.costs["stamp"].sum() > 0
    out = capsys.readouterr().out
    assert out.startswith("a-share\n") and out.count("\n") >= 3
    report = result.stats()
    assert report["start"] == "2024-01-02" and -1 < report["max_drawdown"] < 0
    assert report["total_return"] == pytest.approx(result.summary["total_return"], rel=1e-12)
    assert not result.refused["reason"].isin(["filled", "lot_rounding"]).any()

    # the same run through the lower layers, as the example read before the front door
    from aibt.engine import simulate
    from aibt.universes import compile_rules

    w = {c: 0.25 for c in panel.symbols}
    import pandas as pd

    low = simulate(panel, pd.DataFrame([w] * len(panel.dates), index=panel.dates), schedule="monthly",
                   rules=compile_rules(panel.dates, panel.symbols), commission=0.00025, min_commission=5.0)
    assert low.equity.equals(result.equity)
