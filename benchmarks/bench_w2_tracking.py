"""W2: index tracking: the STAR AI (950180) reconstruction and the 588790 ETF simulation over the full
snapshot, all A-share rules on (``aibt.tracking.track_star_ai``, the work of
``aibt track star-ai --etf 588790``).

Each measurement runs in a fresh subprocess: one untimed call (JIT from the Numba cache, snapshot
read), then the timed calls (best of ``--repeat``), and the process's peak RSS. Prints the tracking
summary so that a run can be checked against ``aibt track``.

    python benchmarks/bench_w2_tracking.py [--etf 588790] [--repeat 3] [--json benchmarks/results/w2_tracking.json]

Not compared with a peer: neither vectorbt nor bt has the A-share rules (lots, price limits, T+1, dated
stamp duty, ETF fee accrual) this workload switches on, so the "same work" does not exist there.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path


def child(etf: str, repeat: int) -> dict:
    from aibt.tracking import track_star_ai

    t0 = time.perf_counter()
    daily, summary = track_star_ai(etf, None, None, None)
    first = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        daily, summary = track_star_ai(etf, None, None, None)
        best = min(best, time.perf_counter() - t0)
    keys = ("etf", "index", "start", "end", "n_days", "constituents", "correlation", "beta",
            "tracking_error_annual", "tracking_difference_annual")
    return {"first_call_seconds": first, "warm_seconds": best,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "sessions": int(len(daily)), "summary": {k: summary.get(k) for k in keys}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--etf", default="588790")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.etf, args.repeat), default=str))
        return
    proc = subprocess.run([sys.executable, __file__, "--child", "--etf", args.etf, "--repeat", str(args.repeat)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    rec = json.loads(proc.stdout.strip().splitlines()[-1])
    s = rec["summary"]
    print(f"W2 {s['etf']} vs rebuilt {s['index']} ({s['constituents']} constituents) {s['start']}..{s['end']}, "
          f"{s['n_days']} days: correlation {s['correlation']:.4f}, TE {s['tracking_error_annual']:.4f}/yr")
    print(f"aibt track: first call in the process {rec['first_call_seconds']:.3f} s, warm {rec['warm_seconds']:.3f} s "
          f"(best of {args.repeat}), peak RSS {rec['peak_rss_mb']:.0f} MB")
    if args.json:
        from aibt.results.io import write_bytes

        doc = {"workload": "W2", "cores": os.cpu_count(), "load_average_at_end": os.getloadavg(),
               "command": " ".join([Path(sys.executable).name] + sys.argv), **rec}
        write_bytes(json.dumps(doc, indent=2, default=str).encode("utf-8"), args.json)


if __name__ == "__main__":
    main()
