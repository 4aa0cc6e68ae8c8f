"""The optimizers' circuit batches and metric tensors on a process pool equal the serial ones."""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np


#: workers start fresh (forking a process that runs JAX or TF threads can deadlock)
SPAWN = multiprocessing.get_context("spawn")

class CountingPool(cf.ProcessPoolExecutor):
    """A process pool that counts the tasks it was given (to see that batches reached it)."""

    submitted = 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


@pytest.fixture(scope="module")
def shared_pool():
    with CountingPool(max_workers=2, mp_context=SPAWN) as ex:
        yield ex


@pytest.fixture
def pool(shared_pool):
    """The module's pool; each test must have sent it tasks."""
    before = shared_pool.submitted
    yield shared_pool
    assert shared_pool.submitted > before


def _cost(dev):
    @kt.qnode(dev, diff_method="parameter-shift")
    def cost(w):
        kt.RX(w[0], wires=0)
        kt.RY(w[1], wires=1)
        kt.CNOT(wires=[0, 1])
        kt.RZ(w[2], wires=1)
        kt.RX(w[3], wires=1)
        return kt.expval(kt.PauliZ(1) @ kt.PauliX(0) + 0.5 * kt.PauliY(1))

    return cost


W0 = np.array([0.3, -0.8, 1.1, 0.4], requires_grad=True)


def _steps(opt, cost, steps=2):
    w = W0
    for _ in range(steps):
        w = opt.step(cost, w)
    return onp.asarray(w)


def test_rotosolve_batches_each_line_search_and_matches_serial(pool):
    serial_cost = _cost(kt.device("default.qubit", wires=2))
    # a plain function is evaluated one point at a time: the reference for the batched QNode
    one_by_one = _steps(kt.RotosolveOptimizer(), lambda w: serial_cost(w))
    serial = _steps(kt.RotosolveOptimizer(), serial_cost)
    onp.testing.assert_allclose(serial, one_by_one, rtol=0, atol=1e-12)
    opt = kt.RotosolveOptimizer()
    on_pool = _steps(opt, _cost(kt.device("default.qubit", wires=2, executor=pool)))
    onp.testing.assert_array_equal(on_pool, serial)
    assert opt.evaluations == 2 * (1 + 4 * 2)  # per step: the start, then two shifts per entry


def test_qnspsa_with_seeded_shots_matches_serial(pool):
    def run(executor):
        dev = kt.device("default.qubit", wires=2, shots=400, seed=5, executor=executor)
        return _steps(kt.QNSPSAOptimizer(stepsize=0.05, seed=3), _cost(dev), steps=3)

    onp.testing.assert_array_equal(run(pool), run(None))


def test_shot_adaptive_with_seeded_shots_matches_serial(pool):
    def run(executor):
        dev = kt.device("default.qubit", wires=2, seed=6, executor=executor)
        return _steps(kt.ShotAdaptiveOptimizer(min_shots=20, seed=4), _cost(dev), steps=3)

    onp.testing.assert_array_equal(run(pool), run(None))


@pytest.mark.parametrize("approx, strategy", [(None, "circuits"), ("block-diag", "auto"),
                                              ("diag", "auto")])
def test_metric_tensor_circuits_match_serial(pool, approx, strategy):
    def metric(dev):
        return onp.asarray(kt.metric_tensor(_cost(dev), approx=approx, strategy=strategy)(W0))

    serial = metric(kt.device("default.qubit", wires=2))
    on_pool = metric(kt.device("default.qubit", wires=2, executor=pool))
    onp.testing.assert_allclose(on_pool, serial, rtol=0, atol=1e-12)
    assert onp.any(onp.abs(serial) > 1e-3)
