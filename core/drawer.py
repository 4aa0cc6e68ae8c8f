"""Text drawings of circuits: one line per wire."""
from __future__ import annotations

import functools
from typing import Callable

from kettle.core.tape import QuantumTape
from kettle.errors import WireError

#: gates drawn as controls (●) on their first wires and the target label on the rest.
_CONTROLS = {"CNOT": 1, "CZ": 1, "CY": 1, "CRX": 1, "CRY": 1, "CRZ": 1, "CRot": 1,
             "ControlledPhaseShift": 1, "Toffoli": 2, "CSWAP": 1}
_TARGET_LABEL = {"CRX": "RX", "CRY": "RY", "CRZ": "RZ", "CRot": "Rot", "ControlledPhaseShift": "Rϕ"}


def _op_cells(op, decimals) -> dict[int, str]:
    """Wire position -> text for one operation (positions are indexes into the op's wires)."""
    n_ctrl = _CONTROLS.get(op.name, 0)
    label = op.label(decimals)
    if op.name in _TARGET_LABEL:
        label = label.replace(op.name, _TARGET_LABEL[op.name], 1)
    if n_ctrl:
        return {i: ("●" if i < n_ctrl else label) for i in range(len(op.wires))}
    return {i: label for i in range(len(op.wires))}


def tape_text(tape: QuantumTape, wire_order=None, decimals: int | None = 2) -> str:
    """Draw a tape as text."""
    wires = list(wire_order) if wire_order is not None else list(tape.wires)
    missing = [w for w in tape.wires if w not in wires]
    if missing:
        raise WireError(f"the circuit uses wire(s) {missing} that are not in the drawing's wire "
                        f"order {wires}; pass a wire_order that lists every wire (or none)",
                        wires=missing)
    rows = {w: [] for w in wires}
    layer_end = {w: 0 for w in wires}  # number of columns used on each wire
    columns: list[dict] = []
    for op in tape.operations:
        pos = sorted(wires.index(w) for w in op.wires)
        span = wires[pos[0]:pos[-1] + 1]
        col = max(layer_end[w] for w in span)
        while len(columns) <= col:
            columns.append({})
        cells = _op_cells(op, decimals)
        order = {w: i for i, w in enumerate(op.wires)}
        for w in span:
            layer_end[w] = col + 1
            idx = wires.index(w)
            if len(span) == 1:
                text = cells[0]
            else:
                corner = "╭" if idx == pos[0] else ("╰" if idx == pos[-1] else "├")
                text = corner + cells[order[w]] if w in order else "│"
            columns[col][w] = text
    for col in columns:
        width = max(len(t) for t in col.values())
        for w in wires:
            t = col.get(w, "")
            rows[w].append(t + "─" * (width - len(t)) if t and t != "│" else
                           (("│" + "─" * (width - 1)) if t == "│" else "─" * width))
    meas = {w: [] for w in wires}
    for mp in tape.measurements:
        for w in (mp.wires or wires):
            meas[w].append(mp.label())
    width = max(len(str(w)) for w in wires) if wires else 0
    lines = []
    for w in wires:
        body = "─" + "─".join(rows[w]) + "─" if rows[w] else "──"
        end = "┤  " + ", ".join(meas[w]) if meas[w] else "┤"
        lines.append(f"{str(w).rjust(width)}: ─{body}{end}")
    return "\n".join(lines)


def draw(qnode, *, decimals: int | None = 2, wire_order=None) -> Callable[..., str]:
    """A function that records the QNode with the given arguments and returns its drawing.

    Example:
        >>> print(kt.draw(circuit)(0.1))
        0: ──RX(0.10)─╭●─┤  ⟨Z⟩
        1: ───────────╰X─┤
    """

    @functools.wraps(qnode)
    def wrapper(*args, **kwargs):
        tape, _ = qnode.construct(args, kwargs)
        order = wire_order if wire_order is not None else qnode.device.wires
        return tape_text(tape, wire_order=order, decimals=decimals)

    return wrapper
