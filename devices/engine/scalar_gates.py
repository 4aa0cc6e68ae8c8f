"""Kernel arrays of common gates from plain float parameters, without autoray.

A gate's class is the truth for its matrix (``compute_matrix``, built with autoray so every framework
and a batch axis work). For a NumPy circuit that generality costs ~20 µs a gate, which dominates a
4-qubit simulation; this table gives the same numbers from ``math`` in ~2 µs. Each entry returns
what the kernel of the gate's family takes (see :func:`apply.kind`): the 2x2 target block of
controlled gates, the diagonal of diagonal gates, the matrix otherwise. tests/devices/
test_engine_kernels.py checks every entry against the class's own matrix.
"""
from __future__ import annotations

import cmath
import math
from typing import Callable

import numpy as np

from kettle.core.ops.parametric import (
    CRX, CRY, CRZ, RX, RY, RZ, ControlledPhaseShift, CRot, IsingXX, IsingYY, IsingZZ, PhaseShift,
    Rot,
)


def _rx(t):
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -1j * s], [-1j * s, c]])


def _ry(t):
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def _rz(t):
    return np.array([cmath.exp(-0.5j * t), cmath.exp(0.5j * t)])


def _phase(p):
    return np.array([1.0, cmath.exp(1j * p)])


def _rot(phi, theta, omega):  # RZ(ω) RY(θ) RZ(φ)
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return np.array([[cmath.exp(-0.5j * (phi + omega)) * c, -cmath.exp(0.5j * (phi - omega)) * s],
                     [cmath.exp(-0.5j * (phi - omega)) * s, cmath.exp(0.5j * (phi + omega)) * c]])


def _crz(t):
    return np.array([1.0, 1.0, cmath.exp(-0.5j * t), cmath.exp(0.5j * t)])


def _cphase(p):
    return np.array([1.0, 1.0, 1.0, cmath.exp(1j * p)])


def _ising_xx(t):
    c, s = math.cos(t / 2), -1j * math.sin(t / 2)
    return np.array([[c, 0, 0, s], [0, c, s, 0], [0, s, c, 0], [s, 0, 0, c]])


def _ising_yy(t):
    c, s = math.cos(t / 2), 1j * math.sin(t / 2)
    return np.array([[c, 0, 0, s], [0, c, -s, 0], [0, -s, c, 0], [s, 0, 0, c]])


def _ising_zz(t):
    m, p = cmath.exp(-0.5j * t), cmath.exp(0.5j * t)
    return np.array([m, p, p, m])


#: gate class -> function of its float parameters giving the kernel's array
SCALAR: dict[type, Callable[..., np.ndarray]] = {
    RX: _rx,
    RY: _ry,
    RZ: _rz,
    PhaseShift: _phase,
    Rot: _rot,
    CRX: _rx,
    CRY: _ry,
    CRZ: _crz,
    CRot: _rot,
    ControlledPhaseShift: _cphase,
    IsingXX: _ising_xx,
    IsingYY: _ising_yy,
    IsingZZ: _ising_zz,
}


def _real_number(p) -> bool:
    if isinstance(p, (float, int, np.floating, np.integer)):
        return not isinstance(p, bool)
    return isinstance(p, np.ndarray) and p.ndim == 0 and p.dtype.kind in "fi"


def scalar_array(op) -> np.ndarray | None:
    """The kernel array of ``op`` from the table, or None (not listed, or non-real parameters)."""
    f = SCALAR.get(type(op))
    if f is None or not all(_real_number(p) for p in op.data):
        return None
    return f(*(float(p) for p in op.data))
