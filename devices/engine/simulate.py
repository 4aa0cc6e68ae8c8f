"""Running a tape on the compiled engine: one flat state, gates in place, fused blocks.

:func:`eligible` says whether a tape can run here (plain NumPy parameters, no broadcasting, no
compiled control flow or run-time wires); the device keeps its autoray path for everything else.
"""
from __future__ import annotations

import functools

import numpy as np

from kettle.core import qmath
from kettle.core.ops.matrix_ops import BasisState, StatePrep
from kettle.devices.engine import apply as A
from kettle.devices.engine import config
from kettle.devices.engine.config import EngineOptions, eligible  # noqa: F401 (re-exported)
from kettle.devices.engine import fusion as _fusion
from kettle.devices.engine import kernels as _K
from kettle.devices.engine import plan as _plan

#: fusion pays off only once a pass over the state costs more than building block matrices
#: (measured: below 10 qubits unfused kernels are faster per call).
FUSE_MIN_QUBITS = 10
#: from this many qubits a circuit starting in |0...0> starts instead from the product state of
#: its leading one-qubit gates (:func:`product_prefix`); below, those gates cost next to nothing
PRODUCT_MIN_QUBITS = 10


def structure(ops, axes_of) -> tuple:
    """``(kind, axes, n_controls)`` per gate: what the plan of a circuit depends on."""
    out = []
    for op, ax in zip(ops, axes_of):
        kd = A.kind(op)
        out.append((kd, ax, getattr(A._traits(op), "num_controls", 0) if kd == "flip" else 0))
    return tuple(out)


def run(psi: np.ndarray, n: int, ops: list, axes_of: list, options: EngineOptions,
        chunks: int, struct: tuple | None = None) -> None:
    """Apply ``ops`` (on tensor axes ``axes_of``; ``struct``: their :func:`structure` when known)
    to the flat state ``psi`` in place."""
    if struct is None:
        struct = structure(ops, axes_of)
    fuse = options.fusion and n >= FUSE_MIN_QUBITS
    runs = _plan.build(struct, n, fuse, options.max_fused, options.tile_bits)
    _plan.execute(psi, n, ops, axes_of, struct, runs, chunks)


@functools.lru_cache(maxsize=256)
def product_prefix(struct: tuple) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``(leading, rest)``: the gates that act on one wire before any gate on several wires
    touches it, and the others in their order.

    On |0...0> the leading gates make a product state: each wire's vector is its leading gates'
    product applied to |0>. They commute with every gate before them in the list (those act on
    other wires), so the circuit is the product state followed by the rest."""
    shared: set = set()
    leading, rest = [], []
    for i, (kd, axes, _) in enumerate(struct):
        if len(axes) == 1 and axes[0] not in shared:
            leading.append(i)
        else:
            rest.append(i)
            shared.update(axes)
    return tuple(leading), tuple(rest)


def product_vectors(n: int, ops: list, axes_of: list, struct: tuple, leading: tuple,
                    dtype) -> np.ndarray:
    """One 2-vector per tensor axis: the leading gates on it applied to |0>."""
    vecs = np.zeros((n, 2), dtype=dtype)
    vecs[:, 0] = 1
    for i in leading:
        a, kd = axes_of[i][0], struct[i][0]
        if kd == "flip":
            vecs[a] = vecs[a, ::-1].copy()
        elif kd in ("diag", "cdiag"):
            vecs[a] *= A.array_of(ops[i], kd, dtype)
        else:  # a matrix (a controlled gate with no controls: its 2x2 block is the matrix)
            vecs[a] = A.array_of(ops[i], kd, dtype) @ vecs[a]
    return vecs


def initial_state(tape, device, n: int, blank: bool = False) -> tuple[np.ndarray, list]:
    """The flat prepared state and the gates still to apply (``blank``, for a tape with no state
    preparation: the state's memory uninitialized, for the caller to fill)."""
    params = tape.get_parameters(trainable_only=False)
    arrays = [p for p in params if not isinstance(p, (int, float, complex))]
    dtype = np.dtype(qmath.complex_dtype(*arrays)) if arrays else np.dtype(np.complex128)
    preps = [op for op in tape.operations if isinstance(op, (StatePrep, BasisState))]
    gates = [op for op in tape.operations if not isinstance(op, (StatePrep, BasisState))]
    if preps:
        view = device._initial_view(tape)
        psi = np.ascontiguousarray(np.asarray(view.state, dtype=dtype)).reshape(-1).copy()
    elif blank:
        psi = np.empty(2 ** n, dtype=dtype)
    else:
        psi = np.zeros(2 ** n, dtype=dtype)
        psi[0] = 1
    return psi, gates


def final_state(tape, device, options: EngineOptions) -> tuple[np.ndarray, int]:
    """The flat state after the tape's gates, and the number of parallel chunks its
    measurements and derivatives use (the gates may use threads where they do not)."""
    wire_order = device.circuit_wires(tape)
    n = len(wire_order)
    # a product start writes every amplitude: no zeroed memory needed (zeroing 16 MB, or the page
    # faults of fresh zero pages, cost 1-5 ms at 20 qubits); a prepared state is never blank
    psi, gates = initial_state(tape, device, n, blank=n >= PRODUCT_MIN_QUBITS)
    product = n >= PRODUCT_MIN_QUBITS and len(gates) == len(tape.operations)  # on |0...0>
    chunks = config.chunks(psi.size, options.threads)
    gate_chunks = config.chunks(psi.size, options.threads, config.DEFAULT_PARALLEL_MIN)
    index = {w: i for i, w in enumerate(wire_order)}
    axes_of = [tuple(index[w] for w in op.wires) for op in gates]
    struct = structure(gates, axes_of)
    if product:  # times the leading one-qubit gates
        leading, rest = product_prefix(struct)
        vecs = product_vectors(n, gates, axes_of, struct, leading, psi.dtype)
        with _plan.parallel_slot(gate_chunks) as ranges:  # one parallel launch at a time
            if ranges:
                _K.product_state_par(psi, vecs, ranges)
            else:
                _K.product_state(psi, vecs)
        if leading:
            gates = [gates[i] for i in rest]
            axes_of = [axes_of[i] for i in rest]
            struct = tuple(struct[i] for i in rest)
    run(psi, n, gates, axes_of, options, gate_chunks, struct)
    return psi, chunks
