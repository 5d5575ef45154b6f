"""Numba compile time per kernel of one ``aibt`` command, with an empty Numba cache.

Runs the command in this process (``aibt.cli``, as the console script does) with ``NUMBA_CACHE_DIR``
pointing at a new empty folder, records Numba's ``numba:compile`` events and prints, per compiled
function, the compile time including the functions it compiled on the way (``inclusive``) and without
them (``own``), and the command's total wall time.

    python benchmarks/bench_compile_times.py [--json FILE] -- run --out /tmp/out
    python benchmarks/bench_compile_times.py -- stats 588790
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=None)
    ap.add_argument("command", nargs=argparse.REMAINDER, help="the aibt command line (after --)")
    args = ap.parse_args()
    cmd = [a for a in args.command if a != "--"] or ["stats", "588790"]
    cache = tempfile.mkdtemp(prefix="aibt-numba-empty-")
    os.environ["NUMBA_CACHE_DIR"] = cache  # before numba is imported
    t0 = time.perf_counter()
    from numba.core import event

    import aibt.cli as cli

    spans: list[tuple[str, float, float]] = []
    starts: dict[int, list[float]] = {}

    class Listener(event.Listener):
        def on_start(self, ev):
            starts.setdefault(id(ev.data["dispatcher"]), []).append(time.perf_counter())

        def on_end(self, ev):
            d = ev.data["dispatcher"]
            s = starts[id(d)].pop()
            name = f"{d.py_func.__module__.replace('aibt.', '')}.{d.py_func.__name__}"
            spans.append((name, s, time.perf_counter()))

    listener = Listener()
    event.register("numba:compile", listener)
    rc = 0
    try:
        cli.cli.main(args=cmd, prog_name="aibt", standalone_mode=False)
    except SystemExit as exc:  # pragma: no cover - depends on the command
        rc = int(exc.code or 0)
    finally:
        event.unregister("numba:compile", listener)
    total = time.perf_counter() - t0
    rows = []
    for name, s, e in spans:
        nested = sum(e2 - s2 for n2, s2, e2 in spans if s < s2 and e2 < e and
                     not any(s < s3 < s2 and e2 < e3 < e for _, s3, e3 in spans))
        rows.append({"kernel": name, "inclusive_s": e - s, "own_s": (e - s) - nested})
    by_name: dict[str, dict] = {}
    for r in rows:
        acc = by_name.setdefault(r["kernel"], {"kernel": r["kernel"], "inclusive_s": 0.0, "own_s": 0.0,
                                               "specialisations": 0})
        acc["inclusive_s"] += r["inclusive_s"]
        acc["own_s"] += r["own_s"]
        acc["specialisations"] += 1
    table = sorted(by_name.values(), key=lambda r: -r["own_s"])
    compile_total = sum(r["own_s"] for r in table)
    print(f"aibt {' '.join(cmd)}: {total:.1f} s wall with an empty Numba cache (exit {rc}), "
          f"{compile_total:.1f} s compiling {len(table)} functions ({len(rows)} specialisations)")
    print(f"{'function':55s} {'own s':>7s} {'incl. s':>8s} {'specs':>5s}")
    for r in table:
        print(f"{r['kernel']:55s} {r['own_s']:7.2f} {r['inclusive_s']:8.2f} {r['specialisations']:5d}")
    if args.json:
        from aibt.results.io import write_bytes

        doc = {"command": cmd, "wall_s": total, "compile_s": compile_total, "functions": table,
               "load_average": os.getloadavg()}
        write_bytes(json.dumps(doc, indent=2).encode("utf-8"), args.json)


if __name__ == "__main__":
    main()
