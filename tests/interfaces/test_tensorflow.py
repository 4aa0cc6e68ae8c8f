"""QNodes as TensorFlow ops: GradientTape (nested for second order), tf.function, precision,
Variables and constants, shots.

The circuit RX(a)⊗RY(b) then CNOT gives ⟨Z₁⟩ = cos a cos b and probs of wire 0
(cos²(a/2), sin²(a/2)); every reference below is computed from these closed forms.
"""
from __future__ import annotations

import functools

import numpy as onp
import pytest

import kettle as kt
from two_qubit_reference import circuit, exact, exact_hessian, exact_jacobian
from kettle.errors import DiffMethodError

tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.tf

METHODS = ["backprop", "adjoint", "parameter-shift", "finite-diff"]
X = onp.array([0.3, 0.8])
X2 = onp.array([-1.2, 0.4])
DEV = kt.device("default.qubit", wires=2)


def tol(method: str) -> float:
    return 1e-5 if method == "finite-diff" else 1e-10


def value_and_jacobians(qn, x):
    """(⟨Z₁⟩, probs, d⟨Z₁⟩/dx, d probs/dx) with one GradientTape."""
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        z, probs = qn(x)
    return z, probs, tape.gradient(z, x), tape.jacobian(probs, x, experimental_use_pfor=False)


@pytest.fixture(scope="module")
def compiled():
    """Per method: the QNode and value_and_jacobians under tf.function (traced once per dtype)."""
    out = {}
    for method in METHODS:
        qn = kt.QNode(circuit, DEV, diff_method=method)
        out[method] = (qn, tf.function(functools.partial(value_and_jacobians, qn)))
    return out


def _check(results, x, atol_values, atol_grads):
    z, probs, gz, jp = results
    ref_z, ref_p = exact(x)
    ref_gz, ref_jp = exact_jacobian(x)
    onp.testing.assert_allclose(z.numpy(), ref_z, atol=atol_values)
    onp.testing.assert_allclose(probs.numpy(), ref_p, atol=atol_values)
    onp.testing.assert_allclose(gz.numpy(), ref_gz, atol=atol_grads)
    onp.testing.assert_allclose(jp.numpy(), ref_jp, atol=atol_grads)


# --------------------------------------------------------------------------- first order

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("make", [tf.Variable, tf.constant], ids=["Variable", "constant"])
def test_gradient_tape_first_order(compiled, method, make):
    qn, _ = compiled[method]
    x = make(X, dtype=tf.float64)
    results = value_and_jacobians(qn, x)
    assert all(isinstance(r, tf.Tensor) for r in results)
    _check(results, X, 1e-12, tol(method))


@pytest.mark.parametrize("method", METHODS)
def test_tf_function_values_and_gradients_equal_eager(compiled, method):
    qn, fn = compiled[method]
    traces = []
    for x in (X, X2):  # the second call reuses the trace with new values
        graph = fn(tf.Variable(x, dtype=tf.float64))
        traces.append(fn.experimental_get_tracing_count())
        eager = value_and_jacobians(qn, tf.Variable(x, dtype=tf.float64))
        for g, e in zip(graph, eager):
            assert g.shape == e.shape and g.dtype == e.dtype
            onp.testing.assert_allclose(g.numpy(), e.numpy(), atol=1e-12)
        _check(graph, x, 1e-12, tol(method))
    assert traces[0] == traces[1]


@pytest.mark.parametrize("method", METHODS)
def test_several_arguments(method):
    @kt.qnode(DEV, diff_method=method)
    def two_args(a, b):
        kt.RX(a ** 2, wires=0)
        kt.RY(tf.sin(b), wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1))

    a, b = tf.Variable(0.6, dtype=tf.float64), tf.constant(-0.9, dtype=tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(b)
        loss = two_args(a, b) * b
    ga, gb = tape.gradient(loss, [a, b])
    u, v, bb = 0.36, onp.sin(-0.9), -0.9
    onp.testing.assert_allclose(ga.numpy(), -onp.sin(u) * 1.2 * onp.cos(v) * bb, atol=tol(method))
    onp.testing.assert_allclose(gb.numpy(), onp.cos(u) * onp.cos(v) - onp.cos(u) * onp.sin(v)
                                * onp.cos(bb) * bb, atol=tol(method))


# -------------------------------------------------------------------------- second order

def nested_hessian(qn, x):
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            z = qn(x)[0]
        grad = inner.gradient(z, x)
    return grad, outer.jacobian(grad, x, experimental_use_pfor=False)


@pytest.mark.parametrize("method, max_diff", [("backprop", 1), ("parameter-shift", 2)])
@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
def test_nested_gradient_tapes_give_the_hessian(method, max_diff, graph):
    qn = kt.QNode(circuit, DEV, diff_method=method, max_diff=max_diff)
    fn = tf.function(lambda x: nested_hessian(qn, x)) if graph else \
        (lambda x: nested_hessian(qn, x))
    for x in (X, X2):
        grad, hess = fn(tf.Variable(x, dtype=tf.float64))
        assert hess is not None and hess.shape == (2, 2)
        onp.testing.assert_allclose(grad.numpy(), exact_jacobian(x)[0], atol=1e-10)
        onp.testing.assert_allclose(hess.numpy(), exact_hessian(x)[0], atol=1e-10)


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift", "finite-diff"])
@pytest.mark.parametrize("graph", [False, True], ids=["eager", "tf.function"])
def test_second_order_without_max_diff_2_is_an_error(method, graph):
    # regression: the inner gradient was a constant, so the Hessian came back as a silent None
    qn = kt.QNode(circuit, DEV, diff_method=method)
    fn = tf.function(lambda x: nested_hessian(qn, x)) if graph else \
        (lambda x: nested_hessian(qn, x))
    with pytest.raises(DiffMethodError, match=r"second derivative was requested \(nested "
                                              r"GradientTape\), but the QNode was created with "
                                              r"max_diff=1; pass max_diff=2"):
        fn(tf.Variable(X, dtype=tf.float64))


# ------------------------------------------------------------------------------ precision

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [tf.float32, tf.float64], ids=["float32", "float64"])
def test_precision_is_preserved_eagerly_and_in_tf_function(compiled, method, dtype):
    qn, fn = compiled[method]
    single = dtype == tf.float32
    for run in (lambda x: value_and_jacobians(qn, x), fn):
        results = run(tf.Variable(X, dtype=dtype))
        assert [r.dtype for r in results] == [dtype] * 4
        _check(results, X, 1e-6 if single else 1e-12, 1e-4 if single else tol(method))


# ---------------------------------------------------------------------------------- shots

def test_finite_shot_parameter_shift_gradient_is_within_statistical_bounds():
    shots = 4000
    dev = kt.device("default.qubit", wires=2, shots=shots, seed=5)
    qn = kt.QNode(lambda x: circuit(x)[0], dev, diff_method="parameter-shift")
    x = tf.Variable(X, dtype=tf.float64)
    with tf.GradientTape() as tape:
        z = qn(x)
    grad = tape.gradient(z, x).numpy()
    sigma = onp.empty(2)
    for i in range(2):
        shift = onp.pi / 2 * onp.eye(2)[i]
        plus, minus = exact(X + shift)[0], exact(X - shift)[0]
        sigma[i] = onp.sqrt((1 - plus ** 2) + (1 - minus ** 2)) / (2 * onp.sqrt(shots))
    assert (onp.abs(grad - exact_jacobian(X)[0]) < 5 * sigma).all()
    assert not onp.allclose(grad, exact_jacobian(X)[0], atol=1e-9)  # really sampled
