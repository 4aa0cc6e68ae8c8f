"""Bound circuits (devices/engine/bound.py): jitted and compiled JAX functions run an engine
QNode's structure with a parameter vector per call instead of new tapes. Their values and
gradients equal backprop's on the same circuit; gates outside the tables keep the tape path."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as onp
import pytest

import kettle as kt
from kettle.devices.engine import bound, config

pytestmark = pytest.mark.skipif(not config.available(), reason="numba cannot compile here")


@pytest.fixture(autouse=True)
def x64():
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


@pytest.fixture
def calls(monkeypatch):
    """How often the bound circuits ran (a counting wrapper around the real methods)."""
    count = {"expvals": 0, "jacobian": 0}
    plain, both = bound.Circuit.expvals, bound.Circuit.expvals_and_jacobian

    def expvals(self, theta):
        count["expvals"] += 1
        return plain(self, theta)

    def expvals_and_jacobian(self, theta):
        count["jacobian"] += 1
        return both(self, theta)

    monkeypatch.setattr(bound.Circuit, "expvals", expvals)
    monkeypatch.setattr(bound.Circuit, "expvals_and_jacobian", expvals_and_jacobian)
    return count


def every_family(n):
    """Each table gate family (vectorized and single), constant gates and constant angles, on
    wires in varied positions; several expectation values."""
    ham = kt.Hamiltonian([0.7, -0.4], [kt.PauliX(0) @ kt.PauliZ(n - 1), kt.PauliY(1)])
    herm = onp.array([[0.5, 0.2 - 0.1j], [0.2 + 0.1j, -1.0]])

    def circuit(w):
        kt.Hadamard(wires=0)
        kt.RX(w[0], wires=n - 1)
        kt.RY(w[1], wires=0)
        kt.RZ(w[2], wires=1)
        kt.CNOT(wires=[n - 1, 1])
        kt.PhaseShift(w[3], wires=2)
        kt.Rot(w[4], w[5], w[6], wires=1)
        kt.RX(0.37, wires=2)  # a constant angle
        kt.CRX(w[7], wires=[2, 0])
        kt.CRY(w[8], wires=[0, n - 1])
        kt.CRZ(w[9], wires=[1, 2])
        kt.ControlledPhaseShift(w[10], wires=[n - 1, 0])
        kt.IsingXX(w[11], wires=[0, 2])
        kt.IsingYY(w[12], wires=[n - 1, 1])
        kt.IsingZZ(w[13], wires=[2, n - 1])
        kt.Toffoli(wires=[0, 1, 2])
        kt.CRot(w[14], w[15], w[16], wires=[1, 0])
        for i in range(n):  # enough gates to fuse on 12 qubits
            kt.RY(w[i % 17], wires=i)
        for i in range(n - 1):
            kt.CNOT(wires=[i, i + 1])
        return (kt.expval(kt.PauliZ(0)), kt.expval(ham), kt.expval(kt.Hermitian(herm, wires=1)),
                kt.expval(kt.PauliY(2) @ kt.PauliX(n - 1)))

    return circuit


def qnodes(n, method):
    circuit = every_family(n)
    dev = kt.device("default.qubit", wires=n)
    ref_dev = kt.device("default.qubit", wires=n)
    return (kt.qnode(dev, diff_method=method)(circuit),
            kt.qnode(ref_dev, diff_method="backprop")(circuit))


def total(qnode):
    return lambda w: sum(jnp.asarray(v) * (k + 1) for k, v in enumerate(qnode(w)))


@pytest.mark.parametrize("n", [4, 12])
def test_compiled_value_and_gradient_equal_backprop(n, calls):
    w = jnp.asarray(onp.random.default_rng(n).uniform(-2, 2, 17))
    qnode, ref = qnodes(n, "adjoint")
    value, grad = kt.qjit(kt.value_and_grad(total(qnode)))(w)
    ref_value, ref_grad = jax.value_and_grad(total(ref))(w)
    assert calls["jacobian"] >= 1
    assert abs(float(value) - float(ref_value)) < 1e-10
    assert onp.abs(onp.asarray(ref_grad)).max() > 0.1
    onp.testing.assert_allclose(grad, ref_grad, atol=1e-10)
    # a second call with other numbers runs the same bound circuit
    w2 = w + 0.25
    _, grad2 = kt.qjit(kt.value_and_grad(total(qnode)))(w2)
    onp.testing.assert_allclose(grad2, jax.grad(total(ref))(w2), atol=1e-10)


def test_jitted_forward_values_equal_backprop(calls):
    w = jnp.asarray(onp.random.default_rng(5).uniform(-2, 2, 17))
    qnode, ref = qnodes(4, "parameter-shift")
    got = jax.jit(lambda x: jnp.stack(qnode(x)))(w)
    assert calls["expvals"] >= 1
    onp.testing.assert_allclose(got, jnp.stack(ref(w)), atol=1e-12)
    # parameter-shift's derivative tapes run the tape path and agree too
    onp.testing.assert_allclose(jax.jit(jax.grad(total(qnode)))(w), jax.grad(total(ref))(w),
                                atol=1e-8)


def test_a_gate_outside_the_tables_keeps_the_tape_path(calls):
    dev = kt.device("default.qubit", wires=3)

    def circuit(w):
        kt.RX(w[0], wires=0)
        kt.MultiRZ(w[1], wires=[0, 1, 2])  # a generator the sweep covers, no table entry
        kt.CNOT(wires=[0, 2])
        return kt.expval(kt.PauliY(0) @ kt.PauliZ(2))

    w = jnp.asarray([0.4, -1.1])
    got = kt.qjit(jax.grad(kt.qnode(dev, diff_method="adjoint")(circuit)))(w)
    ref = jax.grad(kt.qnode(dev, diff_method="backprop")(circuit))(w)
    assert calls == {"expvals": 0, "jacobian": 0}
    onp.testing.assert_allclose(got, ref, atol=1e-12)


def test_a_subclass_that_runs_tapes_its_own_way_is_called():
    from kettle.devices.default_qubit import DefaultQubit

    class Counting(DefaultQubit):
        runs = 0

        def execute(self, tapes):
            Counting.runs += len(tapes)
            return super().execute(tapes)

    dev = Counting(wires=2)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x):
        kt.RX(x, wires=0)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1))

    assert abs(float(jax.jit(circuit)(0.3)) - onp.cos(0.3)) < 1e-12
    assert Counting.runs >= 1


def test_a_device_with_an_executor_runs_its_tapes_there(calls):
    from concurrent.futures import ThreadPoolExecutor

    class Counting(ThreadPoolExecutor):
        submitted = 0

        def submit(self, fn, *args, **kwargs):
            Counting.submitted += 1
            return super().submit(fn, *args, **kwargs)

    with Counting(max_workers=2) as pool:
        dev = kt.device("default.qubit", wires=2, executor=pool)

        @kt.qnode(dev, diff_method="adjoint")
        def circuit(x):
            kt.RX(x, wires=0)
            kt.CNOT(wires=[0, 1])
            return kt.expval(kt.PauliZ(1))

        value = jax.jit(circuit)(0.3)
        grad = kt.qjit(jax.grad(circuit))(0.3)
    assert Counting.submitted >= 1
    assert calls == {"expvals": 0, "jacobian": 0}
    assert abs(float(value) - onp.cos(0.3)) < 1e-12
    assert abs(float(grad) + onp.sin(0.3)) < 1e-12
