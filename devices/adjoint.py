"""Adjoint differentiation on a state vector: expval, var and probs.

One forward pass, then one reverse sweep holding the state |φ⟩ and a few bras |λ⟩. Every supported
measurement is a function of quadratic forms ⟨ψ|A|ψ⟩ with bras |λ⟩ = A|ψ⟩: A = O for expval; A = O
and O² for var (∂Var = ∂⟨O²⟩ − 2⟨O⟩∂⟨O⟩); A = Π_i, the projector on basis state i, for probs
(2**k bras for k wires). At each gate U(θ) = exp(−iθG): ∂⟨A⟩/∂θ = 2 Re⟨λ|(−iG)|φ⟩ = 2 Im⟨λ|G|φ⟩,
then |φ⟩ ← U†|φ⟩ and |λ⟩ ← U†|λ⟩. Memory: the state plus one vector per bra, whatever the depth.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from kettle.core import measurements as m
from kettle.core import qmath
from kettle.core.ops.matrix_ops import BasisState, StatePrep
from kettle.core.ops.observables import Hamiltonian
from kettle.core.tape import QuantumTape
from kettle.devices.qubit_measure import StateView, apply_observable
from kettle.errors import NonDifferentiableError

anp = qmath.anp
SUPPORTED = (m.ExpectationMP, m.VarianceMP, m.ProbabilityMP)


def _inner(view: StateView, a, b):
    """⟨a|b⟩ over the wire axes (keeps a batch axis)."""
    if type(a) is np.ndarray and type(b) is np.ndarray and not view.batched:
        return np.vdot(a, b)  # one pass, no temporaries
    axes = tuple(range(1 if view.batched else 0, qmath.ndim(b)))
    return anp.sum(anp.conj(a) * b, axis=axes)


def check_adjoint_tape(tape: QuantumTape) -> None:
    for mp in tape.measurements:
        if not isinstance(mp, SUPPORTED):
            raise NonDifferentiableError(
                f"adjoint differentiation supports expval, var and probs, got {mp.return_type}(); "
                "use diff_method='backprop' or 'finite-diff'")
    trainable = {id(tape.get_operation(i)[0]) for i in range(len(tape.trainable_params))}
    for op in tape.operations:
        if id(op) in trainable and (isinstance(op, (StatePrep, BasisState)) or not op.has_generator):
            raise NonDifferentiableError(
                f"adjoint differentiation cannot differentiate {op.name}: it has no generator; "
                "use diff_method='parameter-shift' or 'finite-diff'")


def _plan(mp, view: StateView) -> tuple[list, Callable]:
    """Bras of one measurement and how to combine their derivatives into its derivative."""
    if isinstance(mp, m.ExpectationMP):
        return [apply_observable(view, mp.obs)], lambda d: d[0]
    if isinstance(mp, m.VarianceMP):
        o_psi = apply_observable(view, mp.obs)
        mean = anp.real(_inner(view, view.state, o_psi))
        o2_psi = apply_observable(StateView(o_psi, view.wire_order, view.batched, view.kernel), mp.obs)
        return [o_psi, o2_psi], lambda d: d[1] - 2 * mean * d[0]
    return _probs_plan(mp, view)


def _probs_plan(mp, view: StateView):
    rotated = view
    gates = mp.obs.diagonalizing_gates() if mp.obs is not None else []
    for g in gates:
        rotated = rotated.apply(g)
    wires = mp.wires if len(mp.wires) else view.wire_order
    off = 1 if view.batched else 0
    axes = [view.wire_order.index(w) + off for w in wires]
    bras = []
    k = len(wires)
    for i in range(2 ** k):
        bits = [(i >> (k - 1 - j)) & 1 for j in range(k)]
        mask = np.zeros([2] * k)
        mask[tuple(bits)] = 1.0
        shape = [1] * qmath.ndim(rotated.state)
        for a in axes:
            shape[a] = 2
        mask = np.transpose(mask, np.argsort(axes)).reshape(shape)
        if qmath.backend_of(rotated.state) != "numpy":
            mask = qmath.convert_like(mask, rotated.state)
        bra = StateView(rotated.state * mask, view.wire_order, view.batched, view.kernel)
        for g in reversed(gates):  # U†Π_iU|ψ⟩
            bra = bra.apply(g.adjoint())
        bras.append(bra.state)
    return bras, lambda d: anp.stack(d, axis=-1)


def _observable_derivatives(tape: QuantumTape, view: StateView) -> dict:
    """Derivatives with respect to trainable observable parameters, per (measurement, trainable
    index): expval(Σ c_k O_k) is linear in c_k, so ∂/∂c_k = ⟨O_k⟩ at the final state. Other
    observable parameters are refused (the sweep differentiates gates only)."""
    out = {}
    gates = {id(op) for op in tape.operations}
    for t in range(len(tape.trainable_params)):
        obs, i = tape.get_operation(t)
        if id(obs) in gates:
            continue
        for k, mp in enumerate(tape.measurements):
            if mp.obs is not obs:
                continue
            if not (isinstance(mp, m.ExpectationMP) and isinstance(obs, Hamiltonian)):
                raise NonDifferentiableError(
                    f"adjoint differentiation cannot differentiate the parameters of {obs.name} "
                    f"in {mp.return_type}(): it differentiates gate parameters and the "
                    "coefficients of expval(Hamiltonian); use diff_method='backprop' or "
                    "'parameter-shift', or pass the observable's parameters as constants")
            out[(k, t)] = anp.real(_inner(view, view.state, apply_observable(view, obs.ops[i])))
    return out


def adjoint_jacobian(tape: QuantumTape, wire_order, kernel, initial_state_fn) -> tuple:
    """Jacobian of a tape: a tuple over measurements of tuples over trainable parameters."""
    check_adjoint_tape(tape)
    view = initial_state_fn(tape)
    ops = tape.operations
    for op in ops:
        if not isinstance(op, (StatePrep, BasisState)):
            view = view.apply(op)
    positions: dict[int, list[int]] = {}
    for t in range(len(tape.trainable_params)):
        positions.setdefault(id(tape.get_operation(t)[0]), []).append(t)
    of_observables = _observable_derivatives(tape, view)
    plans = [_plan(mp, view) for mp in tape.measurements]
    bras = [StateView(b, wire_order, view.batched, kernel) for bras_k, _ in plans for b in bras_k]
    n_params = len(tape.trainable_params)
    derivs = [[None] * n_params for _ in bras]
    for op in reversed(ops):
        if isinstance(op, (StatePrep, BasisState)):
            continue  # prepared before every gate on its wires; commutes with the rest
        if id(op) in positions:
            g_phi = apply_observable(view, op.generator())
            for b, bra in enumerate(bras):
                d = 2 * anp.imag(_inner(view, bra.state, g_phi))
                for t in positions[id(op)]:
                    derivs[b][t] = d
        adj = op.adjoint()
        view = view.apply(adj)
        bras = [b.apply(adj) for b in bras]
    zero = np.zeros(qmath.shape(view.state)[:1]) if view.batched else np.float64(0.0)
    out, b = [], 0
    for k, (bras_k, combine) in enumerate(plans):
        rows = derivs[b:b + len(bras_k)]
        b += len(bras_k)
        out.append(tuple(
            of_observables[(k, t)] if (k, t) in of_observables
            else combine([r[t] if r[t] is not None else zero for r in rows])
            for t in range(n_params)))
    return tuple(out)
