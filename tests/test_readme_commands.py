"""The README's set-up commands, CI and the CLI stay in step."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _setup_commands() -> list[str]:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_exactly_two_setup_commands():
    assert _setup_commands() == ["pip install . && aibt run", "pip install '.[test]' && pytest"]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _setup_commands()[1] in ci
    assert ci[-1] == _setup_commands()[1]  # it is the last thing CI does: its exit code is CI's


def test_every_cli_command_in_the_readme_is_registered():
    from aibt.cli import COMMANDS

    table = README.split("## Command line", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `aibt ([a-z]+)", table, flags=re.M))
    assert named == set(COMMANDS)
