"""Non-backprop QNodes inside ``kt.qjit`` run on the device through host calls: the same values,
gradients and Hessians as the traced (backprop) simulation, under ``jax.vmap`` too, with one
device call per batch, and a program whose size does not grow with the number of gates."""
from __future__ import annotations

import numpy as onp
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import kettle as kt  # noqa: E402
from kettle.devices.default_qubit import DefaultQubit  # noqa: E402

pytestmark = pytest.mark.jax


@pytest.fixture(autouse=True)
def x64():
    """Eager JAX here computes in float64 whatever another test left as the global setting."""
    with jax.enable_x64(True):
        yield
HOST_METHODS = ["adjoint", "parameter-shift"]


class CountingQubit(DefaultQubit):
    """default.qubit counting its execute calls and the tapes (and their batch sizes) it gets."""

    def __init__(self, wires):
        super().__init__(wires)
        self.calls, self.batch_sizes, self.derivative_calls = 0, [], 0

    def execute(self, tapes):
        self.calls += 1
        self.batch_sizes += [t.batch_size for t in tapes]
        return super().execute(tapes)

    def compute_derivatives(self, tapes, method="adjoint"):
        self.derivative_calls += 1
        return super().compute_derivatives(tapes, method)


def layered(dev, method, layers):
    """``layers`` repetitions of RX(x0), RY(x1) on each wire and a CNOT ring; ⟨Z0 Z1⟩ and probs."""
    n = len(dev.wires)

    @kt.qnode(dev, diff_method=method)
    def circuit(x):
        a, b = x[0], x[1]  # each indexing is an operation of the program: index once
        for _ in range(layers):
            for q in range(n):
                kt.RX(a, wires=q)
                kt.RY(b, wires=q)
            for q in range(n):
                kt.CNOT(wires=[q, (q + 1) % n])
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1)), kt.probs(wires=[0])

    return circuit


def cost_of(circuit):
    def cost(x):
        ez, probs = circuit(x)
        return jnp.sin(ez) + probs[1] ** 2

    return cost


X = jnp.array([0.37, -1.1])
BATCH = jnp.array([[0.37, -1.1], [1.3, 0.2], [-0.6, 2.4]])


@pytest.fixture(scope="module")
def reference():
    """The traced simulation (backprop) of the same cost: value, gradient, Hessian."""
    cost = cost_of(layered(kt.device("default.qubit", wires=3), "backprop", 2))
    return {"value": kt.qjit(cost)(X), "grad": kt.qjit(kt.grad(cost))(X),
            "hessian": kt.qjit(jax.hessian(cost))(X),
            "vmap_grad": kt.qjit(jax.vmap(kt.grad(cost)))(BATCH), "cost": cost}


@pytest.mark.parametrize("method", HOST_METHODS)
def test_values_gradients_and_hessians_equal_the_traced_simulation(reference, method):
    cost = cost_of(layered(kt.device("default.qubit", wires=3), method, 2))
    onp.testing.assert_allclose(kt.qjit(cost)(X), reference["value"], atol=1e-12)
    onp.testing.assert_allclose(kt.qjit(kt.grad(cost))(X), reference["grad"], atol=1e-10)
    onp.testing.assert_allclose(kt.qjit(jax.hessian(cost))(X), reference["hessian"], atol=1e-8)
    value, slope = kt.qjit(kt.value_and_grad(cost))(X)
    onp.testing.assert_allclose([value, *slope], [reference["value"], *reference["grad"]],
                                atol=1e-10)


@pytest.mark.parametrize("method", HOST_METHODS)
def test_vmap_of_gradients_is_one_device_call(reference, method):
    dev = CountingQubit(3)
    cost = cost_of(layered(dev, method, 2))
    got = kt.qjit(jax.vmap(kt.grad(cost)))(BATCH)
    onp.testing.assert_allclose(got, reference["vmap_grad"], atol=1e-10)
    if method == "adjoint":  # every entry's tape in one execute_and_compute_derivatives call
        assert (dev.calls, dev.derivative_calls) == (1, 1)
        assert len(dev.batch_sizes) == len(BATCH)
    else:  # each entry's tape and its shifted tapes (2 of each of 12 gate parameters): one call
        assert (dev.calls, dev.derivative_calls) == (1, 0)
        # (circuits, however the shifts are batched into broadcast tapes)
        assert sum(b or 1 for b in dev.batch_sizes) == len(BATCH) * (1 + 12 * 2)


@pytest.mark.parametrize("method", HOST_METHODS + ["finite-diff"])
def test_eager_vmap_of_a_qnode_is_one_broadcast_call(method):
    dev = CountingQubit(3)
    circuit = layered(dev, method, 1)
    ez, probs = jax.vmap(circuit)(BATCH)
    reference = layered(kt.device("default.qubit", wires=3), "backprop", 1)
    for k, x in enumerate(BATCH):
        ez_k, probs_k = reference(x)
        onp.testing.assert_allclose(ez[k], ez_k, atol=1e-12)
        onp.testing.assert_allclose(probs[k], probs_k, atol=1e-12)
    assert dev.calls == 1 and dev.batch_sizes == [len(BATCH)]


def test_vmap_with_an_unbatched_argument_and_a_hessian_under_vmap():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x, y):
        kt.RX(x, wires=0)
        kt.RY(y, wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1))  # cos x cos y

    xs = jnp.array([0.1, 0.5, 0.9])
    grads = kt.qjit(jax.vmap(kt.grad(circuit, argnums=(0, 1)), in_axes=(0, None)))(xs, 0.2)
    onp.testing.assert_allclose(grads[0], -onp.sin(xs) * onp.cos(0.2), atol=1e-12)
    onp.testing.assert_allclose(grads[1], -onp.cos(xs) * onp.sin(0.2), atol=1e-12)
    second = kt.qjit(jax.vmap(jax.grad(jax.grad(circuit)), in_axes=(0, None)))(xs, 0.2)
    onp.testing.assert_allclose(second, -onp.cos(xs) * onp.cos(0.2), atol=1e-10)


@pytest.mark.parametrize("method", HOST_METHODS)
def test_program_size_does_not_grow_with_the_number_of_gates(method):
    dev = kt.device("default.qubit", wires=3)

    def size(layers):
        f = kt.qjit(kt.value_and_grad(cost_of(layered(dev, method, layers))))
        return len(f.lower(X).as_text())

    small, large = size(2), size(50)  # 18 against 450 gates
    assert large < 2 * small, (small, large)
    traced = len(kt.qjit(kt.value_and_grad(cost_of(layered(dev, "backprop", 50)))).lower(X)
                 .as_text())
    assert traced > 5 * large  # the traced simulation does grow


def test_third_derivative_by_parameter_shift():
    """⟨Z⟩ = cos x: d³/dx³ = sin x, through the host Jacobian's traced derivative."""
    @kt.qnode(kt.device("default.qubit", wires=1), diff_method="parameter-shift")
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    third = kt.qjit(kt.grad(kt.grad(kt.grad(circuit))))(0.4)
    assert abs(float(third) - onp.sin(0.4)) < 1e-10
