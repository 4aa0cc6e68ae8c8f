"""SPSAOptimizer: gain sequences, an unbiased gradient estimate with the predicted spread, seeds.

On a linear cost f(x) = c·x the estimate is exact in expectation: with Δ ∈ {±1}^P,
ĝ = [f(x + c_kΔ) − f(x − c_kΔ)]/(2c_k) · Δ = (c·Δ) Δ, whose entry t is c_t + Σ_{s≠t} c_s Δ_sΔ_t:
mean c_t, variance Σ_{s≠t} c_s². The first step moves x by −a_0 ĝ.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np

COEF = onp.array([1.0, -2.0, 0.5, 3.0])


def linear(x):
    return np.sum(COEF * x)


def test_gain_sequences_follow_spall():
    opt = kt.SPSAOptimizer(maxiter=100, alpha=0.602, gamma=0.101, c=0.2)
    assert opt.A == pytest.approx(10.0)
    assert opt.a == pytest.approx(0.05 * 11 ** 0.602)
    a0, c0 = opt.gains(0)
    assert a0 == pytest.approx(0.05) and c0 == pytest.approx(0.2)
    a5, c5 = opt.gains(5)
    assert a5 == pytest.approx(opt.a / 16 ** 0.602) and c5 == pytest.approx(0.2 / 6 ** 0.101)
    custom = kt.SPSAOptimizer(a=0.3, A=2.0, c=0.1)
    assert custom.gains(1) == pytest.approx((0.3 / 4 ** 0.602, 0.1 / 2 ** 0.101))


def test_one_step_estimate_is_unbiased_with_the_predicted_spread():
    n = 2000
    x0 = onp.zeros(4)
    estimates = []
    for seed in range(n):
        opt = kt.SPSAOptimizer(maxiter=50, seed=seed)
        a0, _ = opt.gains(0)
        x1 = opt.step(linear, np.array(x0))
        estimates.append((x0 - onp.asarray(x1)) / a0)
    estimates = onp.array(estimates)
    # every sample is (c·Δ)Δ: its entries have magnitude |c·Δ| with c·Δ from the 16 sign patterns
    assert onp.allclose(onp.abs(estimates), onp.abs(estimates[:, :1]))
    sigma = onp.sqrt((onp.sum(COEF ** 2) - COEF ** 2) / n)
    assert onp.all(onp.abs(estimates.mean(axis=0) - COEF) < 4 * sigma)
    onp.testing.assert_allclose(estimates.var(axis=0), onp.sum(COEF ** 2) - COEF ** 2, rtol=0.15)


def test_seed_makes_runs_reproducible_and_reset_restarts_them():
    def run(opt, steps=5):
        x = np.array([0.1, 0.2, 0.3, 0.4])
        out = []
        for _ in range(steps):
            x = opt.step(lambda v: np.sum(np.cos(v)), x)
            out.append(onp.asarray(x))
        return onp.array(out)

    opt = kt.SPSAOptimizer(seed=11)
    first = run(opt)
    assert opt.k == 5
    onp.testing.assert_array_equal(run(kt.SPSAOptimizer(seed=11)), first)
    opt.reset()
    assert opt.k == 0
    onp.testing.assert_array_equal(run(opt), first)
    assert not onp.array_equal(run(kt.SPSAOptimizer(seed=12)), first)


def test_two_arguments_are_perturbed_together():
    def f(x, y):
        return np.sum(x) + 2 * np.sum(y)

    x, y = kt.SPSAOptimizer(seed=0, a=0.1).step(f, np.zeros(2), np.zeros((2, 2)))
    # linear cost: every entry moves by a_0 (c·Δ) Δ_t, with c = (1, 1, 2, 2, 2, 2)
    moves = onp.concatenate([onp.ravel(x), onp.ravel(y)])
    assert len(set(onp.round(onp.abs(moves), 12))) == 1 and onp.all(moves != 0)


def test_spsa_minimizes_a_noisy_shot_based_cost():
    dev = kt.device("default.qubit", wires=1, shots=2000, seed=5)

    @kt.qnode(dev)
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=0)
        return kt.expval(kt.PauliZ(0))

    opt = kt.SPSAOptimizer(maxiter=100, c=0.3, a=0.6, seed=2)
    res = opt.minimize(circuit, np.array([0.8, 0.5]), steps=100)
    x = onp.asarray(res.x)
    exact = onp.cos(x[0]) * onp.cos(x[1])  # the exact ⟨Z⟩ at the final point: minimum −1
    assert exact < -0.99
    # the recorded cost is a 2000-shot estimate: within 5 standard deviations (σ ≤ 1/√2000)
    assert abs(res.cost - exact) < 5 / onp.sqrt(2000)
