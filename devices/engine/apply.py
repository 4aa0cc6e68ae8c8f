"""From gates to kernel calls: each gate is classified once by its class traits and applied in place.

Traits read from the gate classes (``core/ops``): ``target_is_x`` with ``num_controls`` (X, CNOT,
Toffoli: a bit flip under controls), ``num_controls`` alone (the matrix is controlled-U on the last
wire), ``is_swap``, and ``has_diagonal``. Everything else is a dense matrix on its wires.
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np

from kettle.core.ops.adjoint import Adjoint
from kettle.devices.engine import kernels as K
from kettle.devices.engine.scalar_gates import scalar_array

#: the largest dense block applied by the k-qubit kernel; wider matrices use a NumPy contraction.
MAX_DENSE = 5
_X = np.array([[0, 1], [1, 0]], dtype=np.complex128)


@functools.lru_cache(maxsize=8192)
def geometry(n: int, axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``(sorted bit positions, offsets)`` of tensor ``axes`` in an ``n``-qubit state."""
    pos = [n - 1 - a for a in axes]
    k = len(pos)
    offsets = np.zeros(2 ** k, dtype=np.int64)
    for j in range(2 ** k):
        offsets[j] = sum(((j >> (k - 1 - b)) & 1) << pos[b] for b in range(k))
    return np.array(sorted(pos), dtype=np.int64), offsets


def _traits(op) -> Any:
    return type(op.base) if isinstance(op, Adjoint) else type(op)


def kind(op) -> str:
    """The kernel family of a gate: 'flip', 'swap', 'diag', 'cdiag' (a diagonal on the last wire
    under controls), 'ctrl' or 'dense'."""
    t = _traits(op)
    if getattr(t, "target_is_x", False):
        return "flip"
    if getattr(t, "is_swap", False):
        return "swap"
    if op.has_diagonal:
        return "cdiag" if getattr(t, "num_controls", 0) else "diag"
    if getattr(t, "num_controls", 0):
        return "ctrl"
    return "dense"


def array_of(op, kind_: str, dtype) -> np.ndarray | None:
    """The numbers the kernel needs: a diagonal, the controlled 2x2 block, a matrix, or None."""
    if kind_ in ("flip", "swap"):
        return None
    if kind_ == "cdiag":  # the target's two entries, where every control is 1
        return np.ascontiguousarray(array_of(op, "diag", dtype)[-2:])
    fast = scalar_array(op)
    if fast is not None:
        return fast.astype(dtype, copy=False)
    if not op.data:  # constant gates: one array per name, width, family and dtype
        key = (op.name, len(op.wires), kind_, np.dtype(dtype))
        if key not in _CONSTANT:
            _CONSTANT[key] = _array_of(op, kind_, dtype)
        return _CONSTANT[key]
    return _array_of(op, kind_, dtype)


_CONSTANT: dict = {}


def _array_of(op, kind_: str, dtype) -> np.ndarray:
    if kind_ == "diag":
        return np.asarray(op.diagonal(), dtype=dtype)
    mat = np.asarray(op.matrix(), dtype=dtype)
    return np.ascontiguousarray(mat[-2:, -2:]) if kind_ == "ctrl" else mat


def apply_array(psi: np.ndarray, n: int, axes: Sequence[int], kind_: str, array, chunks: int,
                n_controls: int = 0) -> None:
    """Apply one classified gate in place on the flat state ``psi`` of ``n`` qubits."""
    axes = tuple(axes)
    k = len(axes)
    par = chunks > 0
    if kind_ == "flip" or kind_ == "ctrl":
        nc = n_controls if kind_ == "flip" else k - 1
        p = n - 1 - axes[-1]
        if nc == 0:
            m = _X if kind_ == "flip" else array
            m = m.astype(psi.dtype, copy=False)
            K.one_qubit_par(psi, p, m, chunks) if par else K.one_qubit(psi, p, m)
            return
        sorted_pos, _ = geometry(n, axes)
        cmask = 0
        for a in axes[:-1]:
            cmask |= 1 << (n - 1 - a)
        m = _X.astype(psi.dtype) if kind_ == "flip" else array
        flip = kind_ == "flip"
        if par:
            K.controlled_par(psi, sorted_pos, cmask, p, m, flip, chunks)
        else:
            K.controlled(psi, sorted_pos, cmask, p, m, flip)
        return
    if kind_ == "cdiag":
        sorted_pos, _ = geometry(n, axes)
        cmask = 0
        for a in axes[:-1]:
            cmask |= 1 << (n - 1 - a)
        p = n - 1 - axes[-1]
        if par:
            K.controlled_diag_par(psi, sorted_pos, cmask, p, array, chunks)
        else:
            K.controlled_diag(psi, sorted_pos, cmask, p, array)
        return
    if kind_ == "swap":
        sorted_pos, _ = geometry(n, axes)
        pa, pb = n - 1 - axes[0], n - 1 - axes[1]
        K.swap_par(psi, sorted_pos, pa, pb, chunks) if par else K.swap(psi, sorted_pos, pa, pb)
        return
    if kind_ == "diag":
        if k == 1:
            p = n - 1 - axes[0]
            K.one_qubit_diag_par(psi, p, array, chunks) if par else K.one_qubit_diag(psi, p, array)
            return
        sorted_pos, offsets = geometry(n, axes)
        if par:
            K.diagonal_par(psi, sorted_pos, offsets, array, chunks)
        else:
            K.diagonal(psi, sorted_pos, offsets, array)
        return
    if k == 1:
        p = n - 1 - axes[0]
        K.one_qubit_par(psi, p, array, chunks) if par else K.one_qubit(psi, p, array)
        return
    if k <= MAX_DENSE:
        sorted_pos, offsets = geometry(n, axes)
        if par:
            K.dense_par(psi, sorted_pos, offsets, array, chunks)
        else:
            K.dense(psi, sorted_pos, offsets, array)
        return
    t = psi.reshape((2,) * n)
    out = np.tensordot(array.reshape((2,) * (2 * k)), t, axes=(list(range(k, 2 * k)), list(axes)))
    psi[:] = np.moveaxis(out, list(range(k)), list(axes)).reshape(-1)


def apply_op(psi: np.ndarray, n: int, op, axes: Sequence[int], chunks: int) -> None:
    """Apply gate ``op`` on tensor ``axes`` of the flat ``n``-qubit state ``psi``, in place."""
    kd = kind(op)
    apply_array(psi, n, axes, kd, array_of(op, kd, psi.dtype), chunks,
                getattr(_traits(op), "num_controls", 0))
