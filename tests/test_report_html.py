"""results.report: structure of the HTML, embedded images, tables, manifest, determinism, errors."""
from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aibt.errors import AibtError
from aibt.results.plots import plot_equity
from aibt.results.report import Section, format_display, render_report


class _Collect(HTMLParser):
    """Tags with attributes, text per heading, and <pre> text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.pre = ""
        self._in_pre = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_pre = self._in_pre or tag == "pre"

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_pre = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_pre:
            self.pre += data


def _parse(path: Path) -> _Collect:
    p = _Collect()
    p.feed(path.read_text("utf-8"))
    return p


@pytest.fixture()
def parts(tmp_path):
    idx = pd.bdate_range("2024-01-01", periods=60)
    eq = pd.Series(np.linspace(1.0, 1.2, 60), idx, name="strategy")
    png = plot_equity(eq, tmp_path / "equity.png")
    summary = pd.DataFrame({"cagr": [0.123456, -0.05], "trades": [12, 3]},
                           index=pd.Index(["588790", "950180"], name="symbol"))
    sections = [
        Section("overview", "Overview & <scope>", ["Tracks 950180 <b>not bold</b>.", "Second paragraph."],
                [("Summary", summary)], [("Equity curve", png)]),
        Section("fills", "Fills", [], [pd.DataFrame({"date": [pd.Timestamp("2024-01-02")], "price": [1234.5678]})]),
    ]
    manifest = {"schema": 1, "config": {"etf": "588790"}, "outputs": {"equity.png": "ab" * 32}}
    return sections, manifest, png


def test_structure_toc_sections_and_escaping(tmp_path, parts):
    sections, manifest, png = parts
    out = render_report(sections, manifest, tmp_path / "r" / "report.html", title="STAR AI <test>")
    html = out.read_text("utf-8")
    doc = _parse(out)
    assert html.startswith("<!DOCTYPE html>\n")
    assert [a["href"] for t, a in doc.tags if t == "a"] == ["#overview", "#fills", "#manifest"]
    assert [a["id"] for t, a in doc.tags if t == "section"] == ["overview", "fills", "manifest"]
    assert "Overview &amp; &lt;scope&gt;" in html and "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "<title>STAR AI &lt;test&gt;</title>" in html
    assert "Second paragraph." in doc.text


def test_images_are_embedded_bytes_with_their_size(tmp_path, parts):
    sections, manifest, png = parts
    doc = _parse(render_report(sections, manifest, tmp_path / "report.html"))
    imgs = [a for t, a in doc.tags if t == "img"]
    assert len(imgs) == 1
    src = imgs[0]["src"]
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == png.read_bytes()
    assert (imgs[0]["width"], imgs[0]["height"], imgs[0]["alt"]) == ("1000", "450", "Equity curve")


def test_tables_show_display_numbers_and_right_align_numbers(tmp_path, parts):
    sections, manifest, _ = parts
    html = render_report(sections, manifest, tmp_path / "report.html").read_text("utf-8")
    assert "<caption>Summary</caption>" in html
    assert '<th>symbol</th><th class="num">cagr</th><th class="num">trades</th>' in html
    # a CAGR column is a percent with 2 decimals (aibt.results.io.display_kind)
    assert '<tr><td>588790</td><td class="num">12.35%</td><td class="num">12</td></tr>' in html
    assert '<tr><td>950180</td><td class="num">-5.00%</td><td class="num">3</td></tr>' in html
    assert '<tr><td>2024-01-02</td><td class="num">1,235</td></tr>' in html


def test_manifest_round_trips_and_nothing_external(tmp_path, parts):
    sections, manifest, _ = parts
    out = render_report(sections, manifest, tmp_path / "report.html")
    doc = _parse(out)
    assert json.loads(doc.pre) == manifest
    html = out.read_text("utf-8")
    assert "<script" not in html and "<link" not in html and "@import" not in html  # no charts given: no JS
    assert "http://" not in html and "https://" not in html
    srcs = [a.get("src") for t, a in doc.tags if "src" in a]
    assert srcs and all(s.startswith("data:") for s in srcs)


def test_same_inputs_same_bytes(tmp_path, parts):
    sections, manifest, _ = parts
    a = render_report(sections, manifest, tmp_path / "a.html").read_bytes()
    b = render_report(sections, dict(reversed(list(manifest.items()))), tmp_path / "b.html").read_bytes()
    assert a == b


@pytest.mark.parametrize(
    ("value", "text"),
    [(1234.5678, "1,235"), (12.3456, "12.35"), (0.0123456, "0.01235"), (-0.05, "-0.05000"), (0.0, "0"),
     (float("nan"), ""), (1e-12, "0"), (1234567.0, "1,234,567"), (7, "7"), ("x", "x")],
)
def test_format_display(value, text):
    assert format_display(value) == text


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (Section("1st", "T"), "not valid"),
        (Section("a b", "T"), "not valid"),
        (Section("manifest", "T"), "reserved"),
        (Section("ok", " "), "non-empty title"),
        (Section("ok", "T", paragraphs="just one string"), "paragraphs must be a list"),
        (Section("ok", "T", images=["/no/such/plot.png"]), r"section 'ok' image 0: cannot read image /no/such/plot.png"),
    ],
)
def test_bad_sections_are_named_and_nothing_is_written(tmp_path, section, message):
    with pytest.raises(AibtError, match=message):
        render_report([section], {}, tmp_path / "report.html")
    assert list(tmp_path.iterdir()) == []


def test_duplicate_ids_and_non_images_rejected(tmp_path):
    with pytest.raises(AibtError, match="'a' is used twice"):
        render_report([Section("a", "A"), Section("a", "B")], {}, tmp_path / "r.html")
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(AibtError, match="notes.png is not a PNG, JPEG, GIF or SVG image"):
        render_report([Section("a", "A", images=[text])], {}, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()
