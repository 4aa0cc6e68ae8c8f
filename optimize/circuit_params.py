"""Which gate parameters of a QNode's circuit depend on its trainable arguments, and how.

The circuit is recorded with the trainable arguments traced by autograd (nothing is simulated):
gate parameters that come out traced depend on them, and the classical Jacobian
∂(gate parameter)/∂(argument entry) follows by reverse mode. Quantum-aware optimizers combine it with
per-gate information (frequencies, generators) to speak about the arguments.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import autograd
import autograd.numpy as anp
import numpy as onp
from autograd.numpy.numpy_boxes import ArrayBox

from kettle.core.tape import QuantumTape
from kettle.errors import OptimizerError


@dataclass
class GateParameters:
    """The trainable gate parameters of a recorded circuit.

    Attributes:
        tape: the circuit at the given argument values (plain numbers), expanded as requested, with
            ``trainable_params`` set to the gate parameters that depend on the arguments.
        positions: ``(operation index, parameter index)`` of each of those gate parameters.
        jacobian: ∂(gate parameter)/∂(flattened trainable arguments), shape (len(positions), n).
        shapes: the shapes of the trainable arguments, in order.
    """

    tape: QuantumTape
    positions: list[tuple[int, int]]
    jacobian: onp.ndarray
    shapes: list[tuple[int, ...]]


def flatten_args(args: Sequence, argnums: Sequence[int]) -> onp.ndarray:
    """The trainable arguments concatenated into one float vector."""
    return onp.concatenate([onp.ravel(onp.asarray(args[i], dtype=float)) for i in argnums])


def _expanded(qnode, args, kwargs, stop_at) -> QuantumTape:
    return qnode.construct(args, kwargs)[0].expand(stop_at=stop_at)


def gate_parameters(qnode, args: Sequence, kwargs: dict, argnums: Sequence[int], *,
                    stop_at: Callable, purpose: str, hint: str, allow_observables: bool = False,
                    flat: onp.ndarray | None = None) -> GateParameters:
    """Trace the QNode's circuit and find its trainable gate parameters.

    Args:
        qnode: the QNode.
        args, kwargs: its arguments.
        argnums: positions of the trainable arguments.
        stop_at: operations kept as they are; others are decomposed (e.g. gates with a generator).
        purpose: what the caller needs, for error messages ("the frequencies", "the metric tensor").
        hint: how to get around an error, appended to its message.
        allow_observables: whether the arguments may also set parameters of measured observables.
        flat: values of the flattened trainable arguments to trace at (default: ``args``).

    Raises:
        OptimizerError: an argument sets a non-scalar gate parameter or a gate not kept by
            ``stop_at``, or the circuit's structure changes with the argument values.
    """
    args = tuple(args)
    argnums = list(argnums)
    shapes = [tuple(onp.shape(args[i])) for i in argnums]
    sizes = [int(onp.prod(s)) for s in shapes]
    flat = flatten_args(args, argnums) if flat is None else flat
    name = getattr(qnode.func, "__name__", "the circuit")
    found: list[tuple[int, int]] = []

    def params_of(v):
        full = list(args)
        start = 0
        for i, shp, size in zip(argnums, shapes, sizes):
            full[i] = anp.reshape(v[start:start + size], shp)
            start += size
        tape = _expanded(qnode, tuple(full), kwargs, stop_at)
        values = []
        found.clear()
        for n, op in enumerate(tape.operations):
            for k, p in enumerate(op.data):
                if not isinstance(p, ArrayBox):
                    continue
                if not stop_at(op) or onp.ndim(p._value) != 0:
                    raise OptimizerError(
                        f"cannot work out {purpose} of {name}: the trainable arguments set parameter "
                        f"{k} of {op.name}, which is not a rotation angle with known frequencies; "
                        f"{hint}", value=op)
                found.append((n, k))
                values.append(anp.real(p))
        for mp in tape.measurements:
            if not allow_observables and mp.obs is not None and \
                    any(isinstance(p, ArrayBox) for p in mp.obs.data):
                raise OptimizerError(
                    f"cannot work out {purpose} of {name}: the trainable arguments enter the "
                    f"measured observable {mp.obs.name}, not only gate angles; {hint}", value=mp.obs)
        if not values:
            return anp.zeros(0) + 0.0 * v[0]
        return anp.stack(values)

    jac = onp.asarray(autograd.jacobian(params_of)(flat), dtype=float).reshape(-1, flat.size)
    positions = list(found)
    tape = _expanded(qnode, args, kwargs, stop_at)
    offsets = onp.cumsum([0] + [len(op.data) for op in tape.operations])
    if any(n >= len(tape.operations) or k >= len(tape.operations[n].data) for n, k in positions):
        raise OptimizerError(f"cannot work out {purpose} of {name}: its gates change with the "
                             "argument values", value=qnode)
    tape.trainable_params = [int(offsets[n]) + k for n, k in positions]
    return GateParameters(tape, positions, jac, shapes)


def unflatten(vector: Any, shapes: Sequence[tuple[int, ...]]) -> list[onp.ndarray]:
    """Split a flat vector into arrays of ``shapes``."""
    out, start = [], 0
    for shp in shapes:
        size = int(onp.prod(shp))
        out.append(onp.reshape(vector[start:start + size], shp))
        start += size
    return out
