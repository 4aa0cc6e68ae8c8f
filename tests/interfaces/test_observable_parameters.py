"""Trainable observable parameters: Hamiltonian coefficients are differentiated by every method
(adjoint included: ∂⟨Σ c_k O_k⟩/∂c_k = ⟨O_k⟩), in every framework and inside kt.qjit; array-valued
parameters (a Hermitian matrix) by backprop, and refused by the other methods.

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


# ------------------------------------------------ array-valued parameters (a Hermitian matrix)
# ⟨ψ|A|ψ⟩ with ψ = RX(x)|0⟩ = (cos x/2, −i sin x/2): ∂/∂A_ij = Re(ψ̄_i ψ_j) for real A (the
# imaginary parts cancel in the sum) — backprop gets it; the other methods, which give one
# Jacobian column per parameter, refuse (they used to return all-ones for autograd).
A = onp.array([[1.0, 0.2], [0.2, -1.0]])


def _hermitian_qnode(method):
    @kt.qnode(kt.device("default.qubit", wires=1), diff_method=method)
    def measured(x, a):
        kt.RX(x, wires=0)
        return kt.expval(kt.Hermitian(a, wires=0))

    return measured


def _exact_dA():
    psi = onp.array([onp.cos(X / 2), -1j * onp.sin(X / 2)])
    return onp.real(onp.outer(psi.conj(), psi))


def _autograd_grads(qn):
    from kettle import numpy as np

    return kt.grad(qn, argnum=[0, 1])(np.array(X), np.array(A))[1]


def _torch_grads(qn):
    import torch

    a = torch.tensor(A, requires_grad=True)
    qn(torch.tensor(X, dtype=torch.float64), a).backward()
    return a.grad.numpy()


def _tf_grads(qn):
    import tensorflow as tf

    a = tf.Variable(A)
    with tf.GradientTape() as tape:
        y = qn(tf.constant(X, dtype=tf.float64), a)
    return tape.gradient(y, a).numpy()


def _jax_grads(qn):
    import jax

    jax.config.update("jax_enable_x64", True)
    return onp.asarray(jax.grad(qn, argnums=1)(X, jax.numpy.asarray(A)))


ARRAY_GRADS = {
    "autograd": _autograd_grads,
    "torch": pytest.param(_torch_grads, marks=pytest.mark.torch),
    "tf": pytest.param(_tf_grads, marks=pytest.mark.tf),
    "jax": pytest.param(_jax_grads, marks=pytest.mark.jax),
}


@pytest.mark.parametrize("grads", list(ARRAY_GRADS.values()), ids=list(ARRAY_GRADS))
def test_array_parameters_by_backprop(grads):
    onp.testing.assert_allclose(grads(_hermitian_qnode("backprop")), _exact_dA(), atol=1e-10)


@pytest.mark.parametrize("grads", list(ARRAY_GRADS.values()), ids=list(ARRAY_GRADS))
@pytest.mark.parametrize("method", ["parameter-shift", "finite-diff", "adjoint"])
def test_array_parameters_are_refused_by_column_methods(grads, method):
    with pytest.raises(NonDifferentiableError, match=rf"^diff_method='{method}' differentiates "
                       r"scalar parameters, but the parameter of Hermitian on wires \[0\] is an "
                       r"array \(shape \(2, 2\)\); use diff_method='backprop'"):
        grads(_hermitian_qnode(method))
