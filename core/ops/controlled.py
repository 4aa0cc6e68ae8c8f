"""Controlled operations: ``kt.ctrl(op, control=...)`` or ``kt.ctrl(fn, control=...)(*args)``.

C(U) applies U to the target wires when the control wires hold ``control_values`` (all 1 by
default) and does nothing otherwise: C(U) = (I − P) ⊗ I + P ⊗ U with P the projector onto the
control pattern. For U(θ) = exp(−iθG) this is exp(−iθ P ⊗ G), so the generator, and with it the
frequencies and the parameter-shift rule, follow from the base gate's.

``kt.ctrl`` returns the device gate itself where one exists (CNOT, Toffoli, CZ, CRX, …).
default.qubit and default.mixed apply other controlled gates of their own gates directly (as
dense matrices; parameter-shift and adjoint use the generator). For other devices a controlled
gate decomposes into such a gate with PauliX around the controls whose value is 0, else into the
controlled gates of its base's decomposition, else into one QubitUnitary.
"""
from __future__ import annotations

import functools
from typing import Any, Sequence, cast

import autoray as ar
import numpy as np

from kettle.core import qmath, queuing
from kettle.core.operator import Operation, Operator
from kettle.core.ops import build
from kettle.core.wires import Wires
from kettle.errors import DecompositionUndefinedError, OperatorError


@functools.lru_cache(maxsize=1)
def _native_table() -> dict:
    """(base class name, number of controls) → the device gate that is this controlled gate."""
    from kettle.core.ops import parametric as p
    from kettle.core.ops import qubit as q

    return {("PauliX", 1): q.CNOT, ("PauliX", 2): q.Toffoli, ("PauliY", 1): q.CY,
            ("PauliZ", 1): q.CZ, ("SWAP", 1): q.CSWAP, ("RX", 1): p.CRX, ("RY", 1): p.CRY,
            ("RZ", 1): p.CRZ, ("PhaseShift", 1): p.ControlledPhaseShift, ("Rot", 1): p.CRot}


@functools.lru_cache(maxsize=1)
def _native_bases() -> dict:
    """Device gate class → (its base class, number of controls): the inverse of the table."""
    from kettle.core.ops import parametric as p
    from kettle.core.ops import qubit as q

    names = {"PauliX": q.PauliX, "PauliY": q.PauliY, "PauliZ": q.PauliZ, "SWAP": q.SWAP,
             "RX": p.RX, "RY": p.RY, "RZ": p.RZ, "PhaseShift": p.PhaseShift, "Rot": p.Rot}
    return {gate: (names[name], k) for (name, k), gate in _native_table().items()}


def native_form(op: Operator) -> Operator:
    """The device gate that equals a controlled ``op`` (CNOT for C(PauliX), …), or ``op``."""
    if not isinstance(op, Controlled) or not all(op.control_values):
        return op
    gate = _native_table().get((op.base.name, len(op.control_wires)))
    if gate is None:
        return op
    return gate.unqueued(*op.data, wires=op.wires)


def _as_bits(control_values: Any, n: int) -> tuple[bool, ...]:
    if control_values is None:
        return (True,) * n
    values = [control_values] if isinstance(control_values, (bool, int, np.integer)) else \
        list(control_values)
    if len(values) != n:
        raise OperatorError(f"ctrl got {len(values)} control value(s) {values} for {n} control "
                            f"wire(s); give one value (0/1 or False/True) per control wire",
                            operator="ctrl")
    bad = [v for v in values if v not in (0, 1)]  # True == 1, False == 0
    if bad:
        raise OperatorError(f"control values must be 0/1 or False/True, got {bad[0]!r}",
                            operator="ctrl")
    return tuple(bool(v) for v in values)


class Controlled(Operation):
    """The base operator applied when the control wires hold ``control_values``.

    Parameters are shared with the base (as :class:`Adjoint` does), so gradients with respect to
    the base's angles flow through the controlled gate.

    Args:
        base: the operator to control.
        control_wires: the wires that control it (disjoint from the base's wires).
        control_values: one bit per control wire (default all 1).

    Raises:
        OperatorError: control wires that overlap the base's wires, or control values that are not
            one bit per control wire.
    """

    base: Operator
    control_wires: Wires
    control_values: tuple[bool, ...]

    def __init__(self, base: Operator, control_wires: Any, control_values: Any = None, *,
                 id: str | None = None):
        control_wires = Wires(control_wires)
        values = _as_bits(control_values, len(control_wires))
        overlap = [w for w in control_wires if w in base.wires]
        if overlap:
            raise OperatorError(
                f"ctrl of {base.name} on wires {list(base.wires)}: control wire(s) {overlap} are "
                "also target wires; control wires must differ from the wires of the operation",
                operator=base.name)
        if isinstance(base, Controlled):  # C(C(U)) is one gate with both sets of controls
            control_wires = control_wires + base.control_wires
            values = values + base.control_values
            base = base.base
        elif type(base) in _native_bases():  # CNOT is C(PauliX): ctrl(CNOT) becomes Toffoli
            base_cls, k = _native_bases()[type(base)]
            control_wires = control_wires + base.wires[:k]
            values = values + (True,) * k
            base = base_cls.unqueued(*base.data, wires=base.wires[k:])
        if len(control_wires) == 0:
            raise OperatorError(f"ctrl of {base.name} needs at least one control wire",
                                operator=base.name)
        self.base = base
        self.control_wires = control_wires
        self.control_values = values
        self.num_params = base.num_params
        self.ndim_params = base.ndim_params
        self.real_params = base.real_params
        self.generator_is_structural = base.generator_is_structural
        self.hyperparameters = {}
        queuing.unqueue(base)
        super().__init__(*base.data, wires=control_wires + base.wires, id=id)

    @property
    def name(self) -> str:
        return f"C({self.base.name})"

    @property
    def target_wires(self) -> Wires:
        return self.base.wires

    def _base(self) -> Operator:
        return self.base.with_parameters(self.data)

    def label(self, decimals: int | None = 2) -> str:
        return "C(" + self._base().label(decimals) + ")"

    # ------------------------------------------------------------------ representations
    @property
    def has_matrix(self) -> bool:
        return self.base.has_matrix

    def matrix(self, wire_order: Sequence | None = None):
        u = self._base().matrix()
        full = u
        for _ in self.control_wires:  # diag(I, U) per control: the all-ones block holds U
            full = build.controlled(full)
        if not all(self.control_values):
            full = _flip_controls(full, self.control_values, len(self.wires))
        if wire_order is None or list(wire_order) == list(self.wires):
            return full
        from kettle.core.operator import expand_matrix

        return expand_matrix(full, self.wires, Wires(wire_order))

    @property
    def has_decomposition(self) -> bool:
        return True

    def decomposition(self) -> list[Operator]:
        with queuing.stop_recording():
            base = self._base()
            flips = [_pauli_x(w) for w, v in zip(self.control_wires, self.control_values) if not v]
            native = _native_table().get((base.name, len(self.control_wires)))
            if native is not None:
                gate = native(*base.data, wires=self.control_wires + base.wires)
                return flips + [gate] + [_pauli_x(w) for w in reversed(
                    [w for w, v in zip(self.control_wires, self.control_values) if not v])]
            if base.has_decomposition:
                try:
                    parts = base.decomposition()
                except DecompositionUndefinedError:  # none after all: use the matrix
                    parts = None
                if parts is not None:
                    return [Controlled(op, self.control_wires, self.control_values)
                            for op in parts]
            if not base.has_matrix:
                raise OperatorError(f"ctrl of {base.name} needs a matrix or a decomposition; "
                                    f"{base.name} has neither", operator=self.name)
            from kettle.core.ops.matrix_ops import QubitUnitary

            return [QubitUnitary(self.matrix(), wires=self.wires, unitary_check=False)]

    # ------------------------------------------------------------------ calculus
    @property
    def has_generator(self) -> bool:
        return self.base.has_generator

    def generator(self):
        """P ⊗ G: the base's generator on the subspace where the controls hold their values."""
        from kettle.core.ops.observables import Hamiltonian, Projector, Tensor

        gen = self._base().generator()
        with queuing.stop_recording():
            proj = Projector([int(v) for v in self.control_values], wires=self.control_wires)
            terms = gen.ops if isinstance(gen, Hamiltonian) else [gen]
            coeffs = gen.coeffs if isinstance(gen, Hamiltonian) else [1.0]
            return Hamiltonian(list(coeffs), [Tensor(proj, t) for t in terms])

    @property
    def parameter_frequencies(self) -> list[tuple[float, ...]]:
        if self.has_generator:
            return super().parameter_frequencies
        # Bases such as Rot state frequencies without a generator; each angle enters through a
        # rotation with eigenvalues ±Ω/2, which the control turns into {0, ±Ω/2}: frequencies Ω, Ω/2
        return [tuple(sorted({f for f in fs} | {f / 2 for f in fs}))
                for fs in self.base.parameter_frequencies]

    def adjoint(self):
        with queuing.stop_recording():
            return Controlled(self._base().adjoint(), self.control_wires, self.control_values)

    def with_parameters(self, params):
        new = cast(Controlled, super().with_parameters(params))
        new.base = self.base.with_parameters(params)
        return new

    def map_wires(self, wire_map: dict):
        new = cast(Controlled, super().map_wires(wire_map))
        new.base = self.base.map_wires(wire_map)
        new.control_wires = Wires([wire_map.get(w, w) for w in self.control_wires])
        return new


def _pauli_x(wire):
    from kettle.core.ops.qubit import PauliX

    return PauliX(wires=wire)


def _flip_controls(full: Any, values: tuple[bool, ...], n_wires: int) -> Any:
    """X on the controls whose value is 0, on both sides: X_c · C(U) · X_c (a permutation)."""
    dim = 2 ** n_wires
    mask = 0
    for j, v in enumerate(values):
        if not v:
            mask |= 1 << (n_wires - 1 - j)  # control j is wire j of the gate (big-endian)
    perm = np.eye(dim)[np.arange(dim) ^ mask]
    p = qmath.convert_like(perm.astype(complex), full) if qmath.backend_of(full) != "numpy" \
        else perm.astype(complex)
    return ar.do("matmul", ar.do("matmul", p, full), p)


def ctrl(target: Any, control: Any, control_values: Any = None, work_wires: Any = None) -> Any:
    """The controlled version of an operation, or of every operation a quantum function applies.

    Args:
        target: an operator instance (``kt.ctrl(kt.RX(0.3, wires=1), control=0)``), an operator
            class or a quantum function; for the latter two calling the result applies the
            controlled gates (``kt.ctrl(kt.RX, control=0)(0.3, wires=1)``).
        control: the control wire or wires.
        control_values: one bit per control wire (default all 1): the gate acts when the controls
            hold these values.
        work_wires: spare wires a hardware decomposition could use (PennyLane's option). kettle's
            decompositions need none, so they are only checked to be free (not control wires).

    Returns:
        The controlled operator, or a function with the same arguments as ``target`` returning
        what ``target`` returns. A controlled gate that is a gate of its own with every control
        value 1 comes back as that gate (``ctrl(PauliX)`` is ``CNOT``, with two controls
        ``Toffoli``; ``ctrl(RX)`` is ``CRX``); the others are :class:`Controlled` operators.

    Raises:
        OperatorError: ``target`` is neither an operator nor callable; control wires that overlap
            the target's; control values that are not one bit per control wire.

    Example:
        >>> @kt.qnode(kt.device("default.qubit"))
        ... def circuit(x):
        ...     kt.Hadamard(0)
        ...     kt.ctrl(kt.RY, control=0, control_values=0)(x, wires=1)
        ...     return kt.probs(wires=[0, 1])
    """
    busy = [w for w in Wires(work_wires if work_wires is not None else []) if w in Wires(control)]
    if busy:
        raise OperatorError(f"ctrl got work wire(s) {busy} that are also control wires; work wires "
                            "must be free wires", operator="ctrl")
    if isinstance(target, Operator):
        queuing.unqueue(target)
        op = native_form(Controlled.unqueued(target, control, control_values))
        queuing.queue(op)
        return op
    if not callable(target):
        raise OperatorError(f"ctrl takes an operator or a quantum function, got {target!r}",
                            operator="ctrl")
    _as_bits(control_values, len(Wires(control)))  # a wrong count fails before anything runs

    @functools.wraps(target)
    def wrapper(*args, **kwargs):
        with queuing.recording() as rec:
            result = target(*args, **kwargs)
        with queuing.stop_recording():
            ops = [native_form(Controlled(op, control, control_values)) for op in rec.items
                   if isinstance(op, Operation)]
        for op in ops:
            queuing.queue(op)
        if isinstance(target, type) and issubclass(target, Operator):
            return ops[0] if len(ops) == 1 else ops
        return result

    return wrapper
