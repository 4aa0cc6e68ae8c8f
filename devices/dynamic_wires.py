"""Gates on dynamic wires: wires whose values are known only when a compiled program runs.

A ``kt.for_loop`` index used as a wire is a traced integer, so the tensor axis a gate acts on is
not known while the program is built. The einsum kernel needs static axes; this one works on the
flattened state instead. For a k-qubit matrix U on bit positions s_1..s_k of the basis index,

    ψ'[x] = Σ_c U[r(x), c] · ψ[x with bits s_1..s_k replaced by c],

where r(x) reads those bits of x. That is 2^k gathers over the 2^n amplitudes, with indices
computed from the traced positions, so program size does not depend on the wire values.
A wire that is not on the device, or a gate whose dynamic wires coincide, turns the state into
NaN: the program cannot raise an error at run time, and a silently clamped index would be wrong.
"""
from __future__ import annotations

from typing import Any, Sequence

import autoray as ar

from kettle.core import qmath
from kettle.core.wires import Wires, is_dynamic
from kettle.devices.qubit_kernel import align
from kettle.errors import WireError


def positions(wire_order: Wires, wires: Wires, device_name: str = "the device") -> tuple[list, Any]:
    """The tensor axes of ``wires`` (traced where a wire is dynamic) and a traced validity flag
    (None when every wire is static).

    Raises:
        WireError: dynamic wires on a device whose wire labels are not integers.
    """
    ref = next(w for w in wires if is_dynamic(w))
    if not all(isinstance(w, int) and not isinstance(w, bool) for w in wire_order):
        raise WireError(
            f"dynamic wires (values computed inside a compiled program, e.g. a kt.for_loop index) "
            f"need a device with integer wire labels, but {device_name} has wires "
            f"{list(wire_order)}", wires=list(wire_order))
    labels = ar.do("asarray", list(wire_order), like=ref)
    counting = ar.do("arange", len(wire_order), like=ref)
    axes, valid = [], ar.do("asarray", True, like=ref)
    for w in wires:
        if is_dynamic(w):
            hit = labels == w
            axes.append(ar.do("sum", ar.do("where", hit, counting, 0)))
            valid = valid & ar.do("any", hit)
        else:
            axes.append(wire_order.index(w))
    for i in range(len(axes)):  # a gate's wires must differ
        for j in range(i):
            valid = valid & (axes[i] != axes[j])
    return axes, valid


def apply(state: Any, array: Any, axes: Sequence[Any], state_batched: bool, diagonal: bool,
          valid: Any) -> Any:
    """Apply a (batch?) matrix, or diagonal, to ``state`` on traced tensor ``axes``."""
    ref = next(a for a in axes if not isinstance(a, int))
    state = ar.do("asarray", state, like=ref)
    array = align(array, state)
    shape = qmath.shape(state)
    n = len(shape) - (1 if state_batched else 0)
    k = len(axes)
    lead = shape[:1] if state_batched else ()
    psi = ar.do("reshape", state, lead + (2 ** n,))
    index = ar.do("arange", 2 ** n, like=ref)
    shifts = [n - 1 - a for a in axes]
    row = 0
    mask = 0
    for j, s in enumerate(shifts):
        row = row + (((index >> s) & 1) << (k - 1 - j))
        mask = mask + (1 << s)
    base = index & ~mask
    if diagonal:
        out = array[..., row] * psi
    else:
        out = 0
        for c in range(2 ** k):
            src = base
            for j, s in enumerate(shifts):
                src = src | (((c >> (k - 1 - j)) & 1) << s)
            out = out + array[..., row, c] * psi[..., src]
    nan = ar.do("asarray", float("nan"), like=ref)
    out = out * ar.astype(ar.do("where", valid, 1.0, nan), qmath.dtype_name(out))
    out_lead = qmath.shape(out)[:-1]
    return ar.do("reshape", out, tuple(out_lead) + (2,) * n)
