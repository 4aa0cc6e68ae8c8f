"""param_shift_hessian against a closed form and against differences of the exact gradient.

For RY(b)RX(a)|0⟩, ⟨Z⟩ = cos a cos b, so
H = [[−cos a cos b, sin a sin b], [sin a sin b, −cos a cos b]].
For larger circuits the reference is the central difference (h = 1e-5) of the parameter-shift
gradient, whose truncation error (~h²) and round-off (~1e-16/h) are far below 1e-7.
"""
from __future__ import annotations

import numpy as np
import pytest

import kettle as kt
from kettle.errors import NonDifferentiableError


def closed_form(a, b):
    return np.array([[-np.cos(a) * np.cos(b), np.sin(a) * np.sin(b)],
                     [np.sin(a) * np.sin(b), -np.cos(a) * np.cos(b)]])


def test_rx_ry_tape_matches_closed_form():
    a, b = 0.4, -1.1
    dev = kt.device("default.qubit", wires=1)
    tape = kt.QuantumTape([kt.RX(a, wires=0), kt.RY(b, wires=0)], [kt.expval(kt.PauliZ(0))])
    tapes, fn = kt.gradients.param_shift_hessian(tape)
    np.testing.assert_allclose(fn(dev.execute(tapes)), closed_form(a, b), atol=1e-12)


def test_rx_ry_qnode_matches_closed_form_with_probs_shape():
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def circuit(a, b):
        kt.RX(a, wires=0)
        kt.RY(b, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=0)

    hz, hp = kt.gradients.param_shift_hessian(circuit)(0.4, -1.1)
    expected = closed_form(0.4, -1.1)
    np.testing.assert_allclose(hz, expected, atol=1e-12)
    # one block per pair of arguments, each shaped like the probabilities
    assert len(hp) == 2 and len(hp[0]) == 2 and np.shape(hp[0][1]) == (2,)
    np.testing.assert_allclose(np.moveaxis(np.array(hp), -1, 0), [expected / 2, -expected / 2],
                               atol=1e-12)


def test_single_measurement_qnode_returns_the_matrix():
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def circuit(a, b):
        kt.RX(a, wires=0)
        kt.RY(b, wires=0)
        return kt.expval(kt.PauliZ(0))

    np.testing.assert_allclose(kt.gradients.param_shift_hessian(circuit)(0.4, -1.1),
                               closed_form(0.4, -1.1), atol=1e-12)


def three_param_tape(params):
    x, y, z = params
    tape = kt.QuantumTape(
        [kt.RX(x, wires=0), kt.CRY(y, wires=[0, 1]), kt.RY(0.3, wires=1),
         kt.IsingZZ(z, wires=[0, 1]), kt.Hadamard(wires=0)],
        [kt.expval(kt.PauliZ(0) @ kt.PauliZ(1)), kt.probs(wires=[1])])
    tape.trainable_params = [0, 1, 3]
    return tape


def gradient(params, dev):
    """Parameter-shift gradient flattened to (outputs, P)."""
    tapes, fn = kt.gradients.param_shift(three_param_tape(params))
    jac = fn(dev.execute(tapes))
    return np.concatenate([np.array(jac[0])[None], np.stack(jac[1], axis=-1)])


def test_three_parameters_match_differences_of_the_gradient():
    dev = kt.device("default.qubit", wires=2)
    params, h = [0.5, -0.9, 1.3], 1e-5
    tapes, fn = kt.gradients.param_shift_hessian(three_param_tape(params))
    h_z, h_p = fn(dev.execute(tapes))
    assert np.shape(h_z) == (3, 3) and np.shape(h_p) == (2, 3, 3)
    hessian = np.concatenate([np.array(h_z)[None], h_p])  # (outputs, P, P)
    cols = []
    for i in range(3):
        plus, minus = list(params), list(params)
        plus[i] += h
        minus[i] -= h
        cols.append((gradient(plus, dev) - gradient(minus, dev)) / (2 * h))
    expected = np.stack(cols, axis=-1)  # [output, j, i] = ∂_i ∂_j
    np.testing.assert_allclose(hessian, expected, atol=1e-7)
    np.testing.assert_allclose(hessian, np.swapaxes(hessian, -1, -2), atol=1e-12)
    off_diagonal = hessian * (1 - np.eye(3))
    assert np.all(np.abs(off_diagonal[0]).sum(axis=-1) > 0.05)  # every parameter couples
    np.testing.assert_allclose(h_p.sum(axis=0), 0, atol=1e-12)  # probabilities sum to one


def test_argnum_fills_other_entries_with_zeros():
    dev = kt.device("default.qubit", wires=2)
    params = [0.5, -0.9, 1.3]
    tapes, fn = kt.gradients.param_shift_hessian(three_param_tape(params))
    full = fn(dev.execute(tapes))[0]
    tapes, fn = kt.gradients.param_shift_hessian(three_param_tape(params), argnum=[0, 2])
    part = fn(dev.execute(tapes))[0]
    mask = np.zeros((3, 3), dtype=bool)
    mask[np.ix_([0, 2], [0, 2])] = True
    np.testing.assert_allclose(part[mask], full[mask], atol=1e-12)
    assert np.all(part[~mask] == 0)


def test_shot_vector_gives_one_hessian_per_entry():
    # Regression: the Hessian ignored shot vectors and mixed the entries into one wrong array.
    dev = kt.device("default.qubit", wires=1, shots=[(20000, 2)], seed=4)

    @kt.qnode(dev)
    def circuit(a):
        kt.RX(a, wires=0)
        return kt.expval(kt.PauliZ(0))

    hessians = kt.gradients.param_shift_hessian(circuit)(0.4)
    assert isinstance(hessians, tuple) and len(hessians) == 2
    # ∂²⟨Z⟩/∂a² = Σ c_μ c_ν f(a + x_μ + x_ν) = ¼f(a+π) − ¼f(a) − ¼f(a) + ¼f(a−π) = −cos a, from
    # four separately sampled ⟨Z⟩ (each of variance sin²a/N): σ = |sin a|/(2√N)
    sigma = abs(np.sin(0.4)) / (2 * np.sqrt(20000))
    for hess in hessians:
        assert np.shape(hess) == ()  # one scalar argument: d²/da²
        assert hess == pytest.approx(-np.cos(0.4), abs=5 * sigma)
    assert hessians[0] != hessians[1]


def test_variance_is_refused():
    tape = kt.QuantumTape([kt.RX(0.3, wires=0)], [kt.var(kt.PauliZ(0))])
    with pytest.raises(NonDifferentiableError, match=r"var\(\) is not"):
        kt.gradients.param_shift_hessian(tape)


def test_parameter_without_shift_rule_is_refused():
    u = np.eye(2, dtype=complex)
    tape = kt.QuantumTape([kt.RX(0.3, wires=0), kt.QubitUnitary(u, wires=0)],
                          [kt.expval(kt.PauliZ(0))])
    with pytest.raises(NonDifferentiableError, match="QubitUnitary has none"):
        kt.gradients.param_shift_hessian(tape)
