"""Faults while a batch runs: workers that die, pools that break, clusters that are gone.

The process-pool faults use a device that ends its worker process the first time it runs (a real
process exit, as a crash or the out-of-memory killer would cause; tests/_support/crashing_devices.py);
the Dask fault kills a worker process of a LocalCluster with SIGKILL while the batch runs.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import threading
import time

import numpy as np
import pytest

import kettle as kt
from kettle.devices import dispatch
from kettle.devices.default_qubit import DefaultQubit
from kettle.errors import DeviceError

from crashing_devices import MARKER_ENV, CrashAlways, CrashOnce

distributed = pytest.importorskip("distributed")

def _tape(x, n=2):
    with kt.QuantumTape() as tape:
        for w in range(n):
            kt.RX(x * (w + 1), wires=w)
        for w in range(n - 1):
            kt.CNOT(wires=[w, w + 1])
        kt.expval(kt.PauliZ(n - 1))
    return tape


XS = np.linspace(0.1, 2.0, 12)


def _pool(workers=2):
    return cf.ProcessPoolExecutor(max_workers=workers,
                                  mp_context=multiprocessing.get_context("spawn"))


def test_a_worker_process_that_dies_is_retried_on_a_fresh_pool(tmp_path, monkeypatch):
    marker = str(tmp_path / "crashed")
    monkeypatch.setenv(MARKER_ENV, marker)
    tapes = [_tape(x) for x in XS]
    serial = DefaultQubit(2).execute(tapes)
    with _pool() as pool:
        dev = CrashOnce(2)
        res = dispatch.execute(dev, tapes, executor=pool)
        assert os.path.exists(marker)  # a worker did die during the batch
        with pytest.raises(cf.process.BrokenProcessPool):
            pool.submit(int, 1).result()  # the user's pool is broken; the fresh one finished
    np.testing.assert_array_equal(np.array(res, dtype=float), np.array(serial, dtype=float))


def test_a_pool_that_breaks_twice_is_reported():
    tapes = [_tape(x) for x in XS[:4]]
    with _pool() as pool:
        with pytest.raises(DeviceError, match=r"process pool of device 'crash.always' broke \(a "
                                              r"worker process died\) again after a retry"):
            dispatch.execute(CrashAlways(2), tapes, executor=pool)


def _gradient(dev):
    """kt.grad of a 12-qubit parameter-shift QNode with 40 parameters: 80 circuits."""
    from kettle import numpy as knp

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(w):
        for layer in range(4):
            for q in range(12):
                if 12 * layer + q < 40:
                    kt.RY(w[12 * layer + q], wires=q)
            for q in range(11):
                kt.CNOT(wires=[q, q + 1])
        return kt.expval(kt.PauliZ(11))

    return np.asarray(kt.grad(circuit)(knp.array(np.linspace(0.1, 2.0, 40), requires_grad=True)))


def test_a_dask_worker_killed_during_a_gradient_loses_nothing():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            serial = _gradient(kt.device("default.qubit", wires=12))
            victim = sorted(client.run(os.getpid).values())[0]
            dev = kt.device("default.qubit", wires=12, executor=client, chunk_size=1)
            with distributed.get_task_stream(client) as stream:
                killer = threading.Timer(0.3, os.kill, (victim, signal.SIGKILL))
                killer.start()
                t0 = time.monotonic()
                grad = _gradient(dev)
                elapsed = time.monotonic() - t0
                killer.join()
            assert elapsed > 0.3  # the gradient was still running when the worker was killed
            assert victim not in client.run(os.getpid).values()
            assert sum(1 for t in stream.data if "_run_chunk" in t["key"]) >= 80
            np.testing.assert_allclose(grad, serial, rtol=0, atol=1e-12)
            assert np.any(np.abs(serial) > 1e-3)
    finally:
        cluster.close()


def test_a_cluster_without_workers_times_out_naming_the_scheduler():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            address = cluster.scheduler_address
            client.retire_workers(list(client.scheduler_info()["workers"]))
            dev = kt.device("default.qubit", wires=2, executor=client, executor_timeout=2)
            t0 = time.monotonic()
            with pytest.raises(DeviceError, match=rf"executor {address} of device 'default.qubit' "
                                                  r"finished no task in 2 s \(3 of 3 tasks pending"):
                dispatch.execute(dev, [_tape(x) for x in XS[:3]])
            assert time.monotonic() - t0 < 30  # an error, not a hang
    finally:
        cluster.close()
    # the cluster is gone and its client closed with it
    with pytest.raises(DeviceError, match=rf"client of scheduler {address} is closed"):
        dispatch.execute(dev, [_tape(0.3)])
