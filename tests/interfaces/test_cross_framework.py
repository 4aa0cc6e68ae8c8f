"""Every interface × diff method × measurement type against the NumPy/autograd backprop reference.

Each case runs one 2-qubit circuit of two arguments (an array ``x`` and a scalar ``y``) returning a
group of measurements, flattens the results into one real vector (complex leaves as real and
imaginary parts) with the framework's own ops, and differentiates it with the framework's own
jacobian. Values and jacobians are compared with the same circuit run by backprop on
``kettle.numpy`` arrays and differentiated by ``kt.jacobian`` (computed here, never typed). Pairs
the diff-method registry does not claim must raise the documented error instead.
"""
from __future__ import annotations

import functools
import importlib
from typing import Callable, NamedTuple

import autoray as ar
import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import DiffMethodError, InterfaceError, NonDifferentiableError
from kettle.core import diff_methods

X = onp.array([0.7, -0.4])
Y = 1.1
METHODS = ["backprop", "adjoint", "parameter-shift", "finite-diff"]
DEV = kt.device("default.qubit", wires=2)
_H1 = onp.random.default_rng(5).normal(size=(2, 2, 2)) @ onp.array([1, 1j])
HERMITIAN = _H1 + _H1.conj().T


def ansatz(x, y):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=1)
    kt.CNOT(wires=[0, 1])
    kt.CRY(y, wires=[1, 0])
    kt.RZ(x[0] * y, wires=1)  # classical processing of two arguments; phases for state()
    kt.RY(0.5 * y, wires=0)


# ------------------------------------------------------------------------ measurement groups

def _expvals():
    ham = kt.Hamiltonian([0.3, -1.2, 0.5],
                         [kt.PauliZ(0) @ kt.PauliX(1), kt.PauliY(0), kt.PauliX(1)])
    return (kt.expval(kt.PauliZ(0) @ kt.PauliX(1)), kt.expval(kt.Hermitian(HERMITIAN, wires=1)),
            kt.expval(kt.Projector([1, 0], wires=[0, 1])), kt.expval(ham))


#: name -> what the circuit returns
GROUPS: dict[str, Callable] = {
    "expval": _expvals,
    "var": lambda: (kt.var(kt.PauliX(0) @ kt.PauliZ(1)), kt.var(kt.Hermitian(HERMITIAN, wires=1))),
    "probs": lambda: (kt.probs(wires=[0, 1]), kt.expval(kt.PauliX(0)), kt.probs(wires=[1])),
    "density_matrix": lambda: kt.density_matrix(wires=[1]),
    "state": kt.state,
    "vn_entropy": lambda: kt.vn_entropy(wires=[0]),
    "mutual_info": lambda: kt.mutual_info(wires0=[0], wires1=[1]),
    "purity": lambda: (kt.purity(wires=[1]), kt.expval(kt.PauliZ(1))),
}


def kinds(group: str) -> list[type]:
    """The measurement classes a group uses."""
    returned = GROUPS[group]()
    return [type(m) for m in (returned if isinstance(returned, tuple) else (returned,))]


def supported(method: str, group: str) -> bool:
    entry = diff_methods.get(method)
    return all(entry.supports(c) for c in kinds(group))


def make_qnode(group: str, method: str, interface: str = "auto"):
    measure = GROUPS[group]

    def circuit(x, y):
        ansatz(x, y)
        return measure()

    return kt.QNode(circuit, DEV, interface=interface, diff_method=method)


def flat_real(result, like: str):
    """Every result leaf raveled into one real vector, complex leaves as real then imaginary."""
    parts = []
    for leaf in (result if isinstance(result, (tuple, list)) else (result,)):
        leaf = ar.do("reshape", leaf, (-1,), like=like)
        if ar.get_dtype_name(leaf).startswith("complex"):
            parts += [ar.do("real", leaf, like=like), ar.do("imag", leaf, like=like)]
        else:
            parts.append(leaf)
    return ar.do("concatenate", parts, axis=0, like=like)


# ------------------------------------------------------------------------------- frameworks

class Framework(NamedTuple):
    name: str  # autoray backend name
    interface: str
    native: Callable  # is a result leaf a tensor (or tracer) of this framework?
    jacobian: Callable  # (f, x, y) -> (f(x, y), d f/dx, d f/dy) as framework arrays
    to_numpy: Callable


def _autograd_jacobian(f, x, y):
    x, y = np.array(x, requires_grad=True), np.array(y, requires_grad=True)
    jx, jy = kt.jacobian(f, argnum=[0, 1])(x, y)
    return f(x, y), jx, jy


def _torch_jacobian(f, x, y):
    import torch

    x = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    jx, jy = torch.autograd.functional.jacobian(f, (x, y))
    return f(x, y), jx, jy


def _tf_jacobian(f, x, y):
    import tensorflow as tf

    x, y = tf.Variable(x, dtype=tf.float64), tf.constant(y, dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(y)
        out = f(x, y)
    # without pfor: a loop of VJPs, far faster to set up for a handful of outputs
    return (out, tape.jacobian(out, x, experimental_use_pfor=False),
            tape.jacobian(out, y, experimental_use_pfor=False))


def _jax_jacobian(f, x, y):
    import jax
    import jax.numpy as jnp

    # one compilation per case; op-by-op dispatch of the vmapped VJP would compile far more
    both = jax.jit(lambda x, y: (f(x, y), *jax.jacobian(f, argnums=(0, 1))(x, y)))
    return both(jnp.asarray(x), jnp.asarray(y))


def _is(module: str, attr: str):
    def check(leaf):
        return isinstance(leaf, getattr(importlib.import_module(module), attr))

    return check


FRAMEWORKS = [
    pytest.param(Framework("autograd", "autograd", _is("numpy", "ndarray"), _autograd_jacobian,
                           onp.asarray), id="autograd"),
    pytest.param(Framework("torch", "torch", _is("torch", "Tensor"), _torch_jacobian,
                           lambda t: t.detach().numpy()), id="torch", marks=pytest.mark.torch),
    pytest.param(Framework("tensorflow", "tf", _is("tensorflow", "Tensor"), _tf_jacobian,
                           lambda t: t.numpy()), id="tf", marks=pytest.mark.tf),
    pytest.param(Framework("jax", "jax", _is("jax", "Array"), _jax_jacobian, onp.asarray),
                 id="jax", marks=pytest.mark.jax),
]
SUPPORTED_CASES = [pytest.param(m, g, id=f"{m}-{g}") for m in METHODS for g in GROUPS
                   if supported(m, g)]
UNSUPPORTED_CASES = [pytest.param(m, g, id=f"{m}-{g}") for m in METHODS for g in GROUPS
                     if not supported(m, g)]


@functools.cache
def reference(group: str):
    """(values, jacobian (n_out, 3)) by backprop on kettle.numpy arrays, differentiated by
    kt.jacobian with respect to both arguments."""
    qnode = make_qnode(group, "backprop", "autograd")
    value, jx, jy = _autograd_jacobian(lambda x, y: flat_real(qnode(x, y), "autograd"), X, Y)
    return onp.asarray(value), onp.column_stack([onp.asarray(jx), onp.asarray(jy)])


def _available(fw: Framework) -> Framework:
    pytest.importorskip(fw.name)
    return fw


# ------------------------------------------------------------------------------------- tests

def test_every_method_has_supported_and_the_table_has_unsupported_cells():
    """The parametrization is not vacuous: each method runs somewhere, and the structural gaps
    (amplitudes have no shift rule; adjoint needs quadratic forms) are among the refused cells."""
    assert {p.values[0] for p in SUPPORTED_CASES} == set(METHODS)
    refused = {p.id for p in UNSUPPORTED_CASES}
    assert {"parameter-shift-state", "adjoint-state", "adjoint-vn_entropy"} <= refused
    assert "backprop-state" not in refused and "finite-diff-state" not in refused


@pytest.mark.parametrize("group", list(GROUPS))
def test_reference_matches_central_differences(group):
    """The reference itself: its jacobian equals central differences of its forward pass."""
    qnode = make_qnode(group, "backprop", "autograd")
    f = lambda p: onp.asarray(flat_real(qnode(p[:2], p[2]), "autograd"))  # noqa: E731
    p, h = onp.array([*X, Y]), 1e-6
    fd = onp.column_stack([(f(p + h * e) - f(p - h * e)) / (2 * h) for e in onp.eye(3)])
    value, jac = reference(group)
    onp.testing.assert_allclose(value, f(p), atol=1e-12)
    onp.testing.assert_allclose(jac, fd, atol=1e-7)
    assert (onp.abs(jac).max(axis=0) > 0.05).all()  # every argument matters to every group


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("method, group", SUPPORTED_CASES)
def test_values_and_jacobians_match_the_reference(fw, method, group):
    fw = _available(fw)
    qnode = make_qnode(group, method, fw.interface)
    leaves: list = []

    def f(x, y):
        res = qnode(x, y)
        leaves[:] = res if isinstance(res, tuple) else [res]
        return flat_real(res, fw.name)

    value, jx, jy = fw.jacobian(f, X, Y)
    # framework-native results: a tuple of tensors for several measurements
    assert (len(kinds(group)) > 1) == (len(leaves) > 1)
    assert all(fw.native(leaf) for leaf in leaves), [type(leaf) for leaf in leaves]
    ref_value, ref_jac = reference(group)
    n = len(ref_value)
    jac = onp.column_stack([fw.to_numpy(jx).reshape(n, 2), fw.to_numpy(jy).reshape(n, 1)])
    tol = 1e-5 if method == "finite-diff" else 1e-6
    onp.testing.assert_allclose(fw.to_numpy(value), ref_value, atol=tol)
    onp.testing.assert_allclose(jac, ref_jac, atol=tol)


@pytest.mark.parametrize("fw", FRAMEWORKS)
@pytest.mark.parametrize("method, group", UNSUPPORTED_CASES)
def test_unsupported_cells_raise_the_documented_error(fw, method, group):
    fw = _available(fw)
    qnode = make_qnode(group, method, fw.interface)
    refused = next(c for c in kinds(group) if not diff_methods.get(method).supports(c))
    with pytest.raises(NonDifferentiableError,
                       match=rf"diff_method='{method}' cannot differentiate "
                             rf"{refused.return_type}\(\); it supports .*expval.*\. Use "
                             rf"diff_method='backprop' \(shots=None\) for {refused.return_type}"):
        fw.jacobian(lambda x, y: flat_real(qnode(x, y), fw.name), X, Y)


# ------------------------------------------------------------------------------------ errors

def _tensor(name: str, value):
    if name == "autograd":
        return np.array(value, requires_grad=True)
    if name == "torch":
        torch = pytest.importorskip("torch")
        return torch.tensor(value, dtype=torch.float64)
    if name == "tf":
        return pytest.importorskip("tensorflow").constant(value, dtype="float64")
    return pytest.importorskip("jax.numpy").asarray(value)


_MARKS = {"torch": pytest.mark.torch, "tf": pytest.mark.tf, "jax": pytest.mark.jax}
_PAIRS = [pytest.param(a, b, id=f"{a}-{b}", marks=[_MARKS[n] for n in (a, b) if n in _MARKS])
          for a, b in [("autograd", "torch"), ("autograd", "jax"), ("autograd", "tf"),
                       ("tf", "torch"), ("jax", "tf"), ("jax", "torch")]]


@pytest.mark.parametrize("first, second", _PAIRS)
def test_tensors_of_two_frameworks_in_one_call(first, second):
    qnode = make_qnode("vn_entropy", "parameter-shift")
    call = lambda x: qnode(x, _tensor(second, Y))  # noqa: E731
    if first == "autograd":  # kettle.numpy arrays count as autograd while being differentiated
        call = kt.grad(call)
    with pytest.raises(InterfaceError, match=rf"arrays of different frameworks were mixed in one "
                                             rf"call: {first}, {second}; convert all arguments to "
                                             rf"one framework") as info:
        call(_tensor(first, X))
    assert info.value.interfaces == [first, second]


@pytest.mark.parametrize("name", ["pytorh", "keras", "JAX", 3])
def test_unknown_interface_lists_the_valid_ones(name):
    with pytest.raises(InterfaceError, match=rf"unknown interface {name!r}; valid interfaces are "
                                             r"'auto', None, 'numpy', 'autograd', 'torch', "
                                             r"'pytorch', 'tf', 'tensorflow', 'jax'$") as info:
        make_qnode("expval", "backprop", name)
    assert info.value.interfaces == [name]


@pytest.mark.parametrize("interface", ["autograd", "torch", "tf", "jax"])
def test_device_derivatives_are_rejected_for_every_interface(interface):
    with pytest.raises(DiffMethodError, match=r"device 'default.qubit' provides no 'device' "
                                              r"derivatives \(it provides: adjoint\); use "
                                              r"diff_method='backprop'") as info:
        make_qnode("expval", "device", interface)
    assert info.value.diff_method == "device"
