"""``kt.grad`` / ``kt.jacobian`` semantics and ``kettle.numpy`` tensors."""
from __future__ import annotations

import pickle

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import NonDifferentiableError


def f(a, b):
    """f = sin(a0) a1² + a0 b; ∂f/∂a = (cos(a0) a1² + b, 2 sin(a0) a1), ∂f/∂b = a0."""
    return np.sin(a[0]) * a[1] ** 2 + a[0] * b


def df_da(a, b):
    return onp.array([onp.cos(a[0]) * a[1] ** 2 + b, 2 * onp.sin(a[0]) * a[1]])


A, B = [0.7, -1.3], 0.4


# ------------------------------------------------------------------------------- kettle.numpy

def test_arrays_require_grad_by_default():
    x = np.array([0.1, 0.2])
    assert isinstance(x, np.tensor) and x.requires_grad is True
    assert np.array(0.5, requires_grad=False).requires_grad is False
    assert np.zeros(3).requires_grad and not np.ones(2, requires_grad=False).requires_grad


@pytest.mark.parametrize("flag", [True, False])
def test_requires_grad_is_kept_by_indexing_ufuncs_and_reductions(flag):
    x = np.array([[0.1, 0.2], [0.3, 0.4]], requires_grad=flag)
    derived = [x[0], x[0, 1], x[:, 1], x.T, x.reshape(4), np.sin(x), x * 2, 2 + x, np.sum(x),
               x.mean(), np.exp(x)[1]]
    for y in derived:
        assert isinstance(y, np.tensor) and y.requires_grad is flag
    assert float(x[0, 1]) == 0.2 and float(np.sum(x)) == pytest.approx(1.0)


def test_mixing_trainable_and_constant_operands_gives_a_trainable_result():
    """Regression: ``constant + x`` took the constant's flag (the first operand's), so kt.grad
    silently skipped the argument."""
    x, c = np.array([1.0, 2.0]), np.array([3.0, 4.0], requires_grad=False)
    for y in (c + x, x + c, c * x, np.add(c, x), np.maximum(c, x)):
        assert y.requires_grad is True
    g = kt.grad(lambda v: np.sum(v ** 2))(c + x)
    onp.testing.assert_allclose(g, 2 * onp.array([4.0, 6.0]))


def test_in_place_operations_keep_the_target_flag():
    c = np.array([1.0, 2.0], requires_grad=False)
    c *= np.array([3.0, 4.0])
    assert c.requires_grad is False and list(c) == [3.0, 8.0]


def test_tensor_unwrap_and_pickle():
    x = np.array([0.5, 1.5], requires_grad=False)
    assert type(x.numpy()) is onp.ndarray and type(np.array(0.25).unwrap()) is float
    y = pickle.loads(pickle.dumps(x))
    assert y.requires_grad is False and list(y) == [0.5, 1.5]
    assert repr(x) == "tensor([0.5, 1.5], requires_grad=False)"


# ------------------------------------------------------------------------------------ kt.grad

def test_grad_differentiates_requires_grad_arguments_only():
    a = np.array(A)
    grad = kt.grad(f)(a, np.array(B, requires_grad=False))
    onp.testing.assert_allclose(grad, df_da(A, B), atol=1e-12)


def test_several_trainable_arguments_give_a_tuple():
    ga, gb = kt.grad(f)(np.array(A), np.array(B))
    onp.testing.assert_allclose(ga, df_da(A, B), atol=1e-12)
    assert gb == pytest.approx(A[0])


@pytest.mark.parametrize("argnum, expected", [
    (0, lambda: df_da(A, B)),
    (1, lambda: A[0]),
    ([1], lambda: (A[0],)),
    ([0, 1], lambda: (df_da(A, B), A[0])),
    ([1, 0], lambda: (A[0], df_da(A, B))),
    (-1, lambda: A[0]),
])
def test_argnum_selects_arguments(argnum, expected):
    grad = kt.grad(f, argnum=argnum)(np.array(A), np.array(B))
    want = expected()
    if isinstance(want, tuple):
        assert isinstance(grad, tuple) and len(grad) == len(want)
        for g, w in zip(grad, want):
            onp.testing.assert_allclose(g, w, atol=1e-12)
    else:
        onp.testing.assert_allclose(grad, want, atol=1e-12)


@pytest.mark.parametrize("a", [list(A), tuple(A), onp.array(A)], ids=["list", "tuple", "ndarray"])
def test_argnum_accepts_plain_python_and_numpy_values(a):
    grad_a, grad_b = kt.grad(f, argnum=[0, 1])(a, B)  # B: a Python float
    onp.testing.assert_allclose(grad_a, df_da(A, B), atol=1e-12)
    assert float(grad_b) == pytest.approx(A[0])


def test_argnum_turns_integers_into_floats():
    grad = kt.grad(lambda n, x: x * n ** 3, argnum=0)(2, 0.5)
    assert float(grad) == pytest.approx(6.0)


def test_plain_values_are_not_differentiated_without_argnum():
    with pytest.warns(UserWarning, match="kt.grad found no trainable arguments"):
        assert kt.grad(f)(list(A), B) == ()


def test_argnum_on_a_requires_grad_false_argument_is_an_error():
    with pytest.raises(NonDifferentiableError,
                       match=r"argument 1 has requires_grad=False and cannot be differentiated; "
                             r"create it with requires_grad=True or drop it from argnum") as info:
        kt.grad(f, argnum=[0, 1])(np.array(A), np.array(B, requires_grad=False))
    assert info.value.argnum == 1


def test_argnum_out_of_range_is_an_error():
    with pytest.raises(NonDifferentiableError,
                       match=r"argnum=2 is out of range: the function got 2 positional"):
        kt.grad(f, argnum=2)(np.array(A), B)


def test_non_numeric_argnum_is_an_error():
    with pytest.raises(NonDifferentiableError, match=r"cannot differentiate with respect to 'ab'"):
        kt.grad(lambda s: 1.0, argnum=0)("ab")


def test_forward_is_none_before_the_first_call_then_the_last_value():
    g = kt.grad(f)
    assert g.forward is None
    g(np.array(A), np.array(B, requires_grad=False))
    assert float(g.forward) == pytest.approx(onp.sin(A[0]) * A[1] ** 2 + A[0] * B)
    g(np.array([0.0, 1.0]), np.array(B, requires_grad=False))
    assert float(g.forward) == pytest.approx(0.0)


def test_non_scalar_output_is_an_error_pointing_to_jacobian():
    with pytest.raises(NonDifferentiableError, match=r"kt.grad needs a function with a scalar output, got "
                                         r"shape \(2,\); use kt.jacobian"):
        kt.grad(lambda x: x ** 2)(np.array(A))


def test_grad_of_a_qnode_with_classical_processing():
    @kt.qnode(kt.device("default.qubit", wires=1))
    def circuit(x, y):
        kt.RX(2 * x[0] ** 2, wires=0)
        kt.RY(x[1] * y, wires=0)
        return kt.expval(kt.PauliZ(0))

    x, y = onp.array([0.3, -0.6]), 1.7
    # ⟨Z⟩ = cos(2 x0²) cos(x1 y)
    expected = [-4 * x[0] * onp.sin(2 * x[0] ** 2) * onp.cos(x[1] * y),
                -y * onp.cos(2 * x[0] ** 2) * onp.sin(x[1] * y)]
    g = kt.grad(circuit)
    onp.testing.assert_allclose(g(np.array(x), np.array(y, requires_grad=False)), expected,
                                atol=1e-12)
    assert float(g.forward) == pytest.approx(onp.cos(2 * x[0] ** 2) * onp.cos(x[1] * y))


# -------------------------------------------------------------------------------- kt.jacobian

DEV = kt.device("default.qubit", wires=2)


@kt.qnode(DEV)
def probs_circuit(x):
    kt.RX(x[0, 0], wires=0)
    kt.RY(x[0, 1], wires=1)
    kt.CNOT(wires=[0, 1])
    kt.RZ(x[1, 0], wires=1)
    kt.RX(x[1, 1] * x[0, 0], wires=1)
    return kt.probs(wires=[0, 1])


def test_jacobian_shape_is_output_shape_plus_input_shape():
    x = np.array([[0.3, -0.5], [0.8, 1.1]])
    jac = kt.jacobian(probs_circuit)(x)
    assert jac.shape == (4, 2, 2)
    h, plain = 1e-6, onp.asarray(x)
    for i, j in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        e = onp.zeros((2, 2))
        e[i, j] = h
        column = (probs_circuit(plain + e) - probs_circuit(plain - e)) / (2 * h)
        onp.testing.assert_allclose(jac[:, i, j], column, atol=1e-8)
    onp.testing.assert_allclose(jac.sum(axis=0), 0, atol=1e-12)  # probabilities sum to 1


def test_jacobian_of_tuple_outputs_is_a_tuple_of_jacobians():
    @kt.qnode(DEV)
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=[1])

    a, b = 0.4, -1.2
    ev, probs = kt.jacobian(circuit)(np.array([a, b]))
    assert ev.shape == (2,) and probs.shape == (2, 2)
    onp.testing.assert_allclose(ev, [-onp.sin(a), 0], atol=1e-12)
    # p(wire 1 = 0) = (1 + cos b) / 2
    onp.testing.assert_allclose(probs, [[0, -onp.sin(b) / 2], [0, onp.sin(b) / 2]], atol=1e-12)


def test_jacobian_with_several_arguments():
    jac = kt.jacobian(lambda u, v: u * v[0] + v)(np.array([1.0, 2.0]), np.array([3.0, 5.0]))
    assert isinstance(jac, tuple) and [j.shape for j in jac] == [(2, 2), (2, 2)]
    onp.testing.assert_allclose(jac[0], 3.0 * onp.eye(2))
    onp.testing.assert_allclose(jac[1], [[2.0, 0.0], [2.0, 1.0]])


def test_jacobian_argnum_and_scalar_output():
    jac = kt.jacobian(f, argnum=0)(list(A), B)
    assert jac.shape == (2,)
    onp.testing.assert_allclose(jac, df_da(A, B), atol=1e-12)
