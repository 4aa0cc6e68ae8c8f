"""Parameter broadcasting on devices that run one parameter set at a time.

A broadcast circuit (gate parameters with a leading batch axis of size B) runs natively on devices
whose capabilities declare ``broadcasting``. For every other device the QNode splits it into B
circuits, entry b taking index b of each batched parameter, runs them in one ``execute`` call and
stacks the B results along a new leading axis, so users see the same shapes on every device.

Indexing and stacking are done by the arrays' own framework, so gradients flow through the split
with any interface and diff method.
"""
from __future__ import annotations

from typing import Any, Sequence

import autoray as ar

from kettle.core import qmath
from kettle.core.tape import QuantumTape


def needs_split(device, tape: QuantumTape) -> bool:
    """Whether ``tape`` is broadcast and ``device`` cannot run it as one batch."""
    return tape.batch_size is not None and not device.capabilities.broadcasting


def split(tape: QuantumTape) -> list[QuantumTape]:
    """One tape per batch entry; batched parameters are indexed, the others shared.

    The trainable parameter indices of ``tape`` carry over to every entry.
    """
    operations = {id(op) for op in tape.operations}
    batched = [k for k, (op, i) in enumerate(tape._par_info)
               if id(op) in operations and op.batch_size is not None
               and qmath.ndim(op.data[i]) == op.ndim_params[i] + 1]
    values = [tape._par_info[k][0].data[tape._par_info[k][1]] for k in batched]
    return [tape.bind_new_parameters([v[b] for v in values], batched)
            for b in range(tape.batch_size)]


def stack(entries: Sequence[Any]) -> Any:
    """Per-entry outputs of :func:`split`'s tapes stacked along a new leading axis.

    ``entries`` holds one output per batch entry: a result (a tuple per measurement, nested per
    shot-vector entry) or a Jacobian; the nesting is kept and each array leaf is stacked. Counts
    dictionaries become a list with one dictionary per entry, as on broadcasting devices.
    """
    first = entries[0]
    if isinstance(first, (tuple, list)):
        return type(first)(stack([e[k] for e in entries]) for k in range(len(first)))
    if isinstance(first, dict):
        return list(entries)
    backend = ar.infer_backend(first)
    return ar.do("stack", list(entries), like="numpy" if backend == "builtins" else backend)
