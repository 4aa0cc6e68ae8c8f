"""Quantum natural SPSA (Gacon, Zoufal, Carleo, Woerner 2021).

SPSA estimates the gradient from two cost evaluations along a random direction; QN-SPSA also
estimates the Fubini–Study metric g from a handful of fidelities, so that it can take a natural
gradient step at a cost per step that does not grow with the number of parameters.

The metric is the curvature of the fidelity F(x, y) = |⟨ψ(x)|ψ(y)⟩|² around y = x:
F(x, x + δ) = 1 − δᵀgδ + O(δ³), so g = −½ ∇²_δ F. With two independent directions Δ1, Δ2 of ±1
entries and step ε, the second-order SPSA combination of four fidelities

    δF = F(x, x + εΔ1 + εΔ2) − F(x, x + εΔ1) − F(x, x − εΔ1 + εΔ2) + F(x, x − εΔ1)

equals 2ε² Δ1ᵀ(∇²F)Δ2 up to O(ε³) terms whose mean vanishes, and E[Δ1_iΔ2_j (Δ1ᵀAΔ2)] = A_ij for
a symmetric A. So ĝ = −½ · δF/(2ε²) · (Δ1Δ2ᵀ + Δ2Δ1ᵀ)/2 is an unbiased (to O(ε²)) estimate of g.
Each fidelity is the probability of |0…0⟩ after the compute-uncompute circuit U(x)†U(y).
"""
from __future__ import annotations

from collections import deque
from typing import Sequence

import numpy as onp

from kettle.core.knumpy import tensor
from kettle.core.qnode import QNode
from kettle.core.tape import QuantumTape
from kettle.devices import dispatch
from kettle.errors import OptimizerError
from kettle.optimize.base import ArgNum, Optimizer, check_positive, check_positive_int, check_scalar
from kettle.optimize.circuit_params import flatten_args, unflatten
from kettle.optimize.metric_tensor import fidelity_tape, fidelity_value


class QNSPSAOptimizer(Optimizer):
    """Quantum natural SPSA: x ← x − η (|ḡ| + βI)⁻¹ ĝrad.

    One step, with n the number of trainable entries (all trainable arguments flattened into one
    vector x) and ε = ``finite_diff_step``, for each of the ``resamplings`` r:

    1. draws three directions with independent ±1 entries, in this order: Δ (gradient), Δ1, Δ2
       (metric), from the optimizer's generator (``rng.choice([-1.0, 1.0], size=n)`` each);
    2. estimates the gradient [f(x + εΔ) − f(x − εΔ)]/(2ε) · Δ (two cost circuits) and the metric
       −½ · δF/(2ε²) · (Δ1Δ2ᵀ + Δ2Δ1ᵀ)/2 from four fidelity circuits (see the module docstring).

    The estimates are averaged over the resamplings; the metric is then averaged over steps,
    ḡ_k = k/(k+1) ḡ_{k−1} + 1/(k+1) ĝ_k (k = 0, 1, …), and made positive definite as
    √(ḡḡ) + βI (the matrix absolute value of ḡ plus the regularization β). The step solves
    (√(ḡḡ) + βI) d = ĝrad and moves x ← x − η d.

    With ``blocking`` the cost is also measured at x and at the proposed point; the step is taken
    only when f(new) ≤ f(x) + τ, with τ twice the standard deviation of the last ``history_length``
    costs measured at x (τ = 0 on the first step). Otherwise the arguments stay where they were
    (the metric average and the step counter still advance). ``last_step_accepted`` tells which.

    Args:
        stepsize: the learning rate η > 0.
        regularization: β > 0, added to the diagonal of the metric's absolute value.
        finite_diff_step: ε > 0, the size of the perturbations.
        resamplings: how many independent (gradient, metric) estimates each step averages.
        blocking: reject steps that increase the cost beyond the tolerance.
        history_length: how many recent costs set the blocking tolerance.
        seed: seed or ``numpy.random.Generator`` of the directions; ``reset()`` restarts a seeded
            sequence.
        argnum: the arguments to optimize (default: those with ``requires_grad=True``).

    The cost must be a QNode returning one real scalar (e.g. ``kt.expval(H)``) whose gates can be
    inverted (no state preparation): its circuit gives the fidelity circuits. A step runs
    6 · ``resamplings`` circuits, plus two cost evaluations with ``blocking`` (which also make the
    cost of ``step_and_cost`` free). Finite shots (the device's, or ``shots=`` passed to the cost)
    apply to every circuit.

    Attributes:
        metric: the running average ḡ over the flattened trainable entries (before
            regularization), None before the first step.
        k: the number of steps taken since the last ``reset()``.

    Raises:
        OptimizerError: a hyper-parameter out of range, or a cost that is not a QNode.

    Example:
        >>> dev = kt.device("default.qubit", wires=1)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x[0], wires=0)
        ...     kt.RY(x[1], wires=0)
        ...     return kt.expval(kt.PauliZ(0))
        >>> opt = kt.QNSPSAOptimizer(stepsize=5e-2, seed=7)
        >>> x = np.array([0.5, 0.1])
        >>> for _ in range(100):
        ...     x, c = opt.step_and_cost(circuit, x)
        >>> float(circuit(x)) < -0.9
        True
    """

    def __init__(self, stepsize: float = 1e-3, *, regularization: float = 1e-3,
                 finite_diff_step: float = 1e-2, resamplings: int = 1, blocking: bool = True,
                 history_length: int = 5, seed: int | onp.random.Generator | None = None,
                 argnum: ArgNum = None):
        super().__init__(argnum=argnum)
        self.stepsize = check_positive(self.name, "stepsize", stepsize)
        self.regularization = check_positive(self.name, "regularization", regularization)
        self.finite_diff_step = check_positive(self.name, "finite_diff_step", finite_diff_step)
        self.resamplings = check_positive_int(self.name, "resamplings", resamplings)
        self.history_length = check_positive_int(self.name, "history_length", history_length)
        if not isinstance(blocking, bool):
            raise OptimizerError(f"{self.name}: blocking must be True or False, got {blocking!r}",
                                 optimizer=self.name, value=blocking)
        self.blocking = blocking
        self._seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget the metric average and the cost history; restart a seeded direction sequence."""
        super().reset()
        self.k = 0
        self.metric: onp.ndarray | None = None
        self.last_step_accepted: bool | None = None
        self._history: deque = deque(maxlen=self.history_length)
        seed = self._seed
        self._rng = seed if isinstance(seed, onp.random.Generator) else onp.random.default_rng(seed)

    # ---------------------------------------------------------------- the step
    def _update(self, cost, args, kwargs, argnums, *, grad_fn=None):
        qnode = self._qnode(cost)
        shapes = [tuple(onp.shape(args[i])) for i in argnums]
        x = flatten_args(args, argnums)
        n = x.size
        if self.metric is not None and self.metric.shape != (n, n):
            raise OptimizerError(
                f"{self.name}: the trainable arguments have {n} entries but the metric average has "
                f"{self.metric.shape[0]}; call opt.reset() before optimizing a different problem",
                optimizer=self.name, value=n)
        eps = self.finite_diff_step
        draws = [tuple(self._rng.choice([-1.0, 1.0], size=n) for _ in range(3))
                 for _ in range(self.resamplings)]

        def at(v):
            return _with_entries(args, argnums, shapes, v)

        base, _ = qnode.construct(at(x), kwargs)
        if base.shots.has_vector:
            raise OptimizerError(f"{self.name} needs one number of shots, not the shot vector "
                                 f"{list(base.shots.vector)}", optimizer=self.name,
                                 value=base.shots)
        tapes = []
        for d, d1, d2 in draws:
            tapes += [qnode.construct(at(x + eps * d), kwargs)[0],
                      qnode.construct(at(x - eps * d), kwargs)[0]]
            for y in (x + eps * (d1 + d2), x + eps * d1, x + eps * (d2 - d1), x - eps * d1):
                tapes.append(fidelity_tape(qnode.construct(at(y), kwargs)[0], base, self.name))
        if self.blocking:
            tapes.append(base)
        results = _execute(qnode, tapes)

        grad, sample = onp.zeros(n), onp.zeros((n, n))
        for r, (d, d1, d2) in enumerate(draws):
            plus, minus = (self._scalar(res) for res in results[6 * r:6 * r + 2])
            grad += (plus - minus) / (2 * eps) * d
            f = [fidelity_value(res) for res in results[6 * r + 2:6 * r + 6]]
            second = (f[0] - f[1] - f[2] + f[3]) / (2 * eps ** 2)  # ≈ Δ1ᵀ(∇²F)Δ2
            sample += -0.5 * second * (onp.outer(d1, d2) + onp.outer(d2, d1)) / 2
        grad /= self.resamplings
        sample /= self.resamplings
        k = self.k
        self.metric = sample if self.metric is None else k / (k + 1) * self.metric + sample / (k + 1)
        self.k += 1

        new_x = x - self.stepsize * onp.linalg.solve(regularized(self.metric, self.regularization),
                                                      grad)
        value = None
        accept = True
        if self.blocking:
            value = self._scalar(results[-1])
            self._history.append(value)
            tolerance = 2 * onp.std(self._history) if len(self._history) > 1 else 0.0
            new_value = self._scalar(_execute(qnode, [qnode.construct(at(new_x), kwargs)[0]])[0])
            accept = bool(new_value <= value + tolerance)
        self.last_step_accepted = accept
        if not accept:
            return {}, value
        moves = unflatten(new_x, shapes)
        return {i: tensor(m, requires_grad=True) for i, m in zip(argnums, moves)}, value

    # ---------------------------------------------------------------- helpers
    def _qnode(self, cost) -> QNode:
        if not isinstance(cost, QNode):
            raise OptimizerError(
                f"{self.name} needs the circuit behind the cost to build its fidelity circuits, but "
                f"the cost {getattr(cost, '__name__', cost)!r} is not a QNode; supported: a QNode "
                "that returns one expectation value (e.g. kt.expval(H))", optimizer=self.name,
                value=cost)
        return cost

    def _scalar(self, result: Sequence) -> float:
        if len(result) != 1:
            raise OptimizerError(
                f"{self.name} needs a QNode that returns one expectation value, but the cost returns "
                f"{len(result)} measurements", optimizer=self.name, value=result)
        return float(check_scalar(result[0], self.name))


def regularized(metric: onp.ndarray, regularization: float) -> onp.ndarray:
    """√(g g) + βI: the matrix absolute value of the symmetric ``metric`` plus ``regularization``."""
    sym = (metric + metric.T) / 2
    values, vectors = onp.linalg.eigh(sym)
    return (vectors * onp.abs(values)) @ vectors.T + regularization * onp.eye(len(sym))


def _with_entries(args: tuple, argnums: Sequence[int], shapes: Sequence[tuple], flat) -> tuple:
    new = list(args)
    for i, value in zip(argnums, unflatten(onp.asarray(flat, dtype=float), shapes)):
        new[i] = value
    return tuple(new)


def _execute(qnode: QNode, tapes: list[QuantumTape]) -> list:
    device = qnode.device
    return dispatch.execute(device, [device.preprocess(t) for t in tapes],
                            executor=getattr(qnode, "executor", None))

