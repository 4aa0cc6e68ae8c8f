"""A small NumPy state-vector simulator: the part a real plugin replaces with its own backend.

States are arrays of shape ``(2,) * n`` with one axis per device wire, in the device's wire order.
Gates are applied from their matrices, so the simulator needs nothing from kettle but the operators'
``matrix()``, ``wires`` and ``diagonalizing_gates()``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def zero_state(n_wires: int) -> np.ndarray:
    """|0…0⟩ on ``n_wires`` qubits."""
    state = np.zeros((2,) * n_wires, dtype=complex)
    state[(0,) * n_wires] = 1.0
    return state


def apply_matrix(state: np.ndarray, matrix, axes: Sequence[int]) -> np.ndarray:
    """Apply a ``2**k × 2**k`` matrix to the state axes ``axes`` (in the matrix's wire order)."""
    k = len(axes)
    tensor = np.reshape(np.asarray(matrix, dtype=complex), (2,) * (2 * k))
    moved = np.tensordot(tensor, state, axes=(list(range(k, 2 * k)), list(axes)))
    # tensordot puts the k output axes first; move them back where the wires live
    return np.moveaxis(moved, list(range(k)), list(axes))


def apply_operator(state: np.ndarray, op, wire_order) -> np.ndarray:
    return apply_matrix(state, op.matrix(), [wire_order.index(w) for w in op.wires])


def run(operations, wire_order) -> np.ndarray:
    """The state after ``operations``, starting from |0…0⟩."""
    state = zero_state(len(wire_order))
    for op in operations:
        state = apply_operator(state, op, wire_order)
    return state


def expval(state: np.ndarray, obs, wire_order) -> np.ndarray:
    """⟨ψ|O|ψ⟩ as a 0-d array (kettle returns arrays for every measurement)."""
    return np.asarray(np.real(np.vdot(state, apply_operator(state, obs, wire_order))))


def probs(state: np.ndarray, wires, wire_order, obs=None) -> np.ndarray:
    """Probabilities of the basis states of ``wires`` (all wires when empty), in the eigenbasis of
    ``obs`` when one is given."""
    for gate in obs.diagonalizing_gates() if obs is not None else ():
        state = apply_operator(state, gate, wire_order)
    axes = [wire_order.index(w) for w in wires] if len(wires) else list(range(state.ndim))
    rest = tuple(a for a in range(state.ndim) if a not in axes)
    marginal = np.sum(np.abs(state) ** 2, axis=rest)
    kept = sorted(axes)  # summing keeps the remaining axes in device order; reorder to ``wires``
    return np.transpose(marginal, [kept.index(a) for a in axes]).reshape(-1)
