"""The HTML report in a real browser (headless Chromium): every section, table and image renders,
no console errors, no network requests, and a screenshot that is not blank.

CI installs Chromium with ``.ci/install_chromium.sh``; without /usr/bin/chromium these tests skip.
The browser is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON
messages ending in NUL on fds 3/4), so no extra Python package is needed.
"""
from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from aibt.data.snapshot import load_snapshot
from aibt.results.manifest import build_manifest, hash_outputs
from aibt.results.plots import (
    plot_equity,
    plot_monthly_heatmap,
    plot_rolling_tracking_error,
    plot_sweep_heatmap,
    plot_underwater,
)
from aibt.results.report import Section, render_report

CHROMIUM = Path("/usr/bin/chromium")
BASH = shutil.which("bash") or "/bin/bash"

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (run .ci/install_chromium.sh)"),
    pytest.mark.skipif(not Path(BASH).exists(), reason="needs bash to hand the DevTools pipe to chromium"),
]

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio", "--disable-extensions",
]

SECTION_IDS = ["overview", "drawdowns", "monthly", "tracking", "sweep"]


class DevTools:
    """Minimal DevTools-protocol client over ``--remote-debugging-pipe``."""

    def __init__(self, user_data_dir: str) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()
        # move the child's ends above 9 so the redirections below cannot clobber them (pipe() may return 3/4)
        cmd_r, res_w = [self._high(fd) for fd in (cmd_r, res_w)]
        # bash (dash takes single-digit fds only) puts our pipe ends on the fds Chromium expects:
        # 3 (commands in), 4 (replies out)
        script = f'exec "$0" "$@" 3<&{cmd_r} 4>&{res_w} {cmd_r}<&- {res_w}>&-'
        self.proc = subprocess.Popen(
            [BASH, "-c", script, str(CHROMIUM), *FLAGS, "--remote-debugging-pipe",
             f"--user-data-dir={user_data_dir}", "about:blank"],
            pass_fds=(cmd_r, res_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_r)
        os.close(res_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict] = []

    @staticmethod
    def _high(fd: int) -> int:
        new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return new

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from chromium")
            ready, _, _ = select.select([self._res_r], [], [], left)
            if ready:
                chunk = os.read(self._res_r, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 20.0) -> dict:
        self._next_id += 1
        msg: dict = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 20.0) -> dict:
        deadline = time.monotonic() + timeout
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        while True:
            ev = self._read_message(deadline)
            self.events.append(ev)
            if ev.get("method") == method:
                return ev

    def open(self, url: str) -> str:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 2000, "deviceScaleFactor": 1, "mobile": False}, session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired")
        return session

    def evaluate(self, session: str, expression: str) -> object:
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True}, session=session)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails']}")
        return res["result"]["value"]

    def settle(self, seconds: float = 0.3) -> None:
        """Collect events that arrive shortly after load (late console messages, failed loads)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def errors(self) -> list[str]:
        out = []
        for ev in self.events:
            method, params = ev.get("method"), ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                out.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                out.append("log: " + params["entry"].get("text", ""))
        return out

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        os.close(self._res_r)


def _close(code: str, name: str) -> pd.Series:
    """2022-2024 daily closes of an index from the embedded snapshot (one row per session)."""
    return load_snapshot(code, "2022-01-01", "2024-12-31").series(code, "close").rename(name)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """A full report from STAR 50 (000688) against CSI 300 (000300), 2022-2024."""
    out = tmp_path_factory.mktemp("run")
    star, csi = _close("000688", "STAR 50"), _close("000300", "CSI 300")
    r, b = star.pct_change().dropna(), csi.pct_change().dropna()
    monthly = (1 + r).resample("ME").prod() - 1
    sweep = []
    for fast in (5, 10, 20):
        for slow in (40, 60, 120):
            held = (star.rolling(fast).mean() > star.rolling(slow).mean()).shift(1, fill_value=False)
            x = r.where(held.loc[r.index], 0.0)
            sweep.append({"fast": fast, "slow": slow, "sharpe": x.mean() / x.std() * np.sqrt(243)})
    plots = {
        "eq": plot_equity(star, out / "equity.png", benchmark=csi),
        "uw": plot_underwater(pd.concat([star, csi], axis=1, sort=True).dropna(), out / "underwater.png"),
        "mh": plot_monthly_heatmap(monthly, out / "monthly.png"),
        "te": plot_rolling_tracking_error(r, b, out / "tracking.png", window=60, periods_per_year=243),
        "sw": plot_sweep_heatmap(pd.DataFrame(sweep), "slow", "fast", "sharpe", out / "sweep.png"),
    }
    summary = pd.DataFrame(
        {"total_return": [star.iloc[-1] / star.iloc[0] - 1, csi.iloc[-1] / csi.iloc[0] - 1],
         "max_drawdown": [(star / star.cummax() - 1).min(), (csi / csi.cummax() - 1).min()]},
        index=pd.Index(["STAR 50", "CSI 300"], name="index"),
    )
    sections = [
        Section("overview", "Overview", ["STAR 50 (000688) against CSI 300, 2022-2024."], [("Summary", summary)],
                [("Growth of 1", plots["eq"])]),
        Section("drawdowns", "Drawdowns", [], [], [plots["uw"]]),
        Section("monthly", "Monthly returns", [], [("Monthly", monthly.rename("STAR 50").to_frame())], [plots["mh"]]),
        Section("tracking", "Tracking error", ["60-day rolling, annualised."], [], [plots["te"]]),
        Section("sweep", "Moving-average sweep", [], [("Sharpe by fast/slow", pd.DataFrame(sweep))], [plots["sw"]]),
    ]
    manifest = build_manifest({"start": "2022-01-01"}, "test-snapshot", ["pytest"], hash_outputs(plots.values(), out))
    return render_report(sections, manifest, out / "report.html", title="STAR 50 vs CSI 300")


_INSPECT = """
(async () => {
  await Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)));
  return {
    sections: Array.from(document.querySelectorAll('main > section')).map(s => ({
      id: s.id,
      heading: s.querySelector('h2') ? s.querySelector('h2').textContent : null,
      tables: Array.from(s.querySelectorAll('table')).map(t => t.rows.length),
      images: Array.from(s.querySelectorAll('img')).map(i => [i.complete, i.naturalWidth, i.naturalHeight,
                                                               i.getBoundingClientRect().width]),
    })),
    toc: Array.from(document.querySelectorAll('nav#contents a')).map(a => a.getAttribute('href')),
    scripts: document.scripts.length,
    resources: performance.getEntriesByType('resource').map(e => e.name),
  };
})()
"""


def test_report_renders_every_section_without_console_errors(report, tmp_path):
    browser = DevTools(str(tmp_path / "profile"))
    try:
        session = browser.open(report.as_uri())
        page = browser.evaluate(session, _INSPECT)
        browser.settle()
        errors = browser.errors()
    finally:
        browser.close()
    assert errors == []
    assert page["scripts"] == 0 and page["resources"] == []
    assert page["toc"] == [f"#{i}" for i in SECTION_IDS] + ["#manifest"]
    by_id = {s["id"]: s for s in page["sections"]}
    assert list(by_id) == SECTION_IDS + ["manifest"]
    assert by_id["overview"]["heading"] == "Overview"
    assert by_id["overview"]["tables"] == [3]  # header + 2 rows
    assert by_id["sweep"]["tables"] == [10]  # header + 9 combinations
    for sid in SECTION_IDS:
        images = by_id[sid]["images"]
        assert len(images) == 1, sid
        complete, width, height, shown = images[0]
        assert complete and width >= 400 and height >= 150, (sid, images[0])
        assert shown == width  # shown at natural size: every plot fits the 1100 px column at 1280 px
    assert by_id["overview"]["images"][0][1:3] == [1000, 450]


def test_console_error_detection_works(tmp_path):
    """Control: a page with a script error and a missing image must be reported."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><img src='missing.png'>"
                   "<script>console.error('boom'); undefinedFunction();</script></body></html>")
    browser = DevTools(str(tmp_path / "profile"))
    try:
        browser.open(bad.as_uri())
        browser.settle()
        errors = browser.errors()
    finally:
        browser.close()
    assert any("boom" in e for e in errors)
    assert any(e.startswith("exception") and "undefinedFunction" in e for e in errors)
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in errors)


def test_screenshot_is_the_right_size_and_not_blank(report, tmp_path):
    shot = tmp_path / "report.png"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,2000",
             report.as_uri()],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
        )
    pixels = mpimg.imread(shot)[:, :, :3]
    assert pixels.shape == (2000, 1280, 3)
    assert pixels.std() > 0.05  # a blank or single-colour page is ~0
    # the plots are drawn: plenty of the blue line colour (#1f77b4) and of the green/red heatmap
    blue = (np.abs(pixels - np.array([0x1F, 0x77, 0xB4]) / 255).sum(axis=2) < 0.15).sum()
    assert blue > 1000
