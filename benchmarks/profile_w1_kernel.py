"""Where the W1 rotation kernel spends its time, per compiled function, with ``perf``.

Numba's JIT code has no symbols that ``perf`` can see, and code loaded from the Numba cache has no LLVM
module either. This script therefore compiles the kernels afresh (``NUMBA_CACHE_DIR`` points at a new
empty folder), runs the W1 sweep ``--repeat`` times on one thread, then writes ``/tmp/perf-<pid>.map``
(the perf JIT map: address, size, name) from the addresses of the symbols in each kernel's object code.
``perf report`` reads that map, so every sample in aibt's kernels is charged to its function:

    perf record -e cpu-clock -F 4000 -o /tmp/w1.perf python benchmarks/profile_w1_kernel.py --size 750
    perf report -i /tmp/w1.perf --no-children --sort symbol | grep aibt

(``cpu-clock`` is a software event, so this works on machines whose ``perf stat`` says the hardware
counters are 'not supported'.) With ``--objects DIR`` the object code of each kernel is also saved, for
``objdump -d`` and an instruction-level view (sample address - symbol address + symbol offset).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=750, help="W1 grid size (135, 750, 10000, 100000)")
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--objects", default=None, help="save each kernel's object code in this folder")
    args = ap.parse_args()
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="aibt-numba-profile-")  # before numba loads
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import numpy as np

    import bench_w1_rotation as w1
    from aibt.engine import nb as enb
    from aibt.strategies import rotation_nb as rnb
    from aibt.strategies.rotation import rotation_sweep
    from aibt.strategies.sweep_config import representatives

    panel = w1.w1_panel()
    grid = w1.grid_for(args.size)
    setup = w1.setup_for(panel, grid)
    t_len = len(panel.dates)
    reps = representatives(grid, len(setup.sleeves.names), setup.signals, 0, t_len, np.arange(grid.size))
    params = grid.codes_at(np.unique(reps))
    s = setup.signals

    def sweep():
        return rotation_sweep(params, s.order, s.n_valid, s.inv_vol, s.trend_ok, setup.sleeves.members,
                              setup.market, setup.cost, setup.extra["policy"], setup.extra["lots"],
                              setup.init_cash, 0, t_len, False, 1)

    sweep()  # compiles
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        sweep()
    print(f"W1 {args.size}: kernel {(time.perf_counter() - t0) / args.repeat * 1e3:.1f} ms per sweep, one thread")

    symbols: dict[int, str] = {}
    for disp in (rnb.rotation_range_nb, enb.day_step_nb):
        for cres in disp.overloads.values():
            lib = cres.library
            data = lib.serialize_using_object_code()
            obj = data[2][0] if isinstance(data[2], tuple) else data[2]
            with tempfile.NamedTemporaryFile(suffix=".o", delete=False) as f:
                f.write(obj)
            if args.objects:
                Path(args.objects).mkdir(parents=True, exist_ok=True)
                Path(args.objects, f"{disp.py_func.__name__}.o").write_bytes(obj)
            names = subprocess.run(["nm", "--defined-only", f.name], capture_output=True, text=True).stdout
            os.unlink(f.name)
            for line in names.splitlines():
                parts = line.split()
                if len(parts) == 3 and parts[1] in "tTwW":
                    try:
                        addr = lib.get_pointer_to_function(parts[2])
                    except Exception:  # a symbol the library does not export
                        continue
                    if addr:
                        symbols.setdefault(addr, parts[2])
    ordered = sorted(symbols.items())
    path = Path(f"/tmp/perf-{os.getpid()}.map")
    with path.open("w") as out:
        for i, (addr, name) in enumerate(ordered):
            size = ordered[i + 1][0] - addr if i + 1 < len(ordered) else 0x10000
            out.write(f"{addr:x} {min(size, 0x100000):x} {name}\n")
    print(f"wrote {path} ({len(ordered)} symbols)")


if __name__ == "__main__":
    main()
