"""Gradients with respect to broadcast (batched) parameters, by every method in every framework.

Regression: with a non-backprop method, a parameter carrying a batch axis (e.g. the inputs of a
TorchLayer fed by a Linear layer) got the whole cotangent summed into every entry, or failed.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt

X = onp.array([0.1, 0.5, 0.9])
W = 0.3
G_EV = onp.array([1.0, 2.0, 3.0])
G_P = onp.array([0.5, -1.0, 2.0])


def _qnode(method):
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev, diff_method=method)
    def circuit(x, w):
        kt.RX(x, wires=0)
        kt.RY(w, wires=0)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1)), kt.probs(wires=[0])

    return circuit


def _reference():
    """∂/∂x_b and ∂/∂w of L = Σ_b G_EV[b]·⟨Z1⟩_b + G_P[b]·P(q0=1)_b, by hand.

    RX(x)RY(w)|0⟩ then CNOT: ⟨Z1⟩ = ⟨Z0⟩ = cos x cos w, P(q0=1) = (1 − cos x cos w)/2.
    """
    dc_dx = -onp.sin(X) * onp.cos(W)
    dc_dw = -onp.cos(X) * onp.sin(W)
    weight = G_EV - 0.5 * G_P
    return weight * dc_dx, float(onp.sum(weight * dc_dw))


METHODS = ["backprop", "parameter-shift", "adjoint", "finite-diff"]


def _tol(method):
    return 1e-5 if method == "finite-diff" else 1e-10


@pytest.mark.parametrize("method", METHODS)
def test_autograd(method):
    from kettle import numpy as np

    x, w = np.array(X), np.array(W)

    def loss(x, w):
        ev, pr = _qnode(method)(x, w)
        return np.sum(ev * G_EV) + np.sum(pr[:, 1] * G_P)

    gx, gw = kt.grad(loss)(x, w)
    ref_x, ref_w = _reference()
    onp.testing.assert_allclose(gx, ref_x, atol=_tol(method))
    assert abs(gw - ref_w) < _tol(method)


@pytest.mark.torch
@pytest.mark.parametrize("method", METHODS)
def test_torch(method):
    import torch

    x = torch.tensor(X, requires_grad=True)
    w = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    ev, pr = _qnode(method)(x, w)
    (torch.sum(ev * torch.tensor(G_EV)) + torch.sum(pr[:, 1] * torch.tensor(G_P))).backward()
    ref_x, ref_w = _reference()
    onp.testing.assert_allclose(x.grad.numpy(), ref_x, atol=_tol(method))
    assert abs(float(w.grad) - ref_w) < _tol(method)


@pytest.mark.tf
@pytest.mark.parametrize("method", METHODS)
def test_tensorflow(method):
    import tensorflow as tf

    x, w = tf.Variable(X), tf.Variable(W, dtype=tf.float64)
    with tf.GradientTape() as tape:
        ev, pr = _qnode(method)(x, w)
        loss = tf.reduce_sum(ev * G_EV) + tf.reduce_sum(pr[:, 1] * G_P)
    gx, gw = tape.gradient(loss, [x, w])
    ref_x, ref_w = _reference()
    onp.testing.assert_allclose(gx.numpy(), ref_x, atol=_tol(method))
    assert abs(float(gw) - ref_w) < _tol(method)


@pytest.mark.jax
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("jit", [False, True])
def test_jax(method, jit):
    import jax
    import jax.numpy as jnp

    def loss(x, w):
        ev, pr = _qnode(method)(x, w)
        return jnp.sum(ev * G_EV) + jnp.sum(pr[:, 1] * G_P)

    grad = jax.grad(loss, argnums=(0, 1))
    gx, gw = (jax.jit(grad) if jit else grad)(jnp.asarray(X), jnp.asarray(W))
    ref_x, ref_w = _reference()
    onp.testing.assert_allclose(onp.asarray(gx), ref_x, atol=_tol(method))
    assert abs(float(gw) - ref_w) < _tol(method)
