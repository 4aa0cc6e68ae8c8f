"""Engine settings: whether numba works here, threads, and the serial/parallel threshold.

numba is imported lazily by :func:`available`, once; if it cannot be imported or cannot compile a
first kernel, the engine reports unavailable and default.qubit stays on its NumPy path (one
warning). numba's cache goes next to the kernels when that folder is writable, else to
``NUMBA_CACHE_DIR`` or ``~/.cache/kettle/numba``.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

#: states with at least this many amplitudes may use the multithreaded kernels (below it a
#: parallel launch costs more than the pass, even on an idle machine).
PARALLEL_MIN = 2 ** 16
#: without a thread setting (the device option ``threads`` or ``NUMBA_NUM_THREADS``), the gates of
#: states with at least this many amplitudes run on every core numba uses; measurements, the
#: adjoint sweep and smaller states stay serial. Measured with SEL, random and QFT circuits at 20
#: and 24 qubits on 2 cores: idle, 1.9-2.1x faster than serial; with a CPU-bound process alongside,
#: 0.89-1.14x (the sweep there: 0.52x, hence serial). Tiles are independent: the state agrees to
#: rounding (1e-14 tested) whatever the thread count.
DEFAULT_PARALLEL_MIN = 2 ** 20
#: ranges per thread in a parallel kernel: more than one evens out threads slowed by other load.
CHUNKS_PER_THREAD = 4
#: widest fused block; 2 measured fastest (of 2–5) on a random 200-gate circuit at 20 qubits:
#: the k-qubit kernel does 2**k multiply-adds per amplitude (see docs/performance.md)
DEFAULT_MAX_FUSED = 2
#: tile bits: 2**15 amplitudes in split storage (512 KiB) fit a core's L2 cache (1 MiB here);
#: measured against 13, 14 and 16 on SEL, random and QFT circuits at 20 and 24 qubits
#: (docs/performance.md)
TILE_BITS = 15

_state: dict = {}


@dataclass(frozen=True)
class EngineOptions:
    """How default.qubit runs NumPy states (device options of the same names).

    Attributes:
        engine: use the compiled engine (False: the NumPy kernels of earlier releases).
        fusion: fuse gates into blocks.
        max_fused: widest fused block (wires).
        threads: numba threads for large states (None: ``NUMBA_NUM_THREADS`` when set, else the
            forward pass of states from ``DEFAULT_PARALLEL_MIN`` amplitudes on all cores).
        tile_bits: gates are applied tile by tile on ``2**tile_bits`` amplitudes (see program.py).
    """

    engine: bool = True
    fusion: bool = True
    max_fused: int = DEFAULT_MAX_FUSED
    threads: int | None = None
    tile_bits: int = TILE_BITS


def _set_cache_dir() -> None:
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    here = os.path.dirname(os.path.abspath(__file__))
    if os.access(here, os.W_OK):
        return
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(os.path.expanduser("~"), ".cache", "kettle",
                                                 "numba")


def available() -> bool:
    """True when the numba kernels import and compile here (checked once per process)."""
    if "ok" not in _state:
        try:
            _set_cache_dir()
            import numpy as np

            from kettle.devices.engine import kernels

            psi = np.zeros(2, dtype=np.complex128)
            psi[0] = 1
            kernels.one_qubit(psi, 0, np.array([[0, 1], [1, 0]], dtype=np.complex128))
            _state["ok"] = bool(psi[1] == 1)
        except Exception as exc:  # any import or compilation failure: keep the NumPy path
            _state["ok"] = False
            warnings.warn(f"kettle's compiled state-vector engine is unavailable ({exc!r}); "
                          "default.qubit falls back to its NumPy kernels. Install numba "
                          "(pip install numba) to use the engine.", RuntimeWarning, stacklevel=2)
    return _state["ok"]


def chunks(size: int, threads: int | None, default_min: int | None = None) -> int:
    """Number of parallel ranges for a state of ``size`` amplitudes; 0 means run serially.

    Threads are set by the device option ``threads`` or by ``NUMBA_NUM_THREADS`` in the
    environment. Without either, states of at least ``default_min`` amplitudes (the forward
    pass's :data:`DEFAULT_PARALLEL_MIN`) use numba's threads and everything else runs serially:
    measured on a shared 2-core machine under load, every fork-join of a parallel kernel waits for
    a time slice of each thread, which costs more than it saves on small states (16 qubits: 112 ms
    against 14 ms for SEL) and in the adjoint sweep's many launches.
    """
    if size < PARALLEL_MIN:
        return 0
    if threads is None:
        if "NUMBA_NUM_THREADS" not in os.environ and (default_min is None or size < default_min):
            return 0
        import numba

        threads = numba.config.NUMBA_NUM_THREADS
    import numba

    threads = max(1, min(threads, numba.config.NUMBA_NUM_THREADS))
    if threads <= 1:
        return 0
    numba.set_num_threads(threads)
    return threads * CHUNKS_PER_THREAD


def eligible(tape, options: EngineOptions) -> bool:
    """True when the engine can run ``tape`` (NumPy numbers only, no batch axis, no control flow)
    and numba works here (checked, and numba imported, by the first tape that could run; this
    module imports no numba itself)."""
    from kettle.core import qmath
    from kettle.core.ops.matrix_ops import BasisState, StatePrep

    if not options.engine:
        return False
    seen_gate = False
    for op in tape.operations:
        if op.control_flow or op.wires.has_dynamic or op.batch_size is not None:
            return False
        if isinstance(op, (StatePrep, BasisState)):
            if seen_gate:  # the generic path raises the ordering error
                return False
        else:
            seen_gate = True
        if not all(qmath.backend_of(p) == "numpy" for p in op.data):
            return False
    for mp in tape.measurements:
        obs = getattr(mp, "obs", None)
        if obs is not None and not all(qmath.backend_of(p) == "numpy" for p in obs.data):
            return False
    return available()
