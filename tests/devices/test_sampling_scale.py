"""Sampling at scale: counts and estimates from one multinomial draw, samples only for sample().

Statistics use exact outcome probabilities computed here from a NumPy reference state and accept
estimates within 5σ.
"""
from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

import kettle as kt

A, B = 0.8, -1.3


def _state():
    """RY(A) on wire 0, RX(B) on wire 1, CNOT(0, 1), Hadamard on wire 2 (wire 0 most significant)."""
    ry = np.array([[np.cos(A / 2), -np.sin(A / 2)], [np.sin(A / 2), np.cos(A / 2)]], dtype=complex)
    rx = np.array([[np.cos(B / 2), -1j * np.sin(B / 2)], [-1j * np.sin(B / 2), np.cos(B / 2)]])
    h = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    cnot = np.eye(4)[[0, 1, 3, 2]]
    two = cnot @ np.kron(ry, rx) @ np.array([1, 0, 0, 0])
    return np.kron(two, h @ np.array([1, 0]))


P = np.abs(_state()) ** 2


def _circuit():
    kt.RY(A, wires=0)
    kt.RX(B, wires=1)
    kt.CNOT(wires=[0, 1])
    kt.Hadamard(wires=2)


def test_counts_of_a_million_shots_well_under_a_second_and_within_5_sigma():
    n = 10**6
    dev = kt.device("default.qubit", wires=3, shots=n, seed=1)

    @kt.qnode(dev)
    def f():
        _circuit()
        return kt.counts(all_outcomes=True)

    f(shots=10)  # warm up (imports, first-call set-up)
    t0 = time.perf_counter()
    counts = f()
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.5, f"counts of 10**6 shots took {elapsed:.3f} s"
    assert list(counts) == [format(i, "03b") for i in range(8)]
    assert sum(counts.values()) == n
    got = np.array(list(counts.values()))
    sigma = np.sqrt(n * P * (1 - P))
    assert np.all(np.abs(got - n * P) <= 5 * sigma + 1e-9)


def test_expval_of_a_billion_shots_allocates_nothing_big():
    n = 10**9
    dev = kt.device("default.qubit", wires=3, shots=n, seed=2)

    @kt.qnode(dev)
    def f():
        _circuit()
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1)), kt.probs(wires=[2]), kt.var(kt.PauliZ(1))

    tracemalloc.start()
    try:
        ev, probs, var = f()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MiB"  # one sample array would be 7.45 GiB
    zz = np.array([1, 1, -1, -1, -1, -1, 1, 1])  # Z0 Z1 on |b0 b1 b2>
    z1 = np.array([1, 1, -1, -1, 1, 1, -1, -1])
    mean = P @ zz
    assert abs(ev - mean) < 5 * np.sqrt((1 - mean**2) / n)
    assert abs(probs[0] - 0.5) < 5 * np.sqrt(0.25 / n)
    m1 = P @ z1
    assert abs(var - (1 - m1**2)) < 5 * np.sqrt(4 * m1**2 * (1 - m1**2) / n) + 1e-9


@pytest.mark.parametrize("shots", [1, 7, 10**5])
def test_counts_and_estimates_reproduce_with_a_seed(shots):
    def run():
        @kt.qnode(kt.device("default.qubit", wires=3, shots=shots, seed=99))
        def f():
            _circuit()
            return kt.counts(wires=[1, 0]), kt.expval(kt.PauliX(2)), kt.probs(wires=[0, 2])

        return f()

    (c1, e1, p1), (c2, e2, p2) = run(), run()
    assert c1 == c2 and e1 == e2
    np.testing.assert_array_equal(p1, p2)
    assert sum(c1.values()) == shots


def test_samples_drawn_only_for_sample_and_shared_shot_by_shot():
    n = 20000
    dev = kt.device("default.qubit", wires=3, shots=n, seed=3)

    @kt.qnode(dev)
    def f():
        _circuit()
        return kt.sample(kt.PauliZ(0)), kt.expval(kt.PauliZ(0)), kt.counts(wires=[0, 1]), \
            kt.sample(wires=[1])

    z0, ev, counts, b1 = f()
    assert z0.shape == (n,) and b1.shape == (n,)
    # one draw serves the group: the estimate and the counts are those of these very samples
    assert ev == pytest.approx(z0.mean(), abs=1e-12)
    assert counts.get("10", 0) + counts.get("11", 0) == np.sum(z0 == -1)
    assert counts.get("01", 0) + counts.get("11", 0) == np.sum(b1 == 1)


def test_shot_chunks_pool_into_the_right_distribution():
    """3.5 chunks of 10**4 shots: each chunk from its own child generator, pooled estimates."""
    n = 35000
    dev = kt.device("default.qubit", wires=3, shots=n, seed=4, shot_chunk=10**4)

    @kt.qnode(dev)
    def f():
        _circuit()
        return kt.var(kt.PauliZ(0)), kt.probs(wires=[0, 1]), kt.sample(wires=[2]), kt.counts()

    var, probs, bits, counts = f()
    p0 = P.reshape(2, 4).sum(axis=1)
    mean = p0[0] - p0[1]
    assert abs(var - (1 - mean**2)) < 5 * np.sqrt(4 * mean**2 * (1 - mean**2) / n)
    p01 = P.reshape(4, 2).sum(axis=1)
    assert np.all(np.abs(probs - p01) < 5 * np.sqrt(p01 * (1 - p01) / n))
    assert bits.shape == (n,) and abs(bits.mean() - 0.5) < 5 * np.sqrt(0.25 / n)
    assert sum(counts.values()) == n


def test_broadcast_tapes_draw_per_batch_row():
    dev = kt.device("default.qubit", wires=1, shots=10**5, seed=5)

    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.counts(wires=0, all_outcomes=True)

    x = np.array([0.0, np.pi, 1.1])
    ev, counts = f(x)
    np.testing.assert_allclose(ev[:2], [1, -1])
    assert abs(ev[2] - np.cos(1.1)) < 5 * np.sqrt(np.sin(1.1) ** 2 / 10**5)
    assert counts[0] == {"0": 10**5, "1": 0} and counts[1] == {"0": 0, "1": 10**5}
