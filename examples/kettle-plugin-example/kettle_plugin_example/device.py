"""``example.qubit``: a state-vector device that computes its own derivatives.

It declares ``derivatives={"device"}``, so kettle calls :meth:`ExampleQubit.compute_derivatives`
for ``diff_method="device"`` and picks it for ``diff_method="best"``. The derivatives come from the
two-term parameter-shift rule, evaluated by running shifted circuits on this device: the way a
hardware device, which cannot backpropagate, provides gradients.
"""
from __future__ import annotations

import numbers
from typing import Sequence

import numpy as np

import kettle as kt
from kettle.errors import DeviceError, NonDifferentiableError
from kettle_plugin_example import simulator

#: gates whose parameter θ enters as exp(-iθG/2) with G² = 1 (or a phase, for PhaseShift): their
#: derivative is [f(θ + π/2) − f(θ − π/2)] / 2 for expectation values and probabilities.
SHIFTABLE = frozenset({"RX", "RY", "RZ", "PhaseShift"})
SHIFT = np.pi / 2
DIFFERENTIABLE = frozenset({"expval", "probs"})


class ExampleQubit(kt.Device):
    """A NumPy state-vector device with parameter-shift derivatives of its own.

    Gates outside its small gate set are decomposed by kettle before they reach it (Rot, CRX, CZ,
    SWAP, IsingZZ, …); gates without a decomposition into it are refused with a ``DeviceError``.

    Args:
        wires: number of wires or wire labels.
        shots: must be None: the device computes exact results only.
        seed: accepted for a uniform signature; unused.

    Attributes:
        executions: number of circuits run (shifted circuits included).
        derivative_calls: number of :meth:`compute_derivatives` calls.
    """

    name = "example.qubit"
    capabilities = kt.Capabilities(
        operations={"Identity", "PauliX", "PauliY", "PauliZ", "Hadamard", "S", "T", "Adjoint(S)",
                    "Adjoint(T)", "RX", "RY", "RZ", "PhaseShift", "CNOT"},
        observables={"Identity", "PauliX", "PauliY", "PauliZ", "Hadamard", "Tensor"},
        measurements={"expval", "probs", "state"},
        derivatives={"device"},
        backprop_interfaces=set(),
        shots=False,
        analytic=True,
        broadcasting=False,
    )

    def __init__(self, wires, *, shots=None, seed=None):
        super().__init__(wires, shots=shots, seed=seed)
        self.executions = 0
        self.derivative_calls = 0

    def execute(self, tapes: Sequence[kt.QuantumTape]) -> list:
        """Run each tape; one tuple of results (one entry per measurement) per tape."""
        return [self._run(tape) for tape in tapes]

    def _run(self, tape: kt.QuantumTape) -> tuple:
        self.executions += 1
        state = simulator.run(tape.operations, self.wires)
        return tuple(self._measure(mp, state) for mp in tape.measurements)

    def _measure(self, mp, state: np.ndarray):
        if mp.return_type == "expval":
            return simulator.expval(state, mp.obs, self.wires)
        if mp.return_type == "probs":
            return simulator.probs(state, mp.wires, self.wires, mp.obs)
        return state.reshape(-1)  # "state": the capabilities allow nothing else

    def compute_derivatives(self, tapes: Sequence[kt.QuantumTape], method: str = "device") -> list:
        """Parameter-shift Jacobians, from one batch of shifted circuits.

        Args:
            tapes: validated tapes; ``trainable_params`` selects the parameters.
            method: "device" (the only kind this device provides).

        Returns:
            Per tape, a tuple over measurements of tuples over trainable parameters.

        Raises:
            NonDifferentiableError: a measurement other than expval or probs.
            DeviceError: a trainable parameter of a gate without a two-term shift rule, or a
                parameter that is not a plain number (higher derivatives, ``max_diff=2``).
        """
        self.derivative_calls += 1
        shifted, sizes = [], []
        for tape in tapes:
            self._check_differentiable(tape)
            for t, index in enumerate(tape.trainable_params):
                op, position = tape.get_operation(t)
                value = self._plain(op.data[position])
                shifted += [tape.bind_new_parameters([value + SHIFT], [index]),
                            tape.bind_new_parameters([value - SHIFT], [index])]
            sizes.append(len(tape.trainable_params))
        results = self.execute(shifted)
        jacobians, start = [], 0
        for tape, n in zip(tapes, sizes):
            pairs = [(results[start + 2 * t], results[start + 2 * t + 1]) for t in range(n)]
            jacobians.append(tuple(
                tuple((plus[k] - minus[k]) / 2 for plus, minus in pairs)
                for k in range(len(tape.measurements))))
            start += 2 * n
        return jacobians

    def _plain(self, value):
        # kettle passes NumPy values for first derivatives; framework objects here mean that a
        # derivative of this derivative was asked for, which the shifted runs cannot provide
        if isinstance(value, (numbers.Real, np.number, np.ndarray)):
            return value
        raise DeviceError(
            f"device '{self.name}' computes first derivatives from NumPy parameter values, got "
            f"{type(value).__name__}; for higher derivatives (max_diff=2) use "
            "diff_method='parameter-shift'", device=self.name)

    def _check_differentiable(self, tape: kt.QuantumTape) -> None:
        for mp in tape.measurements:
            if mp.return_type not in DIFFERENTIABLE:
                raise NonDifferentiableError(
                    f"device '{self.name}' differentiates expval and probs, not "
                    f"{mp.return_type}(); use diff_method='finite-diff' for {mp.return_type}()")
        for t in range(len(tape.trainable_params)):
            op = tape.get_operation(t)[0]
            if op.name not in SHIFTABLE:
                raise DeviceError(
                    f"device '{self.name}' cannot differentiate the parameters of {op.name}; it "
                    f"shifts the parameters of {', '.join(sorted(SHIFTABLE))}",
                    device=self.name, operation=op.name)
