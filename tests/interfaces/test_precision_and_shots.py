"""Precision and shots across the framework boundary: finite differences next to float32 constants,
output dtypes that promote like backprop, second derivatives in JAX's default float32, adjoint with
shot vectors, SPSA with shots, and torch.no_grad forward passes.

Circuit unless said otherwise: RX(x) then RY(w) on one wire, ⟨Z⟩ = cos x cos w.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np

X, W = 0.4, 0.3


def rx_ry(x, w):
    kt.RX(x, wires=0)
    kt.RY(w, wires=0)
    return kt.expval(kt.PauliZ(0))


def rx_probs_expval(x):
    kt.RX(x, wires=0)
    return kt.probs(wires=0), kt.expval(kt.PauliZ(0))


@pytest.mark.torch
def test_finite_diff_next_to_a_float32_constant_torch():
    """A float32 tensor that is not differentiated used to make the whole simulation complex64, so
    the 1e-7 step rounded away (gradient −1.0 instead of −sin x cos w)."""
    import torch

    qn = kt.QNode(rx_ry, kt.device("default.qubit", wires=1), diff_method="finite-diff")
    x = torch.tensor(X, requires_grad=True)
    qn(x, torch.tensor(W)).backward()
    assert abs(float(x.grad) + onp.sin(X) * onp.cos(W)) < 1e-5


@pytest.mark.jax
def test_finite_diff_next_to_a_float32_constant_jax():
    import jax

    qn = kt.QNode(rx_ry, kt.device("default.qubit", wires=1), diff_method="finite-diff")
    grad = jax.grad(qn)(jax.numpy.asarray(X, dtype=jax.numpy.float32),
                        jax.numpy.asarray(W, dtype=jax.numpy.float32))
    # float32 JAX values widen when x64 is on, else the step grows to 1e-3 (error ≈ h/2)
    assert abs(float(grad) + onp.sin(X) * onp.cos(W)) < 1e-3


@pytest.mark.torch
@pytest.mark.parametrize("method", ["parameter-shift", "adjoint"])
def test_torch_output_dtype_promotes(method):
    import torch

    qn = kt.QNode(rx_ry, kt.device("default.qubit", wires=1), diff_method=method)
    x = torch.tensor(X, requires_grad=True)  # float32
    w = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    y = qn(x, w)
    y.backward()
    assert y.dtype == torch.float64 and x.grad.dtype == torch.float32
    assert abs(float(w.grad) + onp.cos(X) * onp.sin(W)) < 1e-6


@pytest.mark.tf
@pytest.mark.parametrize("method", ["parameter-shift", "adjoint"])
def test_tf_output_dtype_promotes(method):
    import tensorflow as tf

    qn = kt.QNode(rx_ry, kt.device("default.qubit", wires=1), diff_method=method)
    x, w = tf.Variable(X, dtype=tf.float32), tf.Variable(W, dtype=tf.float64)
    with tf.GradientTape() as tape:
        y = qn(x, w)
    gx, gw = tape.gradient(y, [x, w])
    assert y.dtype == tf.float64 and gx.dtype == tf.float32
    assert abs(float(gw) + onp.cos(X) * onp.sin(W)) < 1e-6


@pytest.mark.jax
@pytest.mark.parametrize("method", ["parameter-shift", "finite-diff"])
def test_jax_hessian_with_max_diff_2_in_default_float32(method):
    """JAX's default config has no float64: the nested gradient tapes must not ask for it."""
    import jax

    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        qn = kt.QNode(lambda x: (kt.RX(x, wires=0), kt.expval(kt.PauliZ(0)))[1],
                      kt.device("default.qubit", wires=1), diff_method=method, max_diff=2)
        h = jax.hessian(qn)(jax.numpy.asarray(X))
    finally:
        jax.config.update("jax_enable_x64", before)
    assert abs(float(h) + onp.cos(X)) < (1e-5 if method == "parameter-shift" else 5e-2)


def _shot_vector_loss(results):
    (p1, e1), (p2, e2) = results
    return p1[0] + p2[0] + e2


def _shot_vector_exact():
    # ∂/∂x of cos²(x/2) + cos²(x/2) + cos x = −sin x − sin x
    return -2 * onp.sin(X)


@pytest.mark.parametrize("framework", ["autograd", pytest.param("torch", marks=pytest.mark.torch),
                                       pytest.param("jax", marks=pytest.mark.jax)])
def test_adjoint_gradient_with_a_shot_vector(framework):
    """Adjoint ignores shots: each shot-vector entry gets the analytic Jacobian (probs and expval
    together used to fail with a shape mismatch)."""
    dev = kt.device("default.qubit", wires=1, shots=(100, 100), seed=1)
    qn = kt.QNode(rx_probs_expval, dev, diff_method="adjoint")
    with pytest.warns(UserWarning, match="adjoint differentiation ignores shots"):
        if framework == "autograd":
            grad = kt.grad(lambda x: _shot_vector_loss(qn(x)))(np.array(X))
        elif framework == "torch":
            import torch

            x = torch.tensor(X, dtype=torch.float64, requires_grad=True)
            _shot_vector_loss(qn(x)).backward()
            grad = x.grad
        else:
            import jax

            jax.config.update("jax_enable_x64", True)
            grad = jax.grad(lambda x: _shot_vector_loss(qn(x)))(X)
    assert abs(float(grad) - _shot_vector_exact()) < 1e-10


def test_spsa_with_shots_uses_a_shot_scale_step():
    """One parameter: each direction gives the central difference with step h = (2/N)^(1/6)
    (0.24 at N = 10⁴); bias h²/6, noise 1/(√(2N)·h) per direction, 20 directions averaged."""
    shots, directions = 10_000, 20
    dev = kt.device("default.qubit", wires=1, shots=shots, seed=5)
    qn = kt.QNode(lambda x: (kt.RX(x, wires=0), kt.expval(kt.PauliZ(0)))[1], dev,
                  diff_method="spsa", num_directions=directions)
    h = (2 / shots) ** (1 / 6)
    bound = h ** 2 / 6 + 5 / (onp.sqrt(2 * shots) * h * onp.sqrt(directions))
    assert abs(float(kt.grad(qn)(np.array(X))) + onp.sin(X)) < bound


@pytest.mark.torch
def test_torch_no_grad_forward_of_samples():
    """Under torch.no_grad nothing is differentiated, so samples of a Parameter-driven circuit run."""
    import torch

    dev = kt.device("default.qubit", wires=1, shots=50, seed=3)
    qn = kt.QNode(lambda x: (kt.RX(x, wires=0), kt.sample(kt.PauliZ(0)))[1], dev)
    with torch.no_grad():
        samples = qn(torch.nn.Parameter(torch.tensor(onp.pi)))
    assert samples.shape == (50,) and torch.all(samples == -1)  # RX(π)|0⟩ = −i|1⟩
