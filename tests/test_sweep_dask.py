"""The Dask backend: 1 and 2 worker processes give the in-process table exactly, and a worker that dies
in the middle of a chunk does not change the result (the chunk is rerun on a live worker)."""
from __future__ import annotations

import os
import sys
from dataclasses import replace

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

from aibt.strategies.sweep_config import config_from_dict  # noqa: E402
from aibt.commands.sweep import load_sweep_panel  # noqa: E402
from aibt.strategies.sweep_runner import run_chunk, run_chunked_sweep  # noqa: E402

RAW = {
    "universe": {"symbols": ["002463", "300308", "300394", "300476", "300502", "600183"]},
    "dates": {"start": "2023-06-01", "end": "2025-12-31"},
    "grid": {"lookbacks": [20, 60], "top_k": [1, 2], "periods": [5, 21], "weightings": ["equal", "inv_vol"],
             "trend_windows": [0, 60]},
    "costs": {"commission": 0.001, "min_commission": 0.0},
    "run": {"chunk_size": 5},
}

# the test's own functions travel to the workers by value (the tests folder is not importable there)
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def die_once_then_run(cfg_json: str, index: int, out: str, panel, marker: str, victim: int) -> str:
    """Kill the worker process running chunk ``victim`` the first time (marker file), else run it."""
    if index == victim and not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        os._exit(1)  # the worker process dies mid-task, like a lost machine
    return run_chunk(cfg_json, index, out, panel)


@pytest.fixture(scope="module")
def cfg():
    return config_from_dict(RAW)


@pytest.fixture(scope="module")
def panel(cfg):
    return load_sweep_panel(cfg)  # loaded here once, scattered to the workers by the runner


@pytest.fixture(scope="module")
def local_table(cfg, panel, tmp_path_factory):
    return run_chunked_sweep(replace(cfg, chunk_size=1000), tmp_path_factory.mktemp("local"), panel=panel).table


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as c:
        yield c


def test_two_workers_equal_in_process_and_kill_a_worker_mid_run(cfg, panel, local_table, cluster, tmp_path):
    assert len(local_table) == 32
    with distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        pids = set(client.run(os.getpid).values())
        two = run_chunked_sweep(cfg, tmp_path / "two", panel=panel, client=client)
        assert two.ran == tuple(range(7))
        pd.testing.assert_frame_equal(two.table, local_table, check_exact=True)

        marker = tmp_path / "killed"

        def task(cfg_json, index, out, data):
            return die_once_then_run(cfg_json, index, out, data, str(marker), victim=3)

        killed = run_chunked_sweep(cfg, tmp_path / "killed-run", panel=panel, client=client, task=task)
        assert marker.exists()
        assert int(marker.read_text()) in pids  # a real worker process ran the chunk and died
        assert killed.ran == tuple(range(7))
        pd.testing.assert_frame_equal(killed.table, local_table, check_exact=True)
        client.wait_for_workers(2, timeout=60)
        assert set(client.run(os.getpid).values()) != pids  # the nanny replaced the dead worker


def test_one_worker_cluster_equals_in_process(cfg, panel, local_table, tmp_path):
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as c, distributed.Client(c) as client:
        one = run_chunked_sweep(replace(cfg, chunk_size=3), tmp_path, panel=panel, client=client)
    assert one.plan.n_chunks == 11
    pd.testing.assert_frame_equal(one.table, local_table, check_exact=True)


def test_scheduler_dask_starts_its_own_cluster(cfg, panel, local_table, tmp_path):
    res = run_chunked_sweep(replace(cfg, chunk_size=16), tmp_path, panel=panel, scheduler="dask", n_workers=2)
    assert res.ran == (0, 1)
    pd.testing.assert_frame_equal(res.table, local_table, check_exact=True)
