"""Gradient descent with per-entry adaptive learning rates: Adagrad, RMSProp and Adam.

The rules, defaults and where ε sits are those of PennyLane's optimizers of the same names, so that
a script moved between the two libraries takes the same steps (docs/optimize.md writes each rule
out). All products, squares and square roots are taken entry by entry.
"""
from __future__ import annotations

import numpy as onp

from kettle.optimize.base import ArgNum, check_fraction, check_positive
from kettle.optimize.gradient_descent import GradientDescentOptimizer


class AdagradOptimizer(GradientDescentOptimizer):
    """Adagrad: a ← a + g², x ← x − η g / √(a + ε).

    ε sits inside the square root, so the first step is η g / √(g² + ε) ≈ η sign(g).

    Args:
        stepsize: the learning rate η > 0.
        eps: ε > 0.
        argnum: the arguments to optimize (see :class:`GradientDescentOptimizer`).

    The sum of squared gradients ``a`` of each argument is ``opt.state[i]["a"]``.
    """

    def __init__(self, stepsize: float = 0.01, eps: float = 1e-8, *, argnum: ArgNum = None):
        super().__init__(stepsize, argnum=argnum)
        self.eps = check_positive(self.name, "eps", eps)

    def _rule(self, i, x, g):
        st = self.arg_state(i, x.shape, "a")
        st["a"] = st["a"] + g * g
        st["t"] += 1
        return x - self.stepsize * g / onp.sqrt(st["a"] + self.eps)


class RMSPropOptimizer(GradientDescentOptimizer):
    """RMSProp: a ← γ a + (1 − γ) g², x ← x − η g / √(a + ε).

    Args:
        stepsize: the learning rate η > 0.
        decay: the decay γ in [0, 1) of the running mean of squared gradients.
        eps: ε > 0 (inside the square root, as in Adagrad).
        argnum: the arguments to optimize (see :class:`GradientDescentOptimizer`).

    The running mean ``a`` of each argument is ``opt.state[i]["a"]``.
    """

    def __init__(self, stepsize: float = 0.01, decay: float = 0.9, eps: float = 1e-8, *,
                 argnum: ArgNum = None):
        super().__init__(stepsize, argnum=argnum)
        self.decay = check_fraction(self.name, "decay", decay)
        self.eps = check_positive(self.name, "eps", eps)

    def _rule(self, i, x, g):
        st = self.arg_state(i, x.shape, "a")
        st["a"] = self.decay * st["a"] + (1 - self.decay) * g * g
        st["t"] += 1
        return x - self.stepsize * g / onp.sqrt(st["a"] + self.eps)


class AdamOptimizer(GradientDescentOptimizer):
    """Adam (Kingma and Ba, 2015, in the form of their section 2), at step t = 1, 2, …:

    m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,
    ηₜ = η √(1 − β₂ᵗ) / (1 − β₁ᵗ),  x ← x − ηₜ m / (√v + ε).

    The bias corrections are folded into the step size ηₜ and ε is added to √v of the *uncorrected*
    second moment (PennyLane's form; it differs from ``m̂ / (√v̂ + ε)`` only through ε).

    Args:
        stepsize: the learning rate η > 0.
        beta1: β₁ in [0, 1), the decay of the first moment.
        beta2: β₂ in [0, 1), the decay of the second moment (default 0.99).
        eps: ε > 0.
        argnum: the arguments to optimize (see :class:`GradientDescentOptimizer`).

    The moments and step count of each argument are ``opt.state[i]["m"]``, ``["v"]`` and ``["t"]``.
    """

    def __init__(self, stepsize: float = 0.01, beta1: float = 0.9, beta2: float = 0.99,
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
        eta_t = self.stepsize * onp.sqrt(1 - self.beta2 ** t) / (1 - self.beta1 ** t)
        return x - eta_t * st["m"] / (onp.sqrt(st["v"]) + self.eps)
