"""Rotosolve and Rotoselect: exact minimization along one angle, frequency inference, evaluation counts.

References: the global minimum of a univariate function is found here by a dense grid followed by
scipy's bounded scalar minimizer, independently of the optimizer's own reconstruction.
"""
from __future__ import annotations

import numpy as onp
import pytest
from scipy.optimize import minimize_scalar

import kettle as kt
from kettle import numpy as np
from kettle.optimize import fourier
from kettle.optimize.spectrum import sum_spectrum

dev1 = kt.device("default.qubit", wires=1)
dev2 = kt.device("default.qubit", wires=2)
dev3 = kt.device("default.qubit", wires=3)


def global_min(f, period=2 * onp.pi):
    grid = onp.linspace(-period / 2, period / 2, 241)
    vals = onp.array([f(t) for t in grid])
    k = int(onp.argmin(vals))
    h = grid[1] - grid[0]
    res = minimize_scalar(f, bounds=(grid[k] - h, grid[k] + h), method="bounded",
                          options={"xatol": 1e-12})
    return res.x, res.fun


@kt.qnode(dev3)
def separable(x):
    for i in range(3):
        kt.RY(x[i] + 0.3 * i, wires=i)
    return kt.expval(kt.Hamiltonian([1.0, 1.0, 1.0], [kt.PauliZ(0), kt.PauliX(1), kt.PauliZ(2)]))


@kt.qnode(dev2)
def product(x):
    kt.RX(x[0], wires=0)
    kt.RX(x[1], wires=1)
    return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))


def test_single_frequency_costs_reach_the_minimum_in_one_sweep():
    x, before = kt.RotosolveOptimizer().step_and_cost(separable, np.array([0.5, -0.2, 1.0]))
    assert float(separable(x)) == pytest.approx(-3.0, abs=1e-12)
    assert before == pytest.approx(float(separable(np.array([0.5, -0.2, 1.0]))))
    # cos x0 cos x1: the first coordinate flips the sign of the product, the second maximizes it
    x = kt.RotosolveOptimizer().step(product, np.array([0.4, 1.0]))
    assert float(product(x)) == pytest.approx(-1.0, abs=1e-12)


def test_one_sweep_costs_one_evaluation_plus_two_per_single_frequency_entry():
    opt = kt.RotosolveOptimizer()
    opt.step(separable, np.array([0.5, -0.2, 1.0]))
    assert opt.evaluations == 1 + 2 * 3
    opt.reset()
    assert opt.evaluations == 0


@kt.qnode(dev2)
def shared(a, b, y):
    kt.RX(2 * a, wires=0)          # frequency 2 (RX: 1, times 2)
    kt.RY(a - 0.4, wires=1)        # and 1: together {1, 2, 3}
    kt.CRX(b, wires=[0, 1])        # CRX: {0.5, 1}
    kt.Rot(y, 0.3, y, wires=0)     # one value in two angles: {1, 2}
    kt.CNOT(wires=[0, 1])
    return kt.expval(kt.PauliZ(0) @ kt.PauliX(1) + 0.5 * kt.PauliY(1))


START = (0.3, 0.8, 0.2)
PERIODS = (2 * onp.pi, 4 * onp.pi, 2 * onp.pi)


def test_frequencies_are_inferred_from_the_gates_of_a_qnode():
    args = tuple(np.array(v) for v in START)
    table = kt.RotosolveOptimizer().frequencies(shared, args, {}, [0, 1, 2])
    assert table[0][()] == (1.0, 2.0, 3.0)
    assert table[1][()] == (0.5, 1.0)
    assert table[2][()] == (1.0, 2.0)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_multi_frequency_entry_is_moved_to_its_exact_minimum(k):
    def along(t):
        args = [np.array(v) for v in START]
        args[k] = np.array(t)
        return float(shared(*args))

    _, f_star = global_min(along, PERIODS[k])
    opt = kt.RotosolveOptimizer(argnum=k)
    new, before = opt.step_and_cost(shared, *(np.array(v) for v in START))
    assert along(float(new[k])) == pytest.approx(f_star, abs=1e-10)
    assert before == pytest.approx(along(START[k]), abs=1e-12)
    assert opt.evaluations == 1 + 2 * (3, 2, 2)[k]


def test_spectra_matter_for_plain_functions():
    def f(t):
        return np.cos(t) + 0.8 * np.sin(2 * t + 0.3) - 0.6 * np.cos(3 * t)

    t_star, f_star = global_min(lambda t: float(f(t)))
    good = kt.RotosolveOptimizer(spectra=[1, 2, 3]).step(f, np.array(0.4))
    assert float(f(good)) == pytest.approx(f_star, abs=1e-10)
    by_count = kt.RotosolveOptimizer().step(f, np.array(0.4), nums_frequency=3)
    assert float(by_count) == pytest.approx(float(good), abs=1e-9)
    # the default single frequency misreads this cost and misses the minimum
    wrong = kt.RotosolveOptimizer().step(f, np.array(0.4))
    assert float(f(wrong)) > f_star + 1e-2


def test_per_entry_options():
    def f(x):
        return np.cos(x[0]) + np.cos(2 * x[1])

    x = kt.RotosolveOptimizer(nums_frequency={0: {1: 2}}).step(f, np.array([0.3, 0.3]))
    assert float(f(x)) == pytest.approx(-2.0, abs=1e-12)


def test_sum_spectrum_of_shared_parameters():
    assert sum_spectrum([(1.0, [1.0]), (1.0, [1.0])]) == (1.0, 2.0)
    assert sum_spectrum([(2.0, [1.0]), (0.5, [1.0, 2.0])]) == (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
    assert sum_spectrum([]) == ()


def test_reconstruction_plans():
    plan = fourier.sampling_plan((1.0, 3.0))  # completed to {1, 2, 3}: 7 equidistant samples
    assert plan.frequencies == (1.0, 2.0, 3.0) and len(plan.shifts) == 7
    onp.testing.assert_allclose(onp.diff(plan.shifts), 2 * onp.pi / 7)
    assert fourier.commensurate((0.5, 1.5)) == (0.5, 3)
    assert fourier.commensurate((1.0, 2 ** 0.5)) is None
    rng = onp.random.default_rng(5)
    freqs = onp.array([1.0, 2 ** 0.5])
    a0, a, b = rng.normal(), rng.normal(size=2), rng.normal(size=2)

    def g(t):
        return a0 + onp.cos(onp.outer(t, freqs)) @ a + onp.sin(onp.outer(t, freqs)) @ b

    plan = fourier.sampling_plan(tuple(freqs))
    poly = fourier.TrigPolynomial.fit(plan, g(onp.array(plan.shifts)))
    ts = onp.linspace(-5, 5, 11)
    onp.testing.assert_allclose(poly(ts), g(ts), atol=1e-9)


def test_rotoselect_picks_the_unique_best_generators():
    @kt.qnode(dev2)
    def circuit(x, generators):
        generators[0](x[0], wires=0)
        generators[1](x[1], wires=1)
        return kt.expval(kt.PauliY(0) + kt.PauliX(1))

    # ⟨Y⟩ = −sin θ only under RX, ⟨X⟩ = sin θ only under RY: one sweep reaches −2
    opt = kt.RotoselectOptimizer()
    (x, gens), before = opt.step_and_cost(circuit, np.array([0.1, 0.2]), [kt.RZ, kt.RZ])
    assert gens == [kt.RX, kt.RY]
    assert before == pytest.approx(0.0, abs=1e-12)
    assert float(circuit(x, gens)) == pytest.approx(-2.0, abs=1e-12)
    onp.testing.assert_allclose(onp.mod(x, 2 * onp.pi), [onp.pi / 2, 3 * onp.pi / 2], atol=1e-10)
    # per parameter and candidate 2 samples (3 for candidates other than the current one), plus 1
    assert opt.evaluations == 1 + 2 * (2 + 3 + 3)
