"""``kt.grad``, ``kt.value_and_grad`` and ``kt.jacobian`` inside ``kt.qjit``: the examples users
know with their exact values, argnum forms, the errors, and the dispatch outside qjit."""
from __future__ import annotations

import math
import re

import numpy as onp
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import kettle as kt  # noqa: E402
from kettle import numpy as np  # noqa: E402
from kettle.errors import DifferentiableCompilerError, NonDifferentiableError  # noqa: E402

pytestmark = pytest.mark.jax


@pytest.fixture(scope="module")
def dev():
    return kt.device("default.qubit", wires=1)


# ------------------------------------------------------------------------ the known examples

def test_value_and_grad_of_rx_pi_x_measured_in_y(dev):
    """⟨Y⟩ = −sin(πx): at x = 2 the value is 0 and the slope −π cos(2π) = −π."""

    @kt.qnode(dev)
    def circuit(x):
        kt.RX(jnp.pi * x, wires=0)
        return kt.expval(kt.PauliY(0))

    value, slope = kt.qjit(kt.value_and_grad(circuit))(2.0)
    assert abs(value) < 1e-12
    onp.testing.assert_allclose(slope, -math.pi, rtol=1e-12)


def test_value_and_grad_of_classical_postprocessing_of_an_adjoint_qnode(dev):
    @kt.qnode(dev, diff_method="adjoint")
    def circuit(theta):
        kt.RX(jnp.exp(theta ** 2) / jnp.cos(theta / 4), wires=0)
        return kt.expval(kt.PauliZ(0))

    @kt.qjit
    def workflow(theta):
        return kt.value_and_grad(lambda t: jnp.pi / jnp.tanh(circuit(t)))(theta)

    value, slope = workflow(1.0)
    onp.testing.assert_allclose([value, slope], [-4.2622289, 5.04324559], rtol=1e-7)
    # the same from the chain rule by hand: d/dθ π/tanh(cos φ(θ)), φ = exp(θ²)/cos(θ/4)
    phi = math.exp(1.0) / math.cos(0.25)
    dphi = phi * (2.0 + math.tan(0.25) / 4)
    onp.testing.assert_allclose(slope, math.pi / math.sinh(math.cos(phi)) ** 2 * math.sin(phi)
                                * dphi, rtol=1e-10)


def test_value_and_grad_of_a_classical_function():
    value, slope = kt.qjit(kt.value_and_grad(lambda x: x ** 2))(2.3)
    onp.testing.assert_allclose([value, slope], [5.29, 4.6], rtol=1e-14)


def two_methods_cost(dev):
    """A: parameter-shift, probs; B: adjoint, expval — in one differentiated function."""

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit_a(p):
        kt.RX(jnp.exp(p[0] ** 2) / jnp.cos(p[1] / 4), wires=0)
        return kt.probs(wires=0)

    @kt.qnode(dev, diff_method="adjoint")
    def circuit_b(p):
        kt.RX(jnp.exp(p[1] ** 2) / jnp.cos(p[0] / 4), wires=0)
        return kt.expval(kt.PauliZ(0))

    return lambda p: circuit_a(p)[0] + circuit_b(p)


def test_grad_of_two_qnodes_with_different_methods(dev):
    cost = two_methods_cost(dev)
    p = jnp.array([1.0, 2.0])
    onp.testing.assert_allclose(kt.qjit(kt.grad(cost))(p), [0.57353985, 44.49115142], rtol=1e-8)
    # whole-function finite differences agree to the accuracy of a forward difference
    fd = kt.qjit(kt.grad(cost, method="fd", h=1e-8))(p)
    onp.testing.assert_allclose(fd, [0.57353985, 44.49115142], rtol=1e-4)


def test_default_step_of_fd(dev):
    got = kt.qjit(kt.value_and_grad(lambda x: jnp.sin(x) * x, method="fd"))(0.7)
    onp.testing.assert_allclose(got[1], math.cos(0.7) * 0.7 + math.sin(0.7), atol=1e-6)
    onp.testing.assert_allclose(got[0], math.sin(0.7) * 0.7, rtol=1e-14)


# --------------------------------------------------------------------------------- argnum

def f3(x, y, z):
    """x·sin(y) + z²·x with ∇ = (sin(y) + z², x cos(y), 2 z x)."""
    return jnp.sum(x * jnp.sin(y)) + z ** 2 * jnp.sum(x)


X, Y, Z = jnp.array([0.3, -0.4]), jnp.array([1.1, 0.2]), 0.8


def grads_f3():
    return (onp.sin(Y) + Z ** 2, onp.asarray(X) * onp.cos(Y), 2 * Z * float(onp.sum(X)))


@pytest.mark.parametrize("method", ["auto", "fd"])
@pytest.mark.parametrize("argnum, picks", [(None, 0), (1, 1), ((0, 2), (0, 2)), ([2, 1], (2, 1))])
def test_argnum_int_tuple_and_list(method, argnum, picks):
    got = kt.qjit(kt.grad(f3, argnum=argnum, method=method))(X, Y, Z)
    want = grads_f3()
    tol = 1e-12 if method == "auto" else 1e-6
    if isinstance(picks, int):
        onp.testing.assert_allclose(got, want[picks], atol=tol)
    else:
        assert isinstance(got, tuple) and len(got) == len(picks)
        for g, k in zip(got, picks):
            onp.testing.assert_allclose(g, want[k], atol=tol)


def test_pytree_arguments_and_keyword_arguments():
    def cost(params, *, scale):
        return scale * (jnp.sum(params["w"] ** 2) + params["b"])

    params = {"w": jnp.array([1.0, -2.0]), "b": 0.5}
    for method in ("auto", "fd"):
        g = kt.qjit(lambda p: kt.grad(cost, method=method)(p, scale=3.0))(params)
        onp.testing.assert_allclose(g["w"], [6.0, -12.0], atol=1e-5)
        onp.testing.assert_allclose(g["b"], 3.0, atol=1e-5)


# ------------------------------------------------------------------------------- jacobian

@pytest.mark.parametrize("method", ["auto", "fd"])
def test_jacobian_inside_qjit(method):
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=[1])

    x = jnp.array([0.4, -0.9])
    d_z, d_probs = kt.qjit(kt.jacobian(circuit, method=method))(x)
    tol = 1e-12 if method == "auto" else 1e-6
    onp.testing.assert_allclose(d_z, [-onp.sin(0.4), 0.0], atol=tol)
    s = onp.sin(-0.9) / 2  # probs = [(1 + cos y)/2, (1 − cos y)/2]
    onp.testing.assert_allclose(d_probs, [[0.0, -s], [0.0, s]], atol=tol)


def test_jacobian_of_several_arguments_has_jax_layout():
    def f(x, y):
        return x * y, jnp.sum(x) + y

    x, y = jnp.array([1.0, 2.0]), 3.0
    auto = kt.qjit(kt.jacobian(f, argnum=(0, 1)))(x, y)
    fd = kt.qjit(kt.jacobian(f, argnum=(0, 1), method="fd", h=1e-6))(x, y)
    want = jax.jacobian(f, argnums=(0, 1))(x, y)
    for got in (auto, fd):
        jax.tree_util.tree_map(lambda a, b: onp.testing.assert_allclose(a, b, atol=1e-6), got, want)


# --------------------------------------------------------------------------------- errors
# (errors raised while kt.qjit traces carry JAX's traceback note after the message, so those
# patterns are not anchored at the end)

@pytest.mark.parametrize("make", [kt.grad, kt.value_and_grad, kt.jacobian])
@pytest.mark.parametrize("method", ["adjoint", "FD", "finite-diff", 3])
def test_invalid_method_is_a_value_error(make, method):
    name = {kt.grad: "kt.grad", kt.value_and_grad: "kt.value_and_grad",
            kt.jacobian: "kt.jacobian"}[make]
    with pytest.raises(ValueError, match=rf"^{name} got method={method!r}; valid methods are 'auto' "
                                         r"\(each QNode by its own diff_method, classical code by "
                                         r"JAX autodiff\) and 'fd' \(finite differences of the "
                                         r"whole function\)$"):
        make(f3, method=method)


@pytest.mark.parametrize("h", [0.0, -1e-3, 1, "0.1", float("nan"), float("inf"), True])
def test_step_that_is_not_a_positive_float_is_a_value_error(h):
    with pytest.raises(ValueError, match=rf"^kt.grad needs a finite-difference step h that is a "
                                         rf"positive float, got h={h!r}$"):
        kt.grad(f3, method="fd", h=h)


@pytest.mark.parametrize("method", [None, "auto"])
def test_step_with_auto_is_a_value_error(method):
    with pytest.raises(ValueError, match=r"^kt.value_and_grad got h=0.001 with method='auto'; the "
                                         r"step size h applies only to method='fd'$"):
        kt.value_and_grad(f3, method=method, h=1e-3)


@pytest.mark.parametrize("argnum", [1.0, "0", (), (0, "1"), True])
def test_malformed_argnum_is_a_value_error(argnum):
    with pytest.raises(ValueError, match=r"^kt.grad got argnum=.*; argnum is an int or a non-empty "
                                         r"tuple or list of ints"):
        kt.grad(f3, argnum=argnum)


@pytest.mark.parametrize("method", ["auto", "fd"])
@pytest.mark.parametrize("make", [kt.grad, kt.value_and_grad])
def test_non_scalar_output_points_to_jacobian(make, method):
    name = "kt.grad" if make is kt.grad else "kt.value_and_grad"
    with pytest.raises(DifferentiableCompilerError,
                       match=rf"^{name} differentiates functions returning one real scalar, but the "
                             r"function returned an array of shape \(2,\) and dtype float64; use "
                             r"kt.jacobian for non-scalar or several outputs") as info:
        kt.qjit(make(lambda x: jnp.sin(x), method=method))(jnp.array([0.1, 0.2]))
    assert info.value.value is not None
    with pytest.raises(DifferentiableCompilerError, match=r"returned a tuple; use kt.jacobian"):
        kt.qjit(make(lambda x: (x, x)))(0.1)


def test_finite_diff_qnode_is_differentiated_by_its_own_method(dev):
    """The QNode's finite differences run on the host, in the host call of its Jacobian."""
    @kt.qnode(dev, diff_method="finite-diff")
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    onp.testing.assert_allclose(kt.qjit(circuit)(0.3), math.cos(0.3))
    # forward difference, h = 1e-7: error ≈ h/2·|cos 0.3| plus round-off
    onp.testing.assert_allclose(kt.qjit(kt.grad(circuit))(0.3), -math.sin(0.3), atol=1e-6)
    onp.testing.assert_allclose(kt.qjit(kt.grad(circuit, method="fd"))(0.3), -math.sin(0.3),
                                atol=1e-6)


def test_integer_and_out_of_range_arguments():
    with pytest.raises(NonDifferentiableError, match=r"^argument 0 has dtype int64 and cannot be "
                                                     r"differentiated; pass floating-point values "
                                                     r"\(e.g. 2.0, not 2\)"):
        kt.qjit(kt.grad(lambda x: x * 1.0))(2)
    with pytest.raises(NonDifferentiableError, match=r"^argnum=3 is out of range: the function got 3 "
                                                     r"positional argument\(s\)"):
        kt.qjit(kt.grad(f3, argnum=3))(X, Y, Z)


@pytest.mark.parametrize("argnum", [(0, 0), (1, -2), [2, 0, -1]])
def test_an_argument_named_twice_is_refused(argnum):
    """Inside qjit, with method "fd", and by autograd outside: no silent zero for the repeat."""
    first = sorted({i % 3 for i in argnum if [j % 3 for j in argnum].count(i % 3) > 1})[0]
    message = rf"^argnum={re.escape(repr(argnum))} names argument {first} more than once"
    for grad in (lambda: kt.qjit(kt.grad(f3, argnum=argnum))(X, Y, Z),
                 lambda: kt.qjit(kt.grad(f3, argnum=argnum, method="fd"))(X, Y, Z),
                 lambda: kt.grad(f3, argnum=argnum)(np.array(X), np.array(Y), np.array(Z))):
        with pytest.raises(NonDifferentiableError, match=message):
            grad()


# ---------------------------------------------------------------------------- outside qjit

def test_outside_qjit_jax_arrays_go_to_jax_and_numpy_arrays_to_autograd(dev):
    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    value, slope = kt.value_and_grad(circuit)(jnp.array(0.5))
    assert isinstance(slope, jax.Array)
    onp.testing.assert_allclose([value, slope], [math.cos(0.5), -math.sin(0.5)], atol=1e-12)

    value, slope = kt.value_and_grad(circuit)(np.array(0.5, requires_grad=True))
    assert not isinstance(slope, jax.Array)
    onp.testing.assert_allclose([value, slope], [math.cos(0.5), -math.sin(0.5)], atol=1e-12)

    g = kt.grad(circuit)  # autograd semantics: a grad object with .forward
    assert isinstance(g, kt.grad)
    onp.testing.assert_allclose(g(np.array(0.5, requires_grad=True)), -math.sin(0.5), atol=1e-12)
    onp.testing.assert_allclose(g.forward, math.cos(0.5), atol=1e-12)
    with pytest.warns(UserWarning, match="kt.grad found no trainable arguments"):
        assert g(np.array(0.5, requires_grad=False)) == ()


def test_autograd_jacobian_keeps_its_layout_outside_qjit():
    def f(a, b):
        return np.stack([a[0] * b, a[1] ** 2])

    jx, jb = kt.jacobian(f, argnum=[0, 1])(np.array([1.0, 2.0]), np.array(3.0))
    onp.testing.assert_allclose(jx, [[3.0, 0.0], [0.0, 4.0]])
    onp.testing.assert_allclose(jb, [1.0, 0.0])


# ---------------------------------------------------------------------------- method="fd" inputs

def test_fd_step_follows_the_input_precision():
    """float32: the default step is 1e-3 (1e-7 is below float32 resolution and gave 1.19 for
    d sin/dx = cos 0 = 1); forward-difference error ≤ h/2·|sin''| + round-off ≈ 1e-3."""
    x32 = jnp.asarray(0.0, dtype=jnp.float32)
    slope = kt.qjit(kt.grad(jnp.sin, method="fd"))(x32)
    assert abs(float(slope) - 1.0) < 2e-3
    x64 = jnp.asarray(0.5, dtype=jnp.float64)
    assert abs(float(kt.qjit(kt.grad(jnp.sin, method="fd"))(x64)) - math.cos(0.5)) < 1e-6


def test_fd_refuses_complex_inputs_and_handles_empty_ones():
    with pytest.raises(NonDifferentiableError, match=r"^argument 0 is complex \(complex128\); "
                                                     r"method='fd' differentiates real inputs"):
        kt.qjit(kt.grad(lambda z: jnp.real(z * z), method="fd"))(jnp.asarray(1.0 + 1.0j))

    def f(x, empty):
        return jnp.sum(x ** 2) + jnp.sum(empty)

    gx, ge = kt.qjit(kt.grad(f, argnum=(0, 1), method="fd"))(jnp.array([1.0, 2.0]), jnp.zeros(0))
    onp.testing.assert_allclose(gx, [2.0, 4.0], atol=1e-5)
    assert ge.shape == (0,)
