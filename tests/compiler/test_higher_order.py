"""Derivatives of derivatives inside ``kt.qjit`` by every method, against analytic values."""
from __future__ import annotations

import numpy as onp
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import kettle as kt  # noqa: E402

pytestmark = pytest.mark.jax
METHODS = ["parameter-shift", "adjoint", "backprop"]
X = 0.7


def cos_of_square(method):
    """⟨Z⟩ after RX(x²) = cos(x²)."""
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev, diff_method=method)
    def circuit(x):
        kt.RX(x ** 2, wires=0)
        return kt.expval(kt.PauliZ(0))

    return circuit


def derivatives(x):
    """cos(x²) and its first three derivatives."""
    s, c = onp.sin(x ** 2), onp.cos(x ** 2)
    return [c, -2 * x * s, -2 * s - 4 * x ** 2 * c, -12 * x * c + 8 * x ** 3 * s]


@pytest.mark.parametrize("method", METHODS)
def test_second_and_third_derivatives(method):
    f = cos_of_square(method)

    @kt.qjit
    def all_orders(x):
        d1 = kt.grad(f)
        d2 = kt.grad(d1)
        return f(x), d1(x), d2(x), kt.grad(d2)(x)

    onp.testing.assert_allclose(all_orders(X), derivatives(X), atol=1e-10)


def test_second_derivatives_by_finite_differences():
    f = cos_of_square("parameter-shift")
    d2 = derivatives(X)[2]
    fd_of_fd = kt.grad(kt.grad(f, method="fd", h=1e-4), method="fd", h=1e-4)
    onp.testing.assert_allclose(kt.qjit(fd_of_fd)(X), d2, atol=2e-3)
    # the two kinds compose: JAX differentiates through the finite-difference loop and back
    onp.testing.assert_allclose(kt.qjit(kt.grad(kt.grad(f, method="fd", h=1e-6)))(X), d2, atol=1e-4)
    onp.testing.assert_allclose(kt.qjit(kt.grad(kt.grad(f), method="fd", h=1e-6))(X), d2, atol=1e-4)


@pytest.mark.parametrize("method", METHODS)
def test_hessian_of_two_parameters(method):
    """⟨Z⟩ after RX(x) RY(y) = cos x cos y."""
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev, diff_method=method)
    def circuit(p):
        kt.RX(p[0], wires=0)
        kt.RY(p[1], wires=0)
        return kt.expval(kt.PauliZ(0))

    x, y = 0.4, -1.2
    hessian = kt.qjit(kt.jacobian(kt.grad(circuit)))(jnp.array([x, y]))
    cc, ss = onp.cos(x) * onp.cos(y), onp.sin(x) * onp.sin(y)
    onp.testing.assert_allclose(hessian, [[-cc, ss], [ss, -cc]], atol=1e-10)


@pytest.mark.parametrize("method", ["parameter-shift", "adjoint"])
def test_second_derivatives_of_probs_and_var(method):
    """probs of RX(x) = ((1 + cos x)/2, (1 − cos x)/2); Var(Z) = sin² x, d²/dx² = 2 cos 2x."""
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev, diff_method=method)
    def probs(x):
        kt.RX(x, wires=0)
        return kt.probs(wires=0)

    @kt.qnode(dev, diff_method=method)
    def var(x):
        kt.RX(x, wires=0)
        return kt.var(kt.PauliZ(0))

    @kt.qjit
    def second(x):
        return kt.jacobian(kt.jacobian(probs))(x), kt.grad(kt.grad(var))(x)

    d2_probs, d2_var = second(X)
    onp.testing.assert_allclose(d2_probs, [-onp.cos(X) / 2, onp.cos(X) / 2], atol=1e-10)
    onp.testing.assert_allclose(d2_var, 2 * onp.cos(2 * X), atol=1e-10)
