"""``aibt run``: the default study on the embedded snapshot (tables, plots, HTML report, manifest)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

DEFAULT_OUT = "aibt-out"


@click.command("run")
@click.option("--out", "out_dir", default=DEFAULT_OUT, show_default=True, type=click.Path(file_okay=False),
              help="Folder for the tables, plots, report.html and manifest.json.")
@click.option("--no-progress", is_flag=True, help="Do not show progress bars.")
def run(out_dir: str, no_progress: bool) -> None:
    """Run the default study: STAR AI tracking, basket rotation sweep with walk-forward, screens."""
    from aibt.files import check_out_dir
    from aibt.study import run_study

    out = check_out_dir(out_dir, "--out")
    click.echo(f"aibt run: writing the default study into {out.resolve()}")
    report = run_study(out, progress=not no_progress, command=["aibt", *sys.argv[1:]], echo=click.echo)
    click.echo(f"open {report.resolve()}")
