"""The rotation's target rows rebuilt in plain Python, independent of the kernel's ranking code (shared by
the kernel-equals-engine tests)."""
import numpy as np


def reference_targets(setup, combo, t0=0, t1=None):
    """Target rows [T, N] the rule of grid combination ``combo`` implies on sessions ``[t0, t1)``."""
    row = setup.grid.table(combo, combo + 1).iloc[0]
    lb = setup.signals.lookbacks.index(row["lookback"])
    f = setup.signals.trend_windows.index(row["trend_window"])
    t_len, n = setup.panel.shape
    t1 = t_len if t1 is None else t1
    w = np.full((t_len, n), np.nan)
    for t in range(t0, t1 - 1, int(row["period"])):
        mom = setup.signals.momentum[lb, t]
        ranked = sorted([s for s in range(len(mom)) if not np.isnan(mom[s])], key=lambda s: (-mom[s], s))
        picks = ranked[:int(row["top_k"])]
        sw = np.zeros(len(mom))
        held = [s for s in picks if setup.signals.trend_ok[f, t, s]]
        if row["weighting"] == "equal":
            for s in held:
                sw[s] = 1.0 / len(picks)
        else:
            iv = {s: setup.signals.inv_vol[t, s] for s in held if setup.signals.inv_vol[t, s] > 0}
            for s, v in iv.items():
                sw[s] = v / sum(iv.values()) * len(iv) / len(picks)
        w[t] = sw @ setup.sleeves.member_w[t]
    return w
