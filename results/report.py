"""The single-file HTML report: sections of text, tables and plots, a table of contents, the manifest.

The file is self-contained: images are embedded as base64 ``data:`` URIs, the stylesheet is inline,
interactive charts (zoom, hover) carry plotly.js inlined once, and there is no external resource, so
it opens offline, can be mailed as one file and renders the same everywhere. Same inputs give the
same bytes (no timestamps, fixed element ids; the manifest is a short summary with the sorted raw
JSON folded away). Tables are formatted for people (:func:`aibt.results.io.display_rows`: percents
and ratios with fixed digits, names beside codes) and wrap their headers so they fit the page.
"""
from __future__ import annotations

import base64
import html
import math
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from aibt.errors import AibtError
from aibt.results.io import display_rows, format_cell, json_text, table_rows, write_text  # noqa: F401

__all__ = ["Section", "format_display", "render_report", "report_html"]

PathLike = str | os.PathLike[str]

_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
_RESERVED_IDS = frozenset({"contents", "manifest"})

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f7f9; color: #1d2330;
  font: 15px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, "WenQuanYi Zen Hei",
  "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 26px; margin: 8px 0 16px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid #d9dee7; }
p { margin: 8px 0; max-width: 80ch; }
nav#contents { background: #f0f3f7; border: 1px solid #d9dee7; padding: 10px 18px; margin-bottom: 12px; }
nav#contents h2 { margin: 4px 0 6px; font-size: 16px; border: 0; }
nav#contents ol { margin: 0; padding-left: 22px; }
a { color: #1f5fae; text-decoration: none; }
a:hover { text-decoration: underline; }
figure { margin: 16px 0; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e7ee; }
figcaption, caption { color: #4a5568; font-size: 13px; padding: 4px 0; text-align: left; caption-side: top; }
.table-wrap { overflow-x: auto; margin: 14px 0; max-width: 100%; }
table { border-collapse: collapse; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 7px; border-bottom: 1px solid #e3e7ee; }
td { white-space: nowrap; }
thead th { background: #eef1f5; border-bottom: 2px solid #c9d0db; text-align: left; vertical-align: bottom;
  white-space: normal; overflow-wrap: normal; word-break: normal; }
td.wrap { white-space: normal; min-width: 9em; max-width: 18em; }
table.key td:first-child { font-weight: 600; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 0 24px; }
.chart { width: 100%; min-height: 380px; margin: 12px 0; border: 1px solid #e3e7ee; }
details { margin: 10px 0; } summary { cursor: pointer; color: #1f5fae; }
dl.manifest { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 13px; }
dl.manifest dt { font-weight: 600; } dl.manifest dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 900px) { main { padding: 12px 10px 32px; } table { font-size: 11.5px; }
  th, td { padding: 2px 4px; } }
th.num, td.num { text-align: right; }
tbody tr:nth-child(even) { background: #fafbfc; }
pre { background: #f0f3f7; border: 1px solid #d9dee7; padding: 12px; overflow-x: auto; font-size: 12px;
  line-height: 1.4; }
@media print { body { background: #fff; } main { padding: 0; } .table-wrap { overflow: visible; } }
""".strip()


@dataclass(frozen=True)
class Section:
    """One part of the report.

    Parameters
    ----------
    id : str
        Anchor id: a letter, then letters, digits, ``-`` or ``_``; unique within the report;
        ``contents`` and ``manifest`` are taken.
    title : str
        Heading, also the table-of-contents entry.
    paragraphs : sequence of str
        Plain text paragraphs (HTML is escaped, not interpreted).
    tables : sequence of DataFrame/Series or (caption, DataFrame/Series)
        Tables in order; floats shown with :func:`format_display`.
    images : sequence of path-like or Figure, or (caption, either)
        PNG, JPEG, GIF or SVG files, or matplotlib figures (the ``plot_*`` functions' return values,
        embedded as the PNG :func:`aibt.results.plots.save_figure` writes), in order, before the tables.
    charts : sequence of str
        Interactive chart fragments (:func:`aibt.results.interactive.line_chart`), shown first;
        plotly.js is inlined once in the page when any section has one.
    key_table : bool
        Show the tables as the key-metrics block: side by side, bold metric names, before the charts.
    """

    id: str
    title: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[pd.DataFrame | pd.Series | tuple[str, pd.DataFrame | pd.Series]] = ()
    images: Sequence[PathLike | tuple[str, PathLike]] = ()
    charts: Sequence[str] = ()
    key_table: bool = False


def format_display(value: Any, digits: int = 4) -> str:
    """Text of a table cell for reading: floats to ``digits`` significant digits, never in e-notation.

    Parameters
    ----------
    value : scalar
        Floats get ``digits`` significant digits with at most 8 decimals and a thousands separator
        (``1,234``, ``12.35``, ``0.01235``); NaN gives ``""``; everything else as
        :func:`aibt.results.io.format_cell`.
    digits : int, default 4

    Returns
    -------
    str
    """
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        x = float(value)
        if math.isnan(x):
            return ""
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if x == 0:
            return "0"
        decimals = max(0, min(8, digits - 1 - int(math.floor(math.log10(abs(x))))))
        text = f"{x:,.{decimals}f}"
        return "0" if text.lstrip("-").strip("0.,") == "" else text
    return format_cell(value)


def _image_data(path: Path, where: str) -> tuple[str, bytes, tuple[int, int] | None]:
    """Mime type, bytes and (width, height) for PNG files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AibtError(f"{where}: cannot read image {path}: {exc.strerror or exc}") from exc
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return "image/png", data, (width, height)
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", data, None
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", data, None
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:2048].lower()):
        return "image/svg+xml", data, None
    raise AibtError(f"{where}: {path} is not a PNG, JPEG, GIF or SVG image")


def _split_caption(item: Any) -> tuple[str | None, Any]:
    if isinstance(item, tuple):
        if len(item) != 2 or not isinstance(item[0], str):
            raise AibtError("a captioned table or image must be a (caption, item) pair")
        return item[0], item[1]
    return None, item


def _header_html(text: str) -> str:
    """A column header that may break after underscores (``tracking_<wbr>error_<wbr>annual``)."""
    return html.escape(text).replace("_", "_<wbr>")


def _table_html(df: pd.DataFrame | pd.Series, caption: str | None, digits: int, where: str,
                css_class: str | None = None) -> str:
    if not isinstance(df, (pd.DataFrame, pd.Series)):
        raise AibtError(f"{where}: a table must be a pandas DataFrame or Series, got {type(df).__name__}")
    header, body, numeric = display_rows(df, None)
    esc = html.escape
    cls = [' class="num"' if num else "" for num in numeric]
    lines = [f'<div class="table-wrap"><table{f" class={chr(34)}{css_class}{chr(34)}" if css_class else ""}>']
    if caption:
        lines.append(f"<caption>{esc(caption)}</caption>")
    lines.append("<thead><tr>" + "".join(f"<th{c}>{_header_html(h)}</th>" for h, c in zip(header, cls))
                 + "</tr></thead>")
    lines.append("<tbody>")
    for row in body:
        lines.append("<tr>" + "".join(f"<td{c if c or len(v) <= 24 else ' class=' + chr(34) + 'wrap' + chr(34)}>{esc(v)}</td>"
                                      for v, c in zip(row, cls)) + "</tr>")
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def _figure_html(path: PathLike, caption: str | None, where: str) -> str:
    if hasattr(path, "savefig"):  # a matplotlib Figure returned by a plot function
        from aibt.results.plots import figure_png

        data = figure_png(path)
        mime, size = "image/png", struct.unpack(">II", data[16:24])
        alt = caption if caption else "figure"
    else:
        p = Path(path)
        mime, data, size = _image_data(p, where)
        alt = caption if caption else p.stem.replace("_", " ")
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    out = f'<figure><img src="{uri}" alt="{html.escape(alt)}"{dims}>'
    if caption:
        out += f"<figcaption>{html.escape(caption)}</figcaption>"
    return out + "</figure>"


def _check_sections(sections: Sequence[Section]) -> None:
    seen: set[str] = set()
    for i, sec in enumerate(sections):
        if not isinstance(sec, Section):
            raise AibtError(f"report section {i} is a {type(sec).__name__}, not a Section")
        if not isinstance(sec.id, str) or not _ID_RE.match(sec.id):
            raise AibtError(
                f"report section id {sec.id!r} is not valid: start with a letter, then letters, digits, - or _"
            )
        if sec.id in _RESERVED_IDS:
            raise AibtError(f"report section id {sec.id!r} is reserved; choose another")
        if sec.id in seen:
            raise AibtError(f"report section id {sec.id!r} is used twice")
        seen.add(sec.id)
        if not isinstance(sec.title, str) or not sec.title.strip():
            raise AibtError(f"report section {sec.id!r} needs a non-empty title")
        for name in ("paragraphs", "tables", "images", "charts"):
            if isinstance(getattr(sec, name), (str, bytes, pd.DataFrame, pd.Series)):
                raise AibtError(f"report section {sec.id!r}: {name} must be a list")


def _manifest_summary(manifest: Mapping[str, Any]) -> str:
    """The manifest as a few readable lines: code, data, command, environment, outputs."""
    esc = html.escape
    m = dict(manifest)
    code = m.get("aibt_version") or "?"
    if m.get("git_commit"):
        code += f", git {m['git_commit'][:12]}" + (" (uncommitted changes)" if m.get("git_dirty") else "")
    if m.get("source_hash"):
        code += f", source sha256 {str(m['source_hash'])[:16]}… ({m.get('source_files', '?')} files)"
    versions = m.get("versions") or {}
    env = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
    rows = [
        ("code", code),
        ("data snapshot", str(m.get("snapshot_hash", ""))[:16] + "…"),
        ("command", " ".join(m.get("command") or [])),
        ("environment", env),
        ("outputs", f"{len(m.get('outputs') or {})} files, each with its sha256 in manifest.json"),
    ]
    return '<dl class="manifest">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows) + "</dl>"


def report_html(sections: Sequence[Section], manifest: Mapping[str, Any], *, title: str = "aibt report",
                digits: int = 4) -> str:
    """The HTML text :func:`render_report` writes (see there)."""
    _check_sections(sections)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{esc(title)}</h1>",
        '<nav id="contents">',
        "<h2>Contents</h2>",
        "<ol>",
    ]
    if any(sec.charts for sec in sections):
        from aibt.results.interactive import plotly_js

        parts.insert(parts.index("</head>"), f"<script>{plotly_js()}</script>")
    for sec in sections:
        parts.append(f'<li><a href="#{sec.id}">{esc(sec.title)}</a></li>')
    parts.append('<li><a href="#manifest">Manifest</a></li>')
    parts += ["</ol>", "</nav>"]
    for sec in sections:
        parts.append(f'<section id="{sec.id}">')
        parts.append(f"<h2>{esc(sec.title)}</h2>")
        for para in sec.paragraphs:
            parts.append(f"<p>{esc(str(para))}</p>")
        tables = list(sec.tables)
        if sec.key_table and tables:  # the key-metrics tables side by side, before the charts
            parts.append('<div class="grid2">')
            for j, item in enumerate(tables):
                caption, table = _split_caption(item)
                parts.append(_table_html(table, caption, digits, f"section {sec.id!r} key table {j}", "key"))
            parts.append("</div>")
            tables = []
        for chart in sec.charts:
            parts.append(str(chart))
        for j, item in enumerate(sec.images):
            caption, path = _split_caption(item)
            parts.append(_figure_html(path, caption, f"section {sec.id!r} image {j}"))
        for j, item in enumerate(tables):
            caption, table = _split_caption(item)
            parts.append(_table_html(table, caption, digits, f"section {sec.id!r} table {j}"))
        parts.append("</section>")
    parts += [
        '<section id="manifest">',
        "<h2>Manifest</h2>",
        "<p>What produced this report; the full record (configuration and the sha256 of every output "
        "file) is <code>manifest.json</code>, folded below.</p>",
        _manifest_summary(manifest),
        "<details><summary>raw manifest.json</summary>",
        f"<pre>{esc(json_text(dict(manifest)).rstrip())}</pre>",
        "</details>",
        "</section>",
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def render_report(
    sections: Sequence[Section],
    manifest: Mapping[str, Any],
    path: PathLike,
    *,
    title: str = "aibt report",
    digits: int = 4,
) -> Path:
    """Write a single self-contained HTML report.

    Parameters
    ----------
    sections : sequence of Section
        In order; each becomes a ``<section id=...>`` with its heading, paragraphs, images
        (embedded as base64 data URIs) and tables, and an entry in the table of contents.
    manifest : mapping
        The run manifest (:func:`aibt.results.manifest.build_manifest`), shown at the end as JSON.
    path : path-like
        Target ``.html`` file, written atomically.
    title : str, default "aibt report"
        Page title and top heading.
    digits : int, default 4
        Significant digits of floats in tables (see :func:`format_display`).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    AibtError
        A bad or duplicate section id, an empty title, an unreadable or unknown image file; the
        message names the section. Nothing is written then.
    """
    return write_text(report_html(sections, manifest, title=title, digits=digits), path)
