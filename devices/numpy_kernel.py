"""Fast paths of the gate kernel for plain NumPy states (no autodiff tracing, no batch axis).

Each path works in place on views where it can and avoids the generic einsum: BLAS matmuls for
one-qubit gates, a broadcast product for diagonal gates, slice flips for CNOT/Toffoli, and
tensordot for the rest. :func:`apply` returns None when it cannot handle the case, and the
generic kernel takes over.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from kettle.core import qmath


def _plain(op) -> bool:
    return all(qmath.backend_of(p) == "numpy" for p in op.data)


def apply(state: np.ndarray, op: Any, axes: Sequence[int]) -> np.ndarray | None:
    if op.batch_size is not None or not _plain(op):
        return None
    n = state.ndim
    if getattr(type(op), "target_is_x", False):  # X, CNOT, Toffoli: a flip under controls
        return _controlled_flip(state, axes, type(op).num_controls)
    if op.has_diagonal:
        return _diagonal(state, np.asarray(op.diagonal(), dtype=state.dtype), axes, n)
    mat = np.asarray(op.matrix(), dtype=state.dtype)
    if len(axes) == 1:
        return _one_qubit(state, mat, axes[0], n)
    k = len(axes)
    out = np.tensordot(mat.reshape((2,) * (2 * k)), state, axes=(list(range(k, 2 * k)), list(axes)))
    return np.moveaxis(out, list(range(k)), list(axes))


def _diagonal(state, diag, axes, n):
    k = len(axes)
    d = diag.reshape((2,) * k)
    order = np.argsort(axes)
    d = np.transpose(d, order)
    shape = [1] * n
    for a in axes:
        shape[a] = 2
    return state * d.reshape(shape)


def _one_qubit(state, mat, axis, n):
    # The state as (left, 2, right) blocks; the fastest contraction depends on the inner size:
    # a BLAS matmul against kron(Mᵀ, I_right) for small right, einsum for medium, and a
    # broadcast matmul M @ block for large right (measured on 20 qubits, see benchmarks/).
    left, right = 2 ** axis, 2 ** (n - axis - 1)
    x = state.reshape(left, 2, right)
    if state.size <= 4096:  # small states: per-call overhead dominates
        return np.matmul(mat, x).reshape(state.shape)
    if right <= 16:
        block = np.kron(mat.T, np.eye(right, dtype=mat.dtype))
        return (x.reshape(left, 2 * right) @ block).reshape(state.shape)
    if right < 64:
        return np.einsum("ij,ajb->aib", mat, x).reshape(state.shape)
    return np.matmul(mat, x).reshape(state.shape)


def _controlled_flip(state, axes, n_controls):
    controls, target = list(axes[:n_controls]), axes[n_controls]
    if n_controls == 0:
        return np.flip(state, axis=target).copy()
    if n_controls == 1:  # write each half once instead of copy-then-overwrite
        c = controls[0]
        t = target - (1 if c < target else 0)
        lo = [slice(None)] * state.ndim
        hi = list(lo)
        lo[c], hi[c] = 0, 1
        out = np.empty_like(state)
        out[tuple(lo)] = state[tuple(lo)]
        out[tuple(hi)] = np.flip(state[tuple(hi)], axis=t)
        return out
    out = state.copy()
    idx = [slice(None)] * state.ndim
    for c in controls:
        idx[c] = 1
    idx = tuple(idx)
    # the target axis index inside the sliced view (controls removed before it)
    t = target - sum(1 for c in controls if c < target)
    out[idx] = np.flip(state[idx], axis=t)
    return out
