"""Batches of tapes on a Dask cluster (a LocalCluster of worker processes on 127.0.0.1).

One cluster serves the module (start-ups are slow on a small machine); the task stream shows that
the cluster ran the work.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import kettle as kt
from kettle.devices import dispatch
from kettle.errors import StatePrepError

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def _tape(x, shots=None, extra=()):
    with kt.QuantumTape(shots=shots) as tape:
        kt.RX(x, wires=0)
        kt.RY(0.3 * x, wires=1)
        kt.CNOT(wires=[0, 1])
        kt.expval(kt.PauliZ(1))
        for make in extra:
            make()
    return tape


XS = np.linspace(-2.0, 2.5, 11)


def _equal(a, b):
    for ra, rb in zip(a, b, strict=True):
        for x, y in zip(ra, rb, strict=True):
            if isinstance(x, dict):
                assert x == y
            else:
                np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def _tasks(stream) -> int:
    return sum(1 for t in stream.data if "_run_chunk" in t["key"])


def test_gradient_tapes_run_as_tasks_and_equal_serial(client):
    tape = _tape(0.7)
    tapes, post = kt.gradients.finite_diff(tape, h=1e-6, strategy="center")
    serial = post(kt.device("default.qubit", wires=2).execute(tapes))
    dev = kt.device("default.qubit", wires=2, executor=client, chunk_size=1)
    with distributed.get_task_stream(client) as stream:
        grad = post(dispatch.execute(dev, tapes))
    np.testing.assert_allclose(np.ravel(grad), np.ravel(serial), rtol=0, atol=1e-12)
    assert _tasks(stream) == len(tapes)  # one task per tape with chunk_size=1


def test_automatic_chunks_use_the_cluster_s_threads(client):
    tapes = [_tape(x) for x in np.linspace(0, 3, 40)]
    dev = kt.device("default.qubit", wires=2, executor=client)
    with distributed.get_task_stream(client) as stream:
        res = kt.execute(tapes, dev)
    size = dispatch.chunk_size(40, 2)  # two worker threads
    assert _tasks(stream) == math.ceil(40 / size) == 8
    x = np.linspace(0, 3, 40)
    np.testing.assert_allclose([r[0] for r in res], np.cos(x) * np.cos(0.3 * x), atol=1e-12)


SHOT_MEASUREMENTS = (lambda: kt.sample(wires=[0, 1]), lambda: kt.var(kt.PauliX(0)),
                     lambda: kt.counts(kt.PauliZ(0)), lambda: kt.probs(wires=[0, 1]))


def test_same_seed_same_shots_as_serially_with_shot_chunks(client):
    tapes = [_tape(x, shots=1700, extra=SHOT_MEASUREMENTS) for x in XS[:5]]

    def run(executor):
        dev = kt.device("default.qubit", wires=2, seed=99, executor=executor, shot_chunk=500)
        return kt.execute(tapes, dev), kt.execute(tapes, dev)

    serial = run(None)
    with distributed.get_task_stream(client) as stream:
        on_dask = run(client)
    _equal(on_dask[0], serial[0])
    _equal(on_dask[1], serial[1])
    assert _tasks(stream) >= 2 * 4  # 5 tapes x 4 shot chunks, over two workers, twice


def test_a_failing_tape_raises_its_own_error_with_its_index(client):
    with kt.QuantumTape() as bad:
        kt.RX(0.1, wires=0)
        kt.StatePrep(np.array([0, 1.0]), wires=0)
        kt.expval(kt.PauliZ(0))
    tapes = [_tape(x) for x in XS[:3]] + [bad]
    dev = kt.device("default.qubit", wires=2, executor=client)
    with pytest.raises(StatePrepError, match=r"^tape 3 of the batch: StatePrep on wires \[0\]"):
        dispatch.execute(dev, tapes)
