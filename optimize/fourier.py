"""Univariate trigonometric polynomials: reconstruction from 2R+1 samples and global minimization.

A cost that depends on one gate angle θ (all other parameters fixed) is
f(θ) = a₀ + Σ_l a_l cos(Ω_l θ) + b_l sin(Ω_l θ) with R positive frequencies Ω_l. Sampling f at 2R+1
points and solving the linear system for (a₀, a, b) reconstructs it exactly. When every frequency is
an integer multiple of a base Ω the spectrum is completed to {Ω, 2Ω, …, MΩ} and the samples are
equidistant over one period 2π/Ω: the system is then a discrete Fourier transform, exactly solvable
and perfectly conditioned.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from kettle.errors import OptimizerError

#: the largest multiple of the base frequency a spectrum is completed to (2M+1 evaluations)
MAX_MULTIPLE = 64


def commensurate(frequencies: Sequence[float]) -> tuple[float, int] | None:
    """(Ω, M) when every frequency is an integer multiple of Ω and the largest is MΩ ≤ 64Ω."""
    freqs = sorted(float(f) for f in frequencies)
    low = freqs[0]
    ratios = [Fraction(f / low).limit_denominator(64) for f in freqs]
    if any(abs(float(r) - f / low) > 1e-9 * (f / low) for r, f in zip(ratios, freqs)):
        return None
    num = functools.reduce(math.gcd, (r.numerator for r in ratios))
    den = functools.reduce(lambda p, q: p * q // math.gcd(p, q), (r.denominator for r in ratios))
    base = low * num / den
    multiple = round(freqs[-1] / base)
    return (base, multiple) if multiple <= MAX_MULTIPLE else None


@dataclass(frozen=True)
class SamplingPlan:
    """Where to sample a univariate cost to reconstruct it.

    Attributes:
        shifts: the 2R+1 offsets from the current value (the middle one is 0).
        frequencies: the R frequencies of the reconstruction (the completed spectrum).
        period: the period of the reconstruction, or None when the frequencies are incommensurate.
    """

    shifts: tuple[float, ...]
    frequencies: tuple[float, ...]
    period: float | None


@functools.lru_cache(maxsize=256)
def sampling_plan(frequencies: tuple[float, ...]) -> SamplingPlan:
    """The sampling plan of a spectrum of positive frequencies.

    Raises:
        OptimizerError: a frequency is not positive, or an incommensurate spectrum whose samples
            cannot separate the frequencies.
    """
    freqs = sorted(set(round(float(f), 12) for f in frequencies))
    if not freqs or freqs[0] <= 0:
        raise OptimizerError(f"a spectrum needs positive frequencies, got {tuple(frequencies)}",
                             value=frequencies)
    found = commensurate(freqs)
    if found is not None:
        base, m = found
        mu = np.arange(-m, m + 1)
        return SamplingPlan(tuple(float(v) for v in 2 * np.pi * mu / ((2 * m + 1) * base)),
                            tuple(float(v) for v in base * np.arange(1, m + 1)), 2 * np.pi / base)
    r = len(freqs)
    mu = np.arange(-r, r + 1)
    shifts = 2 * np.pi * mu / ((2 * r + 1) * freqs[0])
    if np.linalg.cond(_design(shifts, np.array(freqs))) > 1e8:
        raise OptimizerError(
            f"cannot reconstruct a cost with the incommensurate frequencies {tuple(freqs)} from "
            f"{2 * r + 1} samples; pass a spectrum of multiples of one base frequency",
            value=frequencies)
    return SamplingPlan(tuple(float(v) for v in shifts), tuple(freqs), None)


def _design(x: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    wx = np.outer(x, freqs)
    return np.hstack([np.ones((len(x), 1)), np.cos(wx), np.sin(wx)])


@dataclass(frozen=True)
class TrigPolynomial:
    """g(x) = a₀ + Σ_l a_l cos(Ω_l x) + b_l sin(Ω_l x)."""

    a0: float
    a: np.ndarray
    b: np.ndarray
    frequencies: np.ndarray
    period: float | None = None

    @classmethod
    def fit(cls, plan: SamplingPlan, values: Sequence[float]) -> "TrigPolynomial":
        """The polynomial through ``values`` sampled at ``plan.shifts``."""
        freqs = np.array(plan.frequencies)
        coef = np.linalg.solve(_design(np.array(plan.shifts), freqs), np.asarray(values, float))
        r = len(freqs)
        return cls(float(coef[0]), coef[1:r + 1], coef[r + 1:], freqs, plan.period)

    def __call__(self, x):
        wx = np.multiply.outer(x, self.frequencies)
        return self.a0 + np.cos(wx) @ self.a + np.sin(wx) @ self.b

    def derivative(self, x, order: int = 1):
        """The ``order``-th derivative (1 or 2) at ``x``."""
        wx = np.multiply.outer(x, self.frequencies)
        w = self.frequencies ** order
        if order == 1:
            return (-np.sin(wx) * w) @ self.a + (np.cos(wx) * w) @ self.b
        return (-np.cos(wx) * w) @ self.a + (-np.sin(wx) * w) @ self.b

    def minimize(self) -> tuple[float, float]:
        """(x, g(x)) at a global minimum, with x within half a period of 0 (the smallest move).

        One frequency is solved in closed form; otherwise a dense grid over one period (or over
        2π/Ω_min for incommensurate frequencies) locates the basin and Newton steps polish it.
        """
        if len(self.frequencies) == 1:
            w, a, b = self.frequencies[0], self.a[0], self.b[0]
            # a cos(wx) + b sin(wx) = r cos(wx − φ) is smallest (−r) at wx = φ + π
            x = _wrap((math.atan2(b, a) + math.pi) / w, 2 * math.pi / w)
            return x, float(self.a0 - math.hypot(a, b))
        span = self.period if self.period is not None else 2 * np.pi / self.frequencies.min()
        n = 40 * int(np.ceil(self.frequencies.max() * span / (2 * np.pi))) + 1
        grid = np.linspace(-span / 2, span / 2, n)
        vals = self(grid)
        x = float(grid[np.argmin(vals)])
        h = span / (n - 1)
        best = float(self(x))
        for _ in range(30):
            d2 = float(self.derivative(x, 2))
            if d2 <= 0:
                break
            step = float(self.derivative(x, 1)) / d2
            trial = x - float(np.clip(step, -h, h))
            value = float(self(trial))
            if value > best:
                break
            x, best = trial, value
            if abs(step) < 1e-14:
                break
        if self.period is not None:
            x = _wrap(x, self.period)
        return x, float(self(x))


def _wrap(x: float, period: float) -> float:
    """x shifted by whole periods into (−period/2, period/2]."""
    return float(x - period * math.ceil(x / period - 0.5))
