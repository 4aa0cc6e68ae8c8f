"""Text drawings of circuits: one line per wire; the layout shared with ``kt.draw_mpl``."""
from __future__ import annotations

import functools
from typing import Callable

from kettle.core.tape import QuantumTape
from kettle.errors import DrawError, WireError

#: what a drawing shows: the circuit as recorded (templates as boxes), or as the device runs it
LEVELS = ("top", "device")

#: gates drawn as controls (●) on their first wires and the target label on the rest.
_CONTROLS = {"CNOT": 1, "CZ": 1, "CY": 1, "CRX": 1, "CRY": 1, "CRZ": 1, "CRot": 1,
             "ControlledPhaseShift": 1, "Toffoli": 2, "CSWAP": 1}
_TARGET_LABEL = {"CRX": "RX", "CRY": "RY", "CRZ": "RZ", "CRot": "Rot", "ControlledPhaseShift": "Rϕ"}


def record(qnode, args: tuple, kwargs: dict, level: str = "top") -> QuantumTape:
    """The tape a QNode records for these arguments, at drawing level ``level``.

    Args:
        qnode: the QNode.
        args: its positional arguments.
        kwargs: its keyword arguments.
        level: "top" (as recorded: templates and other composite gates as one box each) or
            "device" (after ``device.preprocess``: what the device applies).

    Raises:
        DrawError: an unknown level.
    """
    if level not in LEVELS:
        raise DrawError(f"unknown drawing level {level!r}; use one of {', '.join(map(repr, LEVELS))}",
                        value=level)
    out = qnode.construct(args, kwargs)
    tape = out[0] if isinstance(out, tuple) else out  # construct may return (tape, structure)
    if level == "device":
        tape = qnode.device.preprocess(tape)
    return tape


def control_count(op) -> int:
    """How many of ``op``'s first wires are drawn as controls."""
    return _CONTROLS.get(op.name, 0)


def target_label(op, decimals: int | None) -> str:
    """The text on the target box of ``op`` (controlled gates show their target gate)."""
    label = op.label(decimals)
    if op.name in _TARGET_LABEL:
        label = label.replace(op.name, _TARGET_LABEL[op.name], 1)
    return label


def layers(tape: QuantumTape, wires: list) -> list[int]:
    """Column of each operation: the first column free on every wire between its lowest and
    highest wire (so a multi-wire gate never shares a column with a gate it crosses)."""
    layer_end = {w: 0 for w in wires}
    cols = []
    for op in tape.operations:
        pos = sorted(wires.index(w) for w in op.wires)
        span = wires[pos[0]:pos[-1] + 1]
        col = max(layer_end[w] for w in span)
        for w in span:
            layer_end[w] = col + 1
        cols.append(col)
    return cols


def check_wire_order(tape: QuantumTape, wire_order) -> list:
    """The drawing's wire order: ``wire_order`` (which must list every wire used) or the tape's."""
    wires = list(wire_order) if wire_order is not None else list(tape.wires)
    missing = [w for w in tape.wires if w not in wires]
    if missing:
        raise WireError(f"the circuit uses wire(s) {missing} that are not in the drawing's wire "
                        f"order {wires}; pass a wire_order that lists every wire (or none)",
                        wires=missing)
    return wires


def _op_cells(op, decimals) -> dict[int, str]:
    """Wire position -> text for one operation (positions are indexes into the op's wires)."""
    n_ctrl = control_count(op)
    label = target_label(op, decimals)
    if n_ctrl:
        return {i: ("●" if i < n_ctrl else label) for i in range(len(op.wires))}
    return {i: label for i in range(len(op.wires))}


def tape_text(tape: QuantumTape, wire_order=None, decimals: int | None = 2) -> str:
    """Draw a tape as text, one line per wire."""
    wires = check_wire_order(tape, wire_order)
    rows: dict = {w: [] for w in wires}
    columns: list[dict] = []
    for op, col in zip(tape.operations, layers(tape, wires)):
        pos = sorted(wires.index(w) for w in op.wires)
        span = wires[pos[0]:pos[-1] + 1]
        while len(columns) <= col:
            columns.append({})
        cells = _op_cells(op, decimals)
        order = {w: i for i, w in enumerate(op.wires)}
        for w in span:
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
    meas: dict = {w: [] for w in wires}
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


def draw(qnode, *, decimals: int | None = 2, wire_order=None, level: str = "top"
         ) -> Callable[..., str]:
    """A function that records the QNode with the given arguments and returns its text drawing.

    Args:
        qnode: the QNode to draw.
        decimals: decimals of the gate parameters shown (None: no parameters).
        wire_order: the order of the wires, top to bottom (default: the device's wires).
        level: "top" draws the circuit as written (templates as one box); "device" draws it after
            the device's decompositions, as the device runs it.

    Returns:
        A function of the QNode's arguments that returns the drawing as a string.

    Example:
        >>> dev = kt.device("default.qubit", wires=2)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x, wires=0)
        ...     kt.CNOT(wires=[0, 1])
        ...     return kt.expval(kt.PauliZ(0))
        >>> print(kt.draw(circuit)(0.1))
        0: ──RX(0.10)─╭●─┤  ⟨Z⟩
        1: ───────────╰X─┤
    """

    @functools.wraps(qnode)
    def wrapper(*args, **kwargs):
        tape = record(qnode, args, kwargs, level)
        order = wire_order if wire_order is not None else qnode.device.wires
        return tape_text(tape, wire_order=order, decimals=decimals)

    return wrapper
