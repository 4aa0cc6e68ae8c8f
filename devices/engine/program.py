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
from numba import njit, prange, uint64

from kettle.devices.engine.kernels import _insert_zeros, _span

ONE, DIAG1, CTRL, SWAP, DENSE, DIAGK, CDIAG = 0, 1, 2, 3, 4, 5, 6
#: widest gate a program holds (the dense k-qubit kernel's limit)
MAX_K = 5


# ------------------------------------------------------------------- segment arithmetic (in place)
#
# Indices are unsigned and the arrays indexed directly: a signed index makes numba handle negative
# ones (a select per access), and a view per segment costs reference counting per segment. Both
# dominated short segments (measured on a 2**15 tile, a one-qubit matrix on segments of 8: 2.0 ns
# per amplitude through views against 0.42 ns; of 32: 0.56 against 0.15).


@njit(inline="always")
def _scale(re, im, s, length, cr, ci):
    """Segment ``[s, s + length)`` times ``cr + i ci``."""
    if cr == 1.0 and ci == 0.0:
        return
    s = uint64(s)
    for j in range(uint64(length)):
        t = s + j
        a, b = re[t], im[t]
        re[t] = cr * a - ci * b
        im[t] = cr * b + ci * a


@njit(inline="always")
def _two(mats, ms):
    """The parts of the 2x2 matrix ``mats[ms:ms + 4]``, read once per gate (the compiler cannot
    keep them in registers across a gate's segments: the state's stores might alias them)."""
    return (mats[ms].real, mats[ms].imag, mats[ms + 1].real, mats[ms + 1].imag,
            mats[ms + 2].real, mats[ms + 2].imag, mats[ms + 3].real, mats[ms + 3].imag)


@njit(inline="always")
def _four(mats, ms):
    """The parts of the 4x4 matrix ``mats[ms:ms + 16]`` (as :func:`_two`)."""
    m = mats[ms:ms + 16]
    return (m[0].real, m[0].imag, m[1].real, m[1].imag, m[2].real, m[2].imag,
            m[3].real, m[3].imag, m[4].real, m[4].imag, m[5].real, m[5].imag,
            m[6].real, m[6].imag, m[7].real, m[7].imag, m[8].real, m[8].imag,
            m[9].real, m[9].imag, m[10].real, m[10].imag, m[11].real, m[11].imag,
            m[12].real, m[12].imag, m[13].real, m[13].imag, m[14].real, m[14].imag,
            m[15].real, m[15].imag)


@njit(inline="always")
def _mix(re, im, s0, s1, length, m):
    """The 2x2 matrix of parts ``m`` (:func:`_two`) on the segment pair (s0, s1)."""
    ar, ai, br, bi, cr, ci, dr, di = m
    s0, s1 = uint64(s0), uint64(s1)
    for j in range(uint64(length)):
        t0, t1 = s0 + j, s1 + j
        xr, xi, yr, yi = re[t0], im[t0], re[t1], im[t1]
        re[t0] = ar * xr - ai * xi + br * yr - bi * yi
        im[t0] = ar * xi + ai * xr + br * yi + bi * yr
        re[t1] = cr * xr - ci * xi + dr * yr - di * yi
        im[t1] = cr * xi + ci * xr + dr * yi + di * yr


@njit(inline="always")
def _exchange(re, im, s0, s1, length):
    s0, s1 = uint64(s0), uint64(s1)
    for j in range(uint64(length)):
        t0, t1 = s0 + j, s1 + j
        a, b = re[t0], im[t0]
        re[t0] = re[t1]
        im[t0] = im[t1]
        re[t1] = a
        im[t1] = b


@njit(inline="always")
def _dense2(re, im, s, o1, o2, o3, length, m):
    """The 4x4 matrix of parts ``m`` (:func:`_four`) on the segments at ``s``,
    ``s + o1/o2/o3``."""
    (a0r, a0i, a1r, a1i, a2r, a2i, a3r, a3i, b0r, b0i, b1r, b1i, b2r, b2i, b3r, b3i,
     c0r, c0i, c1r, c1i, c2r, c2i, c3r, c3i, d0r, d0i, d1r, d1i, d2r, d2i, d3r, d3i) = m
    s0 = uint64(s)
    s1, s2, s3 = s0 + uint64(o1), s0 + uint64(o2), s0 + uint64(o3)
    for j in range(uint64(length)):
        t0, t1, t2, t3 = s0 + j, s1 + j, s2 + j, s3 + j
        xr0, xi0, xr1, xi1 = re[t0], im[t0], re[t1], im[t1]
        xr2, xi2, xr3, xi3 = re[t2], im[t2], re[t3], im[t3]
        re[t0] = (a0r * xr0 - a0i * xi0 + a1r * xr1 - a1i * xi1
                  + a2r * xr2 - a2i * xi2 + a3r * xr3 - a3i * xi3)
        im[t0] = (a0r * xi0 + a0i * xr0 + a1r * xi1 + a1i * xr1
                  + a2r * xi2 + a2i * xr2 + a3r * xi3 + a3i * xr3)
        re[t1] = (b0r * xr0 - b0i * xi0 + b1r * xr1 - b1i * xi1
                  + b2r * xr2 - b2i * xi2 + b3r * xr3 - b3i * xi3)
        im[t1] = (b0r * xi0 + b0i * xr0 + b1r * xi1 + b1i * xr1
                  + b2r * xi2 + b2i * xr2 + b3r * xi3 + b3i * xr3)
        re[t2] = (c0r * xr0 - c0i * xi0 + c1r * xr1 - c1i * xi1
                  + c2r * xr2 - c2i * xi2 + c3r * xr3 - c3i * xi3)
        im[t2] = (c0r * xi0 + c0i * xr0 + c1r * xi1 + c1i * xr1
                  + c2r * xi2 + c2i * xr2 + c3r * xi3 + c3i * xr3)
        re[t3] = (d0r * xr0 - d0i * xi0 + d1r * xr1 - d1i * xi1
                  + d2r * xr2 - d2i * xi2 + d3r * xr3 - d3i * xi3)
        im[t3] = (d0r * xi0 + d0i * xr0 + d1r * xi1 + d1i * xr1
                  + d2r * xi2 + d2i * xr2 + d3r * xi3 + d3i * xr3)


@njit(inline="always")
def _dense_k(re, im, s, offsets, length, mats, ms, tre, tim):
    """A ``d x d`` matrix (``d = offsets.size``) on the segments at ``s + offsets``: the inputs are
    copied to the scratch rows ``tre/tim[:d * length]``, then each output is a sum of scaled rows."""
    d = offsets.size
    n = uint64(length)
    s = uint64(s)
    for c in range(d):
        src = s + uint64(offsets[c])
        dst = uint64(c) * n
        for j in range(n):
            tre[dst + j] = re[src + j]
            tim[dst + j] = im[src + j]
    for r in range(d):
        out = s + uint64(offsets[r])
        for j in range(n):
            re[out + j] = 0.0
            im[out + j] = 0.0
        for c in range(d):
            mr, mi = mats[ms + r * d + c].real, mats[ms + r * d + c].imag
            if mr == 0.0 and mi == 0.0:
                continue
            x = uint64(c) * n
            for j in range(n):
                re[out + j] += mr * tre[x + j] - mi * tim[x + j]
                im[out + j] += mr * tim[x + j] + mi * tre[x + j]


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
        if c == ONE:
            bit = 1 << pos[g, 0]
            m2 = _two(mats, ms)
            for o in range(count):
                s0 = o << (low + 1)
                _mix(re, im, s0, s0 + bit, length, m2)
        elif c == DIAG1:
            bit = 1 << pos[g, 0]
            d0r, d0i, d1r, d1i = mats[ms].real, mats[ms].imag, mats[ms + 1].real, mats[ms + 1].imag
            for o in range(count):
                s0 = o << (low + 1)
                _scale(re, im, s0, length, d0r, d0i)
                _scale(re, im, s0 + bit, length, d1r, d1i)
        elif c == CTRL or c == CDIAG:
            flip = cmask[g] < 0
            cm = -cmask[g] if flip else cmask[g]
            bit = 1 << pos[g, k - 1]
            if c == CDIAG:
                d0r, d0i = mats[ms].real, mats[ms].imag
                d1r, d1i = mats[ms + 1].real, mats[ms + 1].imag
                for o in range(count):
                    s0 = _insert_zeros(o << low, sp) | cm
                    _scale(re, im, s0, length, d0r, d0i)
                    _scale(re, im, s0 | bit, length, d1r, d1i)
            elif flip:
                for o in range(count):
                    s0 = _insert_zeros(o << low, sp) | cm
                    _exchange(re, im, s0, s0 | bit, length)
            else:
                m2 = _two(mats, ms)
                for o in range(count):
                    s0 = _insert_zeros(o << low, sp) | cm
                    _mix(re, im, s0, s0 | bit, length, m2)
        elif c == SWAP:
            ba, bb = 1 << pos[g, 0], 1 << pos[g, 1]
            for o in range(count):
                s0 = _insert_zeros(o << low, sp)
                _exchange(re, im, s0 | ba, s0 | bb, length)
        elif c == DENSE:
            d = 1 << k
            os = ostart[g]
            if k == 2:
                m4 = _four(mats, ms)
                o1, o2, o3 = offs[os + 1], offs[os + 2], offs[os + 3]
                for o in range(count):
                    s0 = _insert_zeros(o << low, sp)
                    _dense2(re, im, s0, o1, o2, o3, length, m4)
            else:
                for o in range(count):
                    s0 = _insert_zeros(o << low, sp)
                    _dense_k(re, im, s0, offs[os:os + d], length, mats, ms, tre, tim)
        else:  # DIAGK
            d = 1 << k
            os = ostart[g]
            for o in range(count):
                s0 = _insert_zeros(o << low, sp)
                for r in range(d):
                    _scale(re, im, s0 + offs[os + r], length, mats[ms + r].real,
                           mats[ms + r].imag)


@njit(inline="always")
def _global_tables(gtab, size, m):
    """(offsets of the tile's high parts, their local indices, local indices of the low part)."""
    h = size >> m
    return gtab[:h], gtab[h:2 * h], gtab[2 * h:2 * h + (1 << m)]


@njit(inline="always")
def _move(psi, base, toff, gtab, c, re, im, write):
    """The tile at ``base`` between the state and (re, im): read (``write`` False) or written."""
    size = uint64(toff.size)
    base = uint64(base)
    if c < 0:
        hoff, lhi, llo = _global_tables(gtab, toff.size, -c)
        m = uint64(llo.size)
        for h in range(hoff.size):
            at = base + uint64(hoff[h])
            lh = lhi[h]
            for j in range(m):
                t = uint64(lh | llo[j])
                if write:
                    psi[at + j] = re[t] + 1j * im[t]
                else:
                    v = psi[at + j]
                    re[t] = v.real
                    im[t] = v.imag
        return
    if c == 0:
        for j in range(size):
            if write:
                psi[base + uint64(toff[j])] = re[j] + 1j * im[j]
            else:
                v = psi[base + uint64(toff[j])]
                re[j] = v.real
                im[j] = v.imag
        return
    length = uint64(1) << uint64(c)
    for s in range(uint64(0), size, length):
        at = base + uint64(toff[s])
        for j in range(length):
            if write:
                psi[at + j] = re[s + j] + 1j * im[s + j]
            else:
                v = psi[at + j]
                re[s + j] = v.real
                im[s + j] = v.imag


@njit(cache=True, fastmath=True)
def gather(psi, base, toff, gtab, c, re, im):
    """The tile at ``base`` into (re, im).

    ``c > 0``: local bits ``0..c-1`` are global bits ``0..c-1``, and the tile is read as
    contiguous segments of ``2**c`` amplitudes. ``c == 0``: amplitude by amplitude in local
    order (``toff``). ``c < 0``: in global order, the tile being contiguous blocks of
    ``2**-c`` amplitudes (global bits ``0..-c-1``), each amplitude stored at its local index
    (``gtab``, :func:`plan.global_tables`): where consecutive local amplitudes lie far apart in
    the state, reading it in order and scattering into the cached tile costs less."""
    _move(psi, base, toff, gtab, c, re, im, False)


@njit(cache=True, fastmath=True)
def scatter(psi, base, toff, gtab, c, re, im):
    """(re, im) back into the tile at ``base`` (``c`` as :func:`gather`'s)."""
    _move(psi, base, toff, gtab, c, re, im, True)


@njit(inline="always")
def _tiles(psi, tile_pos, toff, gtab, c, lo, hi, codes, ks, pos, spos, cmask, ostart, offs,
           mstart, mats, work):
    # work: (4, tile size) scratch of the state's real dtype, one per thread
    re, im, tre, tim = work[0], work[1], work[2], work[3]
    for t in range(lo, hi):
        base = _insert_zeros(t, tile_pos)
        gather(psi, base, toff, gtab, c, re, im)
        execute(re, im, tre, tim, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats, 0,
                codes.size)
        scatter(psi, base, toff, gtab, c, re, im)


@njit(cache=True, fastmath=True)
def run_tiles(psi, tile_pos, toff, gtab, c, codes, ks, pos, spos, cmask, ostart, offs, mstart,
              mats, work):
    """Execute a program on every tile (``tile_pos``: the tile's sorted global bit positions;
    ``toff[j]``: the global offset of local amplitude ``j``; ``gtab``, ``c``: how the tile is
    read, see :func:`gather`). A whole state is one tile with no ``tile_pos``. ``work``: scratch
    of the state's real dtype, at least ``(1, 4, tile size)`` (:func:`plan.scratch`)."""
    _tiles(psi, tile_pos, toff, gtab, c, 0, psi.size // toff.size, codes, ks, pos, spos, cmask,
           ostart, offs, mstart, mats, work[0])


@njit(cache=True, fastmath=True, parallel=True)
def run_tiles_par(psi, tile_pos, toff, gtab, c, codes, ks, pos, spos, cmask, ostart, offs,
                  mstart, mats, work, chunks):
    """:func:`run_tiles` with ranges of tiles over numba's threads (``work``: one scratch per
    range, ``(chunks, 4, tile size)`` at least)."""
    total = psi.size // toff.size
    for ch in prange(chunks):
        lo, hi = _span(total, chunks, ch)
        _tiles(psi, tile_pos, toff, gtab, c, lo, hi, codes, ks, pos, spos, cmask, ostart, offs,
               mstart, mats, work[ch])


@njit(cache=True, fastmath=True)
def run_rows(states, tile_pos, toff, gtab, c, codes, ks, pos, spos, cmask, ostart, offs, mstart,
             mats, work):
    """Execute a program on every row of ``states`` (circuits of one structure), row ``r`` with
    its own numbers ``mats[r]``: the shifted circuits of a parameter-shift Jacobian in one call."""
    total = states.shape[1] // toff.size
    for r in range(states.shape[0]):
        _tiles(states[r], tile_pos, toff, gtab, c, 0, total, codes, ks, pos, spos, cmask, ostart,
               offs, mstart, mats[r], work[0])


@njit(cache=True, fastmath=True, parallel=True)
def run_rows_par(states, tile_pos, toff, gtab, c, codes, ks, pos, spos, cmask, ostart, offs,
                 mstart, mats, work, chunks):
    """:func:`run_rows` with ranges of rows spread over numba's threads (each row as run_rows
    runs it: the same arithmetic per row)."""
    total = states.shape[1] // toff.size
    for ch in prange(chunks):
        lo, hi = _span(states.shape[0], chunks, ch)
        for r in range(lo, hi):
            _tiles(states[r], tile_pos, toff, gtab, c, 0, total, codes, ks, pos, spos, cmask,
                   ostart, offs, mstart, mats[r], work[ch])
