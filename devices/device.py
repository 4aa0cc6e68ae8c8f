"""The Device API: what a device declares (capabilities) and what it must do (execute tapes)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from kettle.core import measurements as m
from kettle.core.shots import Shots
from kettle.core.tape import QuantumTape
from kettle.core.wires import Wires
from kettle.errors import DeviceError, MeasurementError, WireError


@dataclass(frozen=True)
class Capabilities:
    """What a device can do; QNodes read this before anything runs.

    Attributes:
        operations: names of gates the device applies natively (others are decomposed).
        observables: names of observables it measures (factors of tensor products count).
        measurements: return types it supports ("expval", "probs", "state", …).
        derivatives: derivative methods it provides itself ("adjoint", "device").
        backprop_interfaces: frameworks whose autodiff can run through its simulation.
        shots: whether finite shots are supported; analytic: whether shots=None is.
        broadcasting: whether parameter broadcasting runs natively.
    """

    operations: frozenset = frozenset()
    observables: frozenset = frozenset()
    measurements: frozenset = frozenset()
    derivatives: frozenset = frozenset()
    backprop_interfaces: frozenset = frozenset()
    shots: bool = True
    analytic: bool = True
    broadcasting: bool = False
    extra: dict = field(default_factory=dict)


class Device:
    """Base class of every device.

    Subclasses set ``name`` and ``capabilities`` and implement :meth:`execute`.

    Args:
        wires: a number of wires (labelled 0..n-1) or an iterable of labels.
        shots: None for analytic results, a positive int, or a shot vector.
        seed: seed of the device's random generator (for sampling).
    """

    name = "device"
    capabilities = Capabilities()

    def __init__(self, wires: Any, *, shots: Any = None, seed: Any = None):
        if isinstance(wires, (int, np.integer)) and not isinstance(wires, bool):
            if wires < 1:
                raise WireError(f"{self.name} needs at least one wire, got wires={wires}", wires=wires)
            self.wires = Wires.range(int(wires))
        else:
            self.wires = Wires(wires)
        self.shots = Shots(shots)
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} wires={list(self.wires)} shots={self.shots}>"

    @property
    def num_wires(self) -> int:
        return len(self.wires)

    # ---------------------------------------------------------------- validation
    def supports_operation(self, op) -> bool:
        return op.name in self.capabilities.operations

    def supports_observable(self, obs) -> bool:
        parts = getattr(obs, "obs", None) or getattr(obs, "ops", None)
        if parts is not None and obs.name in ("Tensor", "Hamiltonian"):
            return obs.name in self.capabilities.observables and all(
                self.supports_observable(o) for o in parts)
        return obs.name in self.capabilities.observables

    def preprocess(self, tape: QuantumTape) -> QuantumTape:
        """Validate a tape against the capabilities and decompose unsupported gates.

        Raises:
            WireError, DeviceError, MeasurementError: before any simulation runs.
        """
        self._check_measurements(tape)
        tape = tape.expand(self.supports_operation)
        for op in tape.operations:
            self._check_wires(op.name, op.wires)
            if not self.supports_operation(op):
                raise DeviceError(
                    f"{op.name} is not supported by device '{self.name}' and has no decomposition "
                    "into supported gates", device=self.name)
        for mp in tape.measurements:
            self._check_wires(mp.return_type, mp.wires)
            if mp.obs is not None and not self.supports_observable(mp.obs):
                raise DeviceError(f"observable {mp.obs.name} is not supported by device '{self.name}'",
                                  device=self.name)
        return tape

    def _check_wires(self, what: str, wires) -> None:
        for w in wires:
            if w not in self.wires:
                raise WireError(f"{what} acts on wire {w!r}, but device '{self.name}' has wires "
                                f"{list(self.wires)}", wires=w)

    def _check_measurements(self, tape: QuantumTape) -> None:
        for mp in tape.measurements:
            if mp.return_type not in self.capabilities.measurements:
                raise MeasurementError(
                    f"device '{self.name}' does not support {mp.return_type}(); it supports "
                    f"{', '.join(sorted(self.capabilities.measurements))}", measurement=mp.return_type)
            if mp.needs_shots and tape.shots.analytic:
                raise MeasurementError(
                    f"{mp.return_type}() needs finite shots, but shots=None; create the device with "
                    f"shots=1000 or call the QNode with shots=1000", measurement=mp.return_type)
            if mp.needs_state and not tape.shots.analytic:
                raise MeasurementError(
                    f"{mp.return_type}() needs the exact state and cannot be estimated from shots "
                    f"(shots={tape.shots}); use shots=None", measurement=mp.return_type)

    # ---------------------------------------------------------------- execution
    def execute(self, tapes: Sequence[QuantumTape]) -> list:
        """Run a batch of tapes. Each result is a tuple with one entry per measurement (wrapped in
        one more tuple per shot-vector entry when the tape has a shot vector)."""
        raise NotImplementedError


ALL_MEASUREMENTS = frozenset(t.return_type for t in m.MEASUREMENT_TYPES)
