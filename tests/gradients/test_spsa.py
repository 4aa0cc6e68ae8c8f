"""spsa_grad: unbiased on average, with the spread SPSA theory predicts; reproducible by seed.

With a small step, one direction Δ ∈ {±1}^P gives [f(θ+hΔ) − f(θ−hΔ)]/(2h)·Δ_t = Δ_t (Δ·g) + O(h²)
= g_t + Σ_{s≠t} Δ_t Δ_s g_s. The products Δ_t Δ_s (s ≠ t) are independent uniform ±1 signs, so
one sample has mean g_t and variance Σ_{s≠t} g_s²; the mean of N directions has standard deviation
σ_t = sqrt(Σ_{s≠t} g_s² / N).
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import kettle as kt

PARAMS = [0.4, -1.1, 0.7, 0.2]


def circuit_tape(params=PARAMS):
    a, b, c, d = params
    return kt.QuantumTape(
        [kt.RX(a, wires=0), kt.RY(b, wires=1), kt.CNOT(wires=[0, 1]), kt.RZ(c, wires=1),
         kt.RY(d, wires=0), kt.Hadamard(wires=1)],
        [kt.expval(kt.PauliZ(0) @ kt.PauliZ(1)), kt.probs(wires=[0])])


def exact_jacobian(dev):
    tapes, fn = kt.gradients.param_shift(circuit_tape())
    jac = fn(dev.execute(tapes))
    return np.array(jac[0]), np.stack(jac[1], axis=-1)


def spsa(dev, **kwargs):
    tapes, fn = kt.gradients.spsa_grad(circuit_tape(), **kwargs)
    jac = fn(dev.execute(tapes))
    return np.array(jac[0]), np.stack(jac[1], axis=-1), len(tapes)


def spsa_sigma(g, n):
    return np.sqrt((np.sum(g ** 2, axis=-1, keepdims=True) - g ** 2) / n)


def test_many_directions_average_to_the_gradient_within_five_sigma():
    dev = kt.device("default.qubit", wires=2)
    exact_z, exact_p = exact_jacobian(dev)
    n = 200
    z, p, count = spsa(dev, num_directions=n, sampler_rng=42)
    assert count == 2 * n
    assert np.all(np.abs(z - exact_z) < 5 * spsa_sigma(exact_z, n))
    assert np.all(np.abs(p - exact_p) < 5 * spsa_sigma(exact_p, n))
    assert not np.allclose(z, exact_z, atol=1e-6)  # it is an estimate, not the exact value


def test_one_direction_is_delta_times_the_directional_derivative():
    # implementation-independent check of the estimator: the result is Δ(Δ·g) for some Δ ∈ {±1}^P
    dev = kt.device("default.qubit", wires=2)
    exact_z, _ = exact_jacobian(dev)
    z, _, count = spsa(dev, num_directions=1, sampler_rng=7)
    assert count == 2
    candidates = [np.array(d) * (np.array(d) @ exact_z)
                  for d in itertools.product([-1.0, 1.0], repeat=len(PARAMS))]
    assert min(np.abs(c - z).max() for c in candidates) < 1e-8


def test_single_parameter_spsa_is_a_central_difference():
    # with P = 1, Δ² = 1: the estimate is exactly [f(θ+h) − f(θ−h)]/(2h)
    dev = kt.device("default.qubit", wires=1)
    tape = kt.QuantumTape([kt.RX(0.4, wires=0)], [kt.expval(kt.PauliZ(0))])
    tapes, fn = kt.gradients.spsa_grad(tape, h=1e-5, sampler_rng=3)
    assert fn(dev.execute(tapes))[0][0] == pytest.approx(-np.sin(0.4), abs=1e-9)


def test_same_seed_reproduces_and_other_seeds_differ():
    dev = kt.device("default.qubit", wires=2)
    first = spsa(dev, num_directions=5, sampler_rng=123)
    again = spsa(dev, num_directions=5, sampler_rng=123)
    other = spsa(dev, num_directions=5, sampler_rng=321)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.allclose(first[0], other[0])


def test_generator_as_sampler_rng_is_consumed():
    dev = kt.device("default.qubit", wires=2)
    rng = np.random.default_rng(9)
    first = spsa(dev, num_directions=3, sampler_rng=rng)[0]
    second = spsa(dev, num_directions=3, sampler_rng=rng)[0]
    assert not np.allclose(first, second)  # the generator moved on
    np.testing.assert_array_equal(first, spsa(dev, num_directions=3,
                                              sampler_rng=np.random.default_rng(9))[0])


def test_argnum_perturbs_only_selected_parameters():
    dev = kt.device("default.qubit", wires=2)
    exact_z, _ = exact_jacobian(dev)
    z, _, _ = spsa(dev, num_directions=1, sampler_rng=0, argnum=[2])
    assert np.all(z[[0, 1, 3]] == 0)
    assert z[2] == pytest.approx(exact_z[2], abs=1e-8)  # one parameter: Δ² = 1, no noise


def test_qnode_reproducible_with_seed():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(a, b):
        kt.RX(a, wires=0)
        kt.RY(b, wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1))

    grad_fn = kt.gradients.spsa_grad(circuit, num_directions=200, sampler_rng=5)
    first = grad_fn(0.4, -1.1)
    np.testing.assert_array_equal(first, grad_fn(0.4, -1.1))
    # ⟨Z₁⟩ = cos a cos b
    exact = np.array([-np.sin(0.4) * np.cos(1.1), np.cos(0.4) * np.sin(1.1)])
    assert np.all(np.abs(first - exact) < 5 * spsa_sigma(exact, 200))
