"""In-place numba kernels over a flat state vector of ``2**n`` amplitudes.

Bit conventions: tensor axis ``a`` of an ``n``-qubit state is bit ``p = n - 1 - a`` of the flat
index (axis 0 is the most significant bit). A gate on ``k`` wires with bit positions
``pos[0..k-1]`` (in the gate's wire order) touches, for every *base* index whose bits at those
positions are zero, the ``2**k`` amplitudes ``base + offsets[j]`` where
``offsets[j] = Σ_b bit_{k-1-b}(j) << pos[b]`` — the gate's local index ``j`` has its first wire as
most significant bit, as the gate's matrix does. Bases are enumerated by inserting zero bits into a
counter at the sorted positions, so any wire positions work (adjacent or not, controls above or
below the target).

Every kernel exists twice: a serial one for small states and a ``parallel=True`` one that splits
the bases into ``chunks`` ranges over numba's thread pool. Bodies are shared ``*_span`` helpers
working on one range of bases. The functions are generic over complex64 and complex128 states
(numba compiles one specialization per dtype; ``cache=True`` keeps them across processes).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

# ---------------------------------------------------------------------------------- bit helpers


@njit(inline="always")
def _insert_zeros(i, sorted_pos):
    """``i`` with a zero bit inserted at each position of ``sorted_pos`` (ascending)."""
    for q in sorted_pos:
        low = i & ((1 << q) - 1)
        i = ((i >> q) << (q + 1)) | low
    return i


@njit(inline="always")
def _parity(x):
    x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    x ^= x >> 4
    x ^= x >> 2
    x ^= x >> 1
    return x & 1


@njit(inline="always")
def _span(total, chunks, c):
    step = (total + chunks - 1) // chunks
    lo = c * step
    hi = min(total, lo + step)
    return lo, hi


# ---------------------------------------------------------------------------------- one qubit


@njit(inline="always")
def _one_qubit_span(psi, p, m00, m01, m10, m11, lo, hi):
    bit = 1 << p
    low = bit - 1
    for i in range(lo, hi):
        i0 = ((i >> p) << (p + 1)) | (i & low)
        i1 = i0 | bit
        a, b = psi[i0], psi[i1]
        psi[i0] = m00 * a + m01 * b
        psi[i1] = m10 * a + m11 * b


@njit(cache=True)
def one_qubit(psi, p, m):
    _one_qubit_span(psi, p, m[0, 0], m[0, 1], m[1, 0], m[1, 1], 0, psi.size >> 1)


@njit(cache=True, parallel=True)
def one_qubit_par(psi, p, m, chunks):
    for c in prange(chunks):
        lo, hi = _span(psi.size >> 1, chunks, c)
        _one_qubit_span(psi, p, m[0, 0], m[0, 1], m[1, 0], m[1, 1], lo, hi)


@njit(inline="always")
def _one_qubit_diag_span(psi, p, d0, d1, lo, hi):
    bit = 1 << p
    low = bit - 1
    for i in range(lo, hi):
        i0 = ((i >> p) << (p + 1)) | (i & low)
        psi[i0] *= d0
        psi[i0 | bit] *= d1


@njit(cache=True)
def one_qubit_diag(psi, p, d):
    _one_qubit_diag_span(psi, p, d[0], d[1], 0, psi.size >> 1)


@njit(cache=True, parallel=True)
def one_qubit_diag_par(psi, p, d, chunks):
    for c in prange(chunks):
        lo, hi = _span(psi.size >> 1, chunks, c)
        _one_qubit_diag_span(psi, p, d[0], d[1], lo, hi)


# ---------------------------------------------------------------------------------- controlled


@njit(inline="always")
def _controlled_span(psi, sorted_pos, cmask, p, m00, m01, m10, m11, flip, lo, hi):
    bit = 1 << p
    for i in range(lo, hi):
        i0 = _insert_zeros(i, sorted_pos) | cmask
        i1 = i0 | bit
        a, b = psi[i0], psi[i1]
        if flip:
            psi[i0] = b
            psi[i1] = a
        else:
            psi[i0] = m00 * a + m01 * b
            psi[i1] = m10 * a + m11 * b


@njit(cache=True)
def controlled(psi, sorted_pos, cmask, p, m, flip):
    """2x2 ``m`` on bit ``p`` where every bit of ``cmask`` is 1 (``flip``: ``m`` is X)."""
    total = psi.size >> sorted_pos.size
    _controlled_span(psi, sorted_pos, cmask, p, m[0, 0], m[0, 1], m[1, 0], m[1, 1], flip, 0, total)


@njit(cache=True, parallel=True)
def controlled_par(psi, sorted_pos, cmask, p, m, flip, chunks):
    total = psi.size >> sorted_pos.size
    for c in prange(chunks):
        lo, hi = _span(total, chunks, c)
        _controlled_span(psi, sorted_pos, cmask, p, m[0, 0], m[0, 1], m[1, 0], m[1, 1], flip,
                         lo, hi)


@njit(inline="always")
def _controlled_diag_span(psi, sorted_pos, cmask, p, d0, d1, lo, hi):
    bit = 1 << p
    for i in range(lo, hi):
        i0 = _insert_zeros(i, sorted_pos) | cmask
        psi[i0] *= d0
        psi[i0 | bit] *= d1


@njit(cache=True)
def controlled_diag(psi, sorted_pos, cmask, p, d):
    """diag(d0, d1) on bit ``p`` where every bit of ``cmask`` is 1 (CZ, CRZ, controlled phases)."""
    _controlled_diag_span(psi, sorted_pos, cmask, p, d[0], d[1], 0, psi.size >> sorted_pos.size)


@njit(cache=True, parallel=True)
def controlled_diag_par(psi, sorted_pos, cmask, p, d, chunks):
    total = psi.size >> sorted_pos.size
    for c in prange(chunks):
        lo, hi = _span(total, chunks, c)
        _controlled_diag_span(psi, sorted_pos, cmask, p, d[0], d[1], lo, hi)


@njit(inline="always")
def _swap_span(psi, sorted_pos, pa, pb, lo, hi):
    ba, bb = 1 << pa, 1 << pb
    for i in range(lo, hi):
        base = _insert_zeros(i, sorted_pos)
        x, y = base | ba, base | bb
        t = psi[x]
        psi[x] = psi[y]
        psi[y] = t


@njit(cache=True)
def swap(psi, sorted_pos, pa, pb):
    _swap_span(psi, sorted_pos, pa, pb, 0, psi.size >> 2)


@njit(cache=True, parallel=True)
def swap_par(psi, sorted_pos, pa, pb, chunks):
    for c in prange(chunks):
        lo, hi = _span(psi.size >> 2, chunks, c)
        _swap_span(psi, sorted_pos, pa, pb, lo, hi)


# ---------------------------------------------------------------------------------- k qubits


@njit(inline="always")
def _dense_span(psi, sorted_pos, offsets, mat, lo, hi):
    d = offsets.size
    v = np.empty(d, dtype=psi.dtype)
    for i in range(lo, hi):
        base = _insert_zeros(i, sorted_pos)
        for j in range(d):
            v[j] = psi[base + offsets[j]]
        for r in range(d):
            acc = mat[r, 0] * v[0]
            for j in range(1, d):
                acc += mat[r, j] * v[j]
            psi[base + offsets[r]] = acc


@njit(cache=True)
def dense(psi, sorted_pos, offsets, mat):
    _dense_span(psi, sorted_pos, offsets, mat, 0, psi.size >> sorted_pos.size)


@njit(cache=True, parallel=True)
def dense_par(psi, sorted_pos, offsets, mat, chunks):
    total = psi.size >> sorted_pos.size
    for c in prange(chunks):
        lo, hi = _span(total, chunks, c)
        _dense_span(psi, sorted_pos, offsets, mat, lo, hi)


@njit(inline="always")
def _diag_span(psi, sorted_pos, offsets, diag, lo, hi):
    d = offsets.size
    for i in range(lo, hi):
        base = _insert_zeros(i, sorted_pos)
        for j in range(d):
            psi[base + offsets[j]] *= diag[j]


@njit(cache=True)
def diagonal(psi, sorted_pos, offsets, diag):
    _diag_span(psi, sorted_pos, offsets, diag, 0, psi.size >> sorted_pos.size)


@njit(cache=True, parallel=True)
def diagonal_par(psi, sorted_pos, offsets, diag, chunks):
    total = psi.size >> sorted_pos.size
    for c in prange(chunks):
        lo, hi = _span(total, chunks, c)
        _diag_span(psi, sorted_pos, offsets, diag, lo, hi)


@njit(inline="always")
def _pauli_span(psi, xmask, zmask, phase, lo, hi):
    # P|i⟩ = phase · (−1)^{|i ∧ zmask|} |i ⊕ xmask⟩; visit each pair {i, i ⊕ xmask} once
    for i in range(lo, hi):
        if xmask == 0:
            if _parity(i & zmask):
                psi[i] = -phase * psi[i]
            else:
                psi[i] = phase * psi[i]
        else:
            j = i ^ xmask
            if j < i:
                continue
            si = -phase if _parity(i & zmask) else phase
            sj = -phase if _parity(j & zmask) else phase
            a, b = psi[i], psi[j]
            psi[j] = si * a
            psi[i] = sj * b


@njit(cache=True)
def pauli(psi, xmask, zmask, phase):
    """Apply a Pauli word in place (X/Y bits in ``xmask``, Z/Y bits in ``zmask``, ``phase`` = i^#Y)."""
    _pauli_span(psi, xmask, zmask, phase, 0, psi.size)


@njit(cache=True, parallel=True)
def pauli_par(psi, xmask, zmask, phase, chunks):
    for c in prange(chunks):
        lo, hi = _span(psi.size, chunks, c)
        _pauli_span(psi, xmask, zmask, phase, lo, hi)


# ------------------------------------------------------------------------------- product states


@njit(inline="always")
def _product_span(psi, h, v0, v1, lo, hi):
    for j in range(lo, hi):
        x = psi[j]
        psi[h + j] = x * v1
        psi[j] = x * v0


@njit(cache=True)
def product_state(psi, vecs):
    """``psi`` (any contents) := the product of one 2-vector per tensor axis, ``vecs[a]`` for axis
    ``a``: bit by bit from the least significant, the filled low half times the bit's 0-entry and
    a copy times its 1-entry."""
    n = vecs.shape[0]
    psi[0] = 1
    for b in range(n):
        _product_span(psi, 1 << b, vecs[n - 1 - b, 0], vecs[n - 1 - b, 1], 0, 1 << b)


@njit(cache=True, parallel=True)
def product_state_par(psi, vecs, chunks):
    n = vecs.shape[0]
    psi[0] = 1
    for b in range(n):
        h = 1 << b
        v0, v1 = vecs[n - 1 - b, 0], vecs[n - 1 - b, 1]
        if h < 1 << 16:
            _product_span(psi, h, v0, v1, 0, h)
            continue
        for c in prange(chunks):
            lo, hi = _span(h, chunks, c)
            _product_span(psi, h, v0, v1, lo, hi)
