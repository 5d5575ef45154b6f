"""The default study: a rerun reproduces the committed tables byte for byte, and writes the report."""
import json
from pathlib import Path

import pytest

from aibt.study import run_study

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = REPO / "results" / "tables"


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    run_study(out, progress=False, command=["aibt", "run", "--out", str(out)])
    return out


def test_rerun_reproduces_the_published_tables(study_dir):
    published = sorted(p.name for p in PUBLISHED.iterdir() if p.suffix in (".csv", ".md"))
    produced = sorted(p.name for p in (study_dir / "tables").iterdir())
    assert published == produced
    for name in published:
        assert (study_dir / "tables" / name).read_bytes() == (PUBLISHED / name).read_bytes(), name


def test_manifest_hashes_every_output(study_dir):
    from aibt.data.snapshot import snapshot_hash
    from aibt.results.manifest import sha256_file

    manifest = json.loads((study_dir / "manifest.json").read_text())
    assert manifest["snapshot_hash"] == snapshot_hash()
    assert manifest["config"]["etf"] == "588790"
    assert manifest["command"][:2] == ["aibt", "run"]
    files = sorted(str(p.relative_to(study_dir)) for p in study_dir.rglob("*")
                   if p.is_file() and p.parent.name in ("tables", "plots"))
    assert sorted(manifest["outputs"]) == files
    for rel, digest in manifest["outputs"].items():
        assert sha256_file(study_dir / rel) == digest


def test_report_has_every_section(study_dir):
    html = (study_dir / "report.html").read_text(encoding="utf-8")
    for section in ("key-metrics", "summary", "tracking", "rolling", "etf-stats", "rotation", "rotation-vs-passive",
                    "screens"):
        assert f'id="{section}"' in html
    assert html.count("<img src=\"data:image/png;base64,") == 12
    # the rotation against its own sleeves held passively, and which won by how much
    # (hand check: 2,014.08 - 1,034.25 = 979.83 points; 21.1408 / 11.3425 = 1.864)
    assert ("optical held passively (monthly) won: total return 2,014.08% against 1,034.25% for rotation "
            "walk-forward (out-of-sample) (979.83 percentage points; 1.86x the final value), from 2022-01-24 "
            "to 2026-05-08.") in html
    # every study table is in the report (monthly_rotation_walk_forward was missing once)
    assert "Walk-forward: monthly returns" in html and "Walk-forward: deepest drawdowns" in html
    # key metrics first, the manifest readable with the raw JSON folded away
    assert html.index('id="key-metrics"') < html.index('id="summary"')
    assert '<dl class="manifest">' in html and "<details><summary>raw manifest.json</summary>" in html


def test_published_tables_read_well(study_dir):
    md = (study_dir / "tables" / "star_ai_constituents_latest.md").read_text("utf-8").splitlines()
    assert md[0].split("|")[2:4] == [" code   ", " name        "]
    weights = [float(line.split("|")[4].strip().rstrip("%")) for line in md[2:]]
    assert weights == sorted(weights, reverse=True)
    text = "".join((study_dir / "tables" / f).read_text("utf-8") for f in
                   ("performance_etf.md", "tracking_588790_decomposition.md", "star_ai_constituents_latest.md"))
    assert "e+" not in text and "e-" not in text  # no e-notation for people
    assert "87.35%" in text  # 588790's total return as a percent with fixed digits


# ----------------------------------------------------------------------------- the report in Chromium
CHROMIUM = Path("/usr/bin/chromium")

_LAYOUT = r"""
(async () => {
  await new Promise(r => setTimeout(r, 800));
  const text = document.body.innerText;
  const cjk = Array.from(new Set(Array.from(text).filter(c => /[\u3400-\u9fff]/.test(c))));
  const draw = (ch) => { const c = document.createElement('canvas'); c.width = 48; c.height = 48;
    const x = c.getContext('2d'); x.font = getComputedStyle(document.body).font.replace(/^.*?px/, '32px');
    x.fillText(ch, 4, 38); return Array.from(x.getImageData(0, 0, 48, 48).data).join(','); };
  const tofu = draw('\u{10FFFD}');
  return {
    width: document.documentElement.scrollWidth,
    overflowing: Array.from(document.querySelectorAll('.table-wrap')).filter(d => d.scrollWidth > d.clientWidth + 1)
      .map(d => (d.querySelector('caption') || {}).textContent),
    cjk: cjk.length,
    missing: cjk.filter(ch => draw(ch) === tofu),
    control: draw('\u{10FFFC}') === tofu && draw('A') !== tofu,  // the detector tells a box from a glyph
    charts: Array.from(document.querySelectorAll('.chart')).map(d => d.querySelectorAll('svg').length),
    fontPx: Math.min(...Array.from(document.querySelectorAll('td')).map(td => parseFloat(getComputedStyle(td).fontSize))),
    resources: performance.getEntriesByType('resource').map(e => e.name),
  };
})()
"""


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (run .ci/install_chromium.sh)")
@pytest.mark.parametrize("width", [1400, 800])
def test_report_in_chromium(study_dir, width, tmp_path):
    """The study report in real Chromium: no console errors, no network, every Chinese glyph drawn
    (not the missing-glyph box), interactive charts drawn, no table wider than the page at 1400 px and
    no sideways page scroll at 800 px; a screenshot of the top is kept next to the report."""
    import base64

    from test_report_browser import DevTools

    browser = DevTools(str(tmp_path / "profile"))
    try:
        session = browser.open((study_dir / "report.html").as_uri())
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": width, "height": 1200, "deviceScaleFactor": 1, "mobile": False}, session=session)
        page = browser.evaluate(session, _LAYOUT)
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session, timeout=60)
        (study_dir / f"report_{width}.png").write_bytes(base64.b64decode(shot["data"]))
        browser.settle()
        errors = browser.errors()
    finally:
        browser.close()
    assert errors == []
    assert page["resources"] == []
    assert page["control"]
    assert page["cjk"] > 50 and page["missing"] == [], page["missing"][:10]
    assert page["charts"] and all(n >= 1 for n in page["charts"])
    assert page["width"] <= width
    if width >= 1400:
        assert page["overflowing"] == []
    assert page["fontPx"] >= 11
