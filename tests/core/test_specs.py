"""kt.specs against resources counted by hand, and its gradient count against a device that
counts the circuits it really executes."""
from __future__ import annotations

import dataclasses

import pytest

import kettle as kt
from kettle import numpy as np
from kettle.core.specs import depth
from kettle.devices.default_qubit import DefaultQubit


class CountingQubit(DefaultQubit):
    """default.qubit that counts the tapes it executes."""

    name = "counting.specs"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.executed = 0

    def execute(self, tapes):
        tapes = list(tapes)
        self.executed += len(tapes)
        return super().execute(tapes)


def _circuit(dev, method):
    @kt.qnode(dev, diff_method=method)
    def circuit(weights, x):
        kt.StronglyEntanglingLayers(weights, wires=[0, 1, 2])
        kt.CRX(x, wires=[0, 1])
        kt.PauliRot(x, "XY", wires=[1, 2])
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(2))

    return circuit


class SerialQubit(CountingQubit):
    """The counting device without parameter broadcasting."""

    name = "serial.specs"
    capabilities = dataclasses.replace(DefaultQubit.capabilities, broadcasting=False)


WEIGHTS = np.array(np.random.default_rng(0).normal(size=(1, 3, 3)))
X = np.array(0.4)


def test_bell_circuit_by_hand():
    dev = kt.device("default.qubit", wires=3, shots=100)

    @kt.qnode(dev, diff_method="parameter-shift")
    def bell(x):
        kt.Hadamard(wires=0)
        kt.CNOT(wires=[0, 1])
        kt.RY(x, wires=1)
        kt.RZ(0.3, wires=1)
        return kt.expval(kt.PauliZ(1))

    info = kt.specs(bell)(np.array(0.2))
    assert info["gate_counts"] == {"Hadamard": 1, "CNOT": 1, "RY": 1, "RZ": 1}
    assert info["num_gates"] == 4
    assert info["depth"] == 4
    assert info["num_wires"] == 2 and info["num_device_wires"] == 3
    # RY's angle is trainable; RZ's 0.3 is a Python float, which autograd does not differentiate
    assert info["num_params"] == 2 and info["num_trainable_params"] == 1
    assert info["diff_method"] == "parameter-shift"
    assert info["shots"] == kt.Shots(100)
    assert info["device_name"] == "default.qubit"
    assert info["state_vector_bytes"] == 16 * 2 ** 3
    # forward pass + RY(x ± π/2); finite shots are never merged into one simulation
    assert info["gradient_executions"] == info["gradient_simulations"] == 3


def test_parallel_gates_share_a_time_step():
    dev = kt.device("default.qubit", wires=4)

    @kt.qnode(dev)
    def layer():
        for w in range(4):
            kt.Hadamard(wires=w)
        kt.CNOT(wires=[0, 1])
        kt.CNOT(wires=[2, 3])
        kt.CNOT(wires=[1, 2])
        return kt.probs(wires=[0])

    info = kt.specs(layer)()
    assert info["depth"] == 3 and info["num_gates"] == 7
    assert info["num_params"] == 0 and info["gradient_executions"] == 1
    assert info["diff_method"] == "backprop"  # "best" on default.qubit with shots=None


def test_templates_are_one_gate_at_the_top_level_and_expanded_on_the_device():
    dev = kt.device("default.qubit", wires=3)
    top = kt.specs(_circuit(dev, "best"), level="top")(WEIGHTS, X)
    assert top["gate_counts"] == {"StronglyEntanglingLayers": 1, "CRX": 1, "PauliRot": 1}
    assert top["depth"] == 3
    run = kt.specs(_circuit(dev, "best"))(WEIGHTS, X)
    # one layer: Rot on each wire, a ring of 3 CNOTs; PauliRot XY: H and RX(π/2) around MultiRZ
    assert run["gate_counts"] == {"Rot": 3, "CNOT": 3, "CRX": 1, "Hadamard": 2, "RX": 2,
                                  "MultiRZ": 1}
    assert run["depth"] == 8
    assert run["num_params"] == top["num_params"] == 9 + 1 + 1
    assert depth(kt.QuantumTape([kt.RX(0.1, wires=0), kt.RY(0.2, wires=1)])) == 1


@pytest.mark.parametrize("method, by_hand", [
    ("parameter-shift", 1 + 2 * 9 + 4 + 2),   # 9 Rot angles, CRX four-term, PauliRot two-term
    ("finite-diff", 1 + 1 + 11),              # unshifted + one shift per scalar parameter
    ("spsa", 1 + 2),                          # one direction, two evaluations
    ("adjoint", 1),
    ("backprop", 1),
])
def test_gradient_executions_match_the_circuits_a_gradient_runs(method, by_hand):
    # a device without broadcasting simulates every circuit on its own
    dev = SerialQubit(wires=3)
    circuit = _circuit(dev, method)
    info = kt.specs(circuit)(WEIGHTS, X)
    assert info["diff_method"] == method and info["num_trainable_params"] == 11
    dev.executed = 0
    kt.grad(circuit)(WEIGHTS, X)
    assert info["gradient_executions"] == info["gradient_simulations"] == by_hand
    assert by_hand == max(dev.executed, 1)


@pytest.mark.parametrize("method", ["parameter-shift", "finite-diff", "spsa"])
def test_broadcasting_devices_merge_shifted_circuits_into_fewer_simulations(method):
    dev = CountingQubit(wires=3, engine=False)  # merging pays on the NumPy kernels
    circuit = _circuit(dev, method)
    info = kt.specs(circuit)(WEIGHTS, X)
    dev.executed = 0
    kt.grad(circuit)(WEIGHTS, X)
    assert info["gradient_simulations"] == dev.executed
    assert info["gradient_simulations"] < info["gradient_executions"]
    engine = CountingQubit(wires=3)  # the compiled engine runs each tape: nothing merged
    assert kt.specs(_circuit(engine, method))(WEIGHTS, X)["gradient_simulations"] == \
        info["gradient_executions"]


def test_non_trainable_arguments_are_not_counted():
    dev = kt.device("default.qubit", wires=3)
    frozen = np.array(WEIGHTS, requires_grad=False)
    info = kt.specs(_circuit(dev, "parameter-shift"))(frozen, X)
    assert info["num_trainable_params"] == 2
    assert info["gradient_executions"] == 1 + 4 + 2
