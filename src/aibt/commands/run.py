"""``aibt run``: the default study on the embedded snapshot (tables, plots, HTML report, manifest).

``--out`` is checked before any work. Into a fresh folder nothing is left if the study fails or is
interrupted; over an older study its manifest and report are removed before the first new output
(:func:`aibt.study.invalidate_study`).
"""
from __future__ import annotations

import shutil
import sys

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

    from aibt.files import missing_dirs

    out = check_out_dir(out_dir, "--out")
    created = missing_dirs(out)
    click.echo(f"aibt run: writing the default study into {out.resolve()}")
    try:
        report = run_study(out, progress=not no_progress, command=["aibt", *sys.argv[1:]], echo=click.echo)
    except BaseException:
        if created:  # a fresh folder: a failed or interrupted study leaves nothing behind
            shutil.rmtree(created[-1], ignore_errors=True)
        raise
    click.echo(f"open {report.resolve()}")
