"""The Device API: capability-driven validation and decomposition before anything runs, the optional
derivative methods of the base class, and how "best" is resolved from the capabilities.

The device under test is mostly ``example.qubit`` from the example plugin package (installed by the
Makefile), with a few small devices defined here for capabilities it does not have.
"""
from __future__ import annotations

import re

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.devices.device import Capabilities, Device
from kettle.errors import (DeviceError, DeviceMethodUndefinedError, DiffMethodError,
                           MeasurementError, WireError)
from kettle.core.diff_methods import resolve

EXAMPLE_GATES = ("Adjoint(S), Adjoint(T), CNOT, Hadamard, Identity, PauliX, PauliY, PauliZ, "
                 "PhaseShift, RX, RY, RZ, S, T")


@pytest.fixture
def dev():
    return kt.device("example.qubit", wires=3)


class CountingDevice(Device):
    """A device defined in the tests: runs circuits through default.qubit and counts them."""

    name = "counting.qubit"
    capabilities = Capabilities(operations={"RY", "CNOT", "Hadamard"}, observables={"PauliZ"},
                                measurements={"expval"})

    def __init__(self, wires, *, shots=None, seed=None):
        super().__init__(wires, shots=shots, seed=seed)
        self.runs = 0
        self._sim = kt.device("default.qubit", wires=wires)

    def execute(self, tapes):
        self.runs += len(tapes)
        return self._sim.execute(tapes)


# ---------------------------------------------------------------- decomposition


def test_unsupported_gates_are_decomposed_into_supported_ones(dev):
    ref = kt.device("default.qubit", wires=3)

    def circuit(x):
        kt.Rot(x[0], x[1], x[2], wires=0)
        kt.CRX(x[1], wires=[0, 1])
        kt.CZ(wires=[1, 2])
        kt.SWAP(wires=[0, 2])
        kt.IsingYY(x[2], wires=[1, 2])
        return kt.expval(kt.PauliZ(0) @ kt.PauliX(2)), kt.probs(wires=[1, 2])

    x = onp.array([0.3, -1.2, 0.8])
    tape, _ = kt.QNode(circuit, dev).construct((x,), {})
    expanded = dev.preprocess(tape)
    names = [op.name for op in expanded.operations]
    assert names[:3] == ["RZ", "RY", "RZ"]  # Rot(φ, θ, ω) = RZ(ω) RY(θ) RZ(φ), applied in order
    onp.testing.assert_allclose([float(op.data[0]) for op in expanded.operations[:3]], x)
    assert set(names) <= dev.capabilities.operations
    assert {"CRX", "CZ", "SWAP", "IsingYY", "CY"}.isdisjoint(names)
    got, want = kt.QNode(circuit, dev)(x), kt.QNode(circuit, ref)(x)
    onp.testing.assert_allclose(got[0], want[0], atol=1e-12)
    onp.testing.assert_allclose(got[1], want[1], atol=1e-12)


def test_a_supported_tape_is_passed_through_unchanged(dev):
    tape = kt.QuantumTape([kt.RX.unqueued(0.1, wires=0), kt.CNOT.unqueued(wires=[0, 1])],
                          [kt.core.measurements.expval(kt.PauliZ.unqueued(1))])
    assert dev.preprocess(tape) is tape


def test_gate_without_decomposition_is_refused_before_anything_runs(dev):
    @kt.qnode(dev)
    def circuit(x):
        kt.RX(x, wires=0)
        kt.QubitUnitary(onp.eye(4)[[0, 1, 3, 2]], wires=[1, 2])
        return kt.expval(kt.PauliZ(2))

    with pytest.raises(DeviceError, match=re.escape(
            "QubitUnitary on wires [1, 2] is not supported by device 'example.qubit' and has no "
            f"decomposition into gates it supports; it applies {EXAMPLE_GATES}")) as info:
        circuit(0.4)
    assert (info.value.device, info.value.operation) == ("example.qubit", "QubitUnitary")
    assert dev.executions == 0


def test_error_names_the_gate_a_failed_decomposition_came_from():
    dev = CountingDevice(2)

    @kt.qnode(dev)
    def circuit():
        kt.CY(wires=[0, 1])  # CY = Adjoint(S) · CNOT · S on the target; this device has no S
        return kt.expval(kt.PauliZ(1))

    with pytest.raises(DeviceError, match=re.escape(
            "Adjoint(S) on wires [1] (from the decomposition of CY) is not supported by device "
            "'counting.qubit' and has no decomposition into gates it supports; it applies CNOT, "
            "Hadamard, RY")) as info:
        circuit()
    assert info.value.operation == "Adjoint(S)"
    assert dev.runs == 0


def test_decomposition_on_a_device_defined_elsewhere_gives_default_qubit_values():
    dev = CountingDevice(2)

    @kt.qnode(dev)
    def circuit(x):
        kt.CZ(wires=[0, 1])  # H · CNOT · H: supported after one level
        kt.RY(x, wires=0)
        kt.CRY(x, wires=[0, 1])  # RY(θ/2) CNOT RY(−θ/2) CNOT
        return kt.expval(kt.PauliZ(1))

    # RY(x) puts sin²(x/2) on |1⟩ of wire 0; CRY(x) then gives ⟨Z1⟩ = 1 − 2 sin²(x/2) sin²(x/2)
    x = 0.9
    onp.testing.assert_allclose(circuit(x), 1 - 2 * onp.sin(x / 2) ** 4, atol=1e-12)
    assert dev.runs == 1


# ---------------------------------------------------------------- observables, measurements, wires


@pytest.mark.parametrize("observable, bad", [
    (lambda: kt.Hermitian(onp.diag([1.0, -1.0]), wires=0), "Hermitian"),
    (lambda: kt.PauliZ(1) @ kt.Projector([1], wires=0), "Projector"),
], ids=["hermitian", "tensor-factor"])
def test_unsupported_observable_is_named(dev, observable, bad):
    @kt.qnode(dev)
    def circuit():
        return kt.expval(observable())

    with pytest.raises(DeviceError, match=re.escape(
            f"observable {bad} in expval(") + r".*" + re.escape(
            ") is not supported by device 'example.qubit'; it measures Hadamard, Identity, PauliX, "
            "PauliY, PauliZ, Tensor")) as info:
        circuit()
    assert info.value.operation == bad


def test_unsupported_measurement_type_lists_the_supported_ones(dev):
    @kt.qnode(dev)
    def circuit():
        return kt.var(kt.PauliZ(0))

    with pytest.raises(MeasurementError, match=re.escape(
            "device 'example.qubit' does not support var(); it supports expval, probs, state")):
        circuit()


def test_wire_errors_come_before_decomposition(dev):
    @kt.qnode(dev)
    def circuit():
        kt.Toffoli(wires=[0, 1, 7])
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(WireError, match=re.escape(
            "Toffoli acts on wire 7, but device 'example.qubit' has wires [0, 1, 2]")):
        circuit()


# ---------------------------------------------------------------- shots and broadcasting


def test_exact_only_device_refuses_shots_at_creation():
    with pytest.raises(DeviceError, match=re.escape(
            "device 'example.qubit' computes exact results only and does not sample, got "
            "shots=100; use shots=None")) as info:
        kt.device("example.qubit", wires=1, shots=100)
    assert info.value.device == "example.qubit"


def test_exact_only_device_refuses_per_call_shots(dev):
    @kt.qnode(dev)
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(DeviceError, match=re.escape(
            "does not sample, got shots=[10, 20]; use shots=None")):
        circuit(0.2, shots=[10, 20])
    assert dev.executions == 0


def test_sampling_only_device_refuses_shots_none():
    class Sampler(CountingDevice):
        name = "sampler.qubit"
        capabilities = Capabilities(operations={"RY"}, observables={"PauliZ"},
                                    measurements={"expval"}, analytic=False)

    with pytest.raises(DeviceError, match=re.escape(
            "device 'sampler.qubit' only samples and needs finite shots, got shots=None; pass "
            "shots=1000 (for example) to the device or the QNode call")):
        Sampler(1)


# ---------------------------------------------------------------- the Device base class


def test_capabilities_store_any_collection_as_frozenset():
    caps = Capabilities(operations=["RX", "RX", "CNOT"], derivatives={"device"},
                        measurements=("expval",))
    assert caps.operations == frozenset({"RX", "CNOT"})
    assert isinstance(caps.derivatives, frozenset) and isinstance(caps.measurements, frozenset)


def test_device_without_own_derivatives_says_so():
    dev = CountingDevice(1)
    tape = kt.QuantumTape([kt.RY.unqueued(0.1, wires=0)],
                          [kt.core.measurements.expval(kt.PauliZ.unqueued(0))])
    message = re.escape("device 'counting.qubit' does not compute 'device' derivatives itself (it "
                        "provides: none); use diff_method='backprop', 'parameter-shift' or "
                        "'finite-diff'")
    for call in (lambda: dev.compute_derivatives([tape]),
                 lambda: dev.compute_vjp([tape], [(1.0,)]),
                 lambda: dev.execute_and_compute_derivatives([tape])):
        with pytest.raises(DeviceMethodUndefinedError, match=message) as info:
            call()
        assert isinstance(info.value, NotImplementedError)
        assert (info.value.device, info.value.method) == ("counting.qubit", "device")
    assert dev.runs == 0  # execute_and_compute_derivatives fails before running anything


def test_device_without_execute_says_so():
    class Empty(Device):
        name = "empty"

    with pytest.raises(DeviceMethodUndefinedError, match=re.escape(
            "device class Empty ('empty') does not implement execute(tapes)")):
        Empty(1).execute([])


@pytest.mark.parametrize("caps, message", [
    (Capabilities(derivatives={"device"}),
     "device class Bad ('bad.qubit') declares derivatives ['device'] but does not implement "
     "compute_derivatives(tapes, method)"),
    (Capabilities(derivatives={"parameter-shift"}),
     "device class Bad ('bad.qubit') declares derivatives ['parameter-shift']; a device can "
     "provide only ['adjoint', 'device'] (kettle computes the others)"),
    (Capabilities(backprop_interfaces={"numpy"}),
     "device class Bad ('bad.qubit') declares backprop_interfaces ['numpy']; valid interfaces are "
     "['autograd', 'jax', 'tf', 'torch']"),
], ids=["no-compute_derivatives", "unknown-derivative", "unknown-interface"])
def test_inconsistent_capabilities_are_refused_when_the_class_is_defined(caps, message):
    with pytest.raises(DeviceError, match=re.escape(message)):
        class Bad(Device):  # noqa: F841
            name = "bad.qubit"
            capabilities = caps


# ---------------------------------------------------------------- "best" from the capabilities


def test_best_is_resolved_from_the_capabilities():
    tape = kt.QuantumTape([], [], shots=None)
    sampled = kt.QuantumTape([], [], shots=100)
    example, qubit, counting = (kt.device("example.qubit", wires=1),
                                kt.device("default.qubit", wires=1), CountingDevice(1))
    assert resolve("best", example, "torch", [tape]).name == "device"
    assert resolve("best", qubit, "jax", [tape]).name == "backprop"
    assert resolve("best", qubit, "jax", [sampled]).name == "parameter-shift"
    assert resolve("best", counting, "autograd", [tape]).name == "parameter-shift"
    assert resolve("finite-diff", example, "autograd", [tape]).name == "finite-diff"


def test_best_without_device_derivatives_or_backprop_uses_parameter_shift():
    dev = CountingDevice(1)

    @kt.qnode(dev)
    def circuit(x):
        kt.RY(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    onp.testing.assert_allclose(kt.grad(circuit)(np.array(0.7, requires_grad=True)), -onp.sin(0.7))
    assert dev.runs == 3  # the forward pass and two shifted circuits


def test_device_and_backprop_are_refused_where_the_capabilities_lack_them():
    with pytest.raises(DiffMethodError, match=re.escape(
            "device 'example.qubit' does not support backprop")):
        kt.QNode(lambda: kt.expval(kt.PauliZ(0)), kt.device("example.qubit", wires=1),
                 diff_method="backprop")
    with pytest.raises(DiffMethodError, match=re.escape(
            "device 'counting.qubit' provides no 'device' derivatives (it provides: none)")):
        kt.QNode(lambda: kt.expval(kt.PauliZ(0)), CountingDevice(1), diff_method="device")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"wires": []}, WireError, r"^default.qubit needs at least one wire, got wires=\[\]"),
    ({"wires": 2.0}, WireError, r"^default.qubit takes wires as a number of wires \(an int\) or a "
                                r"list of labels, got wires=2.0"),
    ({"wires": 2, "seed": "abc"}, DeviceError, r"^default.qubit got seed='abc'; a seed is None"),
    ({"wires": 2, "foo": 1}, DeviceError, r"^device 'default.qubit' has no option\(s\) \['foo'\]"),
])
def test_device_construction_errors_name_the_device(kwargs, error, match):
    with pytest.raises(error, match=match):
        kt.device("default.qubit", **kwargs)
