"""W3: cold start of ``aibt stats 588790`` and ``aibt run`` in a fresh process, with and without the
Numba cache.

"Without cache": ``NUMBA_CACHE_DIR`` points at a new empty folder, so every kernel the command needs is
compiled. "Warm cache": the same folder after that first run, so kernels load from disk. Wall time of
the whole process (interpreter start, imports, data, compute, output) and its peak RSS (``ru_maxrss`` of
the children of a small fresh ``python -c`` parent that runs only that command). The warm rows report
the best wall time and the best CPU time (user + system) of ``--repeat`` runs.

Python's own bytecode cache matters as much as Numba's for a sub-second command: with
``PYTHONDONTWRITEBYTECODE=1`` (set on the benchmark machine) every process compiles aibt's modules from
source again (about 0.07 s for ``aibt stats``; installed packages such as numpy ship their ``.pyc``).
``--bytecode`` unsets it for the measured commands, so the first run writes aibt's ``__pycache__`` and
the warm runs use it, as after a normal ``pip install``; the output says which was measured.

    python benchmarks/bench_w3_cold_start.py [--repeat 5] [--skip-run] [--bytecode] [--json benchmarks/results/w3_cold_start.json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
         "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
         "dt = time.perf_counter() - t; "
         "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
         "print(r.returncode, dt, u.ru_maxrss / 1024.0, u.ru_utime + u.ru_stime, "
         "r.stderr.decode()[-300:].replace(chr(10), ' '))")


#: the packages ``aibt stats SYMBOL`` imports (numpy, pyarrow's parquet reader, click, rich for the tables)
FLOOR = "import numpy, pyarrow.parquet, click, rich.console, rich.table"


def timed_process(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system, all threads) of ``cmd`` run alone in
    a fresh process. On a shared machine the CPU time moves less with other jobs than the wall time."""
    out = subprocess.run([sys.executable, "-c", PROBE, *cmd], capture_output=True, text=True, env=env)
    rc, dt, rss, cpu, *err = out.stdout.split(" ", 4)
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} failed: {' '.join(err)} {out.stderr[-500:]}")
    return float(dt), float(rss), float(cpu)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-run", action="store_true", help="only aibt stats (aibt run takes minutes)")
    ap.add_argument("--bytecode", action="store_true",
                    help="let the commands write and use Python bytecode (unset PYTHONDONTWRITEBYTECODE)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    aibt = shutil.which("aibt") or str(Path(sys.executable).with_name("aibt"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        commands = [("aibt stats 588790", [aibt, "stats", "588790"]),
                    ("aibt stats --json", [aibt, "stats", "588790", "--json"]),
                    # the floor: what the command imports from other packages, and the interpreter alone
                    ("imports it needs", [sys.executable, "-c", FLOOR]),
                    ("python -c pass", [sys.executable, "-c", "pass"])]
        if not args.skip_run:
            commands.append(("aibt run", [aibt, "run", "--out", str(Path(tmp) / "run-out")]))
        for label, cmd in commands:
            cache = Path(tmp) / f"numba-cache-{len(rows)}"
            env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
            if args.bytecode:
                env.pop("PYTHONDONTWRITEBYTECODE", None)
            bytecode = "off" if env.get("PYTHONDONTWRITEBYTECODE") else "on"
            cold, cold_rss, cold_cpu = timed_process(cmd, env)  # empty cache: compiles everything it uses
            warm = []
            for _ in range(args.repeat):
                warm.append(timed_process(cmd, env))
            best = min(warm)
            best_cpu = min(w[2] for w in warm)
            rows.append({"command": label, "python_bytecode_cache": bytecode, "no_cache_seconds": cold,
                         "no_cache_peak_rss_mb": cold_rss, "no_cache_cpu_seconds": cold_cpu,
                         "warm_cache_seconds": best[0], "warm_cache_peak_rss_mb": best[1],
                         "warm_cache_cpu_seconds": best_cpu,
                         "warm_cache_all_seconds": [w[0] for w in warm],
                         "warm_cache_all_cpu_seconds": [w[2] for w in warm]})
            print(f"{label:22s} no Numba cache {cold:7.2f} s ({cold_cpu:.2f} s CPU) {cold_rss:6.0f} MB | warm "
                  f"Numba cache {best[0]:6.2f} s ({best_cpu:.2f} s CPU) {best[1]:6.0f} MB (best of {args.repeat}); "
                  f"Python bytecode cache {bytecode}; load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.json:
        from aibt.results.io import write_bytes

        import platform

        doc = {"workload": "W3", "cores": os.cpu_count(), "load_average_at_end": os.getloadavg(),
               "machine": _cpu_name(), "python": platform.python_version(),
               "command": " ".join([Path(sys.executable).name] + sys.argv), "rows": rows}
        write_bytes(json.dumps(doc, indent=2).encode("utf-8"), args.json)


if __name__ == "__main__":
    main()
