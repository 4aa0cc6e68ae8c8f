"""Regressions at the execute boundary: no silent gradients, no silent zeros, no repeated work."""
from __future__ import annotations

import warnings

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.devices.default_qubit import DefaultQubit
from kettle.errors import DiffMethodError, NonDifferentiableError


class CountingQubit(DefaultQubit):
    """default.qubit that counts batches and circuits it is asked to run."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.batches = 0
        self.circuits = 0

    def execute(self, tapes):
        self.batches += 1
        self.circuits += len(tapes)
        return super().execute(tapes)


def _circuit(x):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=1)
    kt.CNOT(wires=[0, 1])
    return kt.probs(wires=[0, 1])


def test_interface_none_is_not_silently_differentiated():
    # regression: kt.grad went through interface=None QNodes by backprop
    dev = kt.device("default.qubit", wires=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qn = kt.QNode(lambda x: (kt.RX(x[0], wires=0), kt.expval(kt.PauliZ(0)))[1], dev,
                      interface=None, diff_method="parameter-shift")
    x = np.array([0.3, 0.1])
    assert np.isclose(qn(x), np.cos(0.3))
    with pytest.raises(NonDifferentiableError, match="interface=None and cannot be differentiated"):
        kt.grad(qn)(x)


def test_second_derivative_without_max_diff_2_is_an_error():
    # regression: the Hessian came back as silent zeros with max_diff=1
    dev = kt.device("default.qubit", wires=2)
    qn = kt.QNode(lambda x: (kt.RX(x[0], wires=0), kt.RY(x[1], wires=0),
                             kt.expval(kt.PauliZ(0)))[-1], dev, diff_method="parameter-shift")
    with pytest.raises(DiffMethodError, match="max_diff=2"):
        kt.jacobian(kt.grad(qn))(np.array([0.3, 0.5]))


@pytest.mark.torch
def test_torch_create_graph_without_max_diff_2_is_an_error():
    import torch

    dev = kt.device("default.qubit", wires=1)
    qn = kt.QNode(lambda x: (kt.RX(x[0], wires=0), kt.RY(x[1], wires=0),
                             kt.expval(kt.PauliZ(0)))[-1], dev, diff_method="parameter-shift")
    with pytest.raises(DiffMethodError, match="max_diff=2"):
        torch.autograd.functional.hessian(qn, torch.tensor([0.3, 0.5], dtype=torch.float64))


def test_jacobian_runs_the_gradient_tapes_once():
    # regression: kt.jacobian re-ran every shifted circuit once per output element (4 here)
    dev = CountingQubit(wires=2)
    qn = kt.QNode(_circuit, dev, diff_method="parameter-shift")
    x = np.array([0.3, 0.5])
    jac = kt.jacobian(qn)(x)
    assert dev.batches == 2  # the forward pass, then one batch of shifted circuits
    assert dev.circuits == 1 + 2 * 2
    # probs of CNOT(RX(a)⊗RY(b)|00⟩): |q0 q1⟩ with q1 flipped when q0=1
    a, b = 0.3, 0.5
    ref = lambda a, b: onp.array([onp.cos(a / 2) ** 2 * onp.cos(b / 2) ** 2,  # noqa: E731
                                  onp.cos(a / 2) ** 2 * onp.sin(b / 2) ** 2,
                                  onp.sin(a / 2) ** 2 * onp.sin(b / 2) ** 2,
                                  onp.sin(a / 2) ** 2 * onp.cos(b / 2) ** 2])
    h = 1e-6
    fd = onp.stack([(ref(a + h, b) - ref(a - h, b)) / (2 * h),
                    (ref(a, b + h) - ref(a, b - h)) / (2 * h)], axis=-1)
    onp.testing.assert_allclose(jac, fd, atol=1e-8)


@pytest.mark.torch
def test_torch_jacobian_runs_the_gradient_tapes_once():
    import torch

    dev = CountingQubit(wires=2)
    qn = kt.QNode(_circuit, dev, diff_method="parameter-shift")
    torch.autograd.functional.jacobian(qn, torch.tensor([0.3, 0.5], dtype=torch.float64))
    assert dev.batches == 2


@pytest.mark.torch
def test_declared_interface_converts_numpy_results_and_refuses_other_frameworks():
    import torch

    from kettle.errors import InterfaceError

    dev = kt.device("default.qubit", wires=1)

    def f(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=0)

    ev, pr = kt.QNode(f, dev, interface="torch")(0.3)
    assert isinstance(ev, torch.Tensor) and isinstance(pr, torch.Tensor)
    assert abs(float(ev) - onp.cos(0.3)) < 1e-12
    onp.testing.assert_allclose(pr.numpy(), [onp.cos(0.15) ** 2, onp.sin(0.15) ** 2], atol=1e-12)
    with pytest.raises(InterfaceError, match="interface='autograd' but was called with torch"):
        kt.QNode(f, dev, interface="numpy")(torch.tensor(0.3))


@pytest.mark.torch
def test_gate_mixing_a_torch_parameter_with_python_floats():
    # regression: Rot(x, 0.2, 0.3) combined a torch tensor with NumPy constants and failed
    import torch

    dev = kt.device("default.qubit", wires=1)
    qn = kt.QNode(lambda x: (kt.Rot(x, 0.2, 0.3, wires=0), kt.expval(kt.PauliZ(0)))[1], dev)
    x = torch.tensor(0.4, requires_grad=True)
    y = qn(x)
    y.backward()
    # ⟨Z⟩ after RZ(ω)RY(θ)RZ(φ) on |0⟩ is cos θ, independent of φ
    assert abs(float(y.detach()) - onp.cos(0.2)) < 1e-6 and abs(float(x.grad)) < 1e-6


@pytest.mark.parametrize("framework", [pytest.param("torch", marks=pytest.mark.torch),
                                       pytest.param("tf", marks=pytest.mark.tf),
                                       pytest.param("jax", marks=pytest.mark.jax)])
def test_results_are_framework_arrays_even_when_no_gate_uses_the_argument(framework):
    """H|0⟩: ⟨Z⟩ = 0, probs = (½, ½), whatever x is; called with a framework tensor, the results
    come back in that framework (they used to be NumPy arrays)."""
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def circuit(x):
        kt.Hadamard(wires=0)
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=[0])

    if framework == "torch":
        import torch
        x, kind = torch.tensor(0.3), torch.Tensor
    elif framework == "tf":
        import tensorflow as tf
        x, kind = tf.constant(0.3), tf.Tensor
    else:
        import jax
        x, kind = jax.numpy.asarray(0.3), jax.Array
    ev, probs = circuit(x)
    assert isinstance(ev, kind) and isinstance(probs, kind)
    assert abs(float(ev)) < 1e-12
    onp.testing.assert_allclose(onp.asarray(probs), [0.5, 0.5], atol=1e-12)
