"""The gate-application kernel of default.qubit.

The state is a tensor of shape ``(batch?,) + (2,) * n``. :func:`apply_operation` is the one function
the simulator calls per gate; speed work replaces it (``DefaultQubit.kernel``). It is written once
over autoray, so NumPy, autograd, PyTorch, TensorFlow and JAX states all go through it.
"""
from __future__ import annotations

import functools
import string
from typing import Any, Sequence

import autoray as ar
import numpy as np

from kettle.core import qmath
from kettle.devices import numpy_kernel

_LETTERS = string.ascii_letters
_BATCH = "Z"  # never used for a wire index below (at most 50 letters are taken from the rest)
_WIRE_LETTERS = _LETTERS.replace("Z", "")


def align(mat: Any, state: Any) -> Any:
    """``mat`` in ``state``'s framework, device and dtype."""
    bm, bs = qmath.backend_of(mat), qmath.backend_of(state)
    sd = qmath.dtype_name(state)
    if bm == "numpy" and bs not in ("numpy", "autograd"):
        return qmath.convert_like(mat, state, sd)
    if bm == "numpy":
        return np.asarray(mat, dtype=sd) if np.asarray(mat).dtype != sd else mat
    if qmath.dtype_name(mat) != sd:
        return ar.astype(mat, sd)
    return mat


def lift_state(state: Any, mat: Any) -> Any:
    """A NumPy state meets a framework matrix: move the state into that framework."""
    bm, bs = qmath.backend_of(mat), qmath.backend_of(state)
    if bs == "numpy" and bm not in ("numpy", "autograd"):
        return qmath.convert_like(state, mat, qmath.dtype_name(mat))
    return state


@functools.lru_cache(maxsize=4096)
def _matrix_subscripts(n: int, axes: tuple[int, ...], state_batched: bool, mat_batched: bool) -> str:
    k = len(axes)
    state_idx = _WIRE_LETTERS[:n]
    new = _WIRE_LETTERS[n:n + k]
    old = "".join(state_idx[a] for a in axes)
    out = list(state_idx)
    for a, c in zip(axes, new):
        out[a] = c
    b_state = _BATCH if state_batched else ""
    b_mat = _BATCH if mat_batched else ""
    b_out = _BATCH if (state_batched or mat_batched) else ""
    return f"{b_mat}{new}{old},{b_state}{state_idx}->{b_out}{''.join(out)}"


@functools.lru_cache(maxsize=4096)
def _diagonal_subscripts(n: int, axes: tuple[int, ...], state_batched: bool, diag_batched: bool) -> str:
    state_idx = _WIRE_LETTERS[:n]
    sub = "".join(state_idx[a] for a in axes)
    b_state = _BATCH if state_batched else ""
    b_diag = _BATCH if diag_batched else ""
    b_out = _BATCH if (state_batched or diag_batched) else ""
    return f"{b_diag}{sub},{b_state}{state_idx}->{b_out}{state_idx}"


def apply_matrix(state: Any, mat: Any, axes: Sequence[int], state_batched: bool) -> Any:
    """Contract a (batch?, 2**k, 2**k) matrix with the state on tensor ``axes``."""
    k = len(axes)
    state = lift_state(state, mat)
    mat = align(mat, state)
    mat_batched = qmath.ndim(mat) == 3
    n = qmath.ndim(state) - (1 if state_batched else 0)
    lead = (qmath.shape(mat)[0],) if mat_batched else ()
    m = ar.do("reshape", mat, lead + (2,) * (2 * k))
    subs = _matrix_subscripts(n, tuple(axes), state_batched, mat_batched)
    return ar.do("einsum", subs, m, state)


def apply_diagonal(state: Any, diag: Any, axes: Sequence[int], state_batched: bool) -> Any:
    """Multiply the state by a (batch?, 2**k) diagonal on tensor ``axes``."""
    k = len(axes)
    state = lift_state(state, diag)
    diag = align(diag, state)
    diag_batched = qmath.ndim(diag) == 2
    n = qmath.ndim(state) - (1 if state_batched else 0)
    lead = (qmath.shape(diag)[0],) if diag_batched else ()
    d = ar.do("reshape", diag, lead + (2,) * k)
    subs = _diagonal_subscripts(n, tuple(axes), state_batched, diag_batched)
    return ar.do("einsum", subs, d, state)


#: per-array-type fast paths; each returns None when it cannot handle a case.
FAST_PATHS = {np.ndarray: numpy_kernel.apply}


def apply_operation(state: Any, op: Any, axes: Sequence[int], state_batched: bool) -> Any:
    """Apply one gate (or observable used as an operator) to the state."""
    fast = FAST_PATHS.get(type(state))
    if fast is not None and not state_batched:
        out = fast(state, op, axes)
        if out is not None:
            return out
    if op.has_diagonal:
        return apply_diagonal(state, op.diagonal(), axes, state_batched)
    return apply_matrix(state, op.matrix(), axes, state_batched)
