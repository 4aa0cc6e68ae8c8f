"""Pictures of circuits with matplotlib (the optional extra ``kettle[draw]``).

The layout is the text drawer's (core/drawer.py): one row per wire, one column per layer of gates
that do not cross. Every patch carries a gid saying what it is ("gate", "control", "target",
"measure"), so a figure can be inspected without looking at it.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable

from kettle.core import drawer
from kettle.core.qmath import require_framework
from kettle.core.tape import QuantumTape
from kettle.errors import DrawError

#: gates drawn as ⊕ on their target (the controlled-NOT family)
_NOT_TARGETS = {"CNOT", "Toffoli"}
_SWAPS = {"SWAP": 0, "CSWAP": 1}  # name -> controls before the two swapped wires


@dataclasses.dataclass(frozen=True)
class MplStyle:
    """Options of ``kt.draw_mpl``'s pictures (all keyword arguments of draw_mpl)."""

    fontsize: float = 11.0
    gate_facecolor: str = "#e8f0fb"
    gate_edgecolor: str = "#1f3b73"
    wire_color: str = "#333333"
    control_color: str = "#1f3b73"
    measure_facecolor: str = "#f4f4f4"
    linewidth: float = 1.3
    box_width: float = 0.8
    box_height: float = 0.6
    column_width: float = 1.0
    show_wire_labels: bool = True
    figsize: tuple | None = None


def _style(options: dict) -> MplStyle:
    allowed = {f.name for f in dataclasses.fields(MplStyle)}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise DrawError(f"unknown draw_mpl option(s) {unknown}; the options are {sorted(allowed)}",
                        value=unknown)
    return MplStyle(**options)


def _text_width(label: str, style) -> float:
    """Approximate width of a label in data units (one unit is one column of a default box)."""
    return 0.105 * len(label) * style.fontsize / 11.0


def _vertical(label: str, n_wires: int, style) -> bool:
    """A box over several wires shows a long label vertically, so the column stays narrow."""
    return n_wires > 1 and _text_width(label, style) > style.box_width * 1.6


def _box_width(label: str, n_wires: int, style) -> float:
    if _vertical(label, n_wires, style):
        return style.box_width
    return max(style.box_width, _text_width(label, style) + 0.25)


def _box(ax, x, y_top, y_bottom, label, style, *, gid, width=None, facecolor=None):
    from matplotlib.patches import FancyBboxPatch

    width = width or style.box_width
    h = (y_top - y_bottom) + style.box_height
    patch = FancyBboxPatch((x - width / 2, y_bottom - style.box_height / 2), width, h,
                           boxstyle="round,pad=0.02,rounding_size=0.06",
                           facecolor=facecolor or style.gate_facecolor, edgecolor=style.gate_edgecolor,
                           linewidth=style.linewidth, zorder=3, gid=gid)
    ax.add_patch(patch)
    if label:
        vertical = _vertical(label, round(y_top - y_bottom) + 1, style)
        ax.text(x, (y_top + y_bottom) / 2, label, ha="center", va="center", zorder=4,
                fontsize=style.fontsize, rotation=90 if vertical else 0)


def _control(ax, x, y, style):
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), 0.09, color=style.control_color, zorder=4, gid="control"))


def _not_target(ax, x, y, style):
    from matplotlib.patches import Circle

    r = 0.2
    ax.add_patch(Circle((x, y), r, facecolor="white", edgecolor=style.control_color,
                        linewidth=style.linewidth, zorder=4, gid="target"))
    ax.plot([x - r, x + r], [y, y], color=style.control_color, lw=style.linewidth, zorder=5)
    ax.plot([x, x], [y - r, y + r], color=style.control_color, lw=style.linewidth, zorder=5)


def _swap_cross(ax, x, y, style):
    d = 0.14
    for sign in (1, -1):
        ax.plot([x - d, x + d], [y - sign * d, y + sign * d], color=style.control_color,
                lw=style.linewidth * 1.4, zorder=5, gid="swap")


def _meter(ax, x, y, label, style):
    from matplotlib.patches import Arc

    _box(ax, x, y, y, "", style, gid="measure", facecolor=style.measure_facecolor)
    ax.add_patch(Arc((x, y - 0.12), 0.5, 0.45, theta1=0, theta2=180, color=style.wire_color,
                     lw=style.linewidth, zorder=5))
    ax.plot([x, x + 0.2], [y - 0.12, y + 0.18], color=style.wire_color, lw=style.linewidth, zorder=5)
    ax.text(x + style.box_width / 2 + 0.08, y, label, ha="left", va="center",
            fontsize=style.fontsize * 0.9, zorder=4)


def _op_width(op, style, decimals) -> float:
    """Width of the widest box ``op`` draws."""
    if op.name in _NOT_TARGETS or op.name in _SWAPS:
        return style.box_width
    n_targets = 1 if _controls(op) else len(op.wires)
    return _box_width(drawer.target_label(op, decimals), n_targets, style)


def _controls(op) -> int:
    return _SWAPS[op.name] if op.name in _SWAPS else drawer.control_count(op)


def _draw_op(ax, op, x, ys: list[float], style, decimals):
    n_ctrl = _controls(op)
    if len(ys) > 1:  # one vertical line through every wire the gate touches
        ax.plot([x, x], [min(ys), max(ys)], color=style.control_color, lw=style.linewidth, zorder=2)
    for y in ys[:n_ctrl]:
        _control(ax, x, y, style)
    targets = ys[n_ctrl:]
    if op.name in _NOT_TARGETS:
        _not_target(ax, x, targets[0], style)
    elif op.name in _SWAPS:
        for y in targets:
            _swap_cross(ax, x, y, style)
    elif n_ctrl:
        label = drawer.target_label(op, decimals)
        for y in targets:
            _box(ax, x, y, y, label, style, gid="gate", width=_box_width(label, 1, style))
    else:  # one box over the wires of the gate (a template at level "top" included)
        label = drawer.target_label(op, decimals)
        _box(ax, x, max(ys), min(ys), label, style, gid="gate",
             width=_box_width(label, len(ys), style))


def tape_mpl(tape: QuantumTape, *, wire_order=None, decimals: int | None = 2, ax=None,
             style: MplStyle | None = None):
    """Draw a tape with matplotlib.

    Args:
        tape: the circuit.
        wire_order: wires from top to bottom (default: the tape's wires).
        decimals: decimals of the parameters in gate labels (None: names only).
        ax: a matplotlib Axes to draw onto (default: a new figure).
        style: the picture's options.

    Returns:
        ``(fig, ax)``.
    """
    require_framework("matplotlib", feature="kt.draw_mpl")
    import matplotlib.pyplot as plt

    style = style or MplStyle()
    wires = drawer.check_wire_order(tape, wire_order)
    cols = drawer.layers(tape, wires)
    n_cols = max(cols, default=-1) + 1
    widths = [style.column_width] * n_cols  # each column as wide as its widest box
    for op, col in zip(tape.operations, cols):
        widths[col] = max(widths[col], _op_width(op, style, decimals) + 0.2)
    centers, left = [], 0.0
    for w in widths:
        centers.append(left + w / 2)
        left += w
    measured = [w for mp in tape.measurements for w in (mp.wires or wires)]
    x_meas = left + style.column_width / 2
    x_end = x_meas if measured else left
    if ax is None:
        size = style.figsize or (1.5 + 0.75 * (left + 2), 0.6 + 0.75 * max(len(wires), 1))
        fig, ax = plt.subplots(figsize=size)
    else:
        fig = ax.figure
    y_of = {w: -float(i) for i, w in enumerate(wires)}
    for w, y in y_of.items():
        ax.plot([-0.3, x_end], [y, y], color=style.wire_color, lw=style.linewidth, zorder=1)
        if style.show_wire_labels:
            ax.text(-0.45, y, str(w), ha="right", va="center", fontsize=style.fontsize)
    for op, col in zip(tape.operations, cols):
        _draw_op(ax, op, centers[col], [y_of[w] for w in op.wires], style, decimals)
    labels: dict = {}
    for mp in tape.measurements:
        for w in (mp.wires or wires):
            labels.setdefault(w, []).append(mp.label())
    for w, texts in labels.items():
        _meter(ax, x_meas, y_of[w], ", ".join(texts), style)
    longest = max((len(", ".join(t)) for t in labels.values()), default=0)
    ax.set_xlim(-1.0, x_end + style.box_width / 2 + 0.2 + 0.1 * longest * style.fontsize / 11)
    ax.set_ylim(-len(wires) + 0.3, 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def draw_mpl(qnode, *, level: str = "top", wire_order=None, decimals: int | None = 2, ax=None,
             **style: Any) -> Callable[..., Any]:
    """A function that records the QNode with the given arguments and draws it with matplotlib.

    Gates are boxes, controls dots (⊕ for the NOT of CNOT and Toffoli, crosses for SWAP), and
    each measured wire ends in a meter labelled with the measurement. Needs matplotlib
    (``pip install kettle[draw]``).

    Args:
        qnode: the QNode to draw.
        level: "top" draws templates as one box each; "device" draws the gates the device runs.
        wire_order: wires from top to bottom (default: the device's wires).
        decimals: decimals of the gate parameters shown (None: names only).
        ax: a matplotlib Axes to draw onto (default: a new figure).
        **style: options of :class:`MplStyle` (fontsize, colors, box sizes, figsize).

    Returns:
        A function of the QNode's arguments returning ``(fig, ax)``.

    Raises:
        FrameworkNotInstalledError: matplotlib is not installed.
        DrawError: an unknown level or style option.

    Example:
        >>> dev = kt.device("default.qubit", wires=2)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x, wires=0)
        ...     kt.CNOT(wires=[0, 1])
        ...     return kt.expval(kt.PauliZ(1))
        >>> fig, ax = kt.draw_mpl(circuit, fontsize=12)(0.3)
        >>> fig.savefig("circuit.png")
    """
    options = _style(style)
    require_framework("matplotlib", feature="kt.draw_mpl")

    @functools.wraps(qnode)
    def wrapper(*args, **kwargs):
        tape = drawer.record(qnode, args, kwargs, level)
        order = wire_order if wire_order is not None else qnode.device.wires
        return tape_mpl(tape, wire_order=order, decimals=decimals, ax=ax, style=options)

    return wrapper
