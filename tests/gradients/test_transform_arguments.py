"""Gradient transforms of QNodes differentiate by the QNode's arguments (the chain rule through the
classical map from arguments to gate angles), in every framework.

Circuit: RX(2x²) then RY(x·y) on one wire, ⟨Z⟩ = cos(2x²) cos(xy):
∂/∂x = −4x sin(2x²) cos(xy) − y cos(2x²) sin(xy),  ∂/∂y = −x cos(2x²) sin(xy).
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt

X, Y = 0.6, -0.9


def circuit(x, y):
    kt.RX(2 * x ** 2, wires=0)
    kt.RY(x * y, wires=0)
    return kt.expval(kt.PauliZ(0))


def exact(x, y):
    a, b = 2 * x ** 2, x * y
    return onp.array([-4 * x * onp.sin(a) * onp.cos(b) - y * onp.cos(a) * onp.sin(b),
                      -x * onp.cos(a) * onp.sin(b)])


TRANSFORMS = [
    pytest.param(kt.gradients.param_shift, 1e-12, id="param_shift"),
    pytest.param(lambda q: kt.gradients.finite_diff(q, h=1e-6, strategy="center"), 1e-8,
                 id="finite_diff"),
]


@pytest.mark.parametrize("transform, tol", TRANSFORMS)
def test_the_issue_example(transform, tol):
    """RX(2x²): d/dx ⟨Z⟩ = −4x sin(2x²), not the gate-angle derivative −sin(2x²)."""
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def f(x):
        kt.RX(2 * x ** 2, wires=0)
        return kt.expval(kt.PauliZ(0))

    x = 0.3
    got = transform(f)(x)
    assert onp.shape(got) == ()
    assert float(got) == pytest.approx(-4 * x * onp.sin(2 * x ** 2), abs=tol)
    assert float(got) == pytest.approx(float(kt.grad(f)(kt.numpy.array(x))), abs=tol)


def _autograd(v):
    return kt.numpy.array(v, requires_grad=True)


def _torch(v):
    torch = pytest.importorskip("torch")
    return torch.tensor(v, dtype=torch.float64, requires_grad=True)


def _tf(v):
    tf = pytest.importorskip("tensorflow")
    return tf.Variable(v, dtype=tf.float64)


def _jax(v):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax.numpy.asarray(v)


@pytest.mark.parametrize("to", [
    pytest.param(_autograd, id="autograd"),
    pytest.param(_torch, id="torch", marks=pytest.mark.torch),
    pytest.param(_tf, id="tf", marks=pytest.mark.tf),
    pytest.param(_jax, id="jax", marks=pytest.mark.jax),
])
@pytest.mark.parametrize("transform, tol", TRANSFORMS)
def test_two_arguments_in_every_framework(to, transform, tol):
    qn = kt.QNode(circuit, kt.device("default.qubit", wires=1))
    dx, dy = transform(qn)(to(X), to(Y))
    got = onp.array([float(kt.core.qmath.to_numpy(d)) for d in (dx, dy)])
    onp.testing.assert_allclose(got, exact(X, Y), atol=tol)


def test_only_trainable_arguments_are_differentiated():
    qn = kt.QNode(circuit, kt.device("default.qubit", wires=1))
    dx = kt.gradients.param_shift(qn)(kt.numpy.array(X), kt.numpy.array(Y, requires_grad=False))
    assert onp.shape(dx) == ()
    assert float(dx) == pytest.approx(exact(X, Y)[0], abs=1e-12)


def test_array_argument_shapes_carry_over():
    """An argument of shape (2, 2): the derivative of a probability vector (2,) has shape
    (2, 2, 2), and equals central differences of the QNode."""
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def f(w):
        kt.RX(w[0, 0] * w[1, 1], wires=0)
        kt.RY(onp.pi * w[0, 1], wires=1)
        kt.CNOT(wires=[0, 1])
        kt.RZ(w[1, 0], wires=1)
        return kt.probs(wires=[1])

    w = onp.array([[0.4, 0.3], [-1.2, 0.8]])
    jac = kt.gradients.param_shift(f)(w)
    assert onp.shape(jac) == (2, 2, 2)
    h = 1e-6
    for i in range(2):
        for j in range(2):
            e = onp.zeros((2, 2))
            e[i, j] = h
            onp.testing.assert_allclose(jac[:, i, j], (f(w + e) - f(w - e)) / (2 * h), atol=1e-8)


def test_the_hessian_includes_the_curvature_of_the_classical_map():
    qn = kt.QNode(circuit, kt.device("default.qubit", wires=1))
    hess = onp.array(kt.gradients.param_shift_hessian(qn)(kt.numpy.array(X), kt.numpy.array(Y)),
                     dtype=float)
    h = 1e-5
    num = onp.stack([(exact(X + h, Y) - exact(X - h, Y)) / (2 * h),
                     (exact(X, Y + h) - exact(X, Y - h)) / (2 * h)], axis=1)
    onp.testing.assert_allclose(hess, num, atol=1e-8)


def test_a_trainable_matrix_gate_parameter_is_refused_with_the_fix():
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def f(a, u):
        kt.RX(a, wires=0)
        kt.QubitUnitary(u, wires=0)
        return kt.expval(kt.PauliZ(0))

    u = onp.array([[onp.cos(0.35), -onp.sin(0.35)], [onp.sin(0.35), onp.cos(0.35)]])
    with pytest.raises(kt.errors.NonDifferentiableError,
                       match=r"QubitUnitary on wires \[0\] is an array; pass it with "
                             r"requires_grad=False"):
        kt.gradients.param_shift(f)(0.3, u)
    da = kt.gradients.param_shift(f)(kt.numpy.array(0.3),
                                     kt.numpy.array(u, requires_grad=False))
    assert float(da) == pytest.approx(-onp.sin(0.3) * onp.cos(0.7), abs=1e-12)
