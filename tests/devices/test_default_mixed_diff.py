"""Gradients of noisy circuits on default.mixed in every framework.

Gate angles and channel strengths are both trainable. Every differentiation method the device
supports (backprop; parameter-shift for gate angles, falling back to finite differences for channel
parameters; finite differences) must agree with central finite differences of the forward pass,
computed here on plain NumPy inputs. Single precision stays single precision.
"""
from __future__ import annotations

import warnings

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.core import qmath

X0 = onp.array([0.8, -0.5, 1.3])
P0 = onp.array([0.2, 0.35])
STEP = 1e-6
#: how close each method must come to central differences (finite-diff is a forward stencil)
TOL = {"backprop": 1e-8, "parameter-shift": 1e-5, "finite-diff": 1e-5}
METHODS = list(TOL)


def body(x, p):
    kt.RX(x[0], wires=0)
    kt.CRY(x[1], wires=[0, 1])
    kt.AmplitudeDamping(p[0], wires=0)
    kt.Rot(x[2], x[0], x[1], wires=1)
    kt.DepolarizingChannel(p[1], wires=1)
    kt.IsingXX(x[2], wires=[0, 1])
    kt.GeneralizedAmplitudeDamping(p[0], p[1], wires=1)
    kt.RY(x[1], wires=0)
    kt.PhaseDamping(p[1], wires=0)


def make_qnode(diff_method, interface="auto"):
    dev = kt.device("default.mixed", wires=2)

    @kt.qnode(dev, diff_method=diff_method, interface=interface)
    def circuit(x, p):
        body(x, p)
        return kt.expval(kt.PauliX(0) @ kt.PauliZ(1)), kt.probs(wires=[1])

    return circuit


def flat(result):
    e, pr = result
    return onp.concatenate([onp.reshape(qmath.to_numpy(e), (1,)), qmath.to_numpy(pr)])


def central_differences():
    """(∂f/∂x, ∂f/∂p) of f = (expval, probs) from the NumPy forward pass, shape (3, 3), (3, 2)."""
    f = make_qnode(None)
    out = []
    for which, base in ((0, X0), (1, P0)):
        cols = []
        for i in range(len(base)):
            shifted = [X0.copy(), P0.copy()]
            shifted[which][i] += STEP
            up = flat(f(*shifted))
            shifted[which][i] -= 2 * STEP
            down = flat(f(*shifted))
            cols.append((up - down) / (2 * STEP))
        out.append(onp.stack(cols, axis=1))
    return out


REFERENCE = central_differences()


def quiet(fn):
    """Run fn, ignoring only the announced parameter-shift fallback for channel parameters."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="no parameter-shift rule for parameters of")
        return fn()


def test_reference_is_not_degenerate():
    """Every parameter moves the outputs: a wrong gradient cannot hide behind zeros."""
    for jac in REFERENCE:
        assert onp.all(onp.max(onp.abs(jac), axis=0) > 1e-2)


# ---------------------------------------------------------------------------- autograd
@pytest.mark.parametrize("method", METHODS)
def test_autograd_jacobian(method):
    circuit = make_qnode(method)
    x, p = np.array(X0, requires_grad=True), np.array(P0, requires_grad=True)
    (dex, dep), (dpx, dpp) = quiet(lambda: kt.jacobian(circuit)(x, p))
    jac_x = onp.vstack([onp.reshape(dex, (1, 3)), dpx])
    jac_p = onp.vstack([onp.reshape(dep, (1, 2)), dpp])
    onp.testing.assert_allclose(jac_x, REFERENCE[0], atol=TOL[method])
    onp.testing.assert_allclose(jac_p, REFERENCE[1], atol=TOL[method])


def test_autograd_grad_of_a_scalar_cost():
    circuit = make_qnode("backprop")

    def cost(x, p):
        e, pr = circuit(x, p)
        return e + 3 * pr[0]

    gx, gp = kt.grad(cost)(np.array(X0, requires_grad=True), np.array(P0, requires_grad=True))
    weights = onp.array([1.0, 3.0, 0.0])
    onp.testing.assert_allclose(gx, weights @ REFERENCE[0], atol=1e-8)
    onp.testing.assert_allclose(gp, weights @ REFERENCE[1], atol=1e-8)


def test_methods_agree_with_each_other_on_gate_parameters_exactly():
    x, p = np.array(X0, requires_grad=True), np.array(P0, requires_grad=False)
    jacs = {m: kt.jacobian(make_qnode(m), argnum=0)(x, p) for m in ("backprop", "parameter-shift")}
    for a, b in zip(jacs["backprop"], jacs["parameter-shift"]):
        onp.testing.assert_allclose(a, b, atol=1e-12)


# ---------------------------------------------------------------------------- torch, tf, jax
def torch_jacobian(circuit, dtype):
    torch = pytest.importorskip("torch")
    x = torch.tensor(X0, dtype=getattr(torch, dtype), requires_grad=True)
    p = torch.tensor(P0, dtype=getattr(torch, dtype), requires_grad=True)
    res = circuit(x, p)
    vec = torch.cat([res[0].reshape(1), res[1]])
    rows = []
    for k in range(vec.shape[0]):
        gx, gp = torch.autograd.grad(vec[k], (x, p), retain_graph=True)
        rows.append((gx, gp))
    jx = torch.stack([r[0] for r in rows]).numpy()
    jp = torch.stack([r[1] for r in rows]).numpy()
    return res, (jx, jp), str(vec.dtype).replace("torch.", "")


def tf_jacobian(circuit, dtype):
    tf = pytest.importorskip("tensorflow")
    x = tf.Variable(X0, dtype=getattr(tf, dtype))
    p = tf.Variable(P0, dtype=getattr(tf, dtype))
    with tf.GradientTape(persistent=True) as tape:
        res = circuit(x, p)
        vec = tf.concat([tf.reshape(res[0], (1,)), res[1]], axis=0)
    jx, jp = tape.jacobian(vec, [x, p], experimental_use_pfor=False)
    return res, (jx.numpy(), jp.numpy()), vec.dtype.name


def jax_jacobian(circuit, dtype):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy

    def vec(x, p):
        e, pr = circuit(x, p)
        return jnp.concatenate([jnp.reshape(e, (1,)), pr])

    x, p = jnp.asarray(X0, dtype=dtype), jnp.asarray(P0, dtype=dtype)
    jx, jp = jax.jit(jax.jacobian(vec, argnums=(0, 1)))(x, p)
    res = circuit(x, p)
    return res, (onp.asarray(jx), onp.asarray(jp)), str(vec(x, p).dtype)


FRAMEWORKS = [pytest.param(torch_jacobian, id="torch", marks=pytest.mark.torch),
              pytest.param(tf_jacobian, id="tf", marks=pytest.mark.tf),
              pytest.param(jax_jacobian, id="jax", marks=pytest.mark.jax)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("jacobian", FRAMEWORKS)
def test_framework_jacobians_agree_with_central_differences(jacobian, method):
    res, (jx, jp), dtype = quiet(lambda: jacobian(make_qnode(method), "float64"))
    assert dtype == "float64"
    onp.testing.assert_allclose(flat(res), flat(make_qnode(None)(X0, P0)), atol=1e-12)
    onp.testing.assert_allclose(jx, REFERENCE[0], atol=TOL[method])
    onp.testing.assert_allclose(jp, REFERENCE[1], atol=TOL[method])


@pytest.mark.parametrize("jacobian", FRAMEWORKS)
def test_single_precision_stays_single_precision(jacobian):
    res, (jx, jp), dtype = jacobian(make_qnode("backprop"), "float32")
    assert dtype == "float32"
    assert jx.dtype == onp.float32 and jp.dtype == onp.float32
    onp.testing.assert_allclose(flat(res), flat(make_qnode(None)(X0, P0)), atol=1e-5)
    onp.testing.assert_allclose(jx, REFERENCE[0], atol=1e-4)
    onp.testing.assert_allclose(jp, REFERENCE[1], atol=1e-4)


def float32_array(framework, values):
    if framework == "torch":
        torch = pytest.importorskip("torch")
        return torch.tensor(values, dtype=torch.float32)
    if framework == "tf":
        return pytest.importorskip("tensorflow").constant(values, dtype="float32")
    return pytest.importorskip("jax.numpy").asarray(values, dtype="float32")


@pytest.mark.parametrize("framework", [pytest.param("torch", marks=pytest.mark.torch),
                                       pytest.param("tf", marks=pytest.mark.tf),
                                       pytest.param("jax", marks=pytest.mark.jax)])
def test_single_precision_density_matrix_is_complex64(framework):
    dev = kt.device("default.mixed", wires=2)

    def circuit(x, p):
        body(x, p)
        return kt.density_matrix(wires=[0]), kt.vn_entropy(wires=[1]), kt.purity(wires=[0, 1])

    rho, ent, pur = kt.QNode(circuit, dev, diff_method="backprop")(float32_array(framework, X0),
                                                                   float32_array(framework, P0))
    assert qmath.dtype_name(rho) == "complex64"
    assert qmath.dtype_name(ent) == "float32" and qmath.dtype_name(pur) == "float32"
    ref = kt.QNode(circuit, dev)(X0, P0)
    for got, want in zip((rho, ent, pur), ref):
        onp.testing.assert_allclose(qmath.to_numpy(got), want, atol=1e-5)


def test_autograd_single_precision():
    circuit = make_qnode("backprop")
    x = np.array(X0.astype(onp.float32), requires_grad=True)
    p = np.array(P0.astype(onp.float32), requires_grad=True)
    e, pr = circuit(x, p)
    assert qmath.dtype_name(e) == "float32" and qmath.dtype_name(pr) == "float32"
    gx, gp = kt.grad(lambda x, p: circuit(x, p)[0])(x, p)
    assert gx.dtype == onp.float32 and gp.dtype == onp.float32
    onp.testing.assert_allclose(gx, REFERENCE[0][0], atol=1e-4)
    onp.testing.assert_allclose(gp, REFERENCE[1][0], atol=1e-4)


@pytest.mark.jax
def test_jit_compiled_backprop_through_channels():
    jax = pytest.importorskip("jax")
    circuit = make_qnode("backprop")
    grad = jax.jit(jax.grad(lambda x, p: circuit(x, p)[0], argnums=(0, 1)))
    gx, gp = grad(jax.numpy.asarray(X0), jax.numpy.asarray(P0))
    onp.testing.assert_allclose(gx, REFERENCE[0][0], atol=1e-8)
    onp.testing.assert_allclose(gp, REFERENCE[1][0], atol=1e-8)
