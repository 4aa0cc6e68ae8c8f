"""QuantumTape: the recorded operations, measurements and shots of one circuit execution."""
from __future__ import annotations

import copy
from typing import Any, Callable, Iterable, Sequence

from kettle.core import qmath, queuing
from kettle.core.measurements import MeasurementProcess
from kettle.core.operator import Observable, Operation, Operator
from kettle.core.shots import Shots
from kettle.core.wires import Wires
from kettle.errors import OperatorError, QuantumFunctionError


class QuantumTape:
    """Operations, measurements and shots of a circuit, with its parameters.

    Parameters are numbered in the order they appear: gate parameters first (in operation order),
    then parameters of measured observables. ``trainable_params`` selects indices of that list.

    Example:
        >>> with kt.QuantumTape() as tape:
        ...     op = kt.RX(0.1, wires=0)
        ...     measurement = kt.expval(kt.PauliZ(0))
        >>> tape.get_parameters()
        [0.1]
    """

    def __init__(self, ops: Sequence[Operator] = (), measurements: Sequence[MeasurementProcess] = (),
                 shots: Any = None, trainable_params: Sequence[int] | None = None):
        self._set(ops, measurements)
        self.shots = Shots(shots)
        self.trainable_params = trainable_params

    # ---------------------------------------------------------------- recording
    def __enter__(self):
        self._ctx = queuing.recording()
        self._rec = self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        self._ctx.__exit__(*exc)
        ops, meas = split_recorded(self._rec.items)
        self._set(ops, meas)
        self.trainable_params = None
        del self._ctx, self._rec

    # ---------------------------------------------------------------- structure
    @property
    def operations(self) -> tuple[Operator, ...]:
        """The gates, in order (read-only: build a new tape with :meth:`copy` to change them)."""
        return self._ops

    @property
    def measurements(self) -> tuple[MeasurementProcess, ...]:
        """The measurements, in order (read-only, like :attr:`operations`)."""
        return self._meas

    def _set(self, ops: Sequence[Operator], measurements: Sequence[MeasurementProcess]) -> None:
        """The one place operations and measurements change (while recording or copying), so the
        fields derived from them (parameters, wires, batch size) are always recomputed."""
        self._ops = tuple(ops)
        self._meas = tuple(measurements)
        self._update()

    def _update(self):
        self._par_info = [(op, i) for op in self.operations for i in range(len(op.data))]
        self._par_info += [(m.obs, i) for m in self.measurements if m.obs is not None
                           for i in range(len(m.obs.data))]
        self.wires = Wires.union([*(op.wires for op in self._ops),
                                  *(m.wires for m in self._meas)])
        sizes = {op.batch_size for op in self.operations if op.batch_size is not None}
        if len(sizes) > 1:
            raise OperatorError(f"operations of one circuit are broadcast with different batch sizes "
                                f"{sorted(sizes)}; all batched parameters need the same leading size")
        self.batch_size: int | None = sizes.pop() if sizes else None

    @property
    def observables(self) -> list:
        return [m.obs if m.obs is not None else m for m in self.measurements]

    @property
    def num_params(self) -> int:
        return len(self.trainable_params)

    @property
    def trainable_params(self) -> list[int]:
        return self._trainable

    @trainable_params.setter
    def trainable_params(self, indices: Iterable[int] | None):
        n = len(self._par_info)
        if indices is None:
            self._trainable = list(range(n))
            return
        indices = sorted(set(int(i) for i in indices))
        bad = [i for i in indices if not 0 <= i < n]
        if bad:
            raise OperatorError(f"trainable parameter indices {bad} are out of range; the tape has "
                                f"{n} parameters")
        self._trainable = indices

    def get_parameters(self, trainable_only: bool = True) -> list:
        idx = self._trainable if trainable_only else range(len(self._par_info))
        return [self._par_info[i][0].data[self._par_info[i][1]] for i in idx]

    def get_operation(self, index: int) -> tuple[Operator, int]:
        """(operator, parameter position in it) of trainable parameter ``index``."""
        return self._par_info[self._trainable[index]]

    def bind_new_parameters(self, params: Sequence, indices: Sequence[int] | None = None) -> "QuantumTape":
        """A cheap copy with new parameter values at ``indices`` (default: the trainable ones).

        Operators are shallow-copied only where a parameter changes.
        """
        indices = self._trainable if indices is None else list(indices)
        if len(params) != len(indices):
            raise OperatorError(f"expected {len(indices)} parameters, got {len(params)}")
        updates: dict[int, dict[int, Any]] = {}
        for p, idx in zip(params, indices):
            op, k = self._par_info[idx]
            updates.setdefault(id(op), {})[k] = p

        def renew(op):
            if op is None or id(op) not in updates:
                return op
            data = list(op.data)
            for k, p in updates[id(op)].items():
                data[k] = p
            return op.with_parameters(data)

        ops = [renew(op) for op in self.operations]
        meas = [m.with_obs(renew(m.obs)) if m.obs is not None and id(m.obs) in updates else m
                for m in self.measurements]
        return self.copy(operations=ops, measurements=meas)

    def copy(self, *, operations=None, measurements=None, shots: Any = "same") -> "QuantumTape":
        new = copy.copy(self)
        new._set(self._ops if operations is None else operations,
                 self._meas if measurements is None else measurements)
        new.shots = self.shots if isinstance(shots, str) else Shots(shots)
        new._trainable = list(self._trainable) if len(new._par_info) == len(self._par_info) else list(
            range(len(new._par_info)))
        return new

    def expand(self, stop_at: Callable[[Operator], bool], max_depth: int = 20) -> "QuantumTape":
        """Decompose operations until ``stop_at(op)`` holds (or no decomposition exists)."""
        if all(stop_at(op) for op in self.operations):
            return self
        out: list[Operator] = []

        def visit(op, depth):
            if stop_at(op) or depth >= max_depth or not op.has_decomposition:
                out.append(op)
                return
            for sub in op.decomposition():
                visit(sub, depth + 1)

        for op in self.operations:
            visit(op, 0)
        return self.copy(operations=out)

    @property
    def interface(self) -> str:
        return qmath.get_interface(*self.get_parameters(trainable_only=False))

    def __repr__(self) -> str:
        return (f"<QuantumTape: wires={list(self.wires)}, params={len(self._par_info)}, "
                f"ops={len(self.operations)}, measurements={self.measurements}, shots={self.shots}>")


def split_recorded(items: Sequence[Any]) -> tuple[list[Operator], list[MeasurementProcess]]:
    """Sort recorded objects into operations and measurements; stray observables are errors."""
    ops, meas = [], []
    for item in items:
        if isinstance(item, MeasurementProcess):
            meas.append(item)
        elif isinstance(item, Operation):
            ops.append(item)
        elif isinstance(item, Observable):
            raise QuantumFunctionError(
                f"{item!r} is an observable but not a gate: it cannot be applied to the state; "
                f"measure it with kt.expval({item.name}(...)) or similar", value=item)
        else:
            ops.append(item)
    return ops, meas
