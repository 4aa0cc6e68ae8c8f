"""SPSA: simultaneous-perturbation stochastic approximation (Spall, 1992 and 1998).

Each step estimates the gradient from two cost evaluations, whatever the number of parameters, so it
suits noisy (finite-shot) costs and large circuits.
"""
from __future__ import annotations


import numpy as onp

from kettle.core.knumpy import tensor
from kettle.optimize.base import ArgNum, Optimizer, check_positive, check_positive_int


class SPSAOptimizer(Optimizer):
    """SPSA with Spall's gain sequences.

    At step k = 0, 1, … with a_k = a / (A + k + 1)^α and c_k = c / (k + 1)^γ, one random direction
    Δ with independent ±1 entries (over all trainable arguments at once) gives the estimate
    ĝ = [f(x + c_k Δ) − f(x − c_k Δ)] / (2 c_k) · Δ (as 1/Δ_j = Δ_j), and x ← x − a_k ĝ.

    Args:
        maxiter: the planned number of steps; it only sets the default of ``A``.
        alpha: α > 0, the decay exponent of the step gain (Spall's practical choice 0.602).
        gamma: γ > 0, the decay exponent of the perturbation size (0.101).
        c: c > 0, the initial perturbation size; of the order of the noise of the cost.
        A: A ≥ 0, the stability constant; default 10% of ``maxiter``.
        a: a > 0, the step gain; default 0.05 (A + 1)^α so that the first step size a_0 is 0.05.
        seed: seed or ``numpy.random.Generator`` of the directions; ``reset()`` restarts a seeded
            sequence.
        argnum: the arguments to optimize (default: those with ``requires_grad=True``).

    ``step_and_cost`` evaluates the cost at the current point once more (three evaluations a step).

    Raises:
        OptimizerError: a gain parameter is not positive, or ``maxiter`` not a positive integer.

    Example:
        >>> dev = kt.device("default.qubit", wires=1)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x[0], wires=0)
        ...     kt.RY(x[1], wires=0)
        ...     return kt.expval(kt.PauliZ(0))
        >>> opt = kt.SPSAOptimizer(maxiter=300, seed=7)
        >>> res = opt.minimize(circuit, np.array([0.5, 0.1]), steps=300)
        >>> res.cost < -0.99
        True
    """

    def __init__(self, maxiter: int = 200, *, alpha: float = 0.602, gamma: float = 0.101,
                 c: float = 0.2, A: float | None = None, a: float | None = None,
                 seed: int | onp.random.Generator | None = None, argnum: ArgNum = None):
        super().__init__(argnum=argnum)
        self.maxiter = check_positive_int(self.name, "maxiter", maxiter)
        self.alpha = check_positive(self.name, "alpha", alpha)
        self.gamma = check_positive(self.name, "gamma", gamma)
        self.c = check_positive(self.name, "c", c)
        self.A = 0.1 * self.maxiter if A is None else check_positive(self.name, "A", A, allow_zero=True)
        self.a = 0.05 * (self.A + 1) ** self.alpha if a is None else check_positive(self.name, "a", a)
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        """Restart the gain sequences at k = 0 and the direction generator at its seed."""
        super().reset()
        self.k = 0
        seed = self._seed
        self._rng = seed if isinstance(seed, onp.random.Generator) else onp.random.default_rng(seed)

    def gains(self, k: int) -> tuple[float, float]:
        """(a_k, c_k) at step ``k``."""
        return self.a / (self.A + k + 1) ** self.alpha, self.c / (k + 1) ** self.gamma

    def _update(self, cost, args, kwargs, argnums, *, grad_fn=None):
        a_k, c_k = self.gains(self.k)
        deltas = {i: self._rng.choice([-1.0, 1.0], size=onp.shape(args[i])) for i in argnums}

        def moved(sign):
            new = list(args)
            for i in argnums:
                new[i] = tensor(onp.asarray(args[i]) + sign * c_k * deltas[i], requires_grad=True)
            return new

        diff = self.evaluate(cost, moved(+1), kwargs) - self.evaluate(cost, moved(-1), kwargs)
        self.k += 1
        out = {i: tensor(onp.asarray(args[i]) - a_k * diff / (2 * c_k) * deltas[i],
                         requires_grad=True) for i in argnums}
        return out, None
