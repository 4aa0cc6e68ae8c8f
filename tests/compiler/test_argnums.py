"""``argnums`` (JAX's and PennyLane 0.45's spelling) means ``argnum`` everywhere: ``kt.grad``,
``kt.value_and_grad`` and ``kt.jacobian``, on autograd and JAX inputs, inside and outside qjit;
giving both is an error."""
from __future__ import annotations

import math

import numpy as onp
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import kettle as kt  # noqa: E402
from kettle import numpy as np  # noqa: E402
from kettle.errors import NonDifferentiableError  # noqa: E402

pytestmark = pytest.mark.jax


@pytest.fixture(autouse=True)
def x64():
    """Eager JAX here computes in float64 whatever another test left as the global setting."""
    with jax.enable_x64(True):
        yield


@pytest.fixture(scope="module")
def circuit():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def c(x, y):
        kt.RX(x, wires=0)
        kt.RY(y, wires=1)
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    return c  # ⟨Z⊗Z⟩ = cos x cos y


def test_grad_argnums_selects_like_argnum_with_autograd(circuit):
    x, y = np.array(0.3, requires_grad=True), np.array(0.8, requires_grad=True)
    dy = kt.grad(circuit, argnums=1)(x, y)
    assert abs(float(dy) + math.cos(0.3) * math.sin(0.8)) < 1e-10
    both = kt.grad(circuit, argnums=[0, 1])(x, y)
    onp.testing.assert_allclose(both, [-math.sin(0.3) * math.cos(0.8),
                                       -math.cos(0.3) * math.sin(0.8)], atol=1e-10)


def test_jacobian_argnums_with_autograd():
    def f(a, b):
        return np.stack([a[0] * b, a[1] ** 2])

    jb = kt.jacobian(f, argnums=1)(np.array([1.0, 2.0]), np.array(3.0))
    onp.testing.assert_allclose(jb, [1.0, 0.0])


@pytest.mark.parametrize("compiled", [False, True])
def test_grad_and_value_and_grad_argnums_with_jax(circuit, compiled):
    wrap = kt.qjit if compiled else (lambda f: f)
    x, y = jnp.asarray(0.3), jnp.asarray(0.8)
    dy = wrap(kt.grad(circuit, argnums=1))(x, y)
    assert abs(float(dy) + math.cos(0.3) * math.sin(0.8)) < 1e-10
    value, (dx, dy) = wrap(kt.value_and_grad(circuit, argnums=(0, 1)))(x, y)
    assert abs(float(value) - math.cos(0.3) * math.cos(0.8)) < 1e-10
    assert abs(float(dx) + math.sin(0.3) * math.cos(0.8)) < 1e-10


@pytest.mark.parametrize("compiled", [False, True])
def test_jacobian_argnums_with_jax(compiled):
    wrap = kt.qjit if compiled else (lambda f: f)

    def f(x, y):
        return x * y

    jy = wrap(kt.jacobian(f, argnums=1))(jnp.array([1.0, 2.0]), 3.0)
    onp.testing.assert_allclose(jy, [1.0, 2.0])
    jy_fd = wrap(kt.jacobian(f, argnums=1, method="fd"))(jnp.array([1.0, 2.0]), 3.0)
    onp.testing.assert_allclose(jy_fd, [1.0, 2.0], atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda f: kt.grad(f, 0, argnums=0),
    lambda f: kt.grad(f, argnum=0, argnums=1),
    lambda f: kt.value_and_grad(f, argnum=(0,), argnums=(0,)),
    lambda f: kt.jacobian(f, argnum=1, argnums=1),
])
def test_both_spellings_at_once_are_refused(make):
    with pytest.raises(NonDifferentiableError, match=r"got argnum=.* and argnums=.*; they are two "
                                                     r"spellings of the same option, pass only one"):
        make(lambda a, b: a * b)


def test_malformed_argnums_is_named_like_argnum():
    with pytest.raises(ValueError, match=r"kt.grad got argnum='x'"):
        kt.grad(jnp.sin, argnums="x")
