"""The README's Python example runs as written and gives sensible numbers."""
import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_python_example_runs(capsys):
    section = README.split("## From Python", 1)[1].split("\n## ", 1)[0]
    code = re.findall(r"```python\n(.+?)```", section, flags=re.S)[0]
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - our own documentation
    result, report = scope["result"], scope["report"]
    assert result.equity.iloc[0] > 0 and len(result.equity) == len(scope["panel"].dates)
    assert result.costs["commission"].sum() > 0 and result.costs["stamp"].sum() > 0
    assert report["start"] == "2024-01-02" and -1 < report["max_drawdown"] < 0
    assert capsys.readouterr().out.count("\n") >= 3
