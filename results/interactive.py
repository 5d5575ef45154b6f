"""Interactive charts for the HTML report (zoom, pan, hover), working offline.

Built with plotly: the figures are plotly JSON, the plotly.js library is inlined once in the report
(no CDN, no network), and every id is fixed, so the same data give the same bytes. Without plotly
installed the report keeps its PNG figures only (:func:`available`).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

__all__ = ["available", "plotly_js", "line_chart"]


def available() -> bool:
    """Whether plotly is installed."""
    try:
        import plotly  # noqa: F401
    except ImportError:
        return False
    return True


def plotly_js() -> str:
    """The plotly.js library source, to inline once per report."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _clean(values) -> list:
    out = []
    for v in np.asarray(values, dtype=np.float64):
        out.append(None if not np.isfinite(v) else float(f"{v:.10g}"))
    return out


def line_chart(frame: pd.DataFrame, div_id: str, *, title: str, percent: bool = False,
               log_y: bool = False, height: int = 380) -> str:
    """One chart as an HTML fragment: a ``<div>`` and the script that draws it (needs plotly.js on the
    page). Columns are lines, the DatetimeIndex the x axis; drag to zoom, double-click to reset,
    hover for values (percent with 2 decimals when ``percent``)."""
    traces = []
    fmt = ".2%" if percent else ".4f"
    for col in frame.columns:
        s = frame[col]
        traces.append({
            "type": "scatter", "mode": "lines", "name": str(col),
            "x": [d.strftime("%Y-%m-%d") for d in pd.DatetimeIndex(s.index)],
            "y": _clean(s.to_numpy()),
            "hovertemplate": f"%{{x}}<br>%{{y:{fmt}}}<extra>{str(col)}</extra>",
            "line": {"width": 1.4},
        })
    layout = {
        "title": {"text": title, "font": {"size": 15}},
        "height": height, "margin": {"l": 60, "r": 20, "t": 45, "b": 40},
        "hovermode": "x unified", "legend": {"orientation": "h", "y": -0.15},
        "yaxis": {"tickformat": ".0%" if percent else None, "type": "log" if log_y else "linear",
                  **({"dtick": "D2"} if log_y else {})},
        "xaxis": {"type": "date"},
        "font": {"family": "DejaVu Sans, WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif"},
    }
    config = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["toImage"]}
    payload = json.dumps([traces, layout, config], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (f'<div class="chart" id="{div_id}"></div>\n'
            f'<script>(function(){{var a={payload};Plotly.newPlot("{div_id}",a[0],a[1],a[2]);}})();</script>')
