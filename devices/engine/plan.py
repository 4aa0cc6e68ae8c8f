"""A circuit's execution plan: fused steps cut into cache-sized runs, encoded as programs.

Everything here depends only on the circuit's structure (gate families, wires, the options), so
:func:`build` is cached; per call, :func:`execute` computes the gates' numbers (fused block matrices
included) into each program's flat array and runs the programs.
"""
from __future__ import annotations

import contextlib
import functools
import threading

import numpy as np

from kettle.devices.engine import apply as A
from kettle.devices.engine import config
from kettle.devices.engine import fusion, program as P

#: tile bits (measured; see config.py)
TILE_BITS = config.TILE_BITS
_X = np.array([[0, 1], [1, 0]], dtype=np.complex128)


class Run:
    """One program: the steps it holds, its integer arrays and the slots of their numbers, and its
    tile (sorted global bits, the global offset of each local amplitude, the contiguous low bits)."""

    def __init__(self, steps, arrays, slots, mats_size, tile_pos, toff, contiguous, order):
        self.steps, self.arrays, self.slots = steps, arrays, slots
        self.mats_size, self.tile_pos, self.toff = mats_size, tile_pos, toff
        self.order = order  # local bit r of the tile is global bit order[r]
        # how the tile is read and written (program.gather): contiguous low bits, else in local
        # order, or in global order where consecutive local amplitudes lie far apart
        self.contiguous, self.gtab = contiguous, np.zeros(1, np.int64)
        if contiguous == 0 and tile_pos.size:
            stride = 0
            while stride + 1 < len(order) and order[stride + 1] == order[stride] + 1:
                stride += 1
            low = min(global_low(order), GLOBAL_BLOCK_BITS)
            if stride + 1 < STREAM_BITS and low >= STREAM_BITS:
                self.contiguous, self.gtab = -low, global_tables(order, low)

    @property
    def tile(self) -> tuple:
        """``(tile_pos, toff, gtab, contiguous)``: what program.gather needs."""
        return self.tile_pos, self.toff, self.gtab, self.contiguous


#: a tile whose first ``2**STREAM_BITS`` local amplitudes are not consecutive in the state is read
#: in global order (measured on SEL at 20 qubits: local bits on global 1, 3, 5: 2.75 -> 1.49 ms per
#: pass; on 4, 5, 6 reading in local order stays faster, 1.84 against 1.91)
STREAM_BITS = 3
#: a tile read in global order is read in blocks of at most ``2**GLOBAL_BLOCK_BITS`` amplitudes
#: (16 KiB, plenty to stream; the tables then stay small: 2**GLOBAL_BLOCK_BITS entries and two
#: per block)
GLOBAL_BLOCK_BITS = 10


def global_low(order) -> int:
    """How many of the global bits ``0, 1, 2, ...`` the tile holds (all of them, in a row)."""
    have = set(order)
    m = 0
    while m in have:
        m += 1
    return m


def global_tables(order, m: int) -> np.ndarray:
    """program.gather's tables for reading a tile in global order: the global offsets of the
    combinations of the tile's bits above ``m``, their local indices, then the local indices of
    the combinations of global bits ``0..m-1``."""
    rank = {b: r for r, b in enumerate(order)}
    high = sorted(b for b in order if b >= m)
    h = np.arange(2 ** len(high), dtype=np.int64)
    hoff, lhi = np.zeros_like(h), np.zeros_like(h)
    for i, b in enumerate(high):
        bit = (h >> i) & 1
        hoff |= bit << b
        lhi |= bit << rank[b]
    j = np.arange(2 ** m, dtype=np.int64)
    llo = np.zeros_like(j)
    for b in range(m):
        llo |= ((j >> b) & 1) << rank[b]
    return np.concatenate([hoff, lhi, llo])


def _step_shape(step, structure):
    """``(kind, axes, n_controls)`` of a step."""
    if len(step) == 1:
        kind, axes, nc = structure[step[0]]
        return kind, axes, nc
    return "dense", step[0], 0


def _encode(n, steps, structure, bits_of_tile):
    """Program arrays of ``steps`` with tile bits ``bits_of_tile`` (global bit positions in local
    order: local bit r is global bit ``bits_of_tile[r]``)."""
    rank = {b: r for r, b in enumerate(bits_of_tile)}
    m = len(steps)
    codes = np.zeros(m, np.int64)
    ks = np.zeros(m, np.int64)
    pos = np.zeros((m, P.MAX_K), np.int64)
    spos = np.zeros((m, P.MAX_K), np.int64)
    cmask = np.zeros(m, np.int64)
    ostart = np.zeros(m, np.int64)
    mstart = np.zeros(m, np.int64)
    offs: list[int] = []
    slots = []
    msize = 0
    for g, step in enumerate(steps):
        kind, axes, nc = _step_shape(step, structure)
        lb = [rank[n - 1 - a] for a in axes]
        k = len(lb)
        ks[g] = k
        pos[g, :k] = lb
        spos[g, :k] = sorted(lb)
        if kind in ("flip", "ctrl") and (nc if kind == "flip" else k - 1) == 0:
            kind = "dense"  # an uncontrolled X: a one-qubit matrix
        if kind in ("flip", "ctrl"):
            codes[g] = P.CTRL
            mask = sum(1 << b for b in lb[:-1])
            cmask[g] = -mask if kind == "flip" else mask
            size = 4
        elif kind == "cdiag":
            codes[g] = P.CDIAG
            cmask[g] = sum(1 << b for b in lb[:-1])
            size = 2
        elif kind == "swap":
            codes[g] = P.SWAP
            size = 0
        elif kind == "diag":
            codes[g] = P.DIAG1 if k == 1 else P.DIAGK
            size = 2 ** k
        else:
            codes[g] = P.ONE if k == 1 else P.DENSE
            size = 4 ** k
        if codes[g] in (P.DENSE, P.DIAGK):
            ostart[g] = len(offs)
            offs.extend(sum(((j >> (k - 1 - b)) & 1) << lb[b] for b in range(k))
                        for j in range(2 ** k))
        mstart[g] = msize
        slots.append((step, kind, msize, size))
        msize += size
    arrays = (codes, ks, pos, spos, cmask, ostart, np.array(offs or [0], np.int64), mstart)
    return arrays, slots, msize


#: local bits of a tile that no gate of its run touches: every gate's segments (program.py) are
#: then at least ``2**PAD_BITS`` amplitudes long, enough for the vectorized loops (measured:
#: 1.1 ns per amplitude for a one-qubit gate on segments of 1, 0.38 ns on 8, 0.2 ns on 32)
PAD_BITS = 3
#: global bits every tile holds: a tile is then read in pieces of at least ``2**LOW_BITS``
#: contiguous amplitudes (256 bytes), which keeps the reads streaming. Measured on SEL, random and
#: QFT circuits at 20 and 24 qubits against 0, 6 and 8 (docs/performance.md).
LOW_BITS = 4
#: fewest qubits whose state, fitting one tile, is run as padded runs (measured: see build)
PADDED_MIN = 8


def _tile_order(n, uses, tile_bits, whole):
    """The tile's global bits in local order, and how many of them map to themselves.

    ``uses``: global bit -> number of the run's gates on it. A tile takes the run's bits and then
    the lowest other global bits up to ``tile_bits``. Bits no gate of the run touches come first
    in local order, so every gate's segments are at least ``2**PAD_BITS`` long; when they start
    with global bits ``0..c-1`` (``c >= PAD_BITS``) those stay in place and the tile is read as
    contiguous segments of ``2**c`` amplitudes (else ``c = 0``: amplitude by amplitude). The run's
    own bits follow in ascending order: then consecutive local amplitudes read a few streams of
    consecutive global ones (the free bits' combinations over the tile's low global bits), where
    ordering them by use scattered the reads (SEL at 20 qubits: tile reads and writes 25 -> 16 ms).
    """
    if whole:
        free = [b for b in range(n) if b not in uses]
    else:
        free = []
        for b in range(n):
            if len(free) + len(uses) >= tile_bits:
                break
            if b not in uses:
                free.append(b)
    c = 0
    while c < len(free) and free[c] == c:
        c += 1
    if c < PAD_BITS and not whole:
        c = 0
    return free + sorted(uses), c


@functools.lru_cache(maxsize=256)
def build(structure: tuple, n: int, fuse: bool, max_fused: int, tile_bits: int) -> tuple:
    """Runs of a circuit: ``Run`` objects, and ``(step,)`` tuples for gates wider than a program
    holds (applied on their own).

    Args:
        structure: ``(kind, axes, n_controls)`` per gate.
        n: qubits.
        fuse: fuse gates first (see :mod:`.fusion`).
        max_fused: widest fused block.
        tile_bits: bits of a tile; states of at most this many qubits are one tile.
    """
    if fuse:
        steps = fusion.plan(tuple((kd, ax) for kd, ax, _ in structure), max_fused)
    else:
        steps = tuple((i,) for i in range(len(structure)))
    # small states: one run in circuit order. From PADDED_MIN qubits a state that fits a tile
    # is still cut into runs that leave PAD_BITS bits untouched (one tile each, its bits
    # permuted), so no gate works on segments shorter than 2**PAD_BITS
    whole = n <= tile_bits and n < PADDED_MIN
    tile_bits = min(tile_bits, n)
    runs: list = []
    current: list = []
    uses: dict = {}

    def bits_of(step):
        return {n - 1 - a for a in _step_shape(step, structure)[1]}

    def close():
        if not current:
            return
        order, contiguous = _tile_order(n, uses, tile_bits, whole)
        arrays, slots, msize = _encode(n, current, structure, order)
        local = np.arange(2 ** len(order), dtype=np.int64)
        toff = np.zeros_like(local)
        for r, b in enumerate(order):
            toff |= ((local >> r) & 1) << b
        tpos = np.array([] if whole else sorted(order), np.int64)
        runs.append(Run(list(current), arrays, slots, msize, tpos, toff, contiguous, order))
        current.clear()
        uses.clear()

    bits = [frozenset(bits_of(st)) for st in steps]
    if whole:  # one tile: circuit order, cut only around steps wider than a program holds
        order: list[list[int]] = [[]]
        for i, bs in enumerate(bits):
            if len(bs) > P.MAX_K:
                order += [[i], []]
            else:
                order[-1].append(i)
        order = [g for g in order if g]
    else:
        seed = frozenset(range(LOW_BITS)) if n > tile_bits else frozenset()
        order = schedule(bits, tile_bits - PAD_BITS, P.MAX_K, seed)
    for group in order:
        if len(group) == 1 and len(bits[group[0]]) > P.MAX_K:
            close()
            runs.append(steps[group[0]])
            continue
        for i in group:
            current.append(steps[i])
            for b in bits[i]:
                uses[b] = uses.get(b, 0) + 1
        close()
    return tuple(runs)


def schedule(bits: list, cap: int, max_k: int, seed: frozenset = frozenset()) -> list:
    """Steps grouped into runs of at most ``cap`` bits, in an order the circuit allows.

    Steps on disjoint bits commute, so any order that keeps each bit's steps in their original
    order computes the same state. Greedily, a run takes a *ready* step (every earlier step on its
    bits already placed) that adds no new bit, else the one adding the fewest while the run stays
    within ``cap`` bits; when none fits, the run closes. A step on more than ``max_k`` bits is a
    group of its own. In circuit order instead, a layer of rotations on every wire fills runs
    apart from the entangling gates that follow it (SEL on 20 qubits: 9 runs against 6).

    Args:
        bits: the global bits of each step.
        cap: most bits of a run.
        max_k: widest step a run holds.
        seed: bits every run holds anyway (they count towards ``cap`` from the start).

    Returns:
        Lists of step indices, in execution order.
    """
    queue: dict[int, list[int]] = {}
    for i, bs in enumerate(bits):
        for b in bs:
            queue.setdefault(b, []).append(i)
    head = {b: 0 for b in queue}

    def is_ready(i):
        return all(queue[b][head[b]] == i for b in bits[i])

    ready = {i for i in range(len(bits)) if is_ready(i)}
    ready.update(i for i, bs in enumerate(bits) if not bs)
    groups: list[list[int]] = []

    def place(i):
        ready.discard(i)
        for b in bits[i]:
            head[b] += 1
            if head[b] < len(queue[b]):
                j = queue[b][head[b]]
                if is_ready(j):
                    ready.add(j)

    while ready:
        current: list[int] = []
        used: set = set(seed)
        while True:
            best, best_grow = -1, cap + 1
            for i in ready:
                if len(bits[i]) > max_k:
                    continue
                grow = len(bits[i] - used)
                if len(used) + grow <= cap and (grow, i) < (best_grow, best if best >= 0 else i + 1):
                    best, best_grow = i, grow
            if best < 0:
                break
            current.append(best)
            used |= bits[best]
            place(best)
        if current:
            groups.append(current)
            continue
        alone = min(ready)  # nothing fits a run (a step wider than max_k, or a tiny cap): alone
        groups.append([alone])
        place(alone)
    return groups


def inverse_of(arr: np.ndarray, kind: str) -> np.ndarray:
    """U†'s numbers from U's (kernel family ``kind``): conjugated for diagonals, else the
    conjugate transpose."""
    return np.conj(arr) if kind in ("diag", "cdiag") else np.ascontiguousarray(np.conj(arr).T)


def takes_x(kind: str, structure_kind: str) -> bool:
    """Whether a program slot of kind ``kind`` for a gate of family ``structure_kind`` takes the
    X matrix (a flip, or an uncontrolled flip run as a one-qubit matrix)."""
    return kind == "flip" or (kind == "dense" and structure_kind == "flip")


def step_array(op, kind: str, structure_kind: str, dtype) -> np.ndarray:
    """The numbers a program slot of kind ``kind`` takes for gate ``op`` (of family
    ``structure_kind``, see :func:`apply.kind`)."""
    if kind == "flip":
        return _X
    if kind == "dense" and structure_kind != "dense":
        # an uncontrolled flip or controlled gate with no controls: its matrix
        return _X if structure_kind == "flip" else A.array_of(op, "dense", dtype)
    return A.array_of(op, kind, dtype)


def numbers(run: Run, ops: list, axes_of: list, structure: tuple, dtype,
            inverse: bool = False, arrays: list | None = None) -> np.ndarray:
    """The flat numbers of a run's gates (their inverses with ``inverse``: U† is U's conjugate
    transpose; flips and swaps are their own inverses and carry no numbers).

    ``arrays``: per gate, the numbers of its family (``apply.array_of(op, structure[i][0])``)
    when known already (a bound circuit's, :mod:`.bound`); else they come from the gates ``ops``.
    """
    mats = np.empty(max(run.mats_size, 1), dtype=dtype)
    for step, kind, start, size in run.slots:
        if size == 0:
            continue
        if len(step) == 1:
            i = step[0]
            if arrays is None:
                arr = step_array(ops[i], kind, structure[i][0], dtype)
            elif takes_x(kind, structure[i][0]):
                arr = _X
            else:  # a family's own numbers (a controlled gate with no controls: its matrix)
                arr = arrays[i]
        else:
            arr = fusion.block_matrix(ops, axes_of, step[0], step[1], dtype, arrays, structure)
        mats[start:start + size] = (inverse_of(arr, kind) if inverse else arr).reshape(-1)
    return mats


def execute(psi: np.ndarray, n: int, ops: list, axes_of: list, structure: tuple, runs: tuple,
            chunks: int, arrays: list | None = None, mats: list | None = None) -> None:
    """Run a plan of :func:`build` on the flat state ``psi`` in place (``arrays``: the gates'
    numbers when known already, see :func:`numbers`; ``mats``: per run, its numbers computed
    already, where given the gates' ``arrays`` serve only steps outside programs).

    With ``chunks``, one caller at a time runs in parallel; a second thread meanwhile runs
    serially (numba's workqueue threading layer does not allow concurrent parallel launches; the
    state is the same either way)."""
    with parallel_slot(chunks) as chunks:
        for r, run in enumerate(runs):
            _execute_run(psi, n, ops, axes_of, structure, run, chunks, arrays,
                         None if mats is None else mats[r])


_PARALLEL = threading.Lock()


@contextlib.contextmanager
def parallel_slot(chunks: int):
    """``chunks`` while this caller holds the one parallel slot, else 0 (run serially)."""
    if chunks and _PARALLEL.acquire(blocking=False):
        try:
            yield chunks
        finally:
            _PARALLEL.release()
    else:
        yield 0


def _execute_run(psi, n, ops, axes_of, structure, run, chunks, arrays, mats) -> None:
    """One entry of a plan (``mats``: its numbers when computed already)."""
    if not isinstance(run, Run):
        i = run[0] if len(run) == 1 else None
        if i is not None:
            kind, axes, nc = structure[i]
            arr = arrays[i] if arrays is not None else A.array_of(ops[i], kind, psi.dtype)
            A.apply_array(psi, n, axes, kind, arr, chunks, nc)
        else:
            mat = fusion.block_matrix(ops, axes_of, run[0], run[1], psi.dtype, arrays, structure)
            A.apply_array(psi, n, run[0], "dense", mat, chunks)
        return
    arrays_ = run.arrays + (numbers(run, ops, axes_of, structure, psi.dtype, arrays=arrays)
                            if mats is None else mats,)
    work = scratch(max(chunks, 1), run.toff.size, psi.real.dtype)
    if chunks and run.tile_pos.size:  # numba's Dispatcher stub does not know a kernel's own arguments
        P.run_tiles_par(psi, *run.tile, *arrays_, work, chunks)  # type: ignore[call-arg]
    else:
        P.run_tiles(psi, *run.tile, *arrays_, work)  # type: ignore[call-arg]


def run_rows(states: np.ndarray, run: Run, mats: np.ndarray, chunks: int = 0) -> None:
    """An unfused run on every row of ``states`` (circuits of one structure) in place, row ``r``
    with its own numbers ``mats[r]`` (laid out as :func:`numbers` lays them out), in one call;
    with ``chunks``, ranges of rows in parallel (one caller at a time, as :func:`execute`)."""
    with parallel_slot(chunks) as chunks:
        work = scratch(max(chunks, 1), run.toff.size, states.real.dtype)
        if chunks:
            P.run_rows_par(states, *run.tile, *run.arrays, mats, work,
                           chunks)  # type: ignore[call-arg]
        else:
            P.run_rows(states, *run.tile, *run.arrays, mats, work)  # type: ignore[call-arg]


_SCRATCH = threading.local()


def scratch(ranges: int, size: int, dtype) -> np.ndarray:
    """Tile buffers ``(ranges, 4, size)`` of real ``dtype`` for the programs, kept per Python
    thread and reused: a fresh one per run cost a page fault per 4 KiB touched (at 20 qubits with
    8 parallel ranges: about 1 ms of a 3 ms run)."""
    need = ranges * 4 * size
    if need * np.dtype(dtype).itemsize > SCRATCH_KEPT:  # many threads: not kept, as before
        return np.empty((ranges, 4, size), dtype)
    bufs = _SCRATCH.__dict__.setdefault("bufs", {})
    buf = bufs.get(np.dtype(dtype))
    if buf is None or buf.size < need:
        buf = bufs[np.dtype(dtype)] = np.empty(need, dtype)
    return buf[:need].reshape(ranges, 4, size)


#: most bytes of tile buffers :func:`scratch` keeps per Python thread and dtype (8 ranges of 2**15
#: amplitudes: 2 threads here)
SCRATCH_KEPT = 8 << 20
