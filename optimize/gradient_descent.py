"""Gradient descent and its momentum variants.

Every optimizer here updates each trainable argument x with its gradient g by a rule of its own,
written in the class docstring; state such as the momentum is kept per argument.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as onp

from kettle.core.autodiff import grad as kt_grad
from kettle.core.knumpy import tensor
from kettle.errors import OptimizerError
from kettle.optimize.base import ArgNum, Optimizer, check_fraction, check_positive


class GradientDescentOptimizer(Optimizer):
    """Plain gradient descent: x ← x − η g.

    Args:
        stepsize: the learning rate η > 0.
        argnum: index or indices of the arguments to optimize (default: those with
            ``requires_grad=True``).

    Raises:
        OptimizerError: the stepsize is not a positive number.

    Example:
        >>> dev = kt.device("default.qubit", wires=1)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x[0], wires=0)
        ...     kt.RY(x[1], wires=0)
        ...     return kt.expval(kt.PauliZ(0))
        >>> opt = kt.GradientDescentOptimizer(stepsize=0.4)
        >>> x = np.array([0.5, 0.1])
        >>> for _ in range(100):
        ...     x, c = opt.step_and_cost(circuit, x)
        >>> round(float(circuit(x)), 4)
        -1.0
    """

    uses_gradient = True

    def __init__(self, stepsize: float = 0.01, *, argnum: ArgNum = None):
        super().__init__(argnum=argnum)
        self.stepsize = stepsize

    @property
    def stepsize(self) -> float:
        return self._stepsize

    @stepsize.setter
    def stepsize(self, value: float) -> None:
        self._stepsize = check_positive(self.name, "stepsize", value)

    def _update(self, cost, args, kwargs, argnums, *, grad_fn=None):
        grads, forward = self.compute_grad(cost, args, kwargs, argnums, grad_fn=grad_fn)
        return self.apply_grad(grads, args, argnums), forward

    def compute_grad(self, cost: Callable, args: tuple, kwargs: dict, argnums: list[int], *,
                     grad_fn: Callable | None = None) -> tuple[tuple, float | None]:
        """Gradients of ``cost`` with respect to the arguments at ``argnums``.

        Returns:
            ``(gradients, cost)``: one gradient per trainable argument, and the cost at ``args`` when
            it was computed on the way (None otherwise).

        Raises:
            OptimizerError: ``grad_fn`` returned the wrong number or shapes of gradients.
        """
        if grad_fn is None:
            g = kt_grad(self.checked(cost), argnum=list(argnums))
            grads = g(*args, **kwargs)
            return tuple(grads), g.forward
        grads = grad_fn(*args, **kwargs)
        forward = grad_fn.forward if isinstance(grad_fn, kt_grad) else None
        if len(argnums) == 1:
            grads = (grads[0] if isinstance(grads, tuple) and len(grads) == 1 else grads,)
        elif not isinstance(grads, (tuple, list)) or len(grads) != len(argnums):
            raise OptimizerError(
                f"{self.name}: grad_fn must return a tuple of {len(argnums)} gradients (one per "
                f"trainable argument {argnums}), got {type(grads).__name__}", optimizer=self.name,
                value=grads)
        for i, gr in zip(argnums, grads):
            if onp.shape(gr) != onp.shape(args[i]):
                raise OptimizerError(
                    f"{self.name}: grad_fn returned a gradient of shape {onp.shape(gr)} for argument "
                    f"{i} of shape {onp.shape(args[i])}", optimizer=self.name, value=gr)
        return tuple(grads), forward

    def apply_grad(self, grads: tuple, args: tuple, argnums: list[int]) -> dict[int, tensor]:
        """New values of the trainable arguments from their gradients (updates the state)."""
        out = {}
        for i, g in zip(argnums, grads):
            x = onp.asarray(args[i], dtype=float)
            g = onp.asarray(_plain(g), dtype=float)
            out[i] = tensor(self._rule(i, x, g), requires_grad=True)
        return out

    def _rule(self, i: int, x: onp.ndarray, g: onp.ndarray) -> onp.ndarray:
        return x - self.stepsize * g


class MomentumOptimizer(GradientDescentOptimizer):
    """Gradient descent with momentum: a ← m a + η g, then x ← x − a.

    Args:
        stepsize: the learning rate η > 0.
        momentum: the momentum m in [0, 1).
        argnum: the arguments to optimize (see :class:`GradientDescentOptimizer`).

    The accumulation ``a`` of each argument is kept in ``opt.state[i]["a"]``.
    """

    def __init__(self, stepsize: float = 0.01, momentum: float = 0.9, *, argnum: ArgNum = None):
        super().__init__(stepsize, argnum=argnum)
        self.momentum = check_fraction(self.name, "momentum", momentum)

    def _rule(self, i, x, g):
        st = self.arg_state(i, x.shape, "a")
        st["a"] = self.momentum * st["a"] + self.stepsize * g
        st["t"] += 1
        return x - st["a"]


class NesterovMomentumOptimizer(MomentumOptimizer):
    """Nesterov's accelerated gradient: the gradient is taken at the look-ahead point.

    g = ∇f(x − m a), a ← m a + η g, x ← x − a.

    Args:
        stepsize: the learning rate η > 0.
        momentum: the momentum m in [0, 1).
        argnum: the arguments to optimize (see :class:`GradientDescentOptimizer`).
    """

    def compute_grad(self, cost, args, kwargs, argnums, *, grad_fn=None):
        shifted = list(args)
        moved = False
        for i in argnums:
            st = self._state.get(i)
            if st is not None and onp.shape(st["a"]) == onp.shape(args[i]) and onp.any(st["a"]):
                shifted[i] = tensor(onp.asarray(args[i]) - self.momentum * st["a"], requires_grad=True)
                moved = True
        grads, forward = super().compute_grad(cost, tuple(shifted), kwargs, argnums, grad_fn=grad_fn)
        # the value came from the look-ahead point, not from ``args``
        return grads, (None if moved else forward)


def _plain(g: Any) -> Any:
    return g.numpy() if isinstance(g, tensor) else g
