"""The two-qubit reference circuit shared by the framework tests, with its exact values, Jacobians
and Hessians derived by hand: RX(a) on wire 0, RY(b) on wire 1, CNOT; ⟨Z₁⟩ = cos a cos b and
probs(wire 0) = (cos²(a/2), sin²(a/2)).
"""
from __future__ import annotations

import numpy as onp

import kettle as kt


def circuit(x):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=1)
    kt.CNOT(wires=[0, 1])
    return kt.expval(kt.PauliZ(1)), kt.probs(wires=[0])


def exact(x):
    a, b = x
    return onp.cos(a) * onp.cos(b), onp.array([onp.cos(a / 2) ** 2, onp.sin(a / 2) ** 2])


def exact_jacobian(x):
    """(d⟨Z₁⟩/dx, d probs/dx)."""
    a, b = x
    return (onp.array([-onp.sin(a) * onp.cos(b), -onp.cos(a) * onp.sin(b)]),
            onp.array([[-onp.sin(a) / 2, 0.0], [onp.sin(a) / 2, 0.0]]))


def exact_hessian(x):
    """(d²⟨Z₁⟩/dx², d² probs/dx²)."""
    a, b = x
    c = -onp.cos(a) * onp.cos(b)
    s = onp.sin(a) * onp.sin(b)
    dp = onp.zeros((2, 2, 2))
    dp[0, 0, 0], dp[1, 0, 0] = -onp.cos(a) / 2, onp.cos(a) / 2
    return onp.array([[c, s], [s, c]]), dp
