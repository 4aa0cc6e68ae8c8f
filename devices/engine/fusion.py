"""Gate fusion: runs of gates merged into blocks on at most ``k`` wires, multiplied once.

The plan depends only on the circuit's structure (gate kinds and wires), so it is computed once per
structure (:func:`plan`, cached) and reused when a training loop re-runs a circuit with new
parameters; only the block matrices are rebuilt per call (:func:`block_matrix`).

Greedy rule, scanning the gates in order. Each wire remembers the block that acts on it last. A gate
merges with the last blocks of its wires (those still last on all their own wires) when their wires
together stay within ``k``; nothing after such a block touches its wires, so moving it up to the
gate keeps the circuit's meaning. Otherwise the gate opens a new block, which absorbs the last
blocks whose wires are a subset of the gate's. A merge is made only when it does not add
arithmetic: a dense block on m wires costs 2**m multiply-adds per amplitude, and fusing a Rot into
a CNOT (2 + 0.5 → 4) would make the circuit slower, while two rotations on one wire (2 + 2 → 2)
or a rotation into a two-qubit gate (4 + 2 → 4) make it faster.
"""
from __future__ import annotations

import functools

import numpy as np

from kettle.devices.engine import apply as A
from kettle.devices.engine import config

#: widest fused block (measured; see config.py)
DEFAULT_MAX_WIRES = config.DEFAULT_MAX_FUSED


class Block:
    """Gates (by index into the operation list) fused on ``axes`` (sorted tensor axes)."""

    __slots__ = ("axes", "members", "last", "cost")

    def __init__(self, axes: set | None, members: list, last: int, cost: float):
        self.axes, self.members, self.last, self.cost = axes, members, last, cost


def gate_cost(kind: str, k: int) -> float:
    """Multiply-adds per amplitude of one gate's kernel (a fused block on m wires costs 2**m)."""
    if kind == "dense":
        return 2.0 ** k
    if kind in ("diag", "ctrl"):
        return 1.0
    return 0.5  # flips and swaps move amplitudes; controlled diagonals touch half of them


@functools.lru_cache(maxsize=256)
def plan(structure: tuple, k: int) -> tuple:
    """The fused steps of a circuit.

    Args:
        structure: one ``(kind, axes)`` per gate, in order (see :func:`apply.kind`).
        k: the widest block.

    Returns:
        Steps in execution order: ``(gate_index,)`` for a gate applied on its own (wider than
        ``k``, or alone in its block) or ``(axes, gate_indices)`` for a fused block.
    """
    owner: dict[int, Block] = {}
    blocks: list[Block] = []
    for i, (kind, axes) in enumerate(structure):
        if len(axes) > k:
            for a in axes:
                owner.pop(a, None)
            blocks.append(Block(None, [i], i, 0.0))  # not fusable: applied alone
            continue
        cost = gate_cost(kind, len(axes))
        # a block can move up to gate i only while it still acts last on all its wires
        last = {id(owner[a]): owner[a] for a in axes
                if a in owner and all(owner.get(w) is owner[a] for w in owner[a].axes)}
        union = set(axes).union(*(b.axes for b in last.values()))
        merged = list(last.values())
        if len(union) > k or 2 ** len(union) > cost + sum(b.cost for b in merged):
            union = set(axes)
            merged = [b for b in merged if b.axes <= union]
            if 2 ** len(union) > cost + sum(b.cost for b in merged):
                merged = []
        merged.sort(key=lambda b: b.last)
        members = [m for b in merged for m in b.members] + [i]
        for b in merged:
            b.members = []
        new = Block(union, members, i, cost if len(members) == 1 else 2.0 ** len(union))
        blocks.append(new)
        for a in union:
            owner[a] = new
    steps = []
    for b in blocks:
        if not b.members:
            continue
        if b.axes is None or len(b.members) == 1:
            steps.append((b.members[0],))
        else:
            steps.append((tuple(sorted(b.axes)), tuple(b.members)))
    return tuple(steps)


def block_matrix(ops: list, axes_of: list, block_axes: tuple, members: tuple, dtype,
                 arrays: list | None = None, structure: tuple | None = None) -> np.ndarray:
    """The product of the member gates as one ``2**m x 2**m`` matrix on ``block_axes``.

    The matrix is built by applying the gates to the identity with the same kernels: a ``d x d``
    matrix in C order is the flat state of ``2m`` qubits whose first ``m`` are the output index, so
    a gate on block axis ``a`` acts on qubit ``a`` of that state. ``arrays`` (with
    ``structure``): the members' kernel numbers, known already.
    """
    m = len(block_axes)
    d = 2 ** m
    local = {a: j for j, a in enumerate(block_axes)}
    u = np.eye(d, dtype=dtype).reshape(-1)
    for i in members:
        axes = [local[a] for a in axes_of[i]]
        if arrays is None:
            A.apply_op(u, 2 * m, ops[i], axes, 0)
        else:
            kind, _, nc = structure[i]
            A.apply_array(u, 2 * m, axes, kind, arrays[i], 0, nc)
    return u.reshape(d, d)
