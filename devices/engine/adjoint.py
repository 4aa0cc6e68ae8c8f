"""Adjoint differentiation on the compiled kernels, in place.

Memory: the state |φ⟩, one bra |λ_k⟩ = O_k|ψ⟩ per measured expectation value, and one scratch vector
only while a Hamiltonian's bra is summed. At a gate U(θ) = exp(−iθG) the derivative
2 Im⟨λ|G|φ⟩ is a reduction kernel over (λ, φ) — the generator is never applied to a copy — then
U† is applied in place to φ and every λ. See devices/adjoint.py for the derivation; this module
covers expval of Pauli words, small observables and Hamiltonians of those, and defers every other
case to it.
"""
from __future__ import annotations

import numpy as np

from kettle.core import measurements as m
from kettle.core.operator import _structure_key
from kettle.core.ops.matrix_ops import BasisState, StatePrep
from kettle.core.ops.observables import Hamiltonian
from kettle.devices.adjoint import check_adjoint_tape
from kettle.devices.engine import apply as A
from kettle.devices.engine import kernels as K
from kettle.devices.engine.measure import MAX_DENSE, form, pauli_word
from kettle.devices.engine import plan as PL
from kettle.devices.engine import sweep as SW
from kettle.devices.engine.simulate import EngineOptions, final_state, structure


def _bra_terms(obs) -> list | None:
    """``[(coefficient, observable)]`` of an observable the engine applies, or None."""
    terms = list(zip(obs.data, obs.ops)) if isinstance(obs, Hamiltonian) else [(1.0, obs)]
    for _, o in terms:
        if isinstance(o, Hamiltonian):
            return None
    return terms


def supported(tape) -> bool:
    """True when every measurement is an expval the engine's sweep handles and no observable
    parameter is trainable (those derivatives come from devices/adjoint.py)."""
    gates = {id(op) for op in tape.operations}
    for t in range(len(tape.trainable_params)):
        if id(tape.get_operation(t)[0]) not in gates:
            return False
    for mp in tape.measurements:
        if not isinstance(mp, m.ExpectationMP) or _bra_terms(mp.obs) is None:
            return False
    return True


def _apply_observable(psi, n, obs, wire_order, chunks) -> bool:
    """psi ← O psi in place for a Pauli word or an observable on few wires; False if neither."""
    word = pauli_word(obs, n, wire_order)
    if word is not None:
        xmask, zmask, phase = word
        if chunks:
            K.pauli_par(psi, xmask, zmask, phase, chunks)
        else:
            K.pauli(psi, xmask, zmask, phase)
        return True
    if len(obs.wires) > MAX_DENSE:
        return False
    axes = tuple(wire_order.index(w) for w in obs.wires)
    if obs.has_diagonal:
        A.apply_array(psi, n, axes, "diag", np.asarray(obs.diagonal(), dtype=psi.dtype), chunks)
    else:
        A.apply_array(psi, n, axes, "dense", np.asarray(obs.matrix(), dtype=psi.dtype), chunks)
    return True


def _bra(psi, n, obs, wire_order, chunks) -> np.ndarray | None:
    terms = _bra_terms(obs)
    if len(terms) == 1 and terms[0][0] == 1.0:
        bra = psi.copy()
        return bra if _apply_observable(bra, n, obs, wire_order, chunks) else None
    bra = np.zeros_like(psi)
    scratch = np.empty_like(psi)
    for c, o in terms:
        np.copyto(scratch, psi)
        if not _apply_observable(scratch, n, o, wire_order, chunks):
            return None
        scratch *= psi.dtype.type(c)
        bra += scratch
    return bra


#: generators of gates whose generator is structural, by (structure, wires): a training loop's
#: sweeps build each generator once instead of once per gate per call
_GENERATORS: dict = {}
_GENERATORS_MAX = 4096


def _generator_key(op):
    """A key of ``op``'s generator when it depends only on the gate's structure and wires."""
    if op.generator_is_structural:
        structure = _structure_key(op)
        if structure is not None:
            return (structure, tuple(op.wires))
    return None


def _generator(op):
    key = _generator_key(op)
    if key is not None:
        cached = _GENERATORS.get(key)
        if cached is not None:
            return cached
    gen = op.generator()
    if key is not None:
        if len(_GENERATORS) >= _GENERATORS_MAX:
            _GENERATORS.clear()
        _GENERATORS[key] = gen
    return gen


def _inverse(op, dtype) -> tuple[str, np.ndarray | None]:
    """The kernel family and numbers of U† for a unitary gate U: the conjugate transpose of U's
    own numbers (no Adjoint operator built per gate and call)."""
    kd = A.kind(op)
    array = A.array_of(op, kd, dtype)
    if array is None:  # bit flips and swaps are their own inverses
        return kd, None
    return kd, PL.inverse_of(array, kd)


def _sweep(tape, state, bras, wire_order, chunks, tile_bits) -> list | None:
    """The reverse sweep: rows of 2 Im⟨λ_b|G|φ⟩ per bra and trainable parameter (None when a
    generator is not one the reduction kernels cover). ``state`` holds the only reference to φ.

    The sweep runs tile by tile in numba (:mod:`.sweep`); a gate wider than a program holds, or a
    generator term outside its gate's wires, sends it gate by gate through the kernels here.
    """
    n = len(wire_order)
    index = {w: i for i, w in enumerate(wire_order)}
    positions: dict[int, list[int]] = {}
    for t in range(len(tape.trainable_params)):
        positions.setdefault(id(tape.get_operation(t)[0]), []).append(t)
    gates = [op for op in tape.operations if not isinstance(op, (StatePrep, BasisState))]
    struct = structure(gates, [tuple(index[w] for w in op.wires) for op in gates])
    prog = SW.program(gates, struct, n, wire_order, positions, _generator, _generator_key,
                      tile_bits)
    if prog is not None:
        return SW.sweep(prog, gates, state.pop(), bras, len(tape.trainable_params), chunks)
    psi = state[0]
    real = psi.real.dtype.type
    jac = [[real(0.0)] * len(tape.trainable_params) for _ in bras]
    for op in reversed(gates):
        axes = tuple(index[w] for w in op.wires)
        if id(op) in positions:
            gen = _generator(op)
            for b, bra in enumerate(bras):
                val = form(bra, psi, gen, n, wire_order, chunks)
                if val is None:
                    return None
                d = real(2 * val.imag)
                for t in positions[id(op)]:
                    jac[b][t] = d
        kd, array = _inverse(op, psi.dtype)
        nc = getattr(A._traits(op), "num_controls", 0)
        A.apply_array(psi, n, axes, kd, array, chunks, nc)
        for bra in bras:
            A.apply_array(bra, n, axes, kd, array, chunks, nc)
    return jac


def adjoint_jacobian(tape, device, options: EngineOptions, *, with_results: bool = False):
    """Jacobian of an expval tape (tuple over measurements of tuples over trainable parameters), or
    None when the tape needs the generic sweep.

    With ``with_results``: ``(results, jacobian)``, the results (the tape's expectation values,
    as :meth:`DefaultQubit.execute` gives them) read off the same forward pass: ⟨ψ|O|ψ⟩ is
    ⟨ψ|λ⟩ for the bra λ = O|ψ⟩ the sweep starts from.
    """
    check_adjoint_tape(tape)
    if not supported(tape):
        return None
    wire_order = device.circuit_wires(tape)
    n = len(wire_order)
    psi, chunks = final_state(tape, device, options)
    bras = []
    for mp in tape.measurements:
        bra = _bra(psi, n, mp.obs, wire_order, chunks)
        if bra is None:
            return None
        bras.append(bra)
    results = (tuple(np.asarray(np.vdot(psi, bra).real, dtype=psi.real.dtype) for bra in bras)
               if with_results else None)
    state = [psi]
    del psi
    jac = _sweep(tape, state, bras, wire_order, chunks, options.tile_bits)
    if jac is None:
        return None
    jac = tuple(tuple(row) for row in jac)
    return (results, jac) if with_results else jac


def adjoint_vjp(tape, cotangent, device, options: EngineOptions) -> tuple | None:
    """⟨dy, ∂results/∂θ⟩ of an expval tape by ONE reverse sweep with the bra Σ_k dy_k O_k|ψ⟩
    (expectation values are linear in the bra), or None when the tape needs the generic path.

    Memory: the state, the summed bra, and one more bra while a second measurement is added.
    """
    check_adjoint_tape(tape)
    if not supported(tape) or len(cotangent) != len(tape.measurements):
        return None
    weights = [np.asarray(d) for d in cotangent]
    if any(w.shape != () or np.iscomplexobj(w) for w in weights):
        return None
    wire_order = device.circuit_wires(tape)
    n = len(wire_order)
    psi, chunks = final_state(tape, device, options)
    total = None
    for mp, w in zip(tape.measurements, weights):
        if float(w) == 0.0:
            continue
        bra = _bra(psi, n, mp.obs, wire_order, chunks)
        if bra is None:
            return None
        bra *= psi.dtype.type(float(w))  # in place: no weighted temporary
        if total is None:
            total = bra
        else:
            total += bra
        del bra
    if total is None:  # every cotangent is zero
        real = psi.real.dtype.type
        return tuple(real(0.0) for _ in tape.trainable_params)
    state, bras = [psi], [total]
    del psi, total
    row = _sweep(tape, state, bras, wire_order, chunks, options.tile_bits)
    return None if row is None else tuple(row[0])
