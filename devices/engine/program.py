"""Cache-blocked execution: runs of gates applied tile by tile in one numba call.

A pass over a 20-qubit state costs about as much as the arithmetic of a one-qubit gate, so most of a
gate-by-gate simulation is memory traffic. Here the gates are cut into *runs* whose wires fit in a
tile of ``2**B`` amplitudes (``B`` tile bits, chosen to fit the L2 cache). For each tile — the
amplitudes that agree on every bit outside the tile's bit set — the run's gates are applied to a
cached copy of the tile, which is then written back: one pass over memory per run, whatever the
number of gates in it. States of at most ``B`` qubits are one tile, run in place.

A run is a *program*: integer arrays describing each gate (kernel code, local bit positions,
control mask, offsets) that depend only on the circuit's structure, plus one flat array of gate
numbers filled per call. The interpreter (:func:`_execute`) dispatches on the code with the same
``*_span`` bodies as the gate-by-gate kernels.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from kettle.devices.engine.kernels import (
    _controlled_diag_span,
    _controlled_span,
    _dense_span,
    _diag_span,
    _insert_zeros,
    _one_qubit_diag_span,
    _one_qubit_span,
    _span,
    _swap_span,
)

ONE, DIAG1, CTRL, SWAP, DENSE, DIAGK, CDIAG = 0, 1, 2, 3, 4, 5, 6
#: widest gate a program holds (the dense k-qubit kernel's limit)
MAX_K = 5


@njit(inline="always")
def _dense2_span(psi, sorted_pos, o1, o2, o3, mat, lo, hi):
    m00, m01, m02, m03 = mat[0], mat[1], mat[2], mat[3]
    m10, m11, m12, m13 = mat[4], mat[5], mat[6], mat[7]
    m20, m21, m22, m23 = mat[8], mat[9], mat[10], mat[11]
    m30, m31, m32, m33 = mat[12], mat[13], mat[14], mat[15]
    for i in range(lo, hi):
        b = _insert_zeros(i, sorted_pos)
        a0, a1, a2, a3 = psi[b], psi[b + o1], psi[b + o2], psi[b + o3]
        psi[b] = m00 * a0 + m01 * a1 + m02 * a2 + m03 * a3
        psi[b + o1] = m10 * a0 + m11 * a1 + m12 * a2 + m13 * a3
        psi[b + o2] = m20 * a0 + m21 * a1 + m22 * a2 + m23 * a3
        psi[b + o3] = m30 * a0 + m31 * a1 + m32 * a2 + m33 * a3


@njit(inline="always")
def _execute(buf, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats):
    size = buf.size
    for g in range(codes.size):
        c = codes[g]
        k = ks[g]
        ms = mstart[g]
        if c == ONE:
            _one_qubit_span(buf, pos[g, 0], mats[ms], mats[ms + 1], mats[ms + 2], mats[ms + 3],
                            0, size >> 1)
        elif c == DIAG1:
            _one_qubit_diag_span(buf, pos[g, 0], mats[ms], mats[ms + 1], 0, size >> 1)
        elif c == CTRL:
            flip = cmask[g] < 0
            cm = -cmask[g] if flip else cmask[g]
            _controlled_span(buf, spos[g, :k], cm, pos[g, k - 1], mats[ms], mats[ms + 1],
                             mats[ms + 2], mats[ms + 3], flip, 0, size >> k)
        elif c == CDIAG:
            _controlled_diag_span(buf, spos[g, :k], cmask[g], pos[g, k - 1], mats[ms],
                                  mats[ms + 1], 0, size >> k)
        elif c == SWAP:
            _swap_span(buf, spos[g, :2], pos[g, 0], pos[g, 1], 0, size >> 2)
        elif c == DENSE:
            d = 1 << k
            os = ostart[g]
            if k == 2:
                _dense2_span(buf, spos[g, :2], offs[os + 1], offs[os + 2], offs[os + 3],
                             mats[ms:ms + 16], 0, size >> 2)
            else:
                _dense_span(buf, spos[g, :k], offs[os:os + d], mats[ms:ms + d * d].reshape(d, d),
                            0, size >> k)
        else:
            d = 1 << k
            os = ostart[g]
            _diag_span(buf, spos[g, :k], offs[os:os + d], mats[ms:ms + d], 0, size >> k)


@njit(cache=True, fastmath=True)
def run_whole(psi, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats):
    """Execute a program on the whole state (the state is one tile)."""
    _execute(psi, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats)


@njit(inline="always")
def _tiles(psi, tile_pos, toff, lo, hi, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats):
    size = toff.size
    buf = np.empty(size, dtype=psi.dtype)
    for t in range(lo, hi):
        base = _insert_zeros(t, tile_pos)
        for j in range(size):
            buf[j] = psi[base + toff[j]]
        _execute(buf, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats)
        for j in range(size):
            psi[base + toff[j]] = buf[j]


@njit(cache=True, fastmath=True)
def run_tiles(psi, tile_pos, toff, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats):
    """Execute a program on every tile (``tile_pos``: the tile's sorted bit positions)."""
    _tiles(psi, tile_pos, toff, 0, psi.size // toff.size, codes, ks, pos, spos, cmask, ostart,
           offs, mstart, mats)


@njit(cache=True, fastmath=True, parallel=True)
def run_tiles_par(psi, tile_pos, toff, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats,
                  chunks):
    total = psi.size // toff.size
    for c in prange(chunks):
        lo, hi = _span(total, chunks, c)
        _tiles(psi, tile_pos, toff, lo, hi, codes, ks, pos, spos, cmask, ostart, offs, mstart,
               mats)
