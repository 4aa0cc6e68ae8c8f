"""Cache-blocked execution: runs of gates applied tile by tile in one numba call.

A pass over a 20-qubit state costs about as much as the arithmetic of a one-qubit gate, so most of a
gate-by-gate simulation is memory traffic. Here the gates are cut into *runs* whose wires fit in a
tile of ``2**B`` amplitudes (``B`` tile bits, chosen to fit the L2 cache). For each tile — the
amplitudes that agree on every bit outside the tile's bit set — the run's gates are applied to a
cached copy of the tile, which is then written back: one pass over memory per run, whatever the
number of gates in it. A state of at most ``B`` qubits is one tile.

**Split storage.** The cached copy holds the real and the imaginary parts in two arrays. A gate
then pairs contiguous *segments* of both arrays (the amplitudes whose local bits below the gate's
lowest bit run over every value) and its arithmetic is plain real multiply-adds over them, which
LLVM vectorizes; on interleaved complex numbers it does not (measured: 1.0 ns against 0.2 ns per
amplitude for a one-qubit gate, docs/performance.md). Segments are long when a gate's lowest
local bit is high, so the tile's local bits start with bits no gate of the run touches, then the
run's bits in ascending order (:mod:`.plan`).

A run is a *program*: integer arrays describing each gate (kernel code, local bit positions,
control mask, offsets) that depend only on the circuit's structure, plus one flat array of gate
numbers filled per call. The interpreter (:func:`execute`) dispatches on the code.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from kettle.devices.engine.kernels import _insert_zeros, _span

ONE, DIAG1, CTRL, SWAP, DENSE, DIAGK, CDIAG = 0, 1, 2, 3, 4, 5, 6
#: widest gate a program holds (the dense k-qubit kernel's limit)
MAX_K = 5


# ------------------------------------------------------------------- segment arithmetic (in place)


@njit(inline="always")
def _scale(re, im, s, length, cr, ci):
    """Segment ``[s, s + length)`` times ``cr + i ci``."""
    if cr == 1.0 and ci == 0.0:
        return
    if length == 1:  # a slice per amplitude would cost more than the arithmetic
        a, b = re[s], im[s]
        re[s] = cr * a - ci * b
        im[s] = cr * b + ci * a
        return
    xr = re[s:s + length]
    xi = im[s:s + length]
    for j in range(length):
        a, b = xr[j], xi[j]
        xr[j] = cr * a - ci * b
        xi[j] = cr * b + ci * a


@njit(inline="always")
def _mix(re, im, s0, s1, length, mats, ms):
    """The 2x2 matrix ``mats[ms:ms + 4]`` on the segment pair (s0, s1)."""
    ar, ai = mats[ms].real, mats[ms].imag
    br, bi = mats[ms + 1].real, mats[ms + 1].imag
    cr, ci = mats[ms + 2].real, mats[ms + 2].imag
    dr, di = mats[ms + 3].real, mats[ms + 3].imag
    if length == 1:
        xr, xi, yr, yi = re[s0], im[s0], re[s1], im[s1]
        re[s0] = ar * xr - ai * xi + br * yr - bi * yi
        im[s0] = ar * xi + ai * xr + br * yi + bi * yr
        re[s1] = cr * xr - ci * xi + dr * yr - di * yi
        im[s1] = cr * xi + ci * xr + dr * yi + di * yr
        return
    r0 = re[s0:s0 + length]
    i0 = im[s0:s0 + length]
    r1 = re[s1:s1 + length]
    i1 = im[s1:s1 + length]
    for j in range(length):
        xr, xi, yr, yi = r0[j], i0[j], r1[j], i1[j]
        r0[j] = ar * xr - ai * xi + br * yr - bi * yi
        i0[j] = ar * xi + ai * xr + br * yi + bi * yr
        r1[j] = cr * xr - ci * xi + dr * yr - di * yi
        i1[j] = cr * xi + ci * xr + dr * yi + di * yr


@njit(inline="always")
def _exchange(re, im, s0, s1, length):
    if length == 1:
        re[s0], re[s1] = re[s1], re[s0]
        im[s0], im[s1] = im[s1], im[s0]
        return
    r0 = re[s0:s0 + length]
    i0 = im[s0:s0 + length]
    r1 = re[s1:s1 + length]
    i1 = im[s1:s1 + length]
    for j in range(length):
        a, b = r0[j], i0[j]
        r0[j] = r1[j]
        i0[j] = i1[j]
        r1[j] = a
        i1[j] = b


@njit(inline="always")
def _dense2(re, im, s, o1, o2, o3, length, mats, ms):
    """The 4x4 matrix ``mats[ms:ms + 16]`` on the segments at ``s``, ``s + o1/o2/o3``."""
    m = mats[ms:ms + 16]
    a0r, a0i, a1r, a1i = m[0].real, m[0].imag, m[1].real, m[1].imag
    a2r, a2i, a3r, a3i = m[2].real, m[2].imag, m[3].real, m[3].imag
    b0r, b0i, b1r, b1i = m[4].real, m[4].imag, m[5].real, m[5].imag
    b2r, b2i, b3r, b3i = m[6].real, m[6].imag, m[7].real, m[7].imag
    c0r, c0i, c1r, c1i = m[8].real, m[8].imag, m[9].real, m[9].imag
    c2r, c2i, c3r, c3i = m[10].real, m[10].imag, m[11].real, m[11].imag
    d0r, d0i, d1r, d1i = m[12].real, m[12].imag, m[13].real, m[13].imag
    d2r, d2i, d3r, d3i = m[14].real, m[14].imag, m[15].real, m[15].imag
    r0 = re[s:s + length]
    i0 = im[s:s + length]
    r1 = re[s + o1:s + o1 + length]
    i1 = im[s + o1:s + o1 + length]
    r2 = re[s + o2:s + o2 + length]
    i2 = im[s + o2:s + o2 + length]
    r3 = re[s + o3:s + o3 + length]
    i3 = im[s + o3:s + o3 + length]
    for j in range(length):
        xr0, xi0, xr1, xi1 = r0[j], i0[j], r1[j], i1[j]
        xr2, xi2, xr3, xi3 = r2[j], i2[j], r3[j], i3[j]
        r0[j] = (a0r * xr0 - a0i * xi0 + a1r * xr1 - a1i * xi1
                 + a2r * xr2 - a2i * xi2 + a3r * xr3 - a3i * xi3)
        i0[j] = (a0r * xi0 + a0i * xr0 + a1r * xi1 + a1i * xr1
                 + a2r * xi2 + a2i * xr2 + a3r * xi3 + a3i * xr3)
        r1[j] = (b0r * xr0 - b0i * xi0 + b1r * xr1 - b1i * xi1
                 + b2r * xr2 - b2i * xi2 + b3r * xr3 - b3i * xi3)
        i1[j] = (b0r * xi0 + b0i * xr0 + b1r * xi1 + b1i * xr1
                 + b2r * xi2 + b2i * xr2 + b3r * xi3 + b3i * xr3)
        r2[j] = (c0r * xr0 - c0i * xi0 + c1r * xr1 - c1i * xi1
                 + c2r * xr2 - c2i * xi2 + c3r * xr3 - c3i * xi3)
        i2[j] = (c0r * xi0 + c0i * xr0 + c1r * xi1 + c1i * xr1
                 + c2r * xi2 + c2i * xr2 + c3r * xi3 + c3i * xr3)
        r3[j] = (d0r * xr0 - d0i * xi0 + d1r * xr1 - d1i * xi1
                 + d2r * xr2 - d2i * xi2 + d3r * xr3 - d3i * xi3)
        i3[j] = (d0r * xi0 + d0i * xr0 + d1r * xi1 + d1i * xr1
                 + d2r * xi2 + d2i * xr2 + d3r * xi3 + d3i * xr3)


@njit(inline="always")
def _dense_k(re, im, s, offsets, length, mats, ms, tre, tim):
    """A ``d x d`` matrix (``d = offsets.size``) on the segments at ``s + offsets``: the inputs are
    copied to the scratch rows ``tre/tim[:d * length]``, then each output is a sum of scaled rows."""
    d = offsets.size
    for c in range(d):
        src_r = re[s + offsets[c]:s + offsets[c] + length]
        src_i = im[s + offsets[c]:s + offsets[c] + length]
        dst_r = tre[c * length:(c + 1) * length]
        dst_i = tim[c * length:(c + 1) * length]
        for j in range(length):
            dst_r[j] = src_r[j]
            dst_i[j] = src_i[j]
    for r in range(d):
        out_r = re[s + offsets[r]:s + offsets[r] + length]
        out_i = im[s + offsets[r]:s + offsets[r] + length]
        for j in range(length):
            out_r[j] = 0.0
            out_i[j] = 0.0
        for c in range(d):
            mr, mi = mats[ms + r * d + c].real, mats[ms + r * d + c].imag
            if mr == 0.0 and mi == 0.0:
                continue
            xr = tre[c * length:(c + 1) * length]
            xi = tim[c * length:(c + 1) * length]
            for j in range(length):
                out_r[j] += mr * xr[j] - mi * xi[j]
                out_i[j] += mr * xi[j] + mi * xr[j]


# ------------------------------------------------------------------------------- the interpreter


@njit(cache=True, fastmath=True)
def execute(re, im, tre, tim, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats, g0, g1):
    """Gates ``g0 .. g1 - 1`` of a program on one tile (``re``, ``im``) in place.

    Compiled once, not inlined into its callers: inlined, the interpreter made every caller's
    first compilation take tens of seconds."""
    size = re.size
    for g in range(g0, g1):
        c = codes[g]
        k = ks[g]
        ms = mstart[g]
        low = spos[g, 0]
        length = 1 << low
        count = size >> (k + low)  # segment groups: bases with zeros at the gate's bits and below
        sp = spos[g, :k]
        if c == ONE or c == DIAG1:
            bit = 1 << pos[g, 0]
            for o in range(count):
                s0 = o << (low + 1)
                if c == ONE:
                    _mix(re, im, s0, s0 + bit, length, mats, ms)
                else:
                    _scale(re, im, s0, length, mats[ms].real, mats[ms].imag)
                    _scale(re, im, s0 + bit, length, mats[ms + 1].real, mats[ms + 1].imag)
        elif c == CTRL or c == CDIAG:
            flip = cmask[g] < 0
            cm = -cmask[g] if flip else cmask[g]
            bit = 1 << pos[g, k - 1]
            for o in range(count):
                s0 = _insert_zeros(o << low, sp) | cm
                if c == CDIAG:
                    _scale(re, im, s0, length, mats[ms].real, mats[ms].imag)
                    _scale(re, im, s0 | bit, length, mats[ms + 1].real, mats[ms + 1].imag)
                elif flip:
                    _exchange(re, im, s0, s0 | bit, length)
                else:
                    _mix(re, im, s0, s0 | bit, length, mats, ms)
        elif c == SWAP:
            ba, bb = 1 << pos[g, 0], 1 << pos[g, 1]
            for o in range(count):
                s0 = _insert_zeros(o << low, sp)
                _exchange(re, im, s0 | ba, s0 | bb, length)
        elif c == DENSE:
            d = 1 << k
            os = ostart[g]
            for o in range(count):
                s0 = _insert_zeros(o << low, sp)
                if k == 2:
                    _dense2(re, im, s0, offs[os + 1], offs[os + 2], offs[os + 3], length, mats,
                            ms)
                else:
                    _dense_k(re, im, s0, offs[os:os + d], length, mats, ms, tre, tim)
        else:  # DIAGK
            d = 1 << k
            os = ostart[g]
            for o in range(count):
                s0 = _insert_zeros(o << low, sp)
                for r in range(d):
                    _scale(re, im, s0 + offs[os + r], length, mats[ms + r].real,
                           mats[ms + r].imag)


@njit(cache=True, fastmath=True)
def gather(psi, base, toff, c, re, im):
    """The tile at ``base`` into (re, im). With ``c > 0`` local bits ``0..c-1`` are global bits
    ``0..c-1``: the tile is read as contiguous segments of ``2**c`` amplitudes."""
    size = toff.size
    if c == 0:
        for j in range(size):
            v = psi[base + toff[j]]
            re[j] = v.real
            im[j] = v.imag
        return
    length = 1 << c
    for s in range(0, size, length):
        src = psi[base + toff[s]:base + toff[s] + length]
        dr = re[s:s + length]
        di = im[s:s + length]
        for j in range(length):
            v = src[j]
            dr[j] = v.real
            di[j] = v.imag


@njit(cache=True, fastmath=True)
def scatter(psi, base, toff, c, re, im):
    size = toff.size
    if c == 0:
        for j in range(size):
            psi[base + toff[j]] = re[j] + 1j * im[j]
        return
    length = 1 << c
    for s in range(0, size, length):
        dst = psi[base + toff[s]:base + toff[s] + length]
        sr = re[s:s + length]
        si = im[s:s + length]
        for j in range(length):
            dst[j] = sr[j] + 1j * si[j]


@njit(inline="always")
def _tiles(psi, tile_pos, toff, c, lo, hi, codes, ks, pos, spos, cmask, ostart, offs, mstart,
           mats, work):
    # work: (4, tile size) scratch of the state's real dtype, one per thread
    re, im, tre, tim = work[0], work[1], work[2], work[3]
    for t in range(lo, hi):
        base = _insert_zeros(t, tile_pos)
        gather(psi, base, toff, c, re, im)
        execute(re, im, tre, tim, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats, 0,
                codes.size)
        scatter(psi, base, toff, c, re, im)


@njit(cache=True, fastmath=True)
def run_tiles(psi, tile_pos, toff, c, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats):
    """Execute a program on every tile (``tile_pos``: the tile's sorted global bit positions;
    ``toff[j]``: the global offset of local amplitude ``j``; ``c``: local bits ``0..c-1`` are
    global bits ``0..c-1``). A whole state is one tile with no ``tile_pos``."""
    work = np.empty((4, toff.size), dtype=psi.real.dtype)
    _tiles(psi, tile_pos, toff, c, 0, psi.size // toff.size, codes, ks, pos, spos, cmask, ostart,
           offs, mstart, mats, work)


@njit(cache=True, fastmath=True, parallel=True)
def run_tiles_par(psi, tile_pos, toff, c, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats,
                  chunks):
    total = psi.size // toff.size
    # one scratch per range, allocated once before the parallel loop
    work = np.empty((chunks, 4, toff.size), dtype=psi.real.dtype)
    for ch in prange(chunks):
        lo, hi = _span(total, chunks, ch)
        _tiles(psi, tile_pos, toff, c, lo, hi, codes, ks, pos, spos, cmask, ostart, offs, mstart,
               mats, work[ch])


@njit(cache=True, fastmath=True)
def run_rows(states, tile_pos, toff, c, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats):
    """Execute a program on every row of ``states`` (circuits of one structure), row ``r`` with
    its own numbers ``mats[r]``: the shifted circuits of a parameter-shift Jacobian in one call."""
    work = np.empty((4, toff.size), dtype=states.real.dtype)
    total = states.shape[1] // toff.size
    for r in range(states.shape[0]):
        _tiles(states[r], tile_pos, toff, c, 0, total, codes, ks, pos, spos, cmask, ostart, offs,
               mstart, mats[r], work)


@njit(cache=True, fastmath=True, parallel=True)
def run_rows_par(states, tile_pos, toff, c, codes, ks, pos, spos, cmask, ostart, offs, mstart,
                 mats, chunks):
    """:func:`run_rows` with ranges of rows spread over numba's threads (each row as run_rows
    runs it: the same arithmetic per row)."""
    total = states.shape[1] // toff.size
    work = np.empty((chunks, 4, toff.size), dtype=states.real.dtype)
    for ch in prange(chunks):
        lo, hi = _span(states.shape[0], chunks, ch)
        for r in range(lo, hi):
            _tiles(states[r], tile_pos, toff, c, 0, total, codes, ks, pos, spos, cmask, ostart,
                   offs, mstart, mats[r], work[ch])
