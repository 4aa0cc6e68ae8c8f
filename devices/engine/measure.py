"""Analytic measurements of a flat NumPy state by reduction kernels (no ``O|ψ⟩`` temporaries).

Each function takes ``(mp, psi, n, wire_order, chunks)`` and returns the result, or None when the
measurement is not one the kernels cover; the simulator then uses the generic functions of
``devices/qubit_measure.py`` on the same state.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from kettle.core import measurements as m
from kettle.core.ops.observables import Hamiltonian, Tensor
from kettle.devices.engine import reductions as R
from kettle.devices.engine.apply import MAX_DENSE, geometry


def _factors(obs) -> list:
    return list(obs.obs) if isinstance(obs, Tensor) else [obs]


def pauli_word(obs, n: int, wire_order) -> tuple[int, int, complex] | None:
    """``(xmask, zmask, i^#Y)`` of a Pauli word (a product of I, X, Y, Z on distinct wires)."""
    xmask = zmask = ny = 0
    seen = set()
    for f in _factors(obs):
        letter = getattr(type(f), "pauli_letter", None)
        if letter is None or f.data:
            return None
        for w in f.wires:
            if w in seen:
                return None
            seen.add(w)
            if letter == "I":
                continue
            bit = 1 << (n - 1 - wire_order.index(w))
            if letter in "XY":
                xmask |= bit
            if letter in "ZY":
                zmask |= bit
            ny += letter == "Y"
    return xmask, zmask, 1j ** ny


def pauli_form(a, b, word, chunks) -> complex:
    """⟨a|P|b⟩ for a Pauli word ``(xmask, zmask, phase)``."""
    xmask, zmask, phase = word
    if chunks:
        return phase * R.pauli_form_par(a, b, xmask, zmask, chunks)
    return phase * R.pauli_form(a, b, xmask, zmask)


def small_form(a, b, obs, n, wire_order, chunks, *, square: bool = False) -> complex | None:
    """⟨a|O|b⟩ (⟨a|O²|b⟩ with ``square``) for an observable on at most MAX_DENSE wires."""
    k = len(obs.wires)
    if k > MAX_DENSE or len(set(obs.wires)) != k:
        return None
    sorted_pos, offsets = geometry(n, tuple(wire_order.index(w) for w in obs.wires))
    if obs.has_diagonal:
        d = np.asarray(obs.diagonal(), dtype=np.complex128)
        d = d * d if square else d
        if chunks:
            return R.diag_form_par(a, b, sorted_pos, offsets, d, chunks)
        return R.diag_form(a, b, sorted_pos, offsets, d)
    mat = np.asarray(obs.matrix(), dtype=np.complex128)
    mat = mat @ mat if square else mat
    if chunks:
        return R.dense_form_par(a, b, sorted_pos, offsets, mat, chunks)
    return R.dense_form(a, b, sorted_pos, offsets, mat)


def form(a, b, obs, n, wire_order, chunks) -> complex | None:
    """⟨a|O|b⟩ for a Pauli word, a small observable, or a Hamiltonian of those; None otherwise."""
    if isinstance(obs, Hamiltonian):
        total = 0j
        for c, o in zip(obs.data, obs.ops):
            if not isinstance(c, (int, float, complex, np.number, np.ndarray)):
                return None
            part = form(a, b, o, n, wire_order, chunks)
            if part is None:
                return None
            total += complex(c) * part
        return total
    word = pauli_word(obs, n, wire_order)
    if word is not None:
        return pauli_form(a, b, word, chunks)
    return small_form(a, b, obs, n, wire_order, chunks)


def _real(x, psi) -> np.ndarray:
    return np.asarray(np.real(x), dtype=psi.real.dtype)


def expval(mp, psi, n, wire_order, chunks):
    val = form(psi, psi, mp.obs, n, wire_order, chunks)
    return None if val is None else _real(val, psi)


def var(mp, psi, n, wire_order, chunks):
    obs = mp.obs
    word = pauli_word(obs, n, wire_order)
    if word is not None:  # P² = I
        mean = pauli_form(psi, psi, word, chunks).real
        return _real(1.0 - mean * mean, psi)
    if isinstance(obs, Hamiltonian):
        return None
    mean = small_form(psi, psi, obs, n, wire_order, chunks)
    if mean is None:
        return None
    sq = small_form(psi, psi, obs, n, wire_order, chunks, square=True)
    return _real(sq.real - mean.real ** 2, psi)


def probs(mp, psi, n, wire_order, chunks):
    if mp.obs is not None:
        return None
    wires = mp.wires if len(mp.wires) else wire_order
    sorted_pos, offsets = geometry(n, tuple(wire_order.index(w) for w in wires))
    p = R.probs_par(psi, sorted_pos, offsets, chunks) if chunks else R.probs(psi, sorted_pos, offsets)
    return p.astype(psi.real.dtype, copy=False)


def state(mp, psi, n, wire_order, chunks):
    return psi.copy()


def reduced(psi, n, wire_order, wires, chunks) -> np.ndarray:
    """Reduced density matrix on ``wires`` (in that order), by one pass over the state."""
    sorted_pos, offsets = geometry(n, tuple(wire_order.index(w) for w in wires))
    # bases have zeros at the kept bits; offsets run over the kept bits in ``wires`` order
    rho = R.rdm_par(psi, sorted_pos, offsets, chunks) if chunks else R.rdm(psi, sorted_pos, offsets)
    return rho.astype(psi.dtype, copy=False)


ENGINE: dict[type, Callable[..., Any]] = {
    m.ExpectationMP: expval,
    m.VarianceMP: var,
    m.ProbabilityMP: probs,
    m.StateMP: state,
}
