"""Gradient descent with per-entry adaptive learning rates: Adagrad, RMSProp and Adam.

All products, squares and square roots below are taken entry by entry, and ε keeps the division
finite where the accumulated squared gradient is zero.
"""
from __future__ import annotations

import numpy as onp

from kettle.optimize.base import ArgNum, check_fraction, check_positive
from kettle.optimize.gradient_descent import GradientDescentOptimizer


class AdagradOptimizer(GradientDescentOptimizer):
    """Adagrad: G ← G + g², x ← x − η g / (√G + ε).

    Args:
        stepsize: the learning rate η > 0.
        eps: ε > 0.
        argnum: the arguments to optimize (see :class:`GradientDescentOptimizer`).

    The sum of squared gradients ``G`` of each argument is ``opt.state[i]["G"]``.
    """

    def __init__(self, stepsize: float = 0.01, eps: float = 1e-8, *, argnum: ArgNum = None):
        super().__init__(stepsize, argnum=argnum)
        self.eps = check_positive(self.name, "eps", eps)

    def _rule(self, i, x, g):
        st = self.arg_state(i, x.shape, "G")
        st["G"] = st["G"] + g * g
        st["t"] += 1
        return x - self.stepsize * g / (onp.sqrt(st["G"]) + self.eps)


class RMSPropOptimizer(GradientDescentOptimizer):
    """RMSProp: E ← γ E + (1 − γ) g², x ← x − η g / (√E + ε).

    Args:
        stepsize: the learning rate η > 0.
        decay: the decay γ in [0, 1) of the running mean of squared gradients.
        eps: ε > 0.
        argnum: the arguments to optimize (see :class:`GradientDescentOptimizer`).

    The running mean ``E`` of each argument is ``opt.state[i]["E"]``.
    """

    def __init__(self, stepsize: float = 0.01, decay: float = 0.9, eps: float = 1e-8, *,
                 argnum: ArgNum = None):
        super().__init__(stepsize, argnum=argnum)
        self.decay = check_fraction(self.name, "decay", decay)
        self.eps = check_positive(self.name, "eps", eps)

    def _rule(self, i, x, g):
        st = self.arg_state(i, x.shape, "E")
        st["E"] = self.decay * st["E"] + (1 - self.decay) * g * g
        st["t"] += 1
        return x - self.stepsize * g / (onp.sqrt(st["E"]) + self.eps)


class AdamOptimizer(GradientDescentOptimizer):
    """Adam (Kingma and Ba, 2015), at step t = 1, 2, …:

    m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,
    x ← x − η m̂ / (√v̂ + ε) with the bias corrections m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ).

    Args:
        stepsize: the learning rate η > 0.
        beta1: β₁ in [0, 1), the decay of the first moment.
        beta2: β₂ in [0, 1), the decay of the second moment.
        eps: ε > 0.
        argnum: the arguments to optimize (see :class:`GradientDescentOptimizer`).

    The moments and step count of each argument are ``opt.state[i]["m"]``, ``["v"]`` and ``["t"]``.
    """

    def __init__(self, stepsize: float = 0.01, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, *, argnum: ArgNum = None):
        super().__init__(stepsize, argnum=argnum)
        self.beta1 = check_fraction(self.name, "beta1", beta1)
        self.beta2 = check_fraction(self.name, "beta2", beta2)
        self.eps = check_positive(self.name, "eps", eps)

    def _rule(self, i, x, g):
        st = self.arg_state(i, x.shape, "m", "v")
        st["t"] += 1
        t = st["t"]
        st["m"] = self.beta1 * st["m"] + (1 - self.beta1) * g
        st["v"] = self.beta2 * st["v"] + (1 - self.beta2) * g * g
        m_hat = st["m"] / (1 - self.beta1 ** t)
        v_hat = st["v"] / (1 - self.beta2 ** t)
        return x - self.stepsize * m_hat / (onp.sqrt(v_hat) + self.eps)
