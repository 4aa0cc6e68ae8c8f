"""The Device API: what a device declares (capabilities) and what it must do (execute tapes).

A device subclasses :class:`Device`, sets ``name`` and ``capabilities`` and implements
:meth:`Device.execute`. Devices that compute derivatives themselves list "device" (or "adjoint") in
``capabilities.derivatives`` and implement :meth:`Device.compute_derivatives`; the VJP and the
combined forward-plus-Jacobian call have defaults built on it. See docs/devices.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Sequence

import autoray as ar
import numpy as np

from kettle.core import measurements as m
from kettle.core.shots import Shots
from kettle.core.tape import QuantumTape
from kettle.core.wires import Wires, is_dynamic
from kettle.devices import seeding
from kettle.errors import (DecompositionUndefinedError, DeviceError, DeviceMethodUndefinedError,
                           MeasurementError, WireError)

#: derivative kinds a device can provide itself (everything else is computed by kettle).
DEVICE_DERIVATIVES = frozenset({"device", "adjoint"})
#: frameworks whose autodiff can run through a device's simulation.
BACKPROP_INTERFACES = frozenset({"autograd", "torch", "tf", "jax"})
#: how deep a gate is decomposed while looking for gates the device supports.
MAX_DECOMPOSITION_DEPTH = 20


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
        control_flow: whether the device simulates loops and conditionals recorded as single
            operations inside compiled programs (``op.evolve``; see compiler/quantum_flow.py),
            and gates on dynamic wires.
    """

    operations: frozenset = frozenset()
    observables: frozenset = frozenset()
    measurements: frozenset = frozenset()
    derivatives: frozenset = frozenset()
    backprop_interfaces: frozenset = frozenset()
    shots: bool = True
    analytic: bool = True
    broadcasting: bool = False
    control_flow: bool = False
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        # plugins may pass sets, lists or tuples; keep one immutable type
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (set, list, tuple)):
                object.__setattr__(self, f.name, frozenset(value))


class Device:
    """Base class of every device.

    Subclasses set ``name`` and ``capabilities`` and implement :meth:`execute`; those providing
    their own derivatives implement :meth:`compute_derivatives` too.

    Args:
        wires: a number of wires (labelled 0..n-1) or an iterable of labels; None (for devices with
            ``wires_from_circuit``) takes the wires from each circuit, see :meth:`circuit_wires`.
        shots: None for analytic results, a positive int, or a shot vector.
        seed: seed of the device's sampling: ``"global"`` (the default: one draw from NumPy's
            global random state, so ``np.random.seed`` makes a script reproducible), None (fresh
            entropy), a non-negative int, a ``numpy.random.Generator`` or a ``jax.random`` key
            (shots then drawn with ``jax.random``, so ``jax.jit`` works). Each tape with shots
            draws from its own generator, spawned from this seed in batch order (devices/seeding.py).

    Raises:
        WireError: fewer than one wire.
        DeviceError: shots the device's capabilities do not allow.
    """

    name = "device"
    capabilities = Capabilities()
    #: whether the device can be created without ``wires``, taking them from each circuit
    #: (:meth:`circuit_wires`); devices that read ``self.wires`` directly leave this False.
    wires_from_circuit = False

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        caps = cls.capabilities
        unknown = set(caps.derivatives) - DEVICE_DERIVATIVES
        if unknown:
            raise DeviceError(
                f"device class {cls.__name__} ('{cls.name}') declares derivatives "
                f"{sorted(unknown)}; a device can provide only {sorted(DEVICE_DERIVATIVES)} "
                "(kettle computes the others)",
                device=cls.name)
        unknown = set(caps.backprop_interfaces) - BACKPROP_INTERFACES
        if unknown:
            raise DeviceError(
                f"device class {cls.__name__} ('{cls.name}') declares backprop_interfaces "
                f"{sorted(unknown)}; valid interfaces are {sorted(BACKPROP_INTERFACES)}",
                device=cls.name)
        if caps.derivatives and cls.compute_derivatives is Device.compute_derivatives:
            raise DeviceError(
                f"device class {cls.__name__} ('{cls.name}') declares derivatives "
                f"{sorted(caps.derivatives)} but does not implement "
                "compute_derivatives(tapes, method)",
                device=cls.name)

    #: where batches of tapes run (see devices/dispatch.py); None: in this process, serially.
    executor = None
    #: options of dispatch: tapes per task (None: automatic), progress bar (None: automatic,
    #: False: off), seconds without a finished task before a cluster counts as gone.
    chunk_size = None
    progress = None
    executor_timeout = 300.0
    #: constructor options beyond wires, shots and seed (recorded by ``kt.device``).
    device_options: dict = {}

    def __init__(self, wires: Any = None, *, shots: Any = None, seed: Any = "global"):
        if wires is None:
            if not type(self).wires_from_circuit:
                raise WireError(f"device '{self.name}' needs its wires: pass wires=<number of wires> "
                                "or a list of labels (it does not take them from each circuit)",
                                wires=wires)
            self.wires = None
        elif isinstance(wires, (int, np.integer)) and not isinstance(wires, bool):
            if wires < 1:
                raise WireError(f"{self.name} needs at least one wire, got wires={wires}", wires=wires)
            self.wires = Wires.range(int(wires))
        elif isinstance(wires, (float, bool)):
            raise WireError(f"{self.name} takes wires as a number of wires (an int) or a list of "
                            f"labels, got wires={wires!r}", wires=wires)
        else:
            self.wires = Wires(wires)
            if len(self.wires) == 0:
                raise WireError(f"{self.name} needs at least one wire, got wires={wires!r}",
                                wires=wires)
        self.shots = Shots(shots)
        self._check_shots(self.shots)
        self.seed = seed
        self._seeds = seeding.DeviceSeeds(seed, self.name)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        # an executor (a pool, a Dask client) belongs to the process that made it: a pickled
        # device runs its batches where it is unpickled, serially unless given a new executor
        state.pop("executor", None)
        return state

    # ---------------------------------------------------------------- randomness
    @property
    def rng(self):
        """The generator to sample the current tape with (inside :meth:`seeded`), else the
        device's own."""
        return self._seeds.current()

    @rng.setter
    def rng(self, generator) -> None:
        self._seeds.fallback = generator

    @property
    def shot_chunk(self) -> int:
        """Shots drawn at once; a tape with more is drawn in chunks of this many shots, chunk ``j``
        from the ``j``-th child of the tape's generator (what executors split across workers)."""
        return self._seeds.shot_chunk

    @shot_chunk.setter
    def shot_chunk(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise DeviceError(f"device '{self.name}' got shot_chunk={value!r}; it is a positive "
                              "number of shots", device=self.name)
        self._seeds.shot_chunk = int(value)

    def spawn_tape_seeds(self, tapes: Sequence[QuantumTape]) -> list:
        """The child seeds :meth:`seeded` would give ``tapes`` (None for analytic ones), taken
        from the device's seed now: what an executor sends along with the tapes."""
        return self._seeds.tape_seeds(tapes)

    def seeded(self, tapes: Sequence[QuantumTape]):
        """Iterate over ``tapes``; while each is yielded, :attr:`rng` is that tape's generator.

        Devices call this in :meth:`execute` (``for tape in self.seeded(tapes)``) so that the same
        seed gives the same results serially and on any executor (devices/dispatch.py).
        """
        return self._seeds.iterate(self, tapes)

    def __repr__(self) -> str:
        wires = "from each circuit" if self.wires is None else list(self.wires)
        return f"<{type(self).__name__} {self.name!r} wires={wires} shots={self.shots}>"

    @property
    def num_wires(self) -> int | None:
        """The number of wires, or None for a device that takes its wires from each circuit."""
        return None if self.wires is None else len(self.wires)

    def circuit_wires(self, tape: QuantumTape) -> Wires:
        """The wires ``tape`` runs on: the device's, or for a device created without ``wires``
        the circuit's own labels (sorted when they can be, else in order of appearance).

        Raises:
            WireError: a device without wires given a circuit that uses none, or gates on wires
                known only when a compiled program runs.
        """
        if self.wires is not None:
            return self.wires
        labels = list(tape.wires)
        if any(is_dynamic(w) for w in labels):
            raise WireError(f"device '{self.name}' was created without wires and takes them from "
                            "each circuit, but this circuit has a wire known only when the compiled "
                            f"program runs; create the device with wires=<number of wires>",
                            wires=[w for w in labels if not is_dynamic(w)])
        if not labels:
            raise WireError(f"device '{self.name}' takes its wires from each circuit, but this "
                            "circuit uses none; name the wires of its measurements (e.g. "
                            "kt.probs(wires=[0, 1])) or create the device with wires=...", wires=[])
        try:
            labels = sorted(labels)
        except TypeError:  # mixed label types such as 0 and "a": keep the circuit's order
            pass
        return Wires(labels)

    # ---------------------------------------------------------------- validation
    def supports_operation(self, op) -> bool:
        if op.control_flow:
            return self.capabilities.control_flow
        return op.name in self.capabilities.operations

    def supports_observable(self, obs) -> bool:
        return self._unsupported_observable(obs) is None

    def _unsupported_observable(self, obs):
        """The (factor of the) observable the device cannot measure, or None."""
        if obs.name not in self.capabilities.observables:
            return obs
        parts = getattr(obs, "obs", None) or getattr(obs, "ops", None)
        if parts is not None and obs.name in ("Tensor", "Hamiltonian"):
            for part in parts:
                bad = self._unsupported_observable(part)
                if bad is not None:
                    return bad
        return None

    def preprocess(self, tape: QuantumTape) -> QuantumTape:
        """Validate a tape against the capabilities and decompose unsupported gates.

        Gates the device does not apply are replaced by their decompositions, recursively, until
        every gate is supported.

        Args:
            tape: the recorded circuit.

        Returns:
            The tape itself when everything is supported, else a copy with gates decomposed.

        Raises:
            WireError: a gate or measurement on a wire the device does not have.
            MeasurementError: a measurement type the device does not support, or one that needs
                (or cannot use) finite shots.
            DeviceError: shots or broadcasting the device does not allow, a gate that can be
                neither applied nor decomposed into applicable gates, or an unsupported observable.
        """
        self._check_measurements(tape)
        self._check_shots(tape.shots)
        if self.wires is None:
            self.circuit_wires(tape)  # raises for circuits it cannot take wires from
        for op in tape.operations:
            self._check_wires(op.name, op.wires)
        for mp in tape.measurements:
            if mp.wires.has_dynamic:
                raise WireError(
                    f"{mp.return_type}() got a wire whose value is known only when the compiled "
                    f"program runs; measurements need wires fixed at compile time. Measure every "
                    f"candidate wire (e.g. kt.probs(wires=...) of all of them) and select the "
                    f"result with jnp.take", wires=list(mp.wires))
            self._check_wires(mp.return_type, mp.wires)
        if tape.batch_size is not None and not self.capabilities.broadcasting:
            raise DeviceError(
                f"device '{self.name}' does not support parameter broadcasting, but the circuit "
                f"is broadcast with batch size {tape.batch_size}; run one tape per parameter set "
                "(kettle.core.broadcast.split(tape), which QNodes do for you) or use a device that "
                "broadcasts, such as default.qubit", device=self.name)
        tape = self._decompose(tape)
        for mp in tape.measurements:
            bad = self._unsupported_observable(mp.obs) if mp.obs is not None else None
            if bad is not None:
                measures = ", ".join(sorted(self.capabilities.observables)) or "none"
                raise DeviceError(
                    f"observable {bad.name} in {mp!r} is not supported by device '{self.name}'; it "
                    f"measures {measures}", device=self.name, operation=bad.name)
        return tape

    def _decompose(self, tape: QuantumTape) -> QuantumTape:
        if all(self.supports_operation(op) for op in tape.operations):
            return tape
        return tape.copy(operations=self.expand_operations(tape.operations))

    def expand_operations(self, ops: Sequence) -> list:
        """``ops`` with every gate the device does not apply replaced by its decomposition.

        Raises:
            DeviceError: a gate that can be neither applied nor decomposed into applicable gates.
        """
        if all(self.supports_operation(op) for op in ops):
            return list(ops)
        out: list = []

        def visit(op, origin, depth: int) -> None:
            if self.supports_operation(op):
                out.append(op)
                return
            parts = None
            if depth < MAX_DECOMPOSITION_DEPTH and op.has_decomposition:
                try:
                    parts = op.decomposition()
                except DecompositionUndefinedError:
                    parts = None
            if parts is None:
                self._raise_unsupported_gate(op, origin)
            for sub in parts:
                visit(sub, origin, depth + 1)

        for op in ops:
            visit(op, op, 0)
        return out

    def _raise_unsupported_gate(self, op, origin) -> None:
        where = "" if op is origin else f" (from the decomposition of {origin.name})"
        applies = ", ".join(sorted(self.capabilities.operations)) or "none"
        raise DeviceError(
            f"{op.name} on wires {list(op.wires)}{where} is not supported by device '{self.name}' "
            f"and has no decomposition into gates it supports; it applies {applies}",
            device=self.name, operation=op.name)

    def _check_shots(self, shots: Shots) -> None:
        caps = self.capabilities
        if not shots.analytic and not caps.shots:
            given = list(shots.vector) if shots.has_vector else shots.total
            raise DeviceError(
                f"device '{self.name}' computes exact results only and does not sample, got "
                f"shots={given}; use shots=None", device=self.name)
        if shots.analytic and not caps.analytic:
            raise DeviceError(
                f"device '{self.name}' only samples and needs finite shots, got shots=None; pass "
                "shots=1000 (for example) to the device or the QNode call", device=self.name)

    def _check_wires(self, what: str, wires) -> None:
        if self.wires is None:  # the device takes its wires from the circuit
            return
        for w in wires:
            if not is_dynamic(w) and w not in self.wires:  # dynamic ones are checked at run time
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
        """Run a batch of tapes.

        Args:
            tapes: tapes already checked by :meth:`preprocess`.

        Returns:
            One result per tape: a tuple with one entry per measurement (wrapped in one more tuple
            per shot-vector entry when the tape has a shot vector).
        """
        raise DeviceMethodUndefinedError(
            f"device class {type(self).__name__} ('{self.name}') does not implement execute(tapes)",
            device=self.name, method="execute")

    # ---------------------------------------------------------------- optional derivatives
    def compute_derivatives(self, tapes: Sequence[QuantumTape], method: str = "device") -> list:
        """Jacobians computed by the device itself (``diff_method="device"`` or ``"adjoint"``).

        Devices listing "device" or "adjoint" in ``capabilities.derivatives`` override this.

        Args:
            tapes: tapes checked by :meth:`preprocess`; ``trainable_params`` selects the parameters.
            method: the derivative kind asked for, one of ``capabilities.derivatives``.

        Returns:
            One Jacobian per tape: a tuple over measurements of tuples over trainable parameters,
            each entry shaped like that measurement's result.

        Raises:
            DeviceMethodUndefinedError: the device computes no derivatives of its own.
        """
        provided = ", ".join(sorted(self.capabilities.derivatives)) or "none"
        raise DeviceMethodUndefinedError(
            f"device '{self.name}' does not compute {method!r} derivatives itself (it provides: "
            f"{provided}); use diff_method='backprop', 'parameter-shift' or 'finite-diff'",
            device=self.name, method=method)

    def compute_vjp(self, tapes: Sequence[QuantumTape], cotangents: Sequence,
                    method: str = "device") -> list:
        """Vector-Jacobian products ⟨dy, ∂results/∂θ⟩ of each tape.

        The default contracts :meth:`compute_derivatives`; devices with a cheaper VJP override it.

        Args:
            tapes: tapes checked by :meth:`preprocess` (without shot vectors).
            cotangents: per tape, one cotangent per measurement, shaped like that result.
            method: the derivative kind, one of ``capabilities.derivatives``.

        Returns:
            Per tape, a tuple with one real number per trainable parameter.

        Raises:
            DeviceMethodUndefinedError: the device computes no derivatives of its own.
        """
        if len(cotangents) != len(tapes):
            raise DeviceError(f"compute_vjp got {len(cotangents)} cotangents for {len(tapes)} "
                              f"tapes on device '{self.name}'; pass one per tape", device=self.name)
        out = []
        for tape, jac, dy in zip(tapes, self.compute_derivatives(tapes, method), cotangents):
            out.append(tuple(
                sum(ar.do("sum", ar.numpy.real(d * jac[k][t])) for k, d in enumerate(dy))
                for t in range(len(tape.trainable_params))))
        return out

    def execute_and_compute_derivatives(self, tapes: Sequence[QuantumTape],
                                        method: str = "device") -> tuple[list, list]:
        """Results and Jacobians in one call; devices that share work between them override it.

        Args:
            tapes: tapes checked by :meth:`preprocess`.
            method: the derivative kind, one of ``capabilities.derivatives``.

        Returns:
            ``(results, jacobians)`` in the layouts of :meth:`execute` and
            :meth:`compute_derivatives`.

        Raises:
            DeviceMethodUndefinedError: the device computes no derivatives of its own.
        """
        jacobians = self.compute_derivatives(tapes, method)
        return self.execute(tapes), jacobians


ALL_MEASUREMENTS = frozenset(t.return_type for t in m.MEASUREMENT_TYPES)
