"""Issue 11: the fuzz corpus. Inputs and faults a careless or unlucky user produces, by class.

Every case runs the real command line. Each must end in bounded time with its intended outcome:
for an error, exactly one line on stderr naming the input and the fix (the fragments listed), exit
code 2 (130 for Ctrl-C), no traceback, and no file written or changed in the case's folder; for an
input that is valid in an unusual form (a BOM, GBK, an offset on a date), exit 0 and the same numbers
as its plain twin.

Most cases run in-process through click with the CLI's own error layer (fast); a representative
subset of every class also runs in a fresh interpreter (``python -m aibt.cli``) under a wall-clock
timeout and an address-space limit (``ulimit -v``), which is where a hang or a memory bomb would
show. Filesystem faults use real small or read-only tmpfs mounts when the machine allows mounting
(CI runs as root) and are skipped cleanly otherwise.

Classes: resource (bombs), unbounded (work), io (hangs on I/O), numbers (silently wrong numbers),
stale (stale or mixed outputs), fs (filesystem faults), dates (dates and encodings), interrupts.
The network part of "io" (stalled and absent networks) is in test_reliability_network.py; sweep
resume/Ctrl-C in test_reliability_sweeps.py; property tests in test_reliability_fuzz_properties.py.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner

from aibt.cli import cli

CLASSES = ("resource", "unbounded", "io", "numbers", "stale", "fs", "dates", "interrupts")
FIFO, FOLDER = object(), object()
GOOD = "date,close\n2024-01-02,10.0\n2024-01-03,10.5\n2024-01-04,10.2\n2024-01-05,10.8\n"
BARS = ("date,open,high,low,close,volume\n2024-01-02,10.0,10.5,9.8,10.2,1000\n"
        "2024-01-03,10.2,10.9,10.1,10.8,1200\n2024-01-04,10.8,11.0,10.4,10.5,900\n")
SWEEP = ('[universe]\nsymbols = ["300308", "300502"]\n[dates]\nstart = "2024-01-02"\nend = "2024-06-28"\n'
         '[grid]\nlookbacks = [20]\ntop_k = [1]\nperiods = [5]\nweightings = ["equal"]\ntrend_windows = [0]\n'
         '[costs]\ncommission = 0.001\nmin_commission = 0.0\n[run]\nchunk_size = 1\nout = "sw"\n')
UNIVERSE = 'name = "x"\nmembers = ["300308", "300502"]\n'


def sweep_with(section: str, text: str) -> str:
    """SWEEP with the body of ``[section]`` replaced by ``text``."""
    head, _, rest = SWEEP.partition(f"[{section}]\n")
    body, sep, tail = rest.partition("\n[")
    return head + f"[{section}]\n" + text + "\n" + (("[" + tail) if sep else "")


def yaml_bomb(depth: int = 9, width: int = 9) -> str:
    lines = ["name: x", "a0: &a0 [" + ", ".join(['"300308"'] * width) + "]"]
    for i in range(1, depth):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines.append(f"members: [{', '.join([f'*a{depth - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@dataclass
class Case:
    cls: str
    id: str
    argv: list[str]
    files: dict = field(default_factory=dict)
    expect: tuple = ()
    code: int = 2
    env: dict = field(default_factory=dict)
    sub: bool = False          # also run in a fresh interpreter under time and memory limits
    timeout: float = 60.0
    twin: list[str] | None = None   # exit-0 cases: argv whose stdout must be the same
    writes: bool = False       # the case may write (outputs of an accepted run)


CASES: list[Case] = [
    # ------------------------------------------------------------------ resource bombs
    Case("resource", "yaml-alias-bomb", ["universe", "show", "{tmp}/bomb.yaml"], {"bomb.yaml": yaml_bomb()},
         ("bomb.yaml", "alias", "not allowed"), sub=True),
    Case("resource", "yaml-anchor-small", ["universe", "show", "{tmp}/a.yaml"],
         {"a.yaml": 'name: x\nm: &m ["300308"]\nmembers: *m\n'}, ("a.yaml", "anchor", "write the values out")),
    Case("resource", "yaml-deep-nesting", ["universe", "show", "{tmp}/d.yaml"],
         {"d.yaml": "name: x\nmembers: " + "[" * 5000 + "]" * 5000 + "\n"}, ("d.yaml",)),
    Case("resource", "universe-100k-members", ["universe", "show", "{tmp}/big.toml"],
         {"big.toml": 'name = "x"\nmembers = [' + ", ".join(f'"{i:06d}"' for i in range(100_000)) + "]\n"},
         ("big.toml", "100000 members", "more than"), sub=True, timeout=30),
    Case("resource", "universe-huge-value-in-message", ["universe", "show", "{tmp}/v.toml"],
         {"v.toml": 'name = "x"\nmembers = [["' + "9" * 200_000 + '"]]\n'}, ("v.toml", "quoted string")),
    Case("resource", "csv-over-size-limit", ["stats", "--csv", "{tmp}/big.csv"],
         {"big.csv": GOOD + "2024-01-08,10.9\n" * 80_000}, ("big.csv", "MB", "AIBT_MAX_INPUT_MB"),
         env={"AIBT_MAX_INPUT_MB": "1"}, sub=True),
    Case("resource", "config-over-size-limit", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP + "#" * (5 << 20) + "\n"}, ("s.toml", "limit")),
    Case("resource", "csv-million-columns", ["stats", "--csv", "{tmp}/wide.csv"],
         {"wide.csv": "date,close," + ",".join(f"c{i}" for i in range(200_000)) + "\n2024-01-02,1," +
          ",".join("1" for _ in range(200_000)) + "\n"}, ("wide.csv",), timeout=60),
    Case("resource", "toml-long-grid-axis", ["sweep", "{tmp}/s.toml"],
         {"s.toml": sweep_with("grid", f"lookbacks = {list(range(1, 5001))}\ntop_k = [1]\nperiods = [5]\n"
                                       'weightings = ["equal"]\ntrend_windows = [0]')},
         ("lookbacks has 5000 values",)),
    # ------------------------------------------------------------------ unbounded work
    Case("unbounded", "sweep-grid-1e9", ["sweep", "{tmp}/s.toml"],
         {"s.toml": sweep_with("grid", f"lookbacks = {list(range(1, 1001))}\ntop_k = {list(range(1, 1001))}\n"
                                       f"periods = {list(range(1, 1001))}\n"
                                       'weightings = ["equal"]\ntrend_windows = [0]')},
         ("1,000,000,000 combinations", "--max-combinations"), sub=True, timeout=30),
    Case("unbounded", "sweep-over-config-limit", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP.replace("chunk_size = 1\n", "chunk_size = 1\nmax_combinations = 0\n")},
         ("max_combinations must be >= 1",)),
    Case("unbounded", "sweep-cli-limit", ["sweep", "{tmp}/s.toml", "--max-combinations", "0"], {"s.toml": SWEEP},
         ("--max-combinations must be >= 1",)),
    Case("unbounded", "sweep-too-many-chunks", ["sweep", "{tmp}/s.toml", "--max-combinations", "10000000"],
         {"s.toml": sweep_with("grid", f"lookbacks = {list(range(1, 1001))}\ntop_k = {list(range(1, 201))}\n"
                                       'periods = [5]\nweightings = ["equal"]\ntrend_windows = [0]')},
         ("200,000 chunk files", "chunk_size of at least 2")),
    Case("unbounded", "sweep-limit-in-config-names-override", ["sweep", "{tmp}/s.toml"],
         {"s.toml": sweep_with("grid", 'lookbacks = [20, 60]\ntop_k = [1, 2]\nperiods = [5]\nweightings = ["equal"]\n'
                                       'trend_windows = [0]').replace("chunk_size = 1\n",
                                                                       "chunk_size = 1\nmax_combinations = 3\n")},
         ("4 combinations", "limit of 3", "max_combinations")),
    # ------------------------------------------------------------------ hangs on I/O (files; network elsewhere)
    Case("io", "fifo-stats-csv", ["stats", "--csv", "{tmp}/p.csv"], {"p.csv": FIFO}, ("p.csv", "FIFO"),
         sub=True, timeout=30),
    Case("io", "fifo-compare", ["compare", "588790", "{tmp}/p.csv"], {"p.csv": FIFO}, ("p.csv", "FIFO")),
    Case("io", "fifo-universe", ["universe", "show", "{tmp}/u.toml"], {"u.toml": FIFO}, ("u.toml", "FIFO")),
    Case("io", "fifo-yaml-universe", ["universe", "show", "{tmp}/u.yaml"], {"u.yaml": FIFO}, ("u.yaml", "FIFO")),
    Case("io", "fifo-sweep-config", ["sweep", "{tmp}/s.toml"], {"s.toml": FIFO}, ("s.toml", "FIFO"), sub=True,
         timeout=30),
    Case("io", "fifo-screen-config", ["screen", "optical", "--config", "{tmp}/c.toml"], {"c.toml": FIFO},
         ("c.toml", "FIFO")),
    Case("io", "fifo-constituents", ["track", "star-ai", "--etf", "588790", "--out", "{tmp}/o", "--constituents",
                                     "{tmp}/c.csv"], {"c.csv": FIFO}, ("c.csv", "FIFO")),
    Case("io", "device-as-csv", ["stats", "--csv", "/dev/zero"], {}, ("/dev/zero", "device")),
    Case("io", "folder-as-csv", ["compare", "588790", "{tmp}/d.csv"], {"d.csv": FOLDER}, ("d.csv", "folder")),
    Case("io", "folder-as-universe", ["universe", "show", "{tmp}/d.toml"], {"d.toml": FOLDER}, ("d.toml", "folder")),
    Case("io", "folder-as-sweep-config", ["sweep", "{tmp}/d.toml"], {"d.toml": FOLDER}, ("d.toml", "is a directory")),
    # ------------------------------------------------------------------ silently wrong numbers
    Case("numbers", "decimal-comma", ["stats", "--csv", "{tmp}/eu.csv", "--json"],
         {"eu.csv": 'date,close\n2024-01-02,"10,5"\n2024-01-03,"10,7"\n2024-01-04,"10,6"\n'},
         ("eu.csv", "'10,5'", "decimal comma", "'.'"), sub=True),
    Case("numbers", "european-thousands", ["stats", "--csv", "{tmp}/eu.csv"],
         {"eu.csv": 'date,close\n2024-01-02,"1.234,50"\n2024-01-03,"1.240,00"\n'}, ("eu.csv", "'1.234,50'")),
    Case("numbers", "bad-grouping", ["stats", "--csv", "{tmp}/g.csv"],
         {"g.csv": 'date,close\n2024-01-02,"12,34"\n2024-01-03,"1,2345"\n'}, ("g.csv", "'12,34'", "thousands")),
    Case("numbers", "decimal-comma-bars", ["compare", "588790", "{tmp}/eu.csv"],
         {"eu.csv": 'date,close\n2024-01-02,10.0\n2024-01-03,"10,5"\n'}, ("eu.csv", "'10,5'")),
    Case("numbers", "semicolon-csv", ["stats", "--csv", "{tmp}/s.csv"],
         {"s.csv": "date;close\n2024-01-02;10,5\n2024-01-03;10,7\n"}, ("s.csv", "semicolons", "commas")),
    Case("numbers", "tab-csv", ["stats", "--csv", "{tmp}/t.csv"],
         {"t.csv": "date\tclose\n2024-01-02\t10.5\n2024-01-03\t10.7\n"}, ("t.csv", "tabs")),
    Case("numbers", "overflow-1e400", ["stats", "--csv", "{tmp}/o.csv"],
         {"o.csv": "date,close\n2024-01-02,1e400\n2024-01-03,10\n"}, ("o.csv", "'1e400'", "overflow")),
    Case("numbers", "infinity-literal", ["stats", "--csv", "{tmp}/o.csv"],
         {"o.csv": "date,close\n2024-01-02,inf\n2024-01-03,10\n"}, ("o.csv", "'inf'", "not a number")),
    Case("numbers", "tiny-and-huge-prices", ["stats", "--csv", "{tmp}/h.csv", "--json"],
         {"h.csv": "date,close\n2024-01-02,1e-300\n2024-01-03,1e300\n2024-01-04,1.0\n"},
         ("h.csv", "1e-300", "plausible range"), sub=True),
    Case("numbers", "huge-price", ["stats", "--csv", "{tmp}/h.csv"],
         {"h.csv": "date,close\n2024-01-02,10\n2024-01-03,5e15\n"}, ("h.csv", "5e+15", "2024-01-03")),
    Case("numbers", "weekend-row-stats", ["stats", "--csv", "{tmp}/w.csv"],
         {"w.csv": GOOD + "2024-01-06,10.9\n2024-01-08,10.7\n2024-01-09,10.9\n"}, ("w.csv", "2024-01-06", "Saturday",
                                                                           "weekend")),
    Case("numbers", "holiday-row-stats", ["stats", "--csv", "{tmp}/h.csv"],
         {"h.csv": "date,close\n2024-02-07,9.8\n2024-02-08,10\n2024-02-12,10.5\n2024-02-19,10.2\n2024-02-20,10.4\n"},
         ("h.csv", "2024-02-12", "holiday")),
    Case("numbers", "weekend-row-compare", ["compare", "588790", "{tmp}/w.csv"],
         {"w.csv": GOOD + "2024-01-07,10.9\n2024-01-08,11.0\n"}, ("w.csv", "2024-01-07", "Sunday")),
    Case("numbers", "calendar-day-series-accepted", ["stats", "--csv", "{tmp}/d.csv", "--json"],
         {"d.csv": "date,close\n" + "".join(f"2024-01-{d:02d},{10 + d / 10}\n" for d in range(1, 29))}, code=0),
    Case("numbers", "weekly-series-over-holidays-accepted", ["stats", "--csv", "{tmp}/w.csv", "--json"],
         {"w.csv": "date,close\n2024-02-02,10\n2024-02-09,10.2\n2024-02-16,10.1\n2024-02-23,10.4\n"
                   "2024-03-01,10.3\n"}, code=0),
    Case("numbers", "percent-in-price", ["stats", "--csv", "{tmp}/p.csv"],
         {"p.csv": "date,close\n2024-01-02,1.5%\n2024-01-03,1.6%\n"}, ("p.csv", "percentage")),
    Case("numbers", "hex-number", ["stats", "--csv", "{tmp}/x.csv"],
         {"x.csv": "date,close\n2024-01-02,0x1A\n2024-01-03,10\n"}, ("x.csv", "'0x1A'", "not a number")),
    Case("numbers", "sweep-nan-commission", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP.replace("commission = 0.001", "commission = nan")}, ("[costs] commission", "finite")),
    Case("numbers", "sweep-inf-cash", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP.replace("min_commission = 0.0", "min_commission = 0.0\ninit_cash = inf")},
         ("[costs] init_cash", "finite")),
    Case("numbers", "universe-weight-string", ["universe", "show", "{tmp}/u.toml"],
         {"u.toml": UNIVERSE + 'weights = { "300308" = "0,5", "300502" = "0,5" }\n'}, ("u.toml", "'0,5'")),
    Case("numbers", "constituents-decimal-comma", ["track", "star-ai", "--etf", "588790", "--out", "{tmp}/o",
                                                   "--constituents", "{tmp}/c.csv"],
         {"c.csv": 'effective_date,code,weight\n2024-06-17,300308,"0,5"\n2024-06-17,300502,"0,5"\n'},
         ("c.csv", "'0,5'", "not a non-negative number")),
    # ------------------------------------------------------------------ stale or mixed outputs
    Case("stale", "track-out-empty", ["track", "star-ai", "--etf", "588790", "--out", ""], {},
         ("--out is empty", "--out .")),
    Case("stale", "run-out-empty", ["run", "--out", "", "--no-progress"], {}, ("--out is empty",), sub=True),
    Case("stale", "track-out-is-file", ["track", "star-ai", "--etf", "588790", "--out", "{tmp}/f"], {"f": "x"},
         ("--out", "/f' is a file")),
    Case("stale", "run-out-is-file", ["run", "--out", "{tmp}/f", "--no-progress"], {"f": "x"},
         ("--out", "/f' is a file")),
    Case("stale", "sweep-out-is-file", ["sweep", "{tmp}/s.toml", "--out", "{tmp}/f"], {"s.toml": SWEEP, "f": "x"},
         ("--out", "not a folder")),
    Case("stale", "sweep-out-of-another-sweep", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP, "sw/sweep.json": '{"work_hash": "0123456789ab"}'}, ("holds another sweep",)),
    Case("stale", "track-start-after-end", ["track", "star-ai", "--etf", "588790", "--out", "{tmp}/o",
                                            "--start", "2025-01-02", "--end", "2024-01-02"], {}, ("after --end",)),
    # ------------------------------------------------------------------ filesystem faults (paths; mounts below)
    Case("fs", "out-name-too-long", ["track", "star-ai", "--etf", "588790", "--out", "{tmp}/" + "n" * 300], {},
         ("300 bytes long", "shorter name"), sub=True),
    Case("fs", "run-out-name-too-long", ["run", "--no-progress", "--out", "{tmp}/" + "n" * 300], {},
         ("300 bytes long",)),
    Case("fs", "sweep-out-name-too-long", ["sweep", "{tmp}/s.toml", "--out", "{tmp}/" + "n" * 300],
         {"s.toml": SWEEP}, ("300 bytes long",)),
    Case("fs", "out-under-a-file", ["track", "star-ai", "--etf", "588790", "--out", "{tmp}/f/sub"], {"f": "x"},
         ("is a file, not a folder",)),
    Case("fs", "input-name-too-long", ["stats", "--csv", "{tmp}/" + "c" * 300 + ".csv"], {},
         ("too long",)),
    Case("fs", "input-under-a-file", ["stats", "--csv", "{tmp}/f/p.csv"], {"f": "x"}, ("a part of the path is a file",)),
    Case("fs", "universe-input-dangling-link", ["universe", "show", "{tmp}/l.toml"], {"l.toml": "->nowhere"},
         ("l.toml", "does not exist")),
    Case("fs", "csv-input-dangling-link", ["stats", "--csv", "{tmp}/l.csv"], {"l.csv": "->nowhere"},
         ("l.csv", "does not exist")),
    # ------------------------------------------------------------------ dates and encodings
    Case("dates", "csv-offset-dates-accepted", ["stats", "--csv", "{tmp}/tz.csv", "--json"],
         {"tz.csv": "date,close\n2024-01-02T00:00:00+08:00,10.0\n2024-01-03T00:00:00+08:00,10.5\n"
                    "2024-01-04 00:00:00-05:00,10.2\n2024-01-05T00:00:00Z,10.8\n", "plain.csv": GOOD},
         code=0, twin=["stats", "--csv", "{tmp}/plain.csv", "--json"], sub=True),
    Case("dates", "csv-year-9999", ["stats", "--csv", "{tmp}/y.csv"],
         {"y.csv": "date,close\n2024-01-02,10\n9999-01-03,10.5\n"}, ("y.csv", "9999-01-03", "1990")),
    Case("dates", "csv-year-1677", ["stats", "--csv", "{tmp}/y.csv"],
         {"y.csv": "date,close\n1677-01-02,10\n2024-01-03,10.5\n"}, ("y.csv", "1677-01-02")),
    Case("dates", "csv-negative-date", ["stats", "--csv", "{tmp}/n.csv"],
         {"n.csv": "date,close\n-5,10\n-4,10.5\n"}, ("n.csv", "'-5'", "YYYY-MM-DD")),
    Case("dates", "csv-unix-seconds", ["stats", "--csv", "{tmp}/n.csv"],
         {"n.csv": "date,close\n1704153600,10\n1704240000,10.5\n"}, ("n.csv", "'1704153600'")),
    Case("dates", "option-negative-date", ["universe", "show", "optical", "--date", "-5"], {},
         ("--date", "'-5'", "not a date")),
    Case("dates", "option-year-3000", ["screen", "optical", "--date", "3000-01-01"], {}, ("--date", "outside")),
    Case("dates", "option-offset-date", ["universe", "show", "optical", "--date", "2024-06-03T10:00:00+08:00",
                                         "--json"], {}, code=0,
         twin=["universe", "show", "optical", "--date", "2024-06-03", "--json"]),
    Case("dates", "track-bad-start", ["track", "star-ai", "--etf", "588790", "--out", "{tmp}/o", "--start",
                                      "2024-02-30"], {}, ("--start", "'2024-02-30'")),
    Case("dates", "sweep-start-before-listing-end-too", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP.replace('start = "2024-01-02"\nend = "2024-06-28"', 'start = "2010-01-04"\nend = "2012-01-04"')},
         ("[dates] end 2012-01-04", "before the first bar")),
    Case("dates", "sweep-start-after-data", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP.replace('start = "2024-01-02"\nend = "2024-06-28"', 'start = "2027-01-04"')},
         ("[dates] start 2027-01-04", "after the last bar")),
    Case("dates", "sweep-dates-swapped", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP.replace('start = "2024-01-02"\nend = "2024-06-28"', 'start = "2024-06-28"\nend = "2024-01-02"')},
         ("[dates] start 2024-06-28 is after end 2024-01-02",)),
    Case("dates", "sweep-offset-date", ["sweep", "{tmp}/s.toml", "--json"],
         {"s.toml": SWEEP.replace('start = "2024-01-02"', "start = 2024-01-02T00:00:00+08:00")}, code=0, writes=True),
    Case("dates", "sweep-negative-date", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP.replace('start = "2024-01-02"', "start = -5")}, ("[dates] start -5",)),
    Case("dates", "gbk-universe-accepted", ["universe", "show", "{tmp}/g.toml", "--json"],
         {"g.toml": 'name = "光模块"\nmembers = ["300308", "300502"]\n'.encode("gbk"),
          "u.toml": 'name = "光模块"\nmembers = ["300308", "300502"]\n'}, code=0,
         twin=["universe", "show", "{tmp}/u.toml", "--json"], sub=True),
    Case("dates", "bom-universe-accepted", ["universe", "show", "{tmp}/b.toml", "--json"],
         {"b.toml": b"\xef\xbb\xbf" + UNIVERSE.encode(), "u.toml": UNIVERSE}, code=0,
         twin=["universe", "show", "{tmp}/u.toml", "--json"]),
    Case("dates", "bom-yaml-accepted", ["universe", "show", "{tmp}/b.yaml", "--json"],
         {"b.yaml": b'\xef\xbb\xbfname: x\nmembers: ["300308", "300502"]\n', "u.toml": UNIVERSE}, code=0,
         twin=["universe", "show", "{tmp}/u.toml", "--json"]),
    Case("dates", "gbk-sweep-config", ["sweep", "{tmp}/s.toml"],
         {"s.toml": ("# 光模块\n" + SWEEP.replace('symbols = ["300308", "300502"]', 'symbols = ["300308", "300502"]\n'
                                               'nme = "x"')).encode("gbk")}, ("'nme'", "did you mean 'name'")),
    Case("dates", "utf16-universe", ["universe", "show", "{tmp}/u.toml"], {"u.toml": UNIVERSE.encode("utf-16")},
         ("u.toml", "UTF-16", "UTF-8")),
    Case("dates", "yaml-octal-code", ["universe", "show", "{tmp}/o.yaml"],
         {"o.yaml": "name: x\nmembers: [002463, '300308']\n"}, ("002463", "1331", "quoted")),
    Case("dates", "yaml-decimal-code", ["universe", "show", "{tmp}/o.yaml"],
         {"o.yaml": "name: x\nmembers: [300308]\n"}, ("300308", "unquoted", "'300308'")),
    Case("dates", "toml-code-as-section", ["universe", "show", "{tmp}/t.toml"],
         {"t.toml": UNIVERSE + "[002463]\nweight = 1.0\n"}, ("'002463'", "looks like a security code")),
    Case("dates", "toml-code-section-in-sweep", ["sweep", "{tmp}/s.toml"],
         {"s.toml": SWEEP + "[002463]\nx = 1\n"}, ("'002463'", "quoted")),
    Case("dates", "csv-utf16", ["stats", "--csv", "{tmp}/u.csv"], {"u.csv": GOOD.encode("utf-16")}, ("u.csv", "UTF-16")),
    Case("dates", "csv-gbk-headers-accepted", ["stats", "--csv", "{tmp}/g.csv", "--json"],
         {"g.csv": GOOD.replace("date,close", "日期,收盘").encode("gbk"), "plain.csv": GOOD}, code=0,
         twin=["stats", "--csv", "{tmp}/plain.csv", "--json"]),
    Case("dates", "csv-bom-accepted", ["stats", "--csv", "{tmp}/b.csv", "--json"],
         {"b.csv": b"\xef\xbb\xbf" + GOOD.encode(), "plain.csv": GOOD}, code=0,
         twin=["stats", "--csv", "{tmp}/plain.csv", "--json"]),
]


# --------------------------------------------------------------------------------------------- running
def materialise(tmp: Path, files: dict) -> None:
    for name, content in files.items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if content is FIFO:
            os.mkfifo(p)
        elif content is FOLDER:
            p.mkdir()
        elif isinstance(content, str) and content.startswith("->"):
            os.symlink(content[2:], p)
        else:
            p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def tree(root: Path) -> dict[str, str]:
    """Every entry under ``root`` with a content hash (FIFOs and folders by kind), to see what changed."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif p.is_fifo():
                out[rel] = "fifo"
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def fill(argv: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in argv]


def invoke(argv: list[str], env: dict | None = None):
    return CliRunner().invoke(cli, argv, env=env or None)


def check_error(case: Case, code: int, stdout: str, stderr: str, seconds: float) -> None:
    assert seconds < case.timeout, f"{case.id}: took {seconds:.1f} s"
    assert code == case.code, f"{case.id}: exit {code}, stderr {stderr[-800:]!r}"
    assert "Traceback" not in stderr + stdout, f"{case.id}: traceback\n{stderr[-2000:]}"
    lines = [ln for ln in stderr.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert len(errors) == 1 and len(lines) == 1, f"{case.id}: stderr is not one error line: {stderr[-800:]!r}"
    assert len(errors[0]) <= 520, f"{case.id}: message of {len(errors[0])} characters"
    missing = [f for f in case.expect if f.replace("{tmp}", "") not in errors[0]]
    assert not missing, f"{case.id}: {errors[0]!r} lacks {missing}"


def _ids(cases):
    return [f"{c.cls}:{c.id}" for c in cases]


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_corpus_in_process(case: Case, tmp_path, monkeypatch):
    work = tmp_path / "w"
    work.mkdir()
    materialise(work, case.files)
    monkeypatch.chdir(work)
    for k, v in case.env.items():
        monkeypatch.setenv(k, v)
    before = tree(work)
    t0 = time.monotonic()
    res = invoke(fill(case.argv, work))
    seconds = time.monotonic() - t0
    if case.code == 0:
        assert res.exit_code == 0, f"{case.id}: {res.stderr[-800:]!r}"
        assert "Traceback" not in res.output
        if case.twin:
            twin = invoke(fill(case.twin, work))
            assert twin.exit_code == 0
            assert res.stdout.replace(str(work), "") .replace("tz.csv", "X").replace("g.csv", "X") \
                .replace("b.csv", "X").replace("plain.csv", "X") == \
                twin.stdout.replace(str(work), "").replace("plain.csv", "X") or _same_json(res.stdout, twin.stdout)
    else:
        check_error(case, res.exit_code, res.stdout, res.stderr, seconds)
    if not case.writes:
        assert tree(work) == before, f"{case.id}: files changed: {set(tree(work).items()) ^ set(before.items())}"


def _same_json(a: str, b: str) -> bool:
    """Outputs equal but for the fields naming the input (source/universe name)."""
    try:
        ja, jb = json.loads(a), json.loads(b)
    except ValueError:
        return False
    for j in (ja, jb):
        for k in ("source", "name", "universe"):
            j.pop(k, None)
    return ja == jb


# ------------------------------------------------------------------------ subprocess: time and memory bounds
SUB_CASES = [c for c in CASES if c.sub]
MEMORY_KB = 3_000_000  # ulimit -v: numba and pandas fit; an alias bomb or a 1e9-row table do not


def run_bounded(argv: list[str], cwd: Path, env: dict | None = None, timeout: float = 60.0):
    cmd = " ".join(_quote(a) for a in [sys.executable, "-m", "aibt.cli", *argv])
    full_env = {**os.environ, **(env or {})}
    t0 = time.monotonic()
    p = subprocess.run(["bash", "-c", f"ulimit -v {MEMORY_KB}; exec {cmd}"], cwd=cwd, capture_output=True,
                       timeout=timeout + 30, env=full_env)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), time.monotonic() - t0


def _quote(a: str) -> str:
    import shlex

    return shlex.quote(a)


@pytest.mark.parametrize("case", SUB_CASES, ids=_ids(SUB_CASES))
def test_corpus_subprocess_bounded(case: Case, tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    materialise(work, case.files)
    before = tree(work)
    code, out, err, seconds = run_bounded(fill(case.argv, work), work, case.env, case.timeout)
    if case.code == 0:
        assert code == 0, err[-1500:]
        assert "Traceback" not in err
    else:
        check_error(case, code, out, err, seconds)
    if not case.writes:
        assert tree(work) == before


# ------------------------------------------------------------------------ filesystem faults on real mounts
@contextlib.contextmanager
def mounted(path: Path, size: str = "64k", readonly: bool = False, populate: Callable[[Path], None] | None = None):
    """A tmpfs at ``path`` (skips the test when mounting is not permitted)."""
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.decode().strip()[:80]})")
    try:
        if populate is not None:
            populate(path)
        if readonly:
            subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True, capture_output=True)
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill_up(path: Path) -> None:
    """Fill a tmpfs to the last byte."""
    with contextlib.suppress(OSError):
        with open(path / "filler", "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()


FS_CASES = [
    # (id, argv, mount options, expected fragments)
    ("track-readonly-out", ["track", "star-ai", "--etf", "588790", "--out", "{mnt}/o"], dict(readonly=True),
     ("read-only",)),
    ("run-readonly-out", ["run", "--no-progress", "--out", "{mnt}/o"], dict(readonly=True), ("read-only",)),
    ("sweep-readonly-out", ["sweep", "{tmp}/s.toml", "--out", "{mnt}/o"], dict(readonly=True), ("read-only",)),
    ("track-full-disk", ["track", "star-ai", "--etf", "588790", "--out", "{mnt}/o"], dict(size="64k", fill=True),
     ("disk is full",)),
    ("sweep-full-disk", ["sweep", "{tmp}/s.toml", "--out", "{mnt}/o"], dict(size="64k", fill=True),
     ("disk is full",)),
    ("track-disk-fills-while-writing", ["track", "star-ai", "--etf", "588790", "--out", "{mnt}/o"],
     dict(size="16k"), ("disk is full",)),
    ("sweep-disk-fills-while-writing", ["sweep", "{tmp}/s.toml", "--out", "{mnt}/o"], dict(size="24k"),
     ("disk is full",)),
    ("run-disk-fills-while-writing", ["run", "--no-progress", "--out", "{mnt}/o"], dict(size="256k"),
     ("disk is full",)),
]


@pytest.mark.parametrize("case_id,argv,opts,expect", FS_CASES, ids=[c[0] for c in FS_CASES])
def test_filesystem_faults_on_real_mounts(case_id, argv, opts, expect, tmp_path, monkeypatch):
    (tmp_path / "s.toml").write_text(SWEEP)
    monkeypatch.chdir(tmp_path)
    opts = dict(opts)
    fill_it = opts.pop("fill", False)
    with mounted(tmp_path / "mnt", populate=_fill_up if fill_it else None, **opts) as mnt:
        before = tree(mnt)
        res = invoke([a.replace("{mnt}", str(mnt)).replace("{tmp}", str(tmp_path)) for a in argv])
        case = Case("fs", case_id, argv, expect=expect)
        check_error(case, res.exit_code, res.stdout, res.stderr, 0.0)
        after = tree(mnt)
        if opts.get("readonly") or fill_it:
            assert after == before
        else:  # what a fault half-way leaves must not pass for a result
            names = {Path(k).name for k in after}
            assert not names & {"summary.json", "summary.parquet", "manifest.json", "report.html"}, after
            assert not any(n.endswith(".tmp") or n.endswith(".new") for n in names), after


def test_track_output_pair_is_never_mixed(tmp_path, monkeypatch):
    """An older complete pair, then a fault after daily.csv is in place: summary.json must be gone."""
    import aibt.commands.track as track_cmd

    out = tmp_path / "o"
    res = invoke(["track", "star-ai", "--etf", "588790", "--out", str(out), "--end", "2025-06-30"])
    assert res.exit_code == 0, res.stderr
    old_summary = (out / "summary.json").read_bytes()
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst, *a, **k):
        calls.append(Path(dst).name)
        if Path(dst).name == "summary.json":
            raise OSError(28, "No space left on device", str(dst))
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(track_cmd.os, "replace", flaky_replace)
    res = invoke(["track", "star-ai", "--etf", "588790", "--out", str(out)])
    assert res.exit_code == 2 and "disk is full" in res.stderr
    assert "daily.csv" in calls
    assert not (out / "summary.json").exists()  # never the old summary beside the new daily.csv
    assert old_summary
    assert sorted(os.listdir(out)) == ["daily.csv"]


def test_run_over_an_older_study_invalidates_it_before_writing(tmp_path, monkeypatch):
    """A second `aibt run` into a complete study, failing after a few tables, leaves no manifest or
    report that could vouch for the mix of old and new tables."""
    import aibt.results.io as rio

    out = tmp_path / "study"
    out.mkdir()
    (out / "manifest.json").write_text('{"outputs": {"tables/performance_etf.csv": "old"}}')
    (out / "report.html").write_text("<html>old complete study</html>")
    (out / "tables").mkdir()
    (out / "tables" / "performance_etf.csv").write_text("old\n")
    written = []
    real = rio.write_bytes

    def failing(data, path):
        written.append(Path(path).name)
        if len(written) > 4:
            raise rio.AibtError(f"cannot write {path}: No space left on device")
        return real(data, path)

    monkeypatch.setattr(rio, "write_bytes", failing)
    res = invoke(["run", "--no-progress", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert len([ln for ln in res.stderr.splitlines() if ln.strip()]) == 1
    assert not (out / "manifest.json").exists() and not (out / "report.html").exists()


# ------------------------------------------------------------------------ interrupts
@pytest.mark.parametrize("after", [0.6, 1.0, 1.5])
def test_ctrl_c_during_run_is_one_line_and_leaves_no_manifest(tmp_path, after):
    # at these times a warm run is loading data and kernels from the Numba cache (through LLVM
    # callbacks, where an interrupt used to be dropped) or computing; the exit code is 130, not the
    # -6 of Arrow's thread pools aborting the interpreter's teardown
    out = tmp_path / "study"
    proc = subprocess.Popen([sys.executable, "-m", "aibt.cli", "run", "--no-progress", "--out", str(out)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    text = err.decode()
    if proc.returncode == 0:
        pytest.skip("the study finished before the interrupt")
    assert proc.returncode == 130, text
    assert "Traceback" not in text
    assert [ln for ln in text.splitlines() if ln.strip()] == [ln for ln in text.splitlines() if ln.startswith("error:")]
    assert "interrupted" in text
    assert not out.exists()  # a fresh folder: nothing left behind


def test_ctrl_c_during_stats_and_universe_is_one_line(tmp_path):
    for argv in (["stats", "588790"], ["universe", "show", "star-ai"]):
        proc = subprocess.Popen([sys.executable, "-m", "aibt.cli", *argv], cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.8)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        text = err.decode()
        if proc.returncode == 0:
            continue  # finished first: nothing to interrupt
        assert proc.returncode in (130, -signal.SIGINT), text
        assert "Traceback" not in text, text


# ------------------------------------------------------------------------ random command lines
ARG_VALUES = ["588790", "300308", "6088.HK", "950180", "star-ai", "optical", "star-ai-etfs", "", "-5", "0", "1e400",
              "nan", "2024-01-02", "2024-13-01", "9999-01-01", "2024-01-02T00:00+08:00", "/dev/null", "/tmp",
              "{tmp}/g.csv", "{tmp}/none.csv", "x" * 300, "中文", "588790,588760", "588790,,", "--json", "-1",
              "1000000000", "inf"]
ARG_OPTIONS = {"stats": ["--start", "--end", "--csv", "--periods-per-year", "--rf", "--benchmark", "--json"],
               "compare": ["--start", "--end", "--json", "--periods-per-year", "--rf", "--benchmark"],
               "universe show": ["--date", "--json"],
               "screen": ["--date", "--top", "--json", "--config", "--reference"],
               "data info": ["--json", "--kind"],
               "data bars": ["--start", "--end", "--traded"],
               "data actions": [],
               "concentration": ["--date", "--top", "--json"]}


def test_random_command_lines_end_in_one_line_or_success(tmp_path, monkeypatch):
    """150 seeded random command lines from real values and options: exit 0, or exit 2 with one line."""
    import random

    (tmp_path / "g.csv").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    rng = random.Random(11)
    for _ in range(150):
        cmd = rng.choice(list(ARG_OPTIONS))
        argv = cmd.split()
        for _ in range(rng.randint(0, 3)):
            if rng.random() < 0.5:
                argv.append(rng.choice(ARG_VALUES))
            else:
                opt = rng.choice(ARG_OPTIONS[cmd] or ["--help"])
                argv += [opt] if opt in ("--json", "--traded", "--help") else [opt, rng.choice(ARG_VALUES)]
        argv = fill(argv, tmp_path)
        res = invoke(argv)
        lines = res.stderr.strip().splitlines()
        assert res.exit_code in (0, 2), (argv, res.stderr[-500:])
        assert "Traceback" not in res.output, argv
        assert res.exit_code == 0 or len(lines) == 1 and lines[0].startswith("error: "), (argv, res.stderr[-500:])


# ------------------------------------------------------------------------ the guard and the corpus' size
def test_the_guard_turns_an_unexpected_exception_into_one_line(monkeypatch):
    import aibt.commands.universe as ucmd

    def boom(*a, **k):
        raise ZeroDivisionError("x" * 5000)

    monkeypatch.setattr(ucmd, "members_as_of", boom)
    res = invoke(["universe", "show", "optical"])
    assert res.exit_code == 1
    (line,) = res.stderr.strip().splitlines()
    assert line.startswith("error: unexpected ZeroDivisionError") and "--debug" in line and len(line) < 520
    res = invoke(["--debug", "universe", "show", "optical"])
    assert isinstance(res.exception, ZeroDivisionError)


@pytest.mark.parametrize("exc,fragment,code", [
    (MemoryError(), "out of memory", 2),
    (OSError(28, "No space left on device", "/x/y.csv"), "'/x/y.csv': the disk is full", 2),
    (OSError(30, "Read-only file system", "/ro/z"), "read-only", 2),
    (KeyboardInterrupt(), "interrupted", 130),
    (RecursionError(), "nested too deeply", 2),
])
def test_the_guard_maps_classes_of_faults(monkeypatch, exc, fragment, code):
    import aibt.commands.universe as ucmd

    def boom(*a, **k):
        raise exc

    monkeypatch.setattr(ucmd, "members_as_of", boom)
    res = invoke(["universe", "show", "optical"])
    assert res.exit_code == code
    (line,) = res.stderr.strip().splitlines()
    assert fragment in line


def test_the_guard_sees_ctrl_c_inside_a_compiled_kernel(monkeypatch):
    import aibt.commands.universe as ucmd

    def boom(*a, **k):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as ki:
            raise SystemError("<numba.core.runtime> returned a result with an exception set") from ki

    monkeypatch.setattr(ucmd, "members_as_of", boom)
    res = invoke(["universe", "show", "optical"])
    assert res.exit_code == 130 and "interrupted" in res.stderr and "SystemError" not in res.stderr


def test_corpus_size_per_class():
    counts = {c: sum(1 for k in CASES if k.cls == c) for c in CLASSES}
    counts["fs"] += len(FS_CASES) + 2          # real mounts, the track pair, the study invalidation
    counts["guard"] = 150 + 1 + 5 + 1           # random command lines, the guard and its mappings
    counts["interrupts"] += 2 + 2               # run, stats/universe here; guard mapping of Ctrl-C (2)
    counts["stale"] += 2
    print("corpus size per class:", json.dumps(counts))
    for c in CLASSES:
        assert counts[c] >= 3, (c, counts[c])
    assert len({c.id for c in CASES}) == len(CASES)
    assert all(c.cls in CLASSES for c in CASES)
