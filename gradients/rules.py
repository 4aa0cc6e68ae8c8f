"""Shift rules and finite-difference stencils, derived from the mathematics.

A gate parameter θ enters the circuit as f(θ) = a₀ + Σ_l a_l cos(Ω_l θ) + b_l sin(Ω_l θ), with the
frequencies Ω_l the positive differences of the generator's eigenvalues. With R frequencies and R
symmetric shift pairs ±x_μ: f(θ+x) − f(θ−x) = 2 Σ_l b_l(θ) sin(Ω_l x), and f′(θ) = Σ_l Ω_l b_l(θ).
Solving the R×R linear system gives coefficients c_μ with f′(θ) = Σ_μ c_μ [f(θ+x_μ) − f(θ−x_μ)].
"""
from __future__ import annotations

import functools
from typing import Sequence

import numpy as np


@functools.lru_cache(maxsize=256)
def shift_rule(frequencies: tuple[float, ...], shifts: tuple[float, ...] | None = None):
    """(coefficients, shifts) of a first-derivative shift rule, each of length 2R.

    For one frequency Ω this is the two-term rule f′ = Ω/(2 sin Ωs)·[f(θ+s) − f(θ−s)], s = π/(2Ω).
    Equidistant frequencies {Ω, 2Ω, …, RΩ} get the optimal shifts x_μ = (2μ−1)π/(2RΩ).
    """
    freqs = np.array(sorted(frequencies), dtype=float)
    R = len(freqs)
    if shifts is None:
        base = freqs[0]
        if np.allclose(freqs, base * np.arange(1, R + 1)):
            x = (2 * np.arange(1, R + 1) - 1) * np.pi / (2 * R * base)
        else:  # non-equidistant spectrum: spread shifts over a period of the smallest frequency
            x = (2 * np.arange(1, R + 1) - 1) * np.pi / (2 * R * freqs[0])
    else:
        x = np.array(shifts, dtype=float)
        if len(x) != R:
            raise ValueError(f"a rule for {R} frequencies needs {R} positive shifts, got {len(x)}")
    S = 2 * np.sin(np.outer(x, freqs))  # S[μ, l] = 2 sin(Ω_l x_μ)
    if np.linalg.cond(S) > 1e10:  # e.g. Ω = (1, 3) at x = (π/4, 3π/4): sin(x) = sin(3x) for both
        raise ValueError(
            f"the shifts {tuple(float(v) for v in x)} cannot separate the frequencies "
            f"{tuple(float(f) for f in freqs)} (singular shift-rule system); pass {R} other positive "
            "shifts")
    coeffs = np.linalg.solve(S.T, freqs)  # c with Σ_μ c_μ S[μ, l] = Ω_l
    return tuple(np.concatenate([coeffs, -coeffs])), tuple(np.concatenate([x, -x]))


@functools.lru_cache(maxsize=64)
def finite_diff_stencil(approx_order: int, strategy: str) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """(coefficients, step multiples) with f′(θ) ≈ Σ_j c_j f(θ + s_j h) / h.

    forward: s = 0, 1, …, N; backward: s = 0, −1, …, −N; center: s = ±1, …, ±⌈N/2⌉ (error O(h²)
    already for N = 1, 2). The coefficients solve Σ_j c_j s_j^k = δ_{k1} (Taylor expansion).
    """
    if approx_order < 1:
        raise ValueError(f"approx_order must be a positive integer, got {approx_order}")
    if strategy == "forward":
        steps = list(range(0, approx_order + 1))
    elif strategy == "backward":
        steps = list(range(0, -approx_order - 1, -1))
    elif strategy == "center":
        half = (approx_order + 1) // 2
        steps = [s for s in range(-half, half + 1) if s != 0]
    else:
        raise ValueError(f"strategy must be 'forward', 'backward' or 'center', got {strategy!r}")
    n = len(steps)
    V = np.array([[s ** k for s in steps] for k in range(n)], dtype=float)
    rhs = np.zeros(n)
    rhs[1] = 1.0
    coeffs = np.linalg.solve(V, rhs)
    keep = [(c, s) for c, s in zip(coeffs, steps) if abs(c) > 1e-14]
    return tuple(c for c, _ in keep), tuple(s for _, s in keep)


def combine(coeffs: Sequence[float], values: Sequence):
    """Σ c_i · v_i for framework arrays (or nested tuples of them)."""
    if isinstance(values[0], (tuple, list)):
        return type(values[0])(combine(coeffs, [v[k] for v in values]) for k in range(len(values[0])))
    total = None
    for c, v in zip(coeffs, values):
        term = float(c) * v
        total = term if total is None else total + term
    return total
