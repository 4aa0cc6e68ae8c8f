"""Trainable observable parameters: Hamiltonian coefficients are differentiated by every method
(adjoint included: ∂⟨Σ c_k O_k⟩/∂c_k = ⟨O_k⟩), in every framework and inside kt.qjit; adjoint
refuses other observable parameters instead of returning zeros.

Circuit: RX(x) on wire 0, RY(0.4) on wire 1, H = c·Z₀ + 2·X₁:
⟨H⟩ = c cos x + 2 sin 0.4, ∂/∂x = −c sin x, ∂/∂c = cos x.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle.errors import NonDifferentiableError

X, C = 0.3, 1.5
EXACT = (-C * onp.sin(X), onp.cos(X))
METHODS = ["adjoint", "parameter-shift", "backprop"]


def make(method):
    @kt.qnode(kt.device("default.qubit", wires=2), diff_method=method)
    def energy(x, c):
        kt.RX(x, wires=0)
        kt.RY(0.4, wires=1)
        return kt.expval(kt.Hamiltonian([c, 2.0], [kt.PauliZ(0), kt.PauliX(1)]))

    return energy


@pytest.mark.filterwarnings("ignore:no parameter-shift rule:UserWarning")
@pytest.mark.parametrize("method", METHODS)
def test_autograd(method):
    from kettle import numpy as np

    grads = kt.grad(make(method), argnum=[0, 1])(np.array(X), np.array(C))
    onp.testing.assert_allclose(onp.array(grads, dtype=float), EXACT, atol=1e-6)


@pytest.mark.torch
@pytest.mark.filterwarnings("ignore:no parameter-shift rule:UserWarning")
@pytest.mark.parametrize("method", METHODS)
def test_torch(method):
    import torch

    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    c = torch.tensor(C, dtype=torch.float64, requires_grad=True)
    make(method)(x, c).backward()
    onp.testing.assert_allclose([float(x.grad), float(c.grad)], EXACT, atol=1e-6)


@pytest.mark.tf
@pytest.mark.filterwarnings("ignore:no parameter-shift rule:UserWarning")
@pytest.mark.parametrize("method", METHODS)
def test_tf(method):
    import tensorflow as tf

    x, c = tf.Variable(X, dtype=tf.float64), tf.Variable(C, dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = make(method)(x, c)
    onp.testing.assert_allclose([float(g) for g in tape.gradient(y, [x, c])], EXACT, atol=1e-6)


@pytest.mark.jax
@pytest.mark.filterwarnings("ignore:no parameter-shift rule:UserWarning")
@pytest.mark.parametrize("method", METHODS)
def test_jax_and_qjit(method):
    import jax

    jax.config.update("jax_enable_x64", True)
    qn = make(method)
    onp.testing.assert_allclose(onp.array(jax.grad(qn, argnums=(0, 1))(X, C)), EXACT, atol=1e-6)
    onp.testing.assert_allclose(onp.array(kt.qjit(kt.grad(qn, argnum=(0, 1)))(X, C)), EXACT,
                                atol=1e-6)


def test_adjoint_refuses_other_observable_parameters():
    from kettle import numpy as np

    @kt.qnode(kt.device("default.qubit", wires=1), diff_method="adjoint")
    def scaled(x, a):
        kt.RX(x, wires=0)
        return kt.expval(kt.Hermitian(a * np.array([[1.0, 0.0], [0.0, -1.0]]), wires=0))

    with pytest.raises(NonDifferentiableError, match=r"adjoint differentiation cannot "
                       r"differentiate the parameters of Hermitian in expval\(\)"):
        kt.grad(scaled, argnum=[0, 1])(np.array(X), np.array(2.0))
