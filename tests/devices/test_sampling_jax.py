"""Devices seeded with a jax.random key draw their shots with jax.random: jax.jit of a QNode with
shots runs, with fresh samples per key and the same samples for the same key."""
from __future__ import annotations

import numpy as np
import pytest

import kettle as kt
from kettle.errors import MeasurementError

jax = pytest.importorskip("jax")
jnp = jax.numpy
pytestmark = pytest.mark.jax

N = 20000
X = 0.9


def _circuit(x):
    kt.RX(x, wires=0)
    kt.CNOT(wires=[0, 1])
    kt.Hadamard(wires=2)
    return (kt.expval(kt.PauliZ(1)), kt.probs(wires=[0, 2]), kt.var(kt.PauliX(2) @ kt.PauliZ(0)),
            kt.sample(wires=[0, 1]))


@jax.jit
def _estimate(x, key):
    dev = kt.device("default.qubit", wires=3, shots=N, seed=key)
    return kt.QNode(_circuit, dev, interface="jax", diff_method=None)(x)


def test_jitted_shots_fresh_per_key_and_repeatable():
    a = _estimate(X, jax.random.PRNGKey(0))
    b = _estimate(X, jax.random.PRNGKey(1))
    again = _estimate(X, jax.random.PRNGKey(0))
    for u, v in zip(a, again):
        np.testing.assert_array_equal(np.asarray(u), np.asarray(v))
    assert not np.array_equal(np.asarray(a[3]), np.asarray(b[3]))
    assert float(a[0]) != float(b[0])


def test_jitted_estimates_within_5_sigma():
    ev, probs, var, bits = _estimate(X, jax.random.PRNGKey(7))
    c = np.cos(X)
    assert abs(float(ev) - c) < 5 * np.sqrt((1 - c**2) / N)
    p0 = np.array([np.cos(X / 2) ** 2, np.sin(X / 2) ** 2])
    exact = np.outer(p0, [0.5, 0.5]).ravel()  # wire 2 is |+>: a fair coin
    assert np.all(np.abs(np.asarray(probs) - exact) < 5 * np.sqrt(exact * (1 - exact) / N))
    # X(2) Z(0) has eigenvalues ±1 and mean <X2><Z0> = cos(X): variance 1 - cos(X)^2
    assert abs(float(var) - (1 - c**2)) < 5 * np.sqrt(4 * c**2 * (1 - c**2) / N)
    bits = np.asarray(bits)
    assert bits.shape == (N, 2)
    np.testing.assert_array_equal(bits[:, 0], bits[:, 1])  # CNOT copies wire 0 onto wire 1
    assert abs(bits[:, 0].mean() - p0[1]) < 5 * np.sqrt(p0[0] * p0[1] / N)


def test_a_key_device_outside_jit_draws_fresh_samples_per_call():
    dev = kt.device("default.qubit", wires=3, shots=50, seed=jax.random.PRNGKey(3))
    qnode = kt.QNode(_circuit, dev, interface="jax", diff_method=None)
    first, second = qnode(jnp.array(X)), qnode(jnp.array(X))
    assert not np.array_equal(np.asarray(first[3]), np.asarray(second[3]))
    same = kt.QNode(_circuit, kt.device("default.qubit", wires=3, shots=50,
                                        seed=jax.random.PRNGKey(3)), interface="jax",
                    diff_method=None)(jnp.array(X))
    np.testing.assert_array_equal(np.asarray(first[3]), np.asarray(same[3]))


def test_counts_with_a_key_outside_jit_and_refused_inside():
    def counting(x):
        kt.RX(x, wires=0)
        return kt.counts(wires=[0])

    dev = kt.device("default.qubit", wires=1, shots=100, seed=jax.random.PRNGKey(0))
    counts = kt.QNode(counting, dev, interface="jax", diff_method=None)(jnp.array(np.pi))
    assert counts == {"1": 100}

    @jax.jit
    def jitted(x, key):
        d = kt.device("default.qubit", wires=1, shots=100, seed=key)
        return kt.QNode(counting, d, interface="jax", diff_method=None)(x)

    with pytest.raises(MeasurementError, match=r"counts\(\) gives a dictionary, which cannot be "
                                               r"built inside jax.jit"):
        jitted(0.3, jax.random.PRNGKey(0))


def test_jitted_parameter_shift_gradient_with_shots_per_key():
    """diff_method="best" with shots is parameter-shift: its host callbacks draw from a child of
    the (traced) device key, handed to them as an operand."""
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    @jax.jit
    @jax.grad
    def grad(x, key):
        dev = kt.device("default.qubit", wires=1, shots=N, seed=key)
        return kt.QNode(circuit, dev)(x)

    a, b = grad(X, jax.random.PRNGKey(0)), grad(X, jax.random.PRNGKey(1))
    assert float(a) == float(grad(X, jax.random.PRNGKey(0))) and float(a) != float(b)
    # each shifted term has variance (1 - cos^2(X ± π/2)) / N; the gradient is half their difference
    sigma = np.sqrt(2 * np.cos(X) ** 2 / N) / 2
    assert abs(float(a) + np.sin(X)) < 5 * sigma
