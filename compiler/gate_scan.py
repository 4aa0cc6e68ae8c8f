"""Runs of gates in compiled backprop QNodes simulated by one ``lax.scan`` over stacked matrices.

Traced gate by gate, a circuit of N gates becomes N specialised einsums, and XLA's compile time
grows faster than linearly with N (two minutes for 20 layers of StronglyEntanglingLayers on 6
qubits). Here a run of consecutive one- and two-qubit gates becomes one :class:`GateRunOp` of the
tape: its matrices are built per gate class from the stacked parameters (one batched matrix
computation per class, not one per gate), one-qubit gates are widened to 4×4 on a neighbouring
wire, and a single shape-generic kernel — the gather kernel of devices/dynamic_wires.py with the
wire positions as scanned values — applies them in order inside ``lax.scan``. The program, and
so the compile time, no longer grows with the number of gates, only the matrix building does
(a few elementwise operations per gate class). JAX differentiates the scan (to any order).
"""
from __future__ import annotations

from typing import Any, Sequence

from kettle.compiler.quantum_flow import ControlFlowOp, _with_state
from kettle.core import qmath
from kettle.core.operator import Operation, Operator

#: runs shorter than this stay gate by gate: below it the scan saves little compile time and
#: costs per-call time (its gather kernel is slower than the static einsums).
MIN_RUN = 64
#: fewest parametrized gates of one class in a shorter run whose matrices are computed in one batch
#: (:class:`BatchedRunOp`)
MIN_BATCH = 2


def _eligible(op: Any) -> bool:
    """A static one- or two-qubit gate with a matrix, unbatched."""
    return (isinstance(op, Operation) and not op.control_flow and len(op.wires) in (1, 2)
            and not op.wires.has_dynamic and op.batch_size is None
            and op.name not in ("StatePrep", "BasisState")
            and type(op).compute_matrix is not Operator.compute_matrix)


def compress(tape, device):
    """The tape with each run of at least :data:`MIN_RUN` eligible gates replaced by one
    :class:`GateRunOp`; the tape itself when nothing changes (or the device cannot simulate
    compiled operations, or the tape is broadcast)."""
    if not device.capabilities.control_flow or tape.batch_size or len(device.wires) < 2:
        return tape
    ops, run, changed = [], [], False

    def flush():
        nonlocal changed
        if len(run) >= MIN_RUN:
            ops.append(GateRunOp(list(run), wires=device.wires))
            changed = True
        elif _batched_groups(run):
            ops.append(BatchedRunOp(list(run), wires=device.wires))
            changed = True
        else:
            ops.extend(run)
        run.clear()

    for op in tape.operations:
        if _eligible(op):
            run.append(op)
        else:
            flush()
            ops.append(op)
    flush()
    return tape.copy(operations=ops) if changed else tape


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _groups(ops: Sequence[Operation]) -> dict:
    """Gate indices by ``(class, wire count, hyperparameters)``; a gate with array parameters or
    unhashable hyperparameters is a group of its own (key ``("single", index)``)."""
    import jax.numpy as jnp

    groups: dict = {}
    for i, op in enumerate(ops):
        hyper = tuple(sorted(op.hyperparameters.items()))
        scalar = all(jnp.ndim(p) == 0 for p in op.data) and _hashable(hyper)
        key = (type(op), len(op.wires), hyper) if scalar else ("single", i)
        groups.setdefault(key, []).append(i)
    return groups


def _class_matrices(ops: Sequence[Operation], members: list) -> Any:
    """The matrices of gates ``members`` of one class (parametrized, scalar parameters), from one
    batched computation over their stacked parameters."""
    import jax.numpy as jnp

    first = ops[members[0]]
    stacked = [qmath.stack_entries([ops[i].data[k] for i in members])
               for k in range(len(first.data))]
    mats = jnp.asarray(type(first).compute_matrix(*stacked, **first.hyperparameters))
    if mats.ndim == 2:  # a matrix that does not depend on its parameters
        mats = jnp.broadcast_to(mats, (len(members),) + mats.shape)
    return mats


def _matrices(ops: Sequence[Operation], wire_order) -> tuple[Any, Any]:
    """(stacked 4×4 matrices, (gates, 2) wire positions) in the order of ``ops``."""
    import jax.numpy as jnp
    import numpy as np

    n = len(wire_order)
    blocks, order = [], []
    for key, members in _groups(ops).items():
        first = ops[members[0]]
        if first.data and key[0] != "single":  # one batched matrix computation per class
            mats = _class_matrices(ops, members)
        elif not first.data:  # constant gates: one matrix for all
            mats = jnp.broadcast_to(jnp.asarray(first.matrix()), (len(members),) + (2 ** len(
                first.wires),) * 2)
        else:
            mats = jnp.asarray(first.matrix())[None]
        if len(first.wires) == 1:  # U ⊗ 1 on (wire, a neighbour)
            mats = jnp.einsum("mab,cd->macbd", mats, jnp.eye(2)).reshape(len(members), 4, 4)
        blocks.append(mats.astype(jnp.complex128 if mats.dtype != jnp.complex64
                                  else jnp.complex64))
        order += members
    dtype = jnp.result_type(*blocks)
    stacked = jnp.concatenate([b.astype(dtype) for b in blocks])[np.argsort(order)]
    pos = []
    for op in ops:
        p = [wire_order.index(w) for w in op.wires]
        pos.append(p if len(p) == 2 else [p[0], (p[0] + 1) % n])
    return stacked, jnp.asarray(np.array(pos, dtype=np.int32))


class _RunOp(ControlFlowOp):
    """Consecutive one- and two-qubit gates of a compiled backprop QNode as one tape operation;
    their parameters live in the gates it holds.

    Args:
        ops: the gates, in circuit order.
        wires: the device's wires.
    """

    who = "a run of gates"

    def __init__(self, ops: Sequence[Operation], *, wires: Any):
        from kettle.core.wires import Wires

        self.ops = list(ops)
        # the wires its gates act on, not all of ``wires``: a state preparation later on another
        # wire stays allowed (the simulation sees the whole state either way)
        super().__init__(None, (), wires=Wires.union(op.wires for op in self.ops) or wires)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.ops)} gates)"


class GateRunOp(_RunOp):
    """A run simulated by one ``lax.scan`` (see :class:`_RunOp`)."""

    def evolve(self, view: Any, run_ops) -> Any:
        import jax
        import jax.numpy as jnp

        from kettle.devices import dynamic_wires

        if view.batched:  # a broadcast state: gate by gate, as the device would
            return run_ops(view, self.ops)
        mats, pos = _matrices(self.ops, view.wire_order)
        state = jnp.asarray(view.state)
        dtype = jnp.result_type(state.dtype, mats.dtype)
        valid = jnp.asarray(True)

        def step(psi, x):
            u, ab = x
            new = dynamic_wires.apply(psi, u, [ab[0], ab[1]], False, False, valid)
            return new.astype(dtype), None

        final, _ = jax.lax.scan(step, state.astype(dtype), (mats.astype(dtype), pos))
        return _with_state(view, final)


def _batched_groups(ops: Sequence[Operation]) -> list[list[int]]:
    """The groups of :func:`_groups` worth one batched matrix computation: two or more
    parametrized gates of a class without a diagonal form (diagonal gates are applied as
    diagonals, cheaper than the matrices of a batch)."""
    return [members for key, members in _groups(ops).items()
            if key[0] != "single" and len(members) >= MIN_BATCH and ops[members[0]].data
            and not ops[members[0]].has_diagonal]


class BatchedRunOp(_RunOp):
    """A run too short for :class:`GateRunOp`, applied gate by gate as the device applies them,
    but with the matrices of each class of parametrized gates from one batched computation:
    traced per gate, a Rot's matrix is some thirty scalar operations (and as many again in its
    derivative), which XLA compiles one by one."""

    def evolve(self, view: Any, run_ops) -> Any:
        import jax.numpy as jnp

        from kettle.core.ops.matrix_ops import QubitUnitary

        gates = list(self.ops)
        if not view.batched:
            for members in _batched_groups(gates):
                mats = _class_matrices(gates, members)
                # one operation, not a slice and a squeeze per gate (JAX 0.4.28+)
                mats = jnp.unstack(mats) if hasattr(jnp, "unstack") else list(mats)
                for i, mat in zip(members, mats):
                    gates[i] = QubitUnitary.unqueued(mat, wires=gates[i].wires,
                                                     unitary_check=False)
        return run_ops(view, gates)
