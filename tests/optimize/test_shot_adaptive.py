"""ShotAdaptiveOptimizer (iCANS1, Rosalin): the shot rule by hand, single-shot gradients against
exact values and exact variances, weighted random sampling of terms, shot counting, the VQE, errors.

Statistical checks use seeded devices and bounds of five standard deviations computed from the
exact distributions (|mean − μ| ≤ 5σ/√N; for a sample variance, σ² = (μ₄ − σ⁴)/N).
"""
from __future__ import annotations

import itertools

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import OptimizerError
from kettle.optimize.shot_adaptive import icans_shots


def test_shot_rule_by_hand():
    # α = 0.1, L = 2: Lα = 0.2, 2Lα/(2 − Lα) = 2/9, and the gain per shot
    # γ = ((α − Lα²/2)χ² − Lα²ξ/(2s))/s = (0.09χ² − 0.01ξ/s)/s
    chi, xi = onp.array([0.3, 0.1, 0.02]), onp.array([10.0, 0.2, 4.0])
    # ideal s = ⌈(2/9)ξ/(χ² + 1e-6)⌉ = ⌈24.69⌉, ⌈4.444⌉, ⌈2216.7⌉ = 25, 5, 2217
    # γ = (0.0081 − 0.004)/25 = 1.6e-4, (0.0009 − 0.0004)/5 = 1e-4, ≈ 8e-8: entry 0 caps at 25
    common = dict(k=0, stepsize=0.1, lipschitz=2.0, mu=0.99, b=1e-6)
    onp.testing.assert_array_equal(icans_shots(chi, xi, min_shots=2, **common), [25, 5, 25])
    onp.testing.assert_array_equal(icans_shots(chi, xi, min_shots=8, **common), [25, 8, 25])
    # the bias b μ^k keeps a zero gradient finite: ⌈(2/9) · 0.2 / (1e-3 · 0.5²)⌉ = 178
    half = dict(common, mu=0.5, k=2, b=1e-3)
    onp.testing.assert_array_equal(icans_shots(onp.array([0.0]), onp.array([0.2]), min_shots=2,
                                               **half), [178])


two = kt.device("default.qubit", wires=2, seed=21)
X_KNOWN = onp.array([0.3, 1.1])


@kt.qnode(two)
def independent(x):
    kt.RX(x[0], wires=0)
    kt.RX(x[1], wires=1)
    return kt.expval(kt.PauliZ(0) + 0.5 * kt.PauliZ(1))


def exact_moments(x):
    """Mean, variance and fourth central moment of one single-shot gradient sample per entry.

    Entry 0's sample is [(z0⁺ + ½z1) − (z0⁻ + ½z1')]/2 with independent ±1 outcomes: z0^± at
    x0 ± π/2, z1 and z1' at x1; P(z = +1) = (1 + cos angle)/2. Entry 1 likewise.
    """
    out = []
    for i in range(2):
        angles = [x[i] + onp.pi / 2, x[i] - onp.pi / 2, x[1 - i], x[1 - i]]
        weights = ([1.0, -1.0, 0.5, -0.5] if i == 0 else [0.5, -0.5, 1.0, -1.0])
        values, probs = [], []
        for z in itertools.product([1.0, -1.0], repeat=4):
            p = onp.prod([(1 + zi * onp.cos(a)) / 2 for zi, a in zip(z, angles)])
            values.append(onp.dot(weights, z) / 2)
            probs.append(p)
        values, probs = onp.array(values), onp.array(probs)
        mean = probs @ values
        var = probs @ (values - mean) ** 2
        out.append((mean, var, probs @ (values - mean) ** 4))
    return out


def test_one_step_measures_the_gradient_and_its_variance():
    n = 4000
    moments = exact_moments(X_KNOWN)
    # the enumeration agrees with the closed forms: Var = (Var z0⁺ + Var z0⁻)/4 + (Var z1)/8, …
    assert moments[0][1] == pytest.approx(onp.cos(0.3) ** 2 / 2 + onp.sin(1.1) ** 2 / 8)
    assert moments[1][1] == pytest.approx(onp.sin(0.3) ** 2 / 2 + onp.cos(1.1) ** 2 / 8)
    assert [m[0] for m in moments] == pytest.approx([-onp.sin(0.3), -0.5 * onp.sin(1.1)])

    opt = kt.ShotAdaptiveOptimizer(min_shots=n, stepsize=0.2, seed=0)
    x1 = opt.step(independent, np.array(X_KNOWN))
    # after one step the bias-corrected averages are the step's own mean and variance
    for i, (mean, var, mu4) in enumerate(moments):
        assert abs(opt.chi[i] - mean) < 5 * onp.sqrt(var / n)
        assert abs(opt.xi[i] - var) < 5 * onp.sqrt((mu4 - var ** 2) / n)
    onp.testing.assert_allclose(x1, X_KNOWN - 0.2 * opt.chi, rtol=0, atol=1e-12)
    # L = Σ|c| = 1.5 by default
    expected = icans_shots(opt.chi, opt.xi, k=0, stepsize=0.2, lipschitz=1.5, mu=0.99, b=1e-6,
                           min_shots=n)
    onp.testing.assert_array_equal(opt.s, expected)
    # two entries × two shifted circuits × n shots, Z0 and Z1 measured together
    assert opt.shots_used == opt.shots_last_step == 2 * 2 * n

    chi0 = opt.chi.copy()
    x2 = opt.step(independent, x1)
    g1 = (onp.asarray(x1) - onp.asarray(x2)) / 0.2
    # χ after two steps: (1 − μ)(μ g0 + g1)/(1 − μ²) = (μ g0 + g1)/(1 + μ)
    onp.testing.assert_allclose(opt.chi, (0.99 * chi0 + g1) / 1.99, rtol=1e-12)
    assert opt.shots_last_step == 2 * int(onp.sum(expected)) and opt.k == 2


three = kt.device("default.qubit", wires=2, seed=5)
analytic = kt.device("default.qubit", wires=2)
H = 2.0 * kt.PauliZ(0) @ kt.PauliZ(1) - 1.0 * kt.PauliX(1) + 0.5 * kt.PauliZ(0) + 0.5 * kt.PauliX(0)


def entangled(x):
    kt.RY(x[0], wires=0)
    kt.RX(2 * x[0], wires=1)  # one entry, two gates, one of them at twice the frequency
    kt.CNOT(wires=[0, 1])
    kt.CRZ(x[1], wires=[0, 1])  # frequencies 1/2 and 1: a four-term shift rule
    kt.RY(x[2], wires=1)
    return kt.expval(H)


sampled = kt.QNode(entangled, three)
exact = kt.QNode(entangled, analytic)
X_ENT = onp.array([1.9, 0.7, 0.6])


@pytest.mark.parametrize("term_sampling", [None, "weighted_random_sampling"])
def test_single_shot_gradients_average_to_the_exact_gradient(term_sampling):
    n = 20000
    opt = kt.ShotAdaptiveOptimizer(min_shots=2, term_sampling=term_sampling, seed=1)
    samples = opt.single_shot_gradients(sampled, np.array(X_ENT), shots=n)
    truth = onp.asarray(kt.grad(exact)(np.array(X_ENT)))
    assert len(samples) == 3 and all(s.shape == (n,) for s in samples)
    for s, g in zip(samples, truth):
        error = s.std(ddof=1) / onp.sqrt(n)
        assert abs(s.mean() - g) < 5 * error
        assert abs(g) > 5 * error  # the bound tells the gradient from zero (and from −g)
    shapes = [s.shape for s in opt.single_shot_gradients(sampled, np.array(X_ENT),
                                                          shots=[5, 7, 9])]
    assert shapes == [(5,), (7,), (9,)]
    with pytest.raises(OptimizerError, match=r"shots must be a positive integer or one per trainable "
                                             r"entry \(3\), got \[5, 7\]"):
        opt.single_shot_gradients(sampled, np.array(X_ENT), shots=[5, 7])
    with pytest.raises(OptimizerError, match="got 0"):
        opt.single_shot_gradients(sampled, np.array(X_ENT), shots=0)


def test_weighted_random_sampling_picks_terms_in_proportion_to_the_coefficients():
    opt = kt.ShotAdaptiveOptimizer(min_shots=2, term_sampling="weighted_random_sampling", seed=4)
    opt.single_shot_gradients(sampled, np.array(X_ENT), shots=3000)
    counts = opt.term_counts
    assert counts.sum() == 9000
    expected = 9000 * onp.array([2.0, 1.0, 0.5, 0.5]) / 4.0
    chi2 = onp.sum((counts - expected) ** 2 / expected)
    assert chi2 < 21.1  # the 0.9999 quantile of χ² with 3 degrees of freedom
    # one term per shot, one setting: 4 shifted circuits for entry 0 (two gates, two shifts each),
    # 4 for the CRZ angle (four-term rule), 2 for entry 2
    assert opt.shots_used == 3000 * (4 + 4 + 2)


def test_shots_are_counted_per_measurement_setting(tfim):
    # the TFIM terms form two qubit-wise commuting groups: {Z0Z1, Z1Z2} and {X0, X1, X2}
    every = kt.ShotAdaptiveOptimizer(min_shots=3, seed=0)
    w = every.step(tfim.energy, np.array(tfim.W0))
    assert every.shots_used == 6 * 2 * 3 * 2
    assert every.s.shape == (2, 3) and every.s.dtype.kind == "i" and onp.all(every.s >= 3)
    allocated = every.s.copy()
    every.step(tfim.energy, w)
    assert every.shots_last_step == 2 * 2 * int(onp.sum(allocated))  # 2 shifts, 2 settings
    assert every.shots_used == 6 * 2 * 3 * 2 + every.shots_last_step
    one_term = kt.ShotAdaptiveOptimizer(min_shots=3, term_sampling="weighted_random_sampling",
                                        seed=0)
    one_term.step(tfim.energy, np.array(tfim.W0))
    assert one_term.shots_used == 6 * 2 * 3 and one_term.term_counts.sum() == 6 * 3
    one_term.reset()
    assert one_term.shots_used == 0 and one_term.s is None and one_term.k == 0


def test_several_arguments_share_one_allocation():
    @kt.qnode(two)
    def split(a, b):
        kt.RX(a[0], wires=0)
        kt.RX(b, wires=1)
        return kt.expval(kt.PauliZ(0) + 0.5 * kt.PauliZ(1))

    opt = kt.ShotAdaptiveOptimizer(min_shots=4, seed=0)
    a, b = opt.step(split, np.array([0.3]), np.array(1.1))
    assert onp.shape(a) == (1,) and onp.shape(b) == ()
    s_a, s_b = opt.s
    assert s_a.shape == (1,) and s_b.shape == () and opt.chi.shape == (2,)


def ising_pair(dev):
    hamiltonian = kt.Hamiltonian([-1.0, -1.0, -1.0],
                                 [kt.PauliZ(0) @ kt.PauliZ(1), kt.PauliX(0), kt.PauliX(1)])

    @kt.qnode(dev)
    def energy(w):
        kt.RY(w[0], wires=0)
        kt.RY(w[1], wires=1)
        kt.CNOT(wires=[0, 1])
        kt.RY(w[2], wires=0)
        kt.RY(w[3], wires=1)
        return kt.expval(hamiltonian)

    return energy


# (term sampling, steps, tolerance): with one sampling stream per device, seeds 0-9 all ended within
# 0.012 (None, 60 steps) and 0.011 (weighted random sampling, 100 steps) of E0; with one child
# stream per tape (devices/seeding.py), seeds 0-15 ended within 0.027 (None; 14 of 16 within 0.02)
@pytest.mark.parametrize("term_sampling, steps", [(None, 60), ("weighted_random_sampling", 100)])
def test_vqe_of_a_two_qubit_ising_chain(term_sampling, steps):
    x, z, eye = onp.array([[0.0, 1.0], [1.0, 0.0]]), onp.diag([1.0, -1.0]), onp.eye(2)
    e0 = onp.linalg.eigvalsh(-onp.kron(z, z) - onp.kron(x, eye) - onp.kron(eye, x))[0]
    reference = ising_pair(kt.device("default.qubit", wires=2))
    energy = ising_pair(kt.device("default.qubit", wires=2, seed=1))
    w = np.array([0.1, -0.2, 0.3, 0.05])
    assert float(reference(w)) > e0 + 1.0
    opt = kt.ShotAdaptiveOptimizer(min_shots=10, term_sampling=term_sampling, seed=1)
    for _ in range(steps):
        w = opt.step(energy, w)
    assert e0 - 1e-9 <= float(reference(w)) < e0 + 2e-2
    assert opt.shots_used >= steps * 4 * 2 * 10


@pytest.mark.parametrize("make, message", [
    (lambda: kt.ShotAdaptiveOptimizer(0), r"min_shots must be an integer of at least 2 \(the "
                                          r"variance of the gradient needs two single-shot "
                                          r"samples\), got 0"),
    (lambda: kt.ShotAdaptiveOptimizer(1), "min_shots must be an integer of at least 2"),
    (lambda: kt.ShotAdaptiveOptimizer(10.5), "got 10.5"),
    (lambda: kt.ShotAdaptiveOptimizer(10, stepsize=0), "stepsize must be a positive number, got 0"),
    (lambda: kt.ShotAdaptiveOptimizer(10, stepsize=-0.1), "got -0.1"),
    (lambda: kt.ShotAdaptiveOptimizer(10, mu=1.0), r"mu must be a number in \(0, 1\), got 1.0"),
    (lambda: kt.ShotAdaptiveOptimizer(10, mu=0), r"mu must be a number in \(0, 1\), got 0"),
    (lambda: kt.ShotAdaptiveOptimizer(10, b=0.0), "b must be a positive number, got 0.0"),
    (lambda: kt.ShotAdaptiveOptimizer(10, lipschitz=0.0), "lipschitz must be a positive number"),
    (lambda: kt.ShotAdaptiveOptimizer(10, term_sampling="uniform"),
     r"term_sampling must be one of \(None, 'weighted_random_sampling'\), got 'uniform'"),
])
def test_bad_hyper_parameters(make, message):
    with pytest.raises(OptimizerError, match=message) as info:
        make()
    assert info.value.optimizer == "ShotAdaptiveOptimizer"


def test_unsupported_costs():
    opt = kt.ShotAdaptiveOptimizer(10, seed=0)

    def plain(x):
        return independent(x)

    with pytest.raises(OptimizerError, match="ShotAdaptiveOptimizer runs the parameter-shift "
                                             "circuits of the cost itself, but the cost 'plain' is "
                                             "not a QNode; supported: a QNode that returns kt.expval "
                                             "of one observable"):
        opt.step(plain, np.array(X_KNOWN))

    @kt.qnode(two)
    def variance(x):
        kt.RX(x[0], wires=0)
        return kt.var(kt.PauliZ(0))

    with pytest.raises(OptimizerError, match=r"needs a QNode that returns kt.expval of one "
                                             r"observable .* but variance returns VarianceMP"):
        opt.step(variance, np.array([0.1]))

    @kt.qnode(two)
    def in_observable(x):
        kt.RX(0.1, wires=0)
        return kt.expval(kt.Hamiltonian([x[0]], [kt.PauliZ(0)]))

    with pytest.raises(OptimizerError, match="the trainable arguments enter the measured "
                                             "observable Hamiltonian"):
        opt.step(in_observable, np.array([0.1]))

    @kt.qnode(two)
    def nothing(x):
        kt.RX(x[0], wires=0)
        return kt.expval(kt.Hamiltonian([0.0], [kt.PauliZ(0)]))

    with pytest.raises(OptimizerError, match="the measured Hamiltonian .* is zero"):
        opt.step(nothing, np.array([0.1]))
    # L = Σ|c| = 1.5 and stepsize 1.5: Lα = 2.25 leaves no step size iCANS can guarantee
    too_far = kt.ShotAdaptiveOptimizer(10, stepsize=1.5)
    with pytest.raises(OptimizerError, match=r"iCANS needs L·stepsize < 2, but L = 1.5 and "
                                             r"stepsize = 1.5 give 2.25"):
        too_far.step(independent, np.array(X_KNOWN))
    assert too_far.shots_used == 0  # checked before any circuit ran
    assert kt.ShotAdaptiveOptimizer(10, stepsize=1.5, lipschitz=1.0).step(
        independent, np.array(X_KNOWN)).shape == (2,)
