"""Quantum natural gradient descent (Stokes, Izaac, Killoran, Carleo 2020)."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as onp

from kettle.core.knumpy import tensor
from kettle.core.qnode import QNode
from kettle.errors import OptimizerError
from kettle.optimize.base import ArgNum, check_positive
from kettle.optimize.circuit_params import unflatten
from kettle.optimize.gradient_descent import GradientDescentOptimizer
from kettle.optimize.metric_tensor import APPROXIMATIONS, flat_metric


class QNodeSum:
    """The sum of QNodes that prepare one state on one device (e.g. one QNode per Hamiltonian term).

    Args:
        qnodes: the QNodes; all of them run on the same device.
    """

    def __init__(self, qnodes: Sequence[QNode]):
        self.qnodes = list(qnodes)
        self.__name__ = "+".join(getattr(q.func, "__name__", "qnode") for q in self.qnodes)

    def __call__(self, *args, **kwargs):
        total = self.qnodes[0](*args, **kwargs)
        for q in self.qnodes[1:]:
            total = total + q(*args, **kwargs)
        return total


class QNGOptimizer(GradientDescentOptimizer):
    """Quantum natural gradient: x ← x − η (g + λI)⁺ ∇f, with g the Fubini–Study metric.

    All trainable arguments are flattened into one vector, so the metric couples them. The pseudo-
    inverse handles a singular metric (parameters that do not move the state).

    Args:
        stepsize: the learning rate η > 0.
        approx: the metric approximation: "block-diag" (default), "diag" or None (full metric).
        lam: λ ≥ 0, a regularization added to the metric's diagonal.
        argnum: the arguments to optimize (default: those with ``requires_grad=True``).

    The cost must be a QNode, or a list of QNodes on one device that prepare the same state and
    whose sum is the cost. Any other cost needs ``metric_tensor_fn``: a function of the cost's
    arguments returning the metric in the form :func:`kettle.metric_tensor` returns it, passed to
    ``step``.

    Raises:
        OptimizerError: a bad hyper-parameter, or a cost QNG cannot find the metric of.

    Example:
        >>> dev = kt.device("default.qubit", wires=1)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x[0], wires=0)
        ...     kt.RY(x[1], wires=0)
        ...     return kt.expval(kt.PauliZ(0))
        >>> opt = kt.QNGOptimizer(stepsize=0.05, lam=1e-3)
        >>> x = np.array([0.5, 0.1])
        >>> for _ in range(200):
        ...     x = opt.step(circuit, x)
        >>> round(float(circuit(x)), 3)
        -1.0
    """

    step_options = ("metric_tensor_fn",)

    def __init__(self, stepsize: float = 0.01, approx: str | None = "block-diag", lam: float = 0.0, *,
                 argnum: ArgNum = None):
        super().__init__(stepsize, argnum=argnum)
        if approx not in APPROXIMATIONS:
            raise OptimizerError(f"{self.name}: approx must be one of {APPROXIMATIONS}, got {approx!r}",
                                 optimizer=self.name, value=approx)
        self.approx = approx
        self.lam = check_positive(self.name, "lam", lam, allow_zero=True)

    def _run_step(self, cost, args, kwargs, grad_fn, argnum, need_cost):
        return super()._run_step(self.prepare_cost(cost), args, kwargs, grad_fn, argnum, need_cost)

    def prepare_cost(self, cost):
        """A list of QNodes stands for their sum."""
        return self._sum_of(cost) if isinstance(cost, (list, tuple)) else cost

    def _sum_of(self, qnodes: Sequence) -> QNodeSum:
        if not qnodes or not all(isinstance(q, QNode) for q in qnodes):
            raise OptimizerError(
                f"{self.name}: a list cost must hold QNodes (whose sum is the cost), got "
                f"{[type(q).__name__ for q in qnodes]}", optimizer=self.name, value=qnodes)
        devices = {id(q.device) for q in qnodes}
        if len(devices) > 1:
            raise OptimizerError(
                f"{self.name}: the QNodes of a summed cost must run on one device, got "
                f"{[q.device.name for q in qnodes]} on {len(devices)} devices", optimizer=self.name,
                value=qnodes)
        return QNodeSum(qnodes)

    def _update(self, cost, args, kwargs, argnums, *, grad_fn=None, metric_tensor_fn=None):
        grads, forward = self.compute_grad(cost, args, kwargs, argnums, grad_fn=grad_fn)
        sizes = [int(onp.size(args[i])) for i in argnums]
        n = sum(sizes)
        if metric_tensor_fn is not None:
            metric = _as_matrix(metric_tensor_fn(*args, **kwargs), n, self.name)
        else:
            metric = flat_metric(self._metric_qnode(cost, args, kwargs), args, kwargs, argnums,
                                 approx=self.approx)
        metric = metric + self.lam * onp.eye(n)
        flat_grad = onp.concatenate([onp.ravel(onp.asarray(g, dtype=float)) for g in grads])
        direction = onp.linalg.pinv(metric, hermitian=True) @ flat_grad
        moves = unflatten(direction, [onp.shape(args[i]) for i in argnums])
        out = {i: tensor(onp.asarray(args[i], dtype=float) - self.stepsize * d, requires_grad=True)
               for i, d in zip(argnums, moves)}
        return out, forward

    def _metric_qnode(self, cost, args, kwargs) -> QNode:
        if isinstance(cost, QNode):
            return cost
        if isinstance(cost, QNodeSum):
            first = cost.qnodes[0]
            reference = _gates(first, args, kwargs)
            for q in cost.qnodes[1:]:
                if _gates(q, args, kwargs) != reference:
                    raise OptimizerError(
                        f"{self.name}: the summed QNodes {first.func.__name__} and {q.func.__name__} "
                        "apply different gates; QNG needs one state (the metric of one circuit)",
                        optimizer=self.name, value=q)
            return first
        raise OptimizerError(
            f"{self.name} needs the circuit behind the cost to compute the metric tensor, but the cost "
            f"{getattr(cost, '__name__', cost)!r} is not a QNode; supported: a QNode, or a list of "
            "QNodes on one device that prepare the same state (their sum is the cost), or pass "
            "metric_tensor_fn= to step", optimizer=self.name, value=cost)


def _gates(qnode: QNode, args, kwargs) -> list:
    tape, _ = qnode.construct(tuple(args), kwargs)
    return [(op.name, tuple(op.wires), tuple(onp.round(onp.ravel(onp.asarray(p, dtype=complex)), 12)
                                          .tolist() for p in op.data)) for op in tape.operations]


def _as_matrix(metric: Any, n: int, owner: str) -> onp.ndarray:
    """A metric in the form metric_tensor returns it (one array, or nested blocks) as n × n."""
    if isinstance(metric, tuple):
        sizes = [int(round(onp.size(metric[a][a]) ** 0.5)) for a in range(len(metric))]
        metric = onp.block([[onp.reshape(onp.asarray(metric[a][b], dtype=float), (sizes[a], sizes[b]))
                             for b in range(len(metric))] for a in range(len(metric))])
    mat = onp.asarray(metric, dtype=float)
    if mat.size != n * n:
        raise OptimizerError(f"{owner}: metric_tensor_fn returned {mat.size} entries; the trainable "
                             f"arguments have {n} entries, so the metric needs {n}×{n}",
                             optimizer=owner, value=metric)
    return mat.reshape(n, n)
