"""QNodes under JAX transformations: jit, vmap, grad, jacobian, hessian, precision and shots.

The circuit RX(a)⊗RY(b) then CNOT gives ⟨Z₁⟩ = cos a cos b and probs of wire 0
(cos²(a/2), sin²(a/2)); every reference below is computed from these closed forms.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from two_qubit_reference import circuit, exact, exact_hessian, exact_jacobian
from kettle.errors import DiffMethodError

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

pytestmark = pytest.mark.jax

METHODS = ["backprop", "adjoint", "parameter-shift", "finite-diff"]
X = onp.array([0.3, 0.8])
BATCH = onp.array([[0.3, 0.8], [-1.2, 0.4], [2.0, -0.7]])
DEV = kt.device("default.qubit", wires=2)


def tol(method: str) -> float:
    return 1e-5 if method == "finite-diff" else 1e-9


@pytest.fixture(scope="module")
def qnodes():
    """One QNode and its jitted forms per method, reused so each compiles once."""
    out = {}
    for method in METHODS:
        qn = kt.QNode(circuit, DEV, diff_method=method)
        out[method] = {
            "qnode": qn,
            "jit": jax.jit(qn),
            "grad": jax.grad(lambda x, qn=qn: qn(x)[0]),
            "jit_grad": jax.jit(jax.grad(lambda x, qn=qn: qn(x)[0])),
            "jacobian": jax.jacobian(qn),
        }
    return out


def _close(actual, expected, atol):
    for a, e in zip(actual, expected):
        onp.testing.assert_allclose(onp.asarray(a), e, atol=atol)


# ------------------------------------------------------------------------------------ jit

@pytest.mark.parametrize("method", METHODS)
def test_jit_values_equal_eager_and_exact(qnodes, method):
    fns = qnodes[method]
    eager = fns["qnode"](jnp.asarray(X))
    assert isinstance(eager, tuple) and all(isinstance(r, jax.Array) for r in eager)
    for x in BATCH:  # one compilation, then new values each call (no stale closure)
        jitted = fns["jit"](jnp.asarray(x))
        assert isinstance(jitted, tuple) and len(jitted) == 2
        assert jitted[0].shape == () and jitted[1].shape == (2,)
        _close(jitted, exact(x), 1e-12)
    _close(fns["jit"](jnp.asarray(X)), eager, 1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_jit_of_grad_equals_grad_and_exact(qnodes, method):
    fns = qnodes[method]
    for x in BATCH[:2]:
        g = fns["grad"](jnp.asarray(x))
        onp.testing.assert_allclose(fns["jit_grad"](jnp.asarray(x)), g, atol=1e-12)
        onp.testing.assert_allclose(g, exact_jacobian(x)[0], atol=tol(method))


# ----------------------------------------------------------------------------------- vmap

@pytest.mark.parametrize("method", METHODS)
def test_vmap_equals_a_python_loop(qnodes, method):
    qn = qnodes[method]["qnode"]
    batch = jnp.asarray(BATCH)
    z, probs = jax.vmap(qn)(batch)
    assert z.shape == (3,) and probs.shape == (3, 2)
    loop = [qn(x) for x in batch]
    onp.testing.assert_allclose(z, onp.array([r[0] for r in loop]), atol=1e-12)
    onp.testing.assert_allclose(probs, onp.stack([r[1] for r in loop]), atol=1e-12)
    onp.testing.assert_allclose(z, [exact(x)[0] for x in BATCH], atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_vmap_of_grad_equals_a_python_loop(qnodes, method):
    grad = qnodes[method]["grad"]
    batch = jnp.asarray(BATCH)
    vmapped = jax.vmap(grad)(batch)
    onp.testing.assert_allclose(vmapped, onp.stack([grad(x) for x in batch]), atol=1e-12)
    onp.testing.assert_allclose(vmapped, [exact_jacobian(x)[0] for x in BATCH], atol=tol(method))


# ------------------------------------------------------------------------ grad and jacobian

@pytest.mark.parametrize("method", METHODS)
def test_jacobian_of_several_measurements(qnodes, method):
    jz, jprobs = qnodes[method]["jacobian"](jnp.asarray(X))
    assert jz.shape == (2,) and jprobs.shape == (2, 2)
    _close((jz, jprobs), exact_jacobian(X), tol(method))


@pytest.mark.parametrize("method", METHODS)
def test_grad_with_several_arguments_and_classical_processing(method):
    """d/da, d/db of ⟨Z₁⟩(a², sin b) · b: the chain rule through JAX around the quantum part."""
    @kt.qnode(DEV, diff_method=method)
    def two_args(a, b):
        kt.RX(a ** 2, wires=0)
        kt.RY(jnp.sin(b), wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1))

    a, b = 0.6, -0.9
    ga, gb = jax.grad(lambda a, b: two_args(a, b) * b, argnums=(0, 1))(a, b)
    u, v = a ** 2, onp.sin(b)
    onp.testing.assert_allclose(ga, -onp.sin(u) * 2 * a * onp.cos(v) * b, atol=tol(method))
    onp.testing.assert_allclose(gb, onp.cos(u) * onp.cos(v) - onp.cos(u) * onp.sin(v)
                                * onp.cos(b) * b, atol=tol(method))


# -------------------------------------------------------------------------------- hessian

HESSIAN_METHODS = [("backprop", 1), ("parameter-shift", 2)]


@pytest.fixture(scope="module")
def hessians():
    out = {}
    for method, max_diff in HESSIAN_METHODS:
        qn = kt.QNode(circuit, DEV, diff_method=method, max_diff=max_diff)
        out[method] = (jax.hessian(qn), jax.jit(jax.hessian(qn)))
    return out


@pytest.mark.parametrize("method", [m for m, _ in HESSIAN_METHODS])
def test_hessian_against_analytic_second_derivatives(hessians, method):
    hess, jit_hess = hessians[method]
    hz, hprobs = hess(jnp.asarray(X))
    assert hz.shape == (2, 2) and hprobs.shape == (2, 2, 2)
    _close((hz, hprobs), exact_hessian(X), 1e-9)
    x = BATCH[1]
    _close(jit_hess(jnp.asarray(x)), exact_hessian(x), 1e-9)


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift", "finite-diff"])
def test_hessian_without_max_diff_2_is_a_clear_error(method):
    # regression: JAX's "Pure callbacks do not support JVP" instead of what to do about it
    qn = kt.QNode(lambda x: circuit(x)[0], DEV, diff_method=method)
    with pytest.raises(DiffMethodError, match=r"second derivative was requested, but the QNode "
                                              r"was created with max_diff=1; pass max_diff=2"):
        jax.hessian(qn)(jnp.asarray(X))


# ------------------------------------------------------------------------------ precision

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_results_and_gradients_keep_the_input_precision(qnodes, method, dtype):
    fns = qnodes[method]
    x = jnp.asarray(X, dtype=dtype)
    for results in (fns["qnode"](x), fns["jit"](x)):
        assert [r.dtype for r in results] == [jnp.dtype(dtype)] * 2
        _close(results, exact(X), 1e-6 if dtype == "float32" else 1e-12)
    for grad in (fns["grad"](x), fns["jit_grad"](x)):
        assert grad.dtype == jnp.dtype(dtype)
        onp.testing.assert_allclose(grad, exact_jacobian(X)[0],
                                    atol=1e-4 if dtype == "float32" else tol(method))


@pytest.mark.parametrize("method", ["backprop", "parameter-shift"])
def test_without_x64_everything_is_float32(method):
    qn = kt.QNode(lambda x: circuit(x)[0], DEV, diff_method=method)
    with jax.enable_x64(False):
        x = jnp.asarray([0.3, 0.8])
        assert x.dtype == jnp.float32
        value, grad = jax.jit(jax.value_and_grad(qn))(x)
        assert value.dtype == grad.dtype == jnp.float32
    onp.testing.assert_allclose(value, exact(X)[0], atol=1e-6)
    onp.testing.assert_allclose(grad, exact_jacobian(X)[0], atol=1e-5)


# ---------------------------------------------------------------------------------- shots

def test_finite_shot_parameter_shift_gradient_is_within_statistical_bounds():
    shots = 4000
    dev = kt.device("default.qubit", wires=2, shots=shots, seed=11)
    qn = kt.QNode(lambda x: circuit(x)[0], dev, diff_method="parameter-shift")
    grad = onp.asarray(jax.grad(qn)(jnp.asarray(X)))
    jit_grad = onp.asarray(jax.jit(jax.grad(qn))(jnp.asarray(X)))
    # each component is (E₊ - E₋)/2 of two independent estimates of a ±1 observable
    sigma = onp.empty(2)
    for i in range(2):
        shift = onp.pi / 2 * onp.eye(2)[i]
        plus, minus = exact(X + shift)[0], exact(X - shift)[0]
        sigma[i] = onp.sqrt((1 - plus ** 2) + (1 - minus ** 2)) / (2 * onp.sqrt(shots))
    for g in (grad, jit_grad):
        assert (onp.abs(g - exact_jacobian(X)[0]) < 5 * sigma).all()
        assert not onp.allclose(g, exact_jacobian(X)[0], atol=1e-9)  # really sampled
    # estimates of a ±1 observable from 4000 shots are multiples of 2/4000, so their difference/2
    onp.testing.assert_allclose(grad * shots, onp.round(grad * shots), atol=1e-6)
