"""The adjoint reverse sweep, tile by tile, in split storage.

The gates in reverse order are cut into runs exactly as a forward circuit is (:func:`plan.build`
on the reversed structure): a run's gates act on the bits of one tile. Each trainable gate also
carries its generator G as *terms* — Pauli words ``(xmask, zmask)`` and dense matrices on at most
MAX_DENSE wires, each with a complex coefficient — in the tile's local bits. For every tile, the
tiles of |φ⟩ and of each bra |λ_b⟩ are read into real and imaginary arrays; then, gate by gate,
the tile's share of 2 Im⟨λ_b|G|φ⟩ is added to the gate's jacobian entry and U† is applied to the φ
and λ tiles. A quadratic form is a sum over amplitudes, so the tiles' shares add up to the whole
form; gates of one run on disjoint wires may be reordered because G commutes with them. Memory
traffic: one pass over φ and the bras per run, not three per gate; no Python runs per gate.

The runs and the generators' terms depend only on the circuit's structure and are cached; per
call only the inverses' numbers are computed.
"""
from __future__ import annotations

import functools

import numpy as np
from numba import njit, prange, uint64

from kettle.devices.engine import config
from kettle.devices.engine import plan as PL
from kettle.devices.engine import program as P
from kettle.devices.engine.apply import MAX_DENSE
from kettle.devices.engine.kernels import _insert_zeros, _parity, _span

PAULI, DENSE = 0, 1


# ------------------------------------------------------------------------------- reductions


@njit(inline="always")
def _dot(ar, ai, br, bi, sa, sb, length):
    """Σ_j conj(a[sa + j]) b[sb + j] over one segment, as (real, imaginary); unsigned direct
    indices, no views (as program.py's segment loops)."""
    sa, sb = uint64(sa), uint64(sb)
    re = 0.0
    im = 0.0
    for j in range(uint64(length)):
        ta, tb = sa + j, sb + j
        re += ar[ta] * br[tb] + ai[ta] * bi[tb]
        im += ar[ta] * bi[tb] - ai[ta] * br[tb]
    return re, im


@njit(inline="always")
def _pauli_form(lr, li, pr, pi, xmask, zmask):
    """Σ_i conj(λ[i ⊕ x]) (−1)^{|i ∧ z|} φ[i]: segments below the word's lowest bit."""
    size = pr.size
    word = xmask | zmask
    low = 0
    while low < 63 and word and not (word >> low) & 1:
        low += 1
    length = size if word == 0 else 1 << low
    re = 0.0
    im = 0.0
    for s in range(0, size, length):
        r, i = _dot(lr, li, pr, pi, s ^ xmask, s, length)
        if _parity(s & zmask):
            re -= r
            im -= i
        else:
            re += r
            im += i
    return re, im


@njit(inline="always")
def _dense_form(lr, li, pr, pi, sp, offsets, mats, ms):
    """Σ conj(λ[base + off_r]) M[r, c] φ[base + off_c] for the ``d x d`` matrix at ``mats[ms:]``."""
    size = pr.size
    k = sp.size
    d = offsets.size
    low = sp[0]
    length = 1 << low
    re = 0.0
    im = 0.0
    for o in range(size >> (k + low)):
        base = _insert_zeros(o << low, sp)
        for r in range(d):
            for c in range(d):
                m = mats[ms + r * d + c]
                if m.real == 0.0 and m.imag == 0.0:
                    continue
                dr, di = _dot(lr, li, pr, pi, base + offsets[r], base + offsets[c], length)
                re += m.real * dr - m.imag * di
                im += m.real * di + m.imag * dr
    return re, im


@njit(cache=True, fastmath=True)
def _gate_forms(lr, li, pr, pi, g, terms, jac):
    """jac[b, tcol[g]] += 2 Im Σ_t c_t ⟨λ_b|G_t|φ⟩ over this tile."""
    tstart, tcount, tkind, txm, tzm, tk, tspos, toff0, toffs, tmat0, tmats, tcoef, tcol = terms
    for b in range(lr.shape[0] if tcount[g] else 0):
        re = 0.0
        im = 0.0
        for t in range(tstart[g], tstart[g] + tcount[g]):
            if tkind[t] == PAULI:
                fr, fi = _pauli_form(lr[b], li[b], pr, pi, txm[t], tzm[t])
            else:
                k = tk[t]
                fr, fi = _dense_form(lr[b], li[b], pr, pi, tspos[t, :k],
                                     toffs[toff0[t]:toff0[t] + (1 << k)], tmats, tmat0[t])
            c = tcoef[t]
            re += c.real * fr - c.imag * fi
            im += c.real * fi + c.imag * fr
        jac[b, tcol[g]] += 2.0 * im


@njit(inline="always")
def _sweep_tiles(psi, bras, tile, lo, hi, gates, terms, jac, work, scratch, lwork):
    # (Python 3.11 passes calls of more than 30 arguments as *args, which numba cannot inline:
    # the arrays travel in tuples.)
    tile_pos, toff, gtab, cont = tile
    codes, ks, pos, spos, cmask, ostart, offs, mstart, mats = gates
    re, im, tre, tim = work[0], work[1], scratch[0], scratch[1]
    lr, li = lwork[0], lwork[1]
    nb = bras.shape[0]
    for t in range(lo, hi):
        base = _insert_zeros(t, tile_pos)
        P.gather(psi, base, toff, gtab, cont, re, im)
        for b in range(nb):
            P.gather(bras[b], base, toff, gtab, cont, lr[b], li[b])
        for g in range(codes.size):
            _gate_forms(lr, li, re, im, g, terms, jac)
            P.execute(re, im, tre, tim, codes, ks, pos, spos, cmask, ostart, offs, mstart, mats,
                      g, g + 1)
            for b in range(nb):
                P.execute(lr[b], li[b], tre, tim, codes, ks, pos, spos, cmask, ostart, offs,
                          mstart, mats, g, g + 1)
        P.scatter(psi, base, toff, gtab, cont, re, im)
        for b in range(nb):
            P.scatter(bras[b], base, toff, gtab, cont, lr[b], li[b])


@njit(cache=True, fastmath=True)
def sweep_run(psi, bras, tile, gates, terms, jac, work, scratch, lwork):
    """One run of the reverse sweep over every tile of φ (``psi``) and the bras (rows of
    ``bras``), in place; each trainable gate's share of 2 Im⟨λ_b|G|φ⟩ is added to ``jac``.

    ``tile``: the run's ``Run.tile`` (how its tiles are read and written); ``gates``: the run's
    program arrays and numbers (:mod:`.program`); ``terms``: :meth:`_RunTerms.arrays`; ``work``,
    ``scratch``, ``lwork``: the tile of φ (2 x tile), the dense gates' scratch (2 x tile, or
    2 x 1 when no gate needs it) and the bras' tiles (2 x bras x tile), per thread in
    :func:`sweep_run_par`.
    """
    _sweep_tiles(psi, bras, tile, 0, psi.size // tile[1].size, gates, terms, jac, work, scratch,
                 lwork)


@njit(cache=True, fastmath=True, parallel=True)
def sweep_run_par(psi, bras, tile, gates, terms, jac, work, scratch, lwork, parts):
    chunks = parts.shape[0]
    total = psi.size // tile[1].size
    for ch in prange(chunks):
        lo, hi = _span(total, chunks, ch)
        _sweep_tiles(psi, bras, tile, lo, hi, gates, terms, parts[ch], work[ch], scratch[ch],
                     lwork[ch])
    for ch in range(chunks):
        jac += parts[ch]


# ------------------------------------------------------------------------------- encoding


def _terms(gen, n, wire_order) -> list | None:
    """``[(coefficient, ("pauli", xmask, zmask) | ("dense", global bits, matrix))]`` of a
    generator, or None when a term is neither a Pauli word nor an observable on at most
    MAX_DENSE wires. Bits are global (bit ``n - 1 - axis``)."""
    from kettle.core.ops.observables import Hamiltonian
    from kettle.devices.engine.measure import pauli_word

    pairs = list(zip(gen.data, gen.ops)) if isinstance(gen, Hamiltonian) else [(1.0, gen)]
    out = []
    for c, o in pairs:
        if isinstance(o, Hamiltonian) or not isinstance(c, (int, float, complex, np.number,
                                                            np.ndarray)):
            return None
        word = pauli_word(o, n, wire_order)
        if word is not None:
            xmask, zmask, phase = word
            out.append((complex(c) * phase, ("pauli", xmask, zmask)))
            continue
        k = len(o.wires)
        if k > MAX_DENSE or len(set(o.wires)) != k:
            return None
        bits = tuple(n - 1 - wire_order.index(w) for w in o.wires)
        out.append((complex(c), ("dense", bits, np.asarray(o.matrix(), dtype=np.complex128))))
    return out


def _term_bits(term) -> set:
    if term[0] == "pauli":
        word = term[1] | term[2]
        return {b for b in range(word.bit_length()) if (word >> b) & 1}
    return set(term[1])


class _RunTerms:
    """The generators' terms of one run's gates, in the tile's local bits (row ``g``: the run's
    ``g``-th gate)."""

    def __init__(self, run: PL.Run, terms: list, columns: list):
        rank = {b: r for r, b in enumerate(run.order)}
        rows = [(g, c, t) for g, ts in enumerate(terms) for c, t in ts]
        count = max(len(terms), 1)
        self.tstart = np.zeros(count, np.int64)
        self.tcount = np.zeros(count, np.int64)
        self.tcol = np.zeros(count, np.int64)
        for g, cols in enumerate(columns):
            self.tcol[g] = cols[0] if cols else 0
        m = max(len(rows), 1)
        self.tkind = np.zeros(m, np.int64)
        self.txm = np.zeros(m, np.int64)
        self.tzm = np.zeros(m, np.int64)
        self.tk = np.ones(m, np.int64)
        self.tspos = np.zeros((m, MAX_DENSE), np.int64)
        self.toff0 = np.zeros(m, np.int64)
        self.tmat0 = np.zeros(m, np.int64)
        self.tcoef = np.zeros(m, np.complex128)
        offs: list[int] = []
        mats: list[np.ndarray] = []
        msize = 0
        local = lambda mask: sum(1 << rank[b] for b in range(mask.bit_length())  # noqa: E731
                                 if (mask >> b) & 1)
        for r, (g, c, t) in enumerate(rows):
            if self.tcount[g] == 0:
                self.tstart[g] = r
            self.tcount[g] += 1
            self.tcoef[r] = c
            if t[0] == "pauli":
                self.tkind[r], self.txm[r], self.tzm[r] = PAULI, local(t[1]), local(t[2])
                continue
            _, bits, mat = t
            lb = [rank[b] for b in bits]
            k = len(lb)
            self.tkind[r], self.tk[r] = DENSE, k
            self.tspos[r, :k] = sorted(lb)
            self.toff0[r], self.tmat0[r] = len(offs), msize
            offs.extend(sum(((j >> (k - 1 - q)) & 1) << lb[q] for q in range(k))
                        for j in range(2 ** k))
            mats.append(mat.reshape(-1))
            msize += mat.size
        self.toffs = np.array(offs or [0], np.int64)
        self.tmats = np.concatenate(mats) if mats else np.zeros(1, np.complex128)

    def arrays(self) -> tuple:
        return (self.tstart, self.tcount, self.tkind, self.txm, self.tzm, self.tk, self.tspos,
                self.toff0, self.toffs, self.tmat0, self.tmats, self.tcoef, self.tcol)


class Program:
    """A tape's sweep: the runs of its reversed gates, each run's generator terms, and per
    reversed gate the jacobian columns it fills."""

    def __init__(self, structure: tuple, runs: tuple, terms: list, columns: list):
        self.structure, self.runs, self.terms, self.columns = structure, runs, terms, columns
        #: dense gates on three or more wires need a tile-sized scratch pair
        self.scratch = any(bool(np.any((r.arrays[0] == P.DENSE) & (r.arrays[1] > 2)))
                           for r in runs)


#: sweep programs by (structure, generators' structures, columns)
_PROGRAMS: dict = {}
_PROGRAMS_MAX = 256


def program(gates: list, structure: tuple, n: int, wire_order, positions: dict, generator,
            generator_key, tile_bits: int = config.TILE_BITS) -> Program | None:
    """The sweep program of ``gates`` (in circuit order), or None when a generator has a term the
    kernels do not cover or acting outside its gate's wires, or a gate is wider than a program
    holds.

    ``positions``: id(gate) -> the trainable parameter indices it carries; ``generator(op)``: its
    generator; ``generator_key(op)``: a hashable key of a generator that depends only on the gate's
    structure and wires, or None.
    """
    if any(len(ax) > P.MAX_K for _, ax, _ in structure):
        return None
    rev = gates[::-1]
    columns = [tuple(positions.get(id(op), ())) for op in rev]
    keys = [generator_key(op) if cols else () for op, cols in zip(rev, columns)]
    key = None
    if all(k is not None for k in keys):
        key = (structure, n, tile_bits, tuple(columns), tuple(keys))
        if key in _PROGRAMS:
            return _PROGRAMS[key]
    rstruct = structure[::-1]
    terms: list = []
    for g, (op, cols) in enumerate(zip(rev, columns)):
        t = _terms(generator(op), n, wire_order) if cols else []
        if t is None:
            return None
        gate_bits = {n - 1 - a for a in rstruct[g][1]}
        if any(not _term_bits(term) <= gate_bits for _, term in t):
            return None
        terms.append(t)
    runs = PL.build(rstruct, n, False, 1, tile_bits)
    if any(not isinstance(r, PL.Run) for r in runs):
        return None
    run_terms = [_RunTerms(r, [terms[s[0]] for s in r.steps], [columns[s[0]] for s in r.steps])
                 for r in runs]
    prog = Program(rstruct, runs, run_terms, columns)
    if key is not None:
        if len(_PROGRAMS) >= _PROGRAMS_MAX:
            _PROGRAMS.clear()
        _PROGRAMS[key] = prog
    return prog


def sweep(prog: Program, gates: list, psi: np.ndarray, bras: list, n_params: int,
          chunks: int, arrays: list | None = None, mats: list | None = None,
          as_array: bool = False):
    """Rows of 2 Im⟨λ_b|G|φ⟩ per bra and trainable parameter (lists of the state's real type, or
    with ``as_array`` one float64 array). ``psi`` and the bras are consumed (un-applied in place;
    several bras are moved into one array, each dropped from ``bras`` once copied). ``mats``: per
    run of the program, its U† numbers computed already."""
    real = psi.real.dtype.type
    if len(bras) == 1:
        stack = bras[0].reshape(1, -1)
    else:
        stack = np.empty((len(bras), psi.size), dtype=psi.dtype)
        for b in range(len(bras)):
            stack[b] = bras[b]
            bras[b] = None
    rev = gates[::-1]  # (``arrays``: the gates' numbers, in circuit order, when known already)
    jac = np.zeros((stack.shape[0], max(n_params, 1)), np.float64)
    # the tiles' buffers, allocated here (visible to tracemalloc) and reused by every run
    real_t = psi.real.dtype
    size = max(r.toff.size for r in prog.runs) if prog.runs else 1
    lead = (chunks,) if chunks else ()
    work = np.empty(lead + (2, size), real_t)
    scratch = np.empty(lead + (2, size if prog.scratch else 1), real_t)
    lwork = np.empty(lead + (2, stack.shape[0], size), real_t)
    parts = np.zeros((chunks,) + jac.shape) if chunks else None
    rarrays = None if arrays is None else arrays[::-1]
    for r, (run, rt) in enumerate(zip(prog.runs, prog.terms)):
        numbers = (PL.numbers(run, rev, [], prog.structure, psi.dtype, inverse=True,
                              arrays=rarrays) if mats is None else mats[r])
        t = run.toff.size
        args = (psi, stack, run.tile, run.arrays + (numbers,),
                rt.arrays(), jac)
        if chunks and run.tile_pos.size:
            parts[:] = 0
            sweep_run_par(*args, work[..., :t], scratch, lwork[..., :t], parts)
        else:
            w, sc, lw = (work[0], scratch[0], lwork[0]) if chunks else (work, scratch, lwork)
            sweep_run(*args, w[:, :t], sc, lw[..., :t])
    for cols in prog.columns:  # a gate's further trainable parameters share its entry
        for t in cols[1:]:
            jac[:, t] = jac[:, cols[0]]
    if as_array:
        return jac[:, :n_params]
    return [[real(v) for v in row[:n_params]] for row in jac]
