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
    if bm == "numpy" and qmath.is_framework_array(state):
        return qmath.convert_like(mat, state, sd)
    if bm == "numpy":
        return np.asarray(mat, dtype=sd) if np.asarray(mat).dtype != sd else mat
    if qmath.dtype_name(mat) != sd:
        return ar.astype(mat, sd)
    return mat


def lift_state(state: Any, mat: Any) -> Any:
    """A NumPy state meets a framework matrix: move the state into that framework."""
    bm, bs = qmath.backend_of(mat), qmath.backend_of(state)
    if bs == "numpy" and qmath.is_framework_array(mat):
        return qmath.convert_like(state, mat, qmath.dtype_name(mat))
    return state


@functools.lru_cache(maxsize=4096)
def _subscripts(n: int, axes: tuple[int, ...], state_batched: bool, op_batched: bool,
                diagonal: bool) -> str:
    """einsum subscripts applying a (batch?) matrix, or a diagonal, on tensor ``axes``."""
    state_idx = _WIRE_LETTERS[:n]
    old = "".join(state_idx[a] for a in axes)
    b_state = _BATCH if state_batched else ""
    b_op = _BATCH if op_batched else ""
    b_out = _BATCH if (state_batched or op_batched) else ""
    if diagonal:
        return f"{b_op}{old},{b_state}{state_idx}->{b_out}{state_idx}"
    new = _WIRE_LETTERS[n:n + len(axes)]
    out = list(state_idx)
    for a, c in zip(axes, new):
        out[a] = c
    return f"{b_op}{new}{old},{b_state}{state_idx}->{b_out}{''.join(out)}"


def _contract(state: Any, array: Any, axes: Sequence[int], state_batched: bool,
              diagonal: bool) -> Any:
    k = len(axes)
    state = lift_state(state, array)
    array = align(array, state)
    op_batched = qmath.ndim(array) == (2 if diagonal else 3)
    n = qmath.ndim(state) - (1 if state_batched else 0)
    lead = (qmath.shape(array)[0],) if op_batched else ()
    t = ar.do("reshape", array, lead + (2,) * (k if diagonal else 2 * k))
    subs = _subscripts(n, tuple(axes), state_batched, op_batched, diagonal)
    return ar.do("einsum", subs, t, state)


def apply_matrix(state: Any, mat: Any, axes: Sequence[int], state_batched: bool) -> Any:
    """Contract a (batch?, 2**k, 2**k) matrix with the state on tensor ``axes``."""
    return _contract(state, mat, axes, state_batched, diagonal=False)


def apply_diagonal(state: Any, diag: Any, axes: Sequence[int], state_batched: bool) -> Any:
    """Multiply the state by a (batch?, 2**k) diagonal on tensor ``axes``."""
    return _contract(state, diag, axes, state_batched, diagonal=True)


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
