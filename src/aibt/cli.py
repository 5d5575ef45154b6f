"""Command line: parse -> call one public function -> print or write.

User errors (``AibtError``) print one line and exit with code 2; ``--debug`` shows the traceback.
"""
from __future__ import annotations

import sys

import click

from aibt.errors import AibtError


# command name -> "module:attribute"; modules are imported only when their command runs, so that
# `aibt stats` does not pay for numba/matplotlib imports it does not need.
COMMANDS = {
    "data": "aibt.commands.data:data",
    "universe": "aibt.commands.universe:universe",
    "stats": "aibt.commands.stats:stats",
    "compare": "aibt.commands.stats:compare",
    "concentration": "aibt.commands.concentration:concentration",
    "screen": "aibt.commands.screen:screen",
    "track": "aibt.commands.track:track",
    "run": "aibt.commands.run:run",
    "sweep": "aibt.commands.sweep:sweep",
}


class _Group(click.Group):
    """Lazily loaded commands; AibtError becomes one line on stderr and exit code 2, unless --debug."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, name: str):
        if name in self.commands:
            return self.commands[name]
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        import importlib

        return getattr(importlib.import_module(module_name), attr)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AibtError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(package_name="aibt")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """aibt: backtests and screens for the STAR AI index, its ETFs and the AI-interconnect baskets."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="aibt")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
