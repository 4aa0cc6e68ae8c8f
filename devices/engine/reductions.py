"""Reduction kernels over flat state vectors: quadratic forms, probabilities, reduced states.

Nothing here allocates a state-sized temporary: each kernel reads the vectors once and
accumulates scalars (or small per-chunk arrays). Bit conventions as in :mod:`.kernels`.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from kettle.devices.engine.kernels import _insert_zeros, _parity, _span


@njit(inline="always")
def _pauli_form_span(a, b, xmask, zmask, lo, hi):
    acc = 0j
    for i in range(lo, hi):
        term = np.conj(a[i ^ xmask]) * b[i]
        acc += -term if _parity(i & zmask) else term
    return acc


@njit(cache=True)
def pauli_form(a, b, xmask, zmask):
    """Σ_i conj(a[i ⊕ xmask]) (−1)^{|i ∧ zmask|} b[i] = ⟨a|P|b⟩ / i^#Y for a Pauli word P."""
    return _pauli_form_span(a, b, xmask, zmask, 0, b.size)


@njit(cache=True, parallel=True)
def pauli_form_par(a, b, xmask, zmask, chunks):
    acc = 0j
    for c in prange(chunks):
        lo, hi = _span(b.size, chunks, c)
        acc += _pauli_form_span(a, b, xmask, zmask, lo, hi)
    return acc


@njit(inline="always")
def _dense_form_span(a, b, sorted_pos, offsets, mat, lo, hi):
    d = offsets.size
    acc = 0j
    for i in range(lo, hi):
        base = _insert_zeros(i, sorted_pos)
        for r in range(d):
            row = 0j
            for j in range(d):
                row += mat[r, j] * b[base + offsets[j]]
            acc += np.conj(a[base + offsets[r]]) * row
    return acc


@njit(cache=True)
def dense_form(a, b, sorted_pos, offsets, mat):
    """⟨a|M|b⟩ for a small matrix ``M`` on the bits of ``offsets``."""
    return _dense_form_span(a, b, sorted_pos, offsets, mat, 0, b.size >> sorted_pos.size)


@njit(cache=True, parallel=True)
def dense_form_par(a, b, sorted_pos, offsets, mat, chunks):
    total = b.size >> sorted_pos.size
    acc = 0j
    for c in prange(chunks):
        lo, hi = _span(total, chunks, c)
        acc += _dense_form_span(a, b, sorted_pos, offsets, mat, lo, hi)
    return acc


@njit(inline="always")
def _diag_form_span(a, b, sorted_pos, offsets, diag, lo, hi):
    d = offsets.size
    acc = 0j
    for i in range(lo, hi):
        base = _insert_zeros(i, sorted_pos)
        for j in range(d):
            x = base + offsets[j]
            acc += np.conj(a[x]) * diag[j] * b[x]
    return acc


@njit(cache=True)
def diag_form(a, b, sorted_pos, offsets, diag):
    """⟨a|D|b⟩ for a diagonal ``D`` on the bits of ``offsets``."""
    return _diag_form_span(a, b, sorted_pos, offsets, diag, 0, b.size >> sorted_pos.size)


@njit(cache=True, parallel=True)
def diag_form_par(a, b, sorted_pos, offsets, diag, chunks):
    total = b.size >> sorted_pos.size
    acc = 0j
    for c in prange(chunks):
        lo, hi = _span(total, chunks, c)
        acc += _diag_form_span(a, b, sorted_pos, offsets, diag, lo, hi)
    return acc


@njit(inline="always")
def _probs_span(psi, rest_pos, offsets, out, lo, hi):
    d = offsets.size
    for i in range(lo, hi):
        base = _insert_zeros(i, rest_pos)
        for j in range(d):
            v = psi[base + offsets[j]]
            out[j] += v.real * v.real + v.imag * v.imag


@njit(cache=True)
def probs(psi, sorted_pos, offsets):
    """Marginal probabilities of the bits of ``offsets`` (local index order); float64."""
    out = np.zeros(offsets.size)
    _probs_span(psi, sorted_pos, offsets, out, 0, psi.size >> sorted_pos.size)
    return out


@njit(cache=True, parallel=True)
def probs_par(psi, sorted_pos, offsets, chunks):
    part = np.zeros((chunks, offsets.size))
    total = psi.size >> sorted_pos.size
    for c in prange(chunks):
        lo, hi = _span(total, chunks, c)
        _probs_span(psi, sorted_pos, offsets, part[c], lo, hi)
    return part.sum(axis=0)


@njit(inline="always")
def _rdm_span(psi, sorted_pos, offsets, out, lo, hi):
    d = offsets.size
    v = np.empty(d, dtype=np.complex128)
    for i in range(lo, hi):
        base = _insert_zeros(i, sorted_pos)
        for j in range(d):
            v[j] = psi[base + offsets[j]]
        for r in range(d):
            for j in range(d):
                out[r, j] += v[r] * np.conj(v[j])


@njit(cache=True)
def rdm(psi, sorted_pos, offsets):
    """Reduced density matrix ρ_rj = Σ_rest ψ_{r,rest} conj(ψ_{j,rest}) (complex128)."""
    out = np.zeros((offsets.size, offsets.size), dtype=np.complex128)
    _rdm_span(psi, sorted_pos, offsets, out, 0, psi.size >> sorted_pos.size)
    return out


@njit(cache=True, parallel=True)
def rdm_par(psi, sorted_pos, offsets, chunks):
    d = offsets.size
    part = np.zeros((chunks, d, d), dtype=np.complex128)
    total = psi.size >> sorted_pos.size
    for c in prange(chunks):
        lo, hi = _span(total, chunks, c)
        _rdm_span(psi, sorted_pos, offsets, part[c], lo, hi)
    return part.sum(axis=0)


@njit(cache=True)
def pauli_form_rows(states, xmask, zmask):
    """:func:`pauli_form` of every row of ``states`` with itself (circuits of one structure)."""
    out = np.empty(states.shape[0], np.complex128)
    for r in range(states.shape[0]):
        out[r] = _pauli_form_span(states[r], states[r], xmask, zmask, 0, states.shape[1])
    return out
