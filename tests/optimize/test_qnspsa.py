"""QNSPSAOptimizer: steps replayed by hand from the same random directions, the metric estimate
against the exact Fubini–Study metric, blocking, the VQE, errors.

The hand computations simulate the circuit below with 4×4 matrices (wire 0 is the most significant
bit) and draw the directions from a generator with the optimizer's seed, in the documented order:
per resampling Δ (gradient), Δ1, Δ2, each ``rng.choice([-1.0, 1.0], size=n)``.
"""
from __future__ import annotations

import itertools

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import OptimizerError

dev = kt.device("default.qubit", wires=2)
X = onp.array([[0.0, 1.0], [1.0, 0.0]])
Z = onp.diag([1.0, -1.0])
I2 = onp.eye(2)
CNOT = onp.eye(4)[[0, 1, 3, 2]]
H_MATRIX = onp.kron(Z, Z) + 0.5 * onp.kron(I2, X)


@kt.qnode(dev)
def circuit(x):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=1)
    kt.CNOT(wires=[0, 1])
    kt.RY(x[2], wires=0)
    return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1) + 0.5 * kt.PauliX(1))


def rx(t):
    return onp.array([[onp.cos(t / 2), -1j * onp.sin(t / 2)], [-1j * onp.sin(t / 2), onp.cos(t / 2)]])


def ry(t):
    return onp.array([[onp.cos(t / 2), -onp.sin(t / 2)], [onp.sin(t / 2), onp.cos(t / 2)]])


def psi(x):
    state = onp.zeros(4, dtype=complex)
    state[0] = 1.0
    for gate in (onp.kron(rx(x[0]), I2), onp.kron(I2, ry(x[1])), CNOT, onp.kron(ry(x[2]), I2)):
        state = gate @ state
    return state


def energy(x):
    s = psi(x)
    return float(onp.real(s.conj() @ H_MATRIX @ s))


def fidelity(x, y):
    return float(abs(psi(x).conj() @ psi(y)) ** 2)


def hand_steps(x, steps, *, seed, stepsize, reg, eps, resamplings):
    """The iterates and running metrics of QN-SPSA without blocking, from the paper's formulas."""
    rng = onp.random.default_rng(seed)
    n = len(x)
    avg, xs, metrics = None, [], []
    for k in range(steps):
        grad, sample = onp.zeros(n), onp.zeros((n, n))
        for _ in range(resamplings):
            d, d1, d2 = (rng.choice([-1.0, 1.0], size=n) for _ in range(3))
            grad += (energy(x + eps * d) - energy(x - eps * d)) / (2 * eps) * d
            df = (fidelity(x, x + eps * (d1 + d2)) - fidelity(x, x + eps * d1)
                  - fidelity(x, x + eps * (d2 - d1)) + fidelity(x, x - eps * d1))
            sample += -0.5 * df / (2 * eps ** 2) * (onp.outer(d1, d2) + onp.outer(d2, d1)) / 2
        grad /= resamplings
        sample /= resamplings
        avg = sample if avg is None else k / (k + 1) * avg + sample / (k + 1)
        values, vectors = onp.linalg.eigh(avg)
        regularized = vectors @ onp.diag(onp.abs(values)) @ vectors.T + reg * onp.eye(n)
        x = x - stepsize * onp.linalg.solve(regularized, grad)
        xs.append(x)
        metrics.append(avg)
    return xs, metrics


X0 = onp.array([0.4, -0.7, 1.1])


def test_the_test_simulator_agrees_with_the_device():
    assert energy(X0) == pytest.approx(float(circuit(np.array(X0))), abs=1e-12)


def test_three_steps_replayed_by_hand():
    opt = kt.QNSPSAOptimizer(stepsize=0.05, regularization=0.01, finite_diff_step=0.05,
                             resamplings=2, blocking=False, seed=42)
    xs, metrics = hand_steps(X0, 3, seed=42, stepsize=0.05, reg=0.01, eps=0.05, resamplings=2)
    x = np.array(X0)
    for k in range(3):
        x = opt.step(circuit, x)
        onp.testing.assert_allclose(x, xs[k], rtol=0, atol=1e-10)
        onp.testing.assert_allclose(opt.metric, metrics[k], rtol=0, atol=1e-10)
    assert opt.k == 3 and opt.last_step_accepted is True
    assert not onp.allclose(metrics[2], metrics[1])  # the average really moved


def test_arguments_of_any_shape_are_flattened_together():
    @kt.qnode(dev)
    def split(a, b):
        kt.RX(a[0], wires=0)
        kt.RY(a[1], wires=1)
        kt.CNOT(wires=[0, 1])
        kt.RY(b[0, 0], wires=0)
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1) + 0.5 * kt.PauliX(1))

    options = dict(stepsize=0.05, finite_diff_step=0.05, blocking=False, seed=3)
    flat = kt.QNSPSAOptimizer(**options).step(circuit, np.array(X0))
    a, b = kt.QNSPSAOptimizer(**options).step(split, np.array(X0[:2]), np.array([[X0[2]]]))
    assert onp.shape(a) == (2,) and onp.shape(b) == (1, 1)
    onp.testing.assert_allclose(onp.concatenate([a, onp.ravel(b)]), flat, rtol=0, atol=1e-12)


def test_metric_estimate_approaches_the_exact_metric():
    exact = onp.asarray(kt.metric_tensor(circuit, approx=None)(np.array(X0)))
    n_samples = 400
    opt = kt.QNSPSAOptimizer(resamplings=n_samples, blocking=False, seed=7)
    opt.step(circuit, np.array(X0))
    # to O(ε²) one sample is (Δ1ᵀ g Δ2)(Δ1Δ2ᵀ + Δ2Δ1ᵀ)/2: its spread, over all 64 sign patterns
    signs = [onp.array(s) for s in itertools.product([-1.0, 1.0], repeat=3)]
    samples = onp.array([(d1 @ exact @ d2) * (onp.outer(d1, d2) + onp.outer(d2, d1)) / 2
                         for d1 in signs for d2 in signs])
    onp.testing.assert_allclose(samples.mean(axis=0), exact, atol=1e-12)  # unbiased
    sigma = samples.std(axis=0) / onp.sqrt(n_samples)
    assert sigma.max() > 1e-3  # the bound below is statistical, not trivially tight
    assert onp.all(onp.abs(opt.metric - exact) <= 5 * sigma + 1e-3)


def test_blocking_rejects_a_step_that_raises_the_cost():
    one = kt.device("default.qubit", wires=1)

    @kt.qnode(one)
    def cosine(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    # near the minimum at π a large natural-gradient step (metric 1/4) overshoots to π + 0.15
    start = onp.pi - 0.05
    blocked = kt.QNSPSAOptimizer(stepsize=1.0, seed=0)
    x, before = blocked.step_and_cost(cosine, np.array(start))
    assert before == pytest.approx(onp.cos(start), abs=1e-12)
    assert blocked.last_step_accepted is False and float(x) == start
    free = kt.QNSPSAOptimizer(stepsize=1.0, seed=0, blocking=False)
    moved = float(free.step(cosine, np.array(start)))
    assert free.last_step_accepted is True
    assert onp.cos(moved) > onp.cos(start) and moved == pytest.approx(onp.pi + 0.149, abs=0.01)
    # a small step lowers the cost and is taken
    small = kt.QNSPSAOptimizer(stepsize=0.05, seed=0)
    x = float(small.step(cosine, np.array(start)))
    assert small.last_step_accepted is True and onp.cos(x) < onp.cos(start)


def test_blocking_tolerates_increases_within_twice_the_recent_spread():
    one = kt.device("default.qubit", wires=1)

    @kt.qnode(one)
    def cosine(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    # three modest steps leave a spread of recent costs, then larger steps overshoot the minimum
    opt = kt.QNSPSAOptimizer(stepsize=0.45, history_length=3, seed=1)
    x, costs, outcomes = np.array(2.0), [], []
    for k in range(8):
        opt.stepsize = 0.45 if k < 3 else 0.6
        new, c = opt.step_and_cost(cosine, x)
        costs.append(c)
        # the proposal: exact 1-D central difference over (|ḡ| + β), ḡ ≈ 1/4 in one dimension
        eps = opt.finite_diff_step
        slope = (onp.cos(float(x) + eps) - onp.cos(float(x) - eps)) / (2 * eps)
        proposal = float(x) - opt.stepsize * slope / (abs(float(opt.metric[0, 0])) + 1e-3)
        tol = 2 * onp.std(costs[-3:]) if len(costs) > 1 else 0.0
        expect = bool(onp.cos(proposal) <= c + tol)
        assert opt.last_step_accepted is expect
        assert float(new) == pytest.approx(proposal if expect else float(x), abs=1e-12)
        outcomes.append((expect, bool(onp.cos(proposal) > c)))
        x = new
    assert (True, True) in outcomes  # some step raised the cost within the tolerance
    assert any(not accepted for accepted, _ in outcomes)


def test_seed_makes_runs_reproducible_and_reset_restarts_them():
    def run(opt):
        x, out = np.array(X0), []
        for _ in range(3):
            x = opt.step(circuit, x)
            out.append(onp.asarray(x))
        return onp.array(out)

    opt = kt.QNSPSAOptimizer(stepsize=0.05, seed=5)
    first = run(opt)
    opt.reset()
    assert opt.metric is None and opt.k == 0
    onp.testing.assert_array_equal(run(opt), first)
    onp.testing.assert_array_equal(run(kt.QNSPSAOptimizer(stepsize=0.05, seed=5)), first)
    assert not onp.array_equal(run(kt.QNSPSAOptimizer(stepsize=0.05, seed=6)), first)


def test_vqe_reaches_the_ground_energy(tfim):
    # stepsize 0.05 with 3 resamplings: seeds 0-11 all ended within 0.043 of E0 after 100 steps
    opt = kt.QNSPSAOptimizer(stepsize=0.05, resamplings=3, seed=0)
    res = opt.minimize(tfim.energy, np.array(tfim.W0), steps=100)
    assert res.history[0] > tfim.E0 + 1.0
    assert tfim.E0 - 1e-9 <= res.cost < tfim.E0 + 5e-2
    assert res.cost == pytest.approx(float(tfim.energy(res.x)), abs=1e-12)


def test_finite_shots_drive_a_small_cost_down():
    noisy = kt.device("default.qubit", wires=2, shots=1000, seed=11)

    @kt.qnode(noisy)
    def product(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    # the shot noise of the fidelities (~1/√1000) dwarfs ε² = 0.01: a larger step keeps them useful
    opt = kt.QNSPSAOptimizer(stepsize=0.1, finite_diff_step=0.1, resamplings=2, seed=2)
    x = np.array([0.5, 0.4])
    for _ in range(40):
        x = opt.step(product, x)
    assert onp.cos(x[0]) * onp.cos(x[1]) < -0.99  # from 0.81; seeds 0-9 all reached -0.999


@pytest.mark.parametrize("make, message", [
    (lambda: kt.QNSPSAOptimizer(0.0), "QNSPSAOptimizer: stepsize must be a positive number, got 0.0"),
    (lambda: kt.QNSPSAOptimizer(-1e-3), "stepsize must be a positive number, got -0.001"),
    (lambda: kt.QNSPSAOptimizer(regularization=0),
     "regularization must be a positive number, got 0"),
    (lambda: kt.QNSPSAOptimizer(finite_diff_step=-0.1),
     "finite_diff_step must be a positive number, got -0.1"),
    (lambda: kt.QNSPSAOptimizer(resamplings=0), "resamplings must be a positive integer, got 0"),
    (lambda: kt.QNSPSAOptimizer(history_length=2.5),
     "history_length must be a positive integer, got 2.5"),
    (lambda: kt.QNSPSAOptimizer(blocking="yes"), "blocking must be True or False, got 'yes'"),
])
def test_bad_hyper_parameters(make, message):
    with pytest.raises(OptimizerError, match=message) as info:
        make()
    assert info.value.optimizer == "QNSPSAOptimizer"


def test_cost_must_be_a_qnode_returning_one_value():
    def plain(x):
        return circuit(x) * 2.0

    with pytest.raises(OptimizerError, match="QNSPSAOptimizer needs the circuit behind the cost to "
                                             "build its fidelity circuits, but the cost 'plain' is "
                                             "not a QNode; supported: a QNode that returns one "
                                             r"expectation value") as info:
        kt.QNSPSAOptimizer(seed=0).step(plain, np.array(X0))
    assert info.value.value is plain

    @kt.qnode(dev)
    def distribution(x):
        kt.RX(x[0], wires=0)
        return kt.probs(wires=[0])

    with pytest.raises(OptimizerError, match=r"needs a cost that returns a real scalar, but it "
                                             r"returned an array of shape \(2,\)"):
        kt.QNSPSAOptimizer(seed=0).step(distribution, np.array([0.1]))

    @kt.qnode(dev)
    def two(x):
        kt.RX(x[0], wires=0)
        return kt.expval(kt.PauliZ(0)), kt.expval(kt.PauliZ(1))

    with pytest.raises(OptimizerError, match="returns 2 measurements"):
        kt.QNSPSAOptimizer(seed=0).step(two, np.array([0.1]))


def test_a_different_problem_needs_reset():
    opt = kt.QNSPSAOptimizer(seed=0, blocking=False)
    opt.step(circuit, np.array(X0))
    with pytest.raises(OptimizerError, match=r"the trainable arguments have 2 entries but the "
                                             r"metric average has 3; call opt.reset\(\)"):
        opt.step(circuit, np.array([0.1, 0.2]))
