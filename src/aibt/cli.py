"""Command line: parse -> call one public function -> print or write.

User errors (``AibtError``) print one line and exit with code 2; ``--debug`` shows the traceback.
Filesystem faults (full disk, read-only folder, a name too long ...) and running out of memory are
reported the same way, naming the path and the fix. Ctrl-C prints one line and exits with 130. Any
other exception is caught by a last guard: one line plus a hint to rerun with ``--debug``, exit 1.
"""
from __future__ import annotations

import os
import signal
import sys

import click

from aibt.errors import AibtError, one_line, os_error_message

EXIT_USER = 2
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 1


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


def _set_data_dir(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--data-dir DIR``: every loader reads DIR (the snapshot's layout) instead of the embedded data."""
    if value is not None:
        from aibt.data.snapshot import set_data_dir

        set_data_dir(value)
    return value


def data_dir_option() -> click.Option:
    return click.Option(["--data-dir"], metavar="DIR", expose_value=False, is_eager=True,
                        callback=_set_data_dir,
                        help="Read data from DIR (a folder in aibt's parquet layout, as `aibt data update` "
                             "writes it) instead of the embedded snapshot; AIBT_DATA_DIR sets the default.")


def with_data_dir(command: click.Command) -> click.Command:
    """``command`` (and, for a group, each of its subcommands) accepting ``--data-dir``; one option for all."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            with_data_dir(sub)
    elif not any(p.name == "data_dir" for p in command.params):
        command.params.append(data_dir_option())
    return command


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

        return with_data_dir(getattr(importlib.import_module(module_name), attr))

    def invoke(self, ctx: click.Context):
        snap = sys.modules.get("aibt.data.snapshot")
        before = getattr(snap, "_data_dir", None)
        try:
            return self._guarded_invoke(ctx)
        finally:  # --data-dir holds for this command only (matters when the CLI runs in-process)
            snap = sys.modules.get("aibt.data.snapshot")
            if snap is not None:
                snap._data_dir = before

    def _guarded_invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.ClickException as exc:  # a usage error: one line too, naming the option and --help
            if ctx.obj and ctx.obj.get("debug"):
                raise
            where = getattr(getattr(exc, "ctx", None), "command_path", "aibt")
            hint = f" (see {where} --help)" if isinstance(exc, click.UsageError) else ""
            click.echo(f"error: {one_line(exc.format_message())}{hint}", err=True)
            ctx.exit(exc.exit_code)
        except BaseException as exc:  # noqa: BLE001 - the top-level guard
            if isinstance(exc, SystemExit) or (ctx.obj and ctx.obj.get("debug")):
                raise
            message, code = describe(exc)
            click.echo(f"error: {message}", err=True)
            ctx.exit(code)


def _interrupted(exc: BaseException) -> bool:
    """True for Ctrl-C, also when a compiled kernel turned it into a SystemError."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def describe(exc: BaseException) -> tuple[str, int]:
    """The one-line message and exit code the CLI gives for ``exc``."""
    if _interrupted(exc):
        return ("interrupted (Ctrl-C); nothing half-written was kept. A sweep resumes where it stopped "
                "when you rerun the same command"), EXIT_INTERRUPTED
    if isinstance(exc, AibtError):
        return one_line(str(exc)), EXIT_USER
    if isinstance(exc, OSError):
        return os_error_message(exc), EXIT_USER
    if isinstance(exc, MemoryError):
        return ("out of memory; the input or the requested work is too large for this machine "
                "(use a smaller file, grid or date range)"), EXIT_USER
    if isinstance(exc, RecursionError):
        return "an input is nested too deeply to be read; simplify the file", EXIT_USER
    text = one_line(f"{type(exc).__name__}: {exc}", 300)
    return f"unexpected {text}; rerun with --debug for the traceback and report it", EXIT_INTERNAL


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option("--data-dir", metavar="DIR", default=None,
              help="Read data from DIR (aibt's parquet layout) instead of the embedded snapshot, for every command.")
@click.version_option(package_name="aibt")
@click.pass_context
def cli(ctx: click.Context, debug: bool, data_dir: str | None) -> None:
    """aibt: backtests and screens for the STAR AI index, its ETFs and the AI-interconnect baskets."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["data_dir"] = data_dir
    try:  # here, not as a parse callback: an error is one line (the guard)
        _set_data_dir(ctx, None, data_dir)
    except AibtError as exc:
        if ctx.invoked_subcommand != "data":
            raise
        ctx.obj["data_dir_error"] = exc  # `aibt --data-dir NEW data update` creates it; others raise it
    if not debug:
        _one_line_warnings()


def _one_line_warnings() -> None:
    """aibt's own warnings (a cache entry refetched, a chunk recomputed) as one ``warning:`` line each."""
    import warnings

    if getattr(warnings.showwarning, "_aibt", False):
        return
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if getattr(category, "__module__", "").startswith("aibt"):
            click.echo(f"warning: {one_line(str(message))}", err=True)
        else:
            original(message, category, filename, lineno, file, line)

    show._aibt = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def _on_sigint(signum, frame) -> None:
    """Ctrl-C as ``KeyboardInterrupt``, except inside a callback from LLVM (Numba loading a kernel
    through llvmlite's object cache): an exception raised there is printed and dropped by ctypes, so the
    interrupt was lost and the command ran on, exiting 0. There it is delivered again 50 ms later, once
    the callback has returned."""
    f = frame
    while f is not None:
        if "llvmlite" in f.f_code.co_filename:
            import threading

            timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
            timer.daemon = True
            timer.start()
            return
        f = f.f_back
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_sigint)
    try:
        cli.main(args=argv, prog_name="aibt")
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:
            # the one line is out; end here: after an interrupt, Arrow's thread pools can abort the
            # interpreter's teardown ("terminate called without an active exception", exit -6,
            # apache/arrow#34314), and nothing is left to clean (writes are atomic)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        raise


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
