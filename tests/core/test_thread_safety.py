"""One QNode called from many threads at once gives the results it gives serially.

Regression: recording used one module-level stack, so operations of concurrent calls landed on each
other's tapes (4 threads gave 36 of 200 wrong results, silently). The switch interval is lowered so
that threads are interrupted in the middle of recording.
"""
from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np

THREADS = 8
CALLS = 24  # per thread


@pytest.fixture(autouse=True)
def frequent_switches():
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _circuit(x):
    kt.RX(x, wires=0)
    kt.RY(2 * x, wires=1)
    kt.CNOT(wires=[0, 1])
    kt.RZ(x / 3, wires=1)
    kt.RX(0.4, wires=2)
    kt.CNOT(wires=[1, 2])
    return kt.expval(kt.PauliZ(0) @ kt.PauliZ(2))


def _in_threads(fn, inputs):
    start = threading.Barrier(THREADS)

    def worker(chunk):
        start.wait()  # every thread records at the same time
        return [fn(x) for x in chunk]

    chunks = [inputs[k::THREADS] for k in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        outs = list(pool.map(worker, chunks))
    results = [None] * len(inputs)
    for k, out in enumerate(outs):
        results[k::THREADS] = out
    return results


INPUTS = [0.1 + 0.013 * i for i in range(THREADS * CALLS)]


@pytest.mark.parametrize("diff_method", ["backprop", "adjoint", "parameter-shift"])
def test_values_and_gradients_in_threads_equal_serial(diff_method):
    qnode = kt.QNode(_circuit, kt.device("default.qubit", wires=3), diff_method=diff_method)
    grad = kt.grad(qnode)

    def value_and_grad(x):
        x = np.array(x, requires_grad=True)
        return float(qnode(x)), float(grad(x))

    serial = [value_and_grad(x) for x in INPUTS]
    threaded = _in_threads(value_and_grad, INPUTS)
    # the values are distinct, so a call that recorded another call's gates is caught
    assert len({round(v, 9) for v, _ in serial}) == len(INPUTS)
    onp.testing.assert_allclose(threaded, serial, rtol=0, atol=1e-12)


def test_recordings_in_threads_keep_their_own_operations():
    def record(x):
        with kt.QuantumTape() as tape:
            kt.RX(x, wires=0)
            kt.RY(x, wires=1)
            kt.expval(kt.PauliZ(0))
        return [(op.name, float(op.data[0])) for op in tape.operations], len(tape.measurements)

    threaded = _in_threads(record, INPUTS)
    assert threaded == [([("RX", x), ("RY", x)], 1) for x in INPUTS]


def test_seeded_shots_in_threads_draw_the_serial_streams():
    """Each execution takes the next child of the device's seed: concurrent calls take the same
    children as serial ones (in another order), never one twice."""
    def make():
        dev = kt.device("default.qubit", wires=3, shots=50, seed=2024)
        return kt.QNode(_circuit, dev, diff_method="parameter-shift")

    serial_qnode, threaded_qnode = make(), make()
    x = np.array(0.3, requires_grad=False)
    serial = sorted(float(serial_qnode(x)) for _ in INPUTS)
    threaded = sorted(_in_threads(lambda _: float(threaded_qnode(x)), INPUTS))
    assert threaded == serial
    assert len(set(serial)) > 5  # the streams differ from call to call
