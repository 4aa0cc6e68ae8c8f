"""kettle.math: one implementation over autoray, checked on every framework against NumPy, with
gradients through each framework's own autodiff."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import math as kmath
from kettle import numpy as np
from kettle.errors import InterfaceError

torch = pytest.importorskip("torch")
tf = pytest.importorskip("tensorflow")
jax = pytest.importorskip("jax")
jnp = jax.numpy
jax.config.update("jax_enable_x64", True)

A = onp.array([[0.3, -1.2, 0.5], [2.0, 0.7, -0.4]])
B = onp.array([[1.5, 0.2], [-0.3, 0.8], [0.6, -1.1]])
V = onp.array([0.25, 1.5, 0.75])

MAKERS = {
    "numpy": lambda x: onp.array(x),
    "autograd": lambda x: np.array(x),
    "torch": lambda x: torch.tensor(x),
    "tensorflow": lambda x: tf.constant(x),
    "jax": lambda x: jnp.array(x),
}
FRAMEWORKS = list(MAKERS)


def close(out, expected, interface):
    assert kmath.get_interface(out) in (interface, "numpy" if interface == "numpy" else interface)
    onp.testing.assert_allclose(kmath.to_numpy(out), expected, rtol=1e-12, atol=1e-12)


CASES = [
    ("abs", lambda m: kmath.abs(m(A)), onp.abs(A)),
    ("sqrt", lambda m: kmath.sqrt(m(V)), onp.sqrt(V)),
    ("exp", lambda m: kmath.exp(m(V)), onp.exp(V)),
    ("cos", lambda m: kmath.cos(m(V)), onp.cos(V)),
    ("sum", lambda m: kmath.sum(m(A)), A.sum()),
    ("sum_axis", lambda m: kmath.sum(m(A), axis=1), A.sum(axis=1)),
    ("mean", lambda m: kmath.mean(m(A), axis=0), A.mean(axis=0)),
    ("prod", lambda m: kmath.prod(m(V)), V.prod()),
    ("max", lambda m: kmath.max(m(A)), A.max()),
    ("transpose", lambda m: kmath.transpose(m(A)), A.T),
    ("transpose_axes", lambda m: kmath.transpose(m(A[None]), (2, 0, 1)), A[None].transpose(2, 0, 1)),
    ("reshape", lambda m: kmath.reshape(m(A), (3, 2)), A.reshape(3, 2)),
    ("stack", lambda m: kmath.stack([m(V), m(2 * V)], axis=1), onp.stack([V, 2 * V], axis=1)),
    ("stack_list", lambda m: kmath.stack([m(V), [1.0, 2.0, 3.0]]), onp.stack([V, [1, 2, 3]])),
    ("concatenate", lambda m: kmath.concatenate([m(A), m(A)], axis=0), onp.concatenate([A, A])),
    ("dot_mm", lambda m: kmath.dot(m(A), m(B)), A @ B),
    ("dot_mv", lambda m: kmath.dot(m(A), m(V)), A @ V),
    ("dot_vv", lambda m: kmath.dot(m(V), m(V)), V @ V),
    ("dot_scalar", lambda m: kmath.dot(m(V), 2.0), 2 * V),
    ("matmul", lambda m: kmath.matmul(m(A), B), A @ B),
    ("einsum", lambda m: kmath.einsum("ij,jk->ik", m(A), m(B)), A @ B),
    ("outer", lambda m: kmath.outer(m(V), m(V)), onp.outer(V, V)),
    ("kron", lambda m: kmath.kron(m(A), m(B)), onp.kron(A, B)),
    ("where", lambda m: kmath.where(V > 1, m(V), m(-V)), onp.where(V > 1, V, -V)),
    ("norm", lambda m: kmath.norm(m(V)), onp.linalg.norm(V)),
]


@pytest.mark.parametrize("interface", FRAMEWORKS)
@pytest.mark.parametrize("name, fn, expected", CASES, ids=[c[0] for c in CASES])
def test_each_function_on_each_framework_matches_numpy(interface, name, fn, expected):
    out = fn(MAKERS[interface])
    close(out, expected, interface)


Z = onp.array([1 + 2j, -0.5j, 3.0])


@pytest.mark.parametrize("interface", FRAMEWORKS)
def test_complex_parts(interface):
    z = MAKERS[interface](Z)
    close(kmath.real(z), Z.real, interface)
    close(kmath.imag(z), Z.imag, interface)
    close(kmath.conj(z), Z.conj(), interface)
    close(kmath.abs(z), onp.abs(Z), interface)


@pytest.mark.parametrize("interface", FRAMEWORKS)
def test_cast_and_cast_like(interface):
    x = MAKERS[interface](V)
    y = kmath.cast(x, "float32")
    assert kt.core.qmath.dtype_name(y) == "float32" and kmath.get_interface(y) == interface
    w = kmath.cast_like(MAKERS[interface](onp.array([1, 2])), x)
    assert kt.core.qmath.dtype_name(w) == "float64"
    c = kmath.cast(x, onp.complex128)
    assert kt.core.qmath.dtype_name(c) == "complex128"


def test_cast_takes_framework_dtypes():
    assert kmath.cast(torch.tensor([1, 2]), torch.float64).dtype == torch.float64
    assert kmath.cast(tf.constant([1, 2]), tf.float32).dtype == tf.float32


def test_get_interface_names():
    assert kmath.get_interface(onp.ones(2), 1.0, [1, 2]) == "numpy"
    assert kmath.get_interface(np.array([1.0])) == "autograd"
    assert kmath.get_interface(torch.ones(1), onp.ones(1)) == "torch"
    assert kmath.get_interface(tf.ones(1)) == "tensorflow"
    assert kmath.get_interface(jnp.ones(1)) == "jax"
    with pytest.raises(InterfaceError) as info:
        kmath.stack([torch.ones(2), jnp.ones(2)])
    assert str(info.value) == (
        "arrays of different frameworks were mixed in one call: jax, torch; convert all "
        "arguments to one framework (kettle.math.asarray(x, like=...))")


def test_requires_grad_in_each_framework():
    assert not kmath.requires_grad(onp.ones(2))
    assert kmath.requires_grad(np.array([1.0]))
    assert not kmath.requires_grad(np.array([1.0], requires_grad=False))
    assert kmath.requires_grad(torch.ones(1, requires_grad=True))
    assert not kmath.requires_grad(torch.ones(1))
    assert kmath.requires_grad(tf.Variable([1.0]))
    assert not kmath.requires_grad(tf.constant([1.0]))
    assert not kmath.requires_grad(jnp.ones(1))
    seen = []
    jax.grad(lambda x: (seen.append(kmath.requires_grad(x)), jnp.sum(x))[1])(jnp.ones(2))
    kt.grad(lambda x: (seen.append(kmath.requires_grad(x)), np.sum(x))[1])(np.ones(2))
    assert seen == [True, True]


def test_to_numpy_and_asarray():
    for interface, make in MAKERS.items():
        out = kmath.to_numpy(make(A))
        assert type(out) is onp.ndarray
        onp.testing.assert_array_equal(out, A)
    t = kmath.asarray([1.0, 2.0], like="torch")
    assert isinstance(t, torch.Tensor)
    assert isinstance(kmath.asarray(onp.ones(2), like=tf.ones(1)), tf.Tensor)
    assert isinstance(kmath.asarray(onp.ones(2), like="jax"), jax.Array)
    assert kmath.asarray([1.0], like="autograd").requires_grad
    assert kmath.allclose(torch.tensor([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    assert not kmath.allclose(tf.constant([1.0]), onp.array([1.1]))
    assert kmath.allclose(jnp.array([1.0]), [1.0]) is True


def _cost(x):
    """A cost written once: ½‖Ax‖² + Σ sin(x), gradient AᵀAx + cos(x)."""
    return 0.5 * kmath.sum(kmath.dot(A, x) ** 2) + kmath.sum(kmath.sin(x))


EXPECTED_GRAD = A.T @ A @ V + onp.cos(V)


def test_one_cost_differentiated_by_each_framework():
    g = kt.grad(_cost)(np.array(V))
    onp.testing.assert_allclose(g, EXPECTED_GRAD, rtol=1e-12)

    x = torch.tensor(V, requires_grad=True)
    _cost(x).backward()
    onp.testing.assert_allclose(x.grad.numpy(), EXPECTED_GRAD, rtol=1e-12)

    v = tf.Variable(V)
    with tf.GradientTape() as tape:
        y = _cost(v)
    onp.testing.assert_allclose(tape.gradient(y, v).numpy(), EXPECTED_GRAD, rtol=1e-12)

    onp.testing.assert_allclose(jax.grad(_cost)(jnp.array(V)), EXPECTED_GRAD, rtol=1e-12)
    onp.testing.assert_allclose(jax.jit(jax.grad(_cost))(jnp.array(V)), EXPECTED_GRAD, rtol=1e-12)


def test_a_qnode_result_stacked_and_differentiated():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev, interface="torch")
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        return kt.expval(kt.PauliZ(0)), kt.expval(kt.PauliZ(1))

    x = torch.tensor([0.3, 0.9], requires_grad=True, dtype=torch.float64)
    out = kmath.stack(circuit(x))
    kmath.sum(out * kmath.asarray([1.0, 2.0], like=out)).backward()
    onp.testing.assert_allclose(x.grad.numpy(), [-onp.sin(0.3), -2 * onp.sin(0.9)], rtol=1e-10)


def test_import_forms():
    import kettle.math as direct

    assert direct is kmath is kt.math


@pytest.mark.parametrize("interface", FRAMEWORKS)
def test_constructors_take_like(interface):
    z = kmath.zeros((2, 3), like=interface, dtype="float32")
    assert kmath.get_interface(z) == interface and kmath.shape(z) == (2, 3)
    assert kt.core.qmath.dtype_name(z) == "float32"
    e = kmath.eye(2, like=MAKERS[interface](V))  # an array as ``like``: its framework
    assert kmath.get_interface(e) == interface
    onp.testing.assert_array_equal(kmath.to_numpy(e), onp.eye(2))
    onp.testing.assert_array_equal(kmath.to_numpy(kmath.arange(3, like=interface)), [0, 1, 2])
    onp.testing.assert_allclose(kmath.to_numpy(kmath.linspace(0.0, 1.0, 3, like=interface)),
                                [0, 0.5, 1])
    onp.testing.assert_array_equal(kmath.to_numpy(kmath.ones(2, like=interface)), [1, 1])
    close(kmath.take(MAKERS[interface](V), [2, 0], axis=0), V[[2, 0]], interface)


def test_unwrap_and_iscomplex():
    assert kmath.unwrap([torch.tensor(1.5), jnp.array([1.0, 2.0]), np.array(0.5)])[0] == 1.5
    out = kmath.unwrap((tf.constant([1.0]), onp.float64(2.0)))
    assert isinstance(out, tuple) and type(out[0]) is onp.ndarray and out[1] == 2.0
    assert kmath.iscomplex(torch.ones(1, dtype=torch.complex64))
    assert not kmath.iscomplex(jnp.ones(1))
    assert sorted(kmath.__all__) == kmath.__all__ and all(hasattr(kmath, n) for n in kmath.__all__)
