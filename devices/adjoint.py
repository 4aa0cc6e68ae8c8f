"""Adjoint differentiation of expectation values on a state vector.

One forward pass, then one reverse sweep that holds the state |φ⟩ and one bra |λ_k⟩ = O_k|ψ⟩ per
observable — O(1) state vectors however many gates. At each gate U(θ) = exp(−iθG):
∂⟨O⟩/∂θ = 2 Re⟨λ|(−iG)|φ⟩ = 2 Im⟨λ|G|φ⟩, then |φ⟩ ← U†|φ⟩ and |λ⟩ ← U†|λ⟩.
"""
from __future__ import annotations

import numpy as np

from kettle.core import measurements as m
from kettle.core import qmath
from kettle.core.ops.matrix_ops import BasisState, StatePrep
from kettle.core.tape import QuantumTape
from kettle.devices.qubit_measure import StateView, apply_observable
from kettle.errors import NonDifferentiableError


def _imag_inner(view: StateView, a, b):
    """Im⟨a|b⟩ over the wire axes."""
    axes = tuple(range(1 if view.batched else 0, qmath.ndim(b)))
    return qmath.anp.imag(qmath.anp.sum(qmath.anp.conj(a) * b, axis=axes))


def check_adjoint_tape(tape: QuantumTape) -> None:
    for mp in tape.measurements:
        if not isinstance(mp, m.ExpectationMP):
            raise NonDifferentiableError(
                f"adjoint differentiation supports expval only, got {mp.return_type}(); use "
                "diff_method='parameter-shift' or 'backprop'")
    trainable = {id(op) for op, _ in (tape.get_operation(i) for i in range(len(tape.trainable_params)))}
    for op in tape.operations:
        if id(op) in trainable and (isinstance(op, (StatePrep, BasisState)) or not op.has_generator):
            raise NonDifferentiableError(
                f"adjoint differentiation cannot differentiate {op.name}: it has no generator; "
                "use diff_method='parameter-shift' or 'finite-diff'")


def adjoint_jacobian(tape: QuantumTape, wire_order, kernel, initial_state_fn) -> tuple:
    """Jacobian of a tape's expectation values: a tuple over measurements of tuples over trainable
    parameters."""
    check_adjoint_tape(tape)
    view = initial_state_fn(tape)
    ops = tape.operations
    for op in ops:
        view = view.apply(op) if not isinstance(op, (StatePrep, BasisState)) else view
    positions = {}
    for t in range(len(tape.trainable_params)):
        op, _ = tape.get_operation(t)
        positions.setdefault(id(op), []).append(t)
    n_params = len(tape.trainable_params)
    bras = [StateView(apply_observable(view, mp.obs), wire_order, view.batched, kernel)
            for mp in tape.measurements]
    jac = [[None] * n_params for _ in tape.measurements]
    for op in reversed(ops):
        if isinstance(op, (StatePrep, BasisState)):
            continue  # prepared before every gate on its wires; commutes with the rest
        if id(op) in positions:
            gen = op.generator()
            g_phi = apply_observable(view, gen)
            for k, bra in enumerate(bras):
                d = 2 * _imag_inner(view, bra.state, g_phi)
                for t in positions[id(op)]:
                    jac[k][t] = d
        adj = op.adjoint()
        view = view.apply(adj)
        bras = [b.apply(adj) for b in bras]
    zero = np.zeros(()) if not view.batched else np.zeros(qmath.shape(view.state)[:1])
    return tuple(tuple(v if v is not None else zero for v in row) for row in jac)
