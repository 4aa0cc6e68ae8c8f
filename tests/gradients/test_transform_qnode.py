"""Gradient transforms applied to QNodes: derivatives by the QNode's arguments through the QNode's
own gate parameters (whatever the device decomposes), and the Jacobian is differentiable in the arguments' framework even on a device that
cannot backpropagate (the plugin example computes only first derivatives of its own).

Circuit: RX(x) on wire 0, RY(y) on wire 0; ⟨Z⟩ = cos x cos y, so ∂/∂x = −sin x cos y and
∂²/∂x² = −cos x cos y, ∂²/∂x∂y = sin x sin y.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt

X, Y = 0.3, -0.8
DEVICES = ["example.qubit", "default.qubit"]


def circuit(x, y):
    kt.RX(x, wires=0)
    kt.RY(y, wires=0)
    return kt.expval(kt.PauliZ(0))


def d_dx(x, y):
    return -onp.sin(x) * onp.cos(y)


def second_row(x, y):
    """(∂/∂x, ∂/∂y) of ∂⟨Z⟩/∂x."""
    return onp.array([-onp.cos(x) * onp.cos(y), onp.sin(x) * onp.sin(y)])


def ps_dx(name):
    """x ↦ ∂⟨Z⟩/∂x by the parameter-shift transform of a QNode on device ``name``."""
    ps = kt.gradients.param_shift(kt.QNode(circuit, kt.device(name, wires=1)))
    return lambda x, y: ps(x, y)[0]


@pytest.mark.parametrize("name", DEVICES)
def test_autograd_differentiates_the_transform(name):
    from kettle import numpy as np

    x, y = np.array(X, requires_grad=True), np.array(Y, requires_grad=True)
    f = ps_dx(name)
    assert abs(float(f(x, y)) - d_dx(X, Y)) < 1e-12
    row = kt.jacobian(f, argnum=[0, 1])(x, y)
    onp.testing.assert_allclose(onp.array(row, dtype=float), second_row(X, Y), atol=1e-10)


@pytest.mark.torch
@pytest.mark.parametrize("name", DEVICES)
def test_torch_differentiates_the_transform(name):
    import torch

    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(Y, dtype=torch.float64, requires_grad=True)
    value = ps_dx(name)(x, y)
    value.backward()
    assert abs(float(value.detach()) - d_dx(X, Y)) < 1e-12
    onp.testing.assert_allclose([float(x.grad), float(y.grad)], second_row(X, Y), atol=1e-10)


@pytest.mark.tf
@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
@pytest.mark.parametrize("name", DEVICES)
def test_tf_differentiates_the_transform(name, graph):
    import tensorflow as tf

    f = ps_dx(name)
    f = tf.function(f) if graph else f
    x, y = tf.Variable(X, dtype=tf.float64), tf.Variable(Y, dtype=tf.float64)
    with tf.GradientTape() as tape:
        value = f(x, y)
    assert abs(float(value) - d_dx(X, Y)) < 1e-12
    onp.testing.assert_allclose([float(g) for g in tape.gradient(value, [x, y])],
                                second_row(X, Y), atol=1e-10)


@pytest.mark.jax
@pytest.mark.parametrize("name", DEVICES)
def test_jax_jit_and_grad_of_the_transform(name):
    import jax

    jax.config.update("jax_enable_x64", True)
    f = ps_dx(name)
    assert abs(float(jax.jit(f)(X, Y)) - d_dx(X, Y)) < 1e-12
    row = jax.jit(jax.grad(f, argnums=(0, 1)))(X, Y)
    onp.testing.assert_allclose(onp.array(row), second_row(X, Y), atol=1e-10)


def test_columns_are_the_qnodes_gates_whatever_the_device_decomposes():
    """CRX is decomposed on example.qubit into rotations whose angles are ±θ/2; the Jacobian
    still has one column, ∂/∂θ, equal to default.qubit's and to the analytic value.

    CRX(θ) on |+⟩|0⟩ then measure Y on wire 1: ⟨Y₁⟩ = −½ sin θ, so ∂/∂θ = −½ cos θ.
    """
    def crx(theta):
        kt.Hadamard(wires=0)
        kt.CRX(theta, wires=[0, 1])
        return kt.expval(kt.PauliY(1))

    theta = 0.7
    for name in DEVICES:
        jac = kt.gradients.param_shift(kt.QNode(crx, kt.device(name, wires=2)))(theta)
        assert onp.shape(jac) == ()
        assert abs(float(jac) + 0.5 * onp.cos(theta)) < 1e-12


# ---------------------------------------------------------------- a transform as the diff method


def central_differences(tape, h=1e-4):
    """A user's own transform: ∂/∂θ_t ≈ [f(θ + h e_t) − f(θ − h e_t)] / 2h for every trainable θ_t."""
    params = tape.get_parameters()
    tapes = []
    for t, p in enumerate(params):
        for s in (h, -h):
            tapes.append(tape.bind_new_parameters([p + s], [tape.trainable_params[t]]))

    def fn(results):
        return tuple(tuple((results[2 * t][k] - results[2 * t + 1][k]) / (2 * h)
                           for t in range(len(params)))
                     for k in range(len(tape.measurements)))

    return tapes, fn


@pytest.mark.parametrize("transform, tol", [(kt.gradients.param_shift, 1e-12),
                                            (central_differences, 1e-7)])
def test_a_gradient_transform_as_the_diff_method(transform, tol):
    from kettle import numpy as np

    qn = kt.QNode(circuit, kt.device("example.qubit", wires=1), diff_method=transform)
    grads = kt.grad(qn, argnum=[0, 1])(np.array(X), np.array(Y))
    exact = [d_dx(X, Y), -onp.cos(X) * onp.sin(Y)]
    onp.testing.assert_allclose(onp.array(grads, dtype=float), exact, atol=tol)


@pytest.mark.torch
def test_a_gradient_transform_as_the_diff_method_with_torch():
    import torch

    qn = kt.QNode(circuit, kt.device("default.qubit", wires=1), diff_method=central_differences)
    x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    qn(x, torch.tensor(Y, dtype=torch.float64)).backward()
    assert abs(float(x.grad) - d_dx(X, Y)) < 1e-7


@pytest.mark.jax
def test_a_gradient_transform_as_the_diff_method_under_jit():
    import jax

    jax.config.update("jax_enable_x64", True)
    qn = kt.QNode(circuit, kt.device("default.qubit", wires=1), diff_method=central_differences)
    assert abs(float(jax.jit(jax.grad(qn))(X, Y)) - d_dx(X, Y)) < 1e-7
    assert abs(float(kt.qjit(kt.grad(qn))(X, Y)) - d_dx(X, Y)) < 1e-7


def test_unknown_diff_method_names_are_refused_when_the_qnode_is_made():
    from kettle.errors import DiffMethodError

    with pytest.raises(DiffMethodError, match=r"^unknown diff_method 'hadamard'; valid methods are "
                                              r"'best', .*'spsa', None, or a gradient transform "
                                              r"such as kt.gradients.param_shift$"):
        kt.QNode(circuit, kt.device("default.qubit", wires=1), diff_method="hadamard")
