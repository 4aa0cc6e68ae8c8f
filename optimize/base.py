"""The common optimizer API: which arguments are trained, per-argument state, ``step``,
``step_and_cost`` and the ``minimize`` loop with its progress bar.

Trainable arguments: by default the positional arguments that are ``kettle.numpy`` tensors with
``requires_grad=True``. An explicit ``argnum`` (an index or a sequence of indices, given to the
optimizer or to one ``step``) selects arguments instead; selected plain lists, floats and NumPy arrays
are then trained as float tensors. Every other argument is passed through unchanged.
"""
from __future__ import annotations

import numbers
import sys
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as onp
from autograd.numpy.numpy_boxes import ArrayBox

from kettle.core import qmath
from kettle.core.knumpy import tensor
from kettle.errors import OptimizerError

ArgNum = int | Sequence[int] | None


@dataclass
class OptimizeResult:
    """What :meth:`Optimizer.minimize` returns.

    Attributes:
        x: the final argument (a tuple when several arguments were optimized).
        cost: the cost at ``x``.
        history: the cost at every iterate, ``history[k]`` after ``k`` steps; ``history[-1] == cost``.
        n_steps: the number of steps that led to ``x`` (``len(history) - 1``).
        converged: True when the loop stopped because the cost changed by less than ``tol``.
        message: why the loop stopped.
    """

    x: Any
    cost: float
    history: list[float]
    n_steps: int
    converged: bool
    message: str

    def plot(self, ax=None, *, log: bool = False, label: str | None = None):
        """Plot the cost history against the step number (needs ``pip install kettle[draw]``).

        Args:
            ax: a matplotlib Axes to draw onto (default: a new figure).
            log: a logarithmic cost axis (for costs that stay positive).
            label: the curve's legend label.

        Returns:
            ``(fig, ax)``.
        """
        qmath.require_framework("matplotlib", feature="OptimizeResult.plot")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots() if ax is None else (ax.figure, ax)
        ax.plot(range(len(self.history)), [float(c) for c in self.history], marker=".",
                label=label)
        ax.set_xlabel("step")
        ax.set_ylabel("cost")
        if log:
            ax.set_yscale("log")
        if label is not None:
            ax.legend()
        return fig, ax


class Optimizer:
    """Base class: trainable-argument selection, per-argument state, and the optimization loop.

    Subclasses implement ``_update``. ``step_options`` names keyword arguments of ``step`` that
    configure the optimizer rather than being passed on to the cost.

    Args:
        argnum: index or indices of the positional arguments to optimize. By default every argument
            that is a tensor with ``requires_grad=True`` is optimized.
    """

    #: keyword arguments of ``step`` that are options of the optimizer, not of the cost
    step_options: tuple[str, ...] = ()
    #: whether ``step`` accepts a ``grad_fn``
    uses_gradient = False

    def __init__(self, *, argnum: ArgNum = None):
        self.argnum = argnum
        self._state: dict[int, dict[str, Any]] = {}

    @property
    def name(self) -> str:
        return type(self).__name__

    def reset(self) -> None:
        """Forget the per-argument state (moments, accumulators, step counters)."""
        self._state.clear()

    @property
    def state(self) -> dict[int, dict[str, Any]]:
        """A copy of the per-argument state, keyed by the argument's position."""
        return {i: {k: onp.copy(v) if isinstance(v, onp.ndarray) else v for k, v in s.items()}
                for i, s in self._state.items()}

    # ---------------------------------------------------------------- one step
    def step(self, cost: Callable, *args: Any, grad_fn: Callable | None = None,
             argnum: ArgNum = None, **kwargs: Any):
        """One optimization step.

        Args:
            cost: the function to minimize; it must return a real scalar.
            *args: its positional arguments.
            grad_fn: a function of ``(*args, **kwargs)`` returning the gradient (a tuple of
                gradients for several trainable arguments); default ``kt.grad(cost)``.
            argnum: override of the optimizer's ``argnum`` for this step.
            **kwargs: keyword arguments of the cost.

        Returns:
            The updated arguments: the argument itself when ``cost`` takes one, else a tuple of all of
            them, in which only the trainable ones changed.

        Raises:
            OptimizerError: no argument is trainable, or the cost does not return a real scalar.
        """
        new_args, _ = self._run_step(cost, args, kwargs, grad_fn, argnum, need_cost=False)
        return new_args

    def step_and_cost(self, cost: Callable, *args: Any, grad_fn: Callable | None = None,
                      argnum: ArgNum = None, **kwargs: Any):
        """Like :meth:`step`, also returning the cost at the arguments before the step.

        Returns:
            ``(new_args, cost_before_step)``; the cost is a float.
        """
        return self._run_step(cost, args, kwargs, grad_fn, argnum, need_cost=True)

    def _run_step(self, cost, args, kwargs, grad_fn, argnum, need_cost):
        if not callable(cost):
            raise OptimizerError(f"{self.name}.step needs a callable cost, got {cost!r}",
                                 optimizer=self.name, value=cost)
        if not args:
            raise OptimizerError(f"{self.name}.step needs the cost's arguments after the cost: "
                                 "opt.step(cost, x)", optimizer=self.name)
        if grad_fn is not None and not self.uses_gradient:
            raise OptimizerError(f"{self.name} does not use gradients; drop grad_fn",
                                 optimizer=self.name, value=grad_fn)
        kwargs = dict(kwargs)
        options = {k: kwargs.pop(k) for k in self.step_options if k in kwargs}
        argnums = self.trainable_argnums(args, argnum)
        args = tuple(as_trainable(a, self.name, i) if i in argnums else a for i, a in enumerate(args))
        updates, value = self._update(cost, args, kwargs, argnums, grad_fn=grad_fn, **options)
        if need_cost and value is None:
            value = self.evaluate(cost, args, kwargs)
        new = list(args)
        for i, v in updates.items():
            new[i] = v
        out = new[0] if len(new) == 1 else tuple(new)
        return out, (None if value is None else float(value))

    def _update(self, cost: Callable, args: tuple, kwargs: dict, argnums: list[int], *,
                grad_fn: Callable | None = None) -> tuple[dict[int, Any], float | None]:
        """({position: new value}, cost at ``args`` when it came for free, else None)."""
        raise NotImplementedError

    # ---------------------------------------------------------------- helpers for subclasses
    def trainable_argnums(self, args: Sequence, argnum: ArgNum = None) -> list[int]:
        """Positions of the arguments to optimize (see the module docstring).

        Raises:
            OptimizerError: an index is out of range, selects a ``requires_grad=False`` tensor, or no
                argument is trainable.
        """
        return select_trainable(args, self.argnum if argnum is None else argnum, self.name)

    def prepare_cost(self, cost: Any) -> Callable:
        """The cost as this optimizer calls it (optimizers that accept other forms convert them)."""
        return cost

    def evaluate(self, cost: Callable, args: Sequence, kwargs: dict) -> float:
        """``cost(*args, **kwargs)`` as a float, checked to be a real scalar."""
        return float(check_scalar(cost(*args, **kwargs), self.name))

    def checked(self, cost: Callable) -> Callable:
        """``cost`` wrapped so that a non-scalar result raises :class:`OptimizerError`."""

        def wrapped(*args, **kwargs):
            return check_scalar(cost(*args, **kwargs), self.name)

        return wrapped

    def arg_state(self, i: int, shape: tuple, *names: str) -> dict[str, Any]:
        """The state of argument ``i``: arrays ``names`` (zeros at first) and a step counter ``t``.

        Raises:
            OptimizerError: the argument changed shape since the state was made.
        """
        st = self._state.get(i)
        if st is None:
            st = {"t": 0, **{n: onp.zeros(shape) for n in names}}
            self._state[i] = st
        else:
            old = next((v.shape for k, v in st.items() if isinstance(v, onp.ndarray)), shape)
            if old != tuple(shape):
                raise OptimizerError(
                    f"{self.name}: argument {i} has shape {tuple(shape)} but the optimizer's state for "
                    f"it has shape {old}; call opt.reset() before optimizing a different problem",
                    optimizer=self.name, value=tuple(shape))
        return st

    # ---------------------------------------------------------------- the loop
    def minimize(self, cost: Callable, x0: Any, *, steps: int = 100, tol: float | None = None,
                 callback: Callable | None = None, progress: bool = True,
                 kwargs: dict | None = None, grad_fn: Callable | None = None) -> OptimizeResult:
        """Run ``steps`` optimization steps from ``x0`` and record the cost.

        Args:
            cost: the function to minimize.
            x0: the starting argument; a tuple stands for several positional arguments.
            steps: the largest number of steps.
            tol: stop once the cost changes by less than ``tol`` between two iterates.
            callback: called as ``callback(k, x, cost)`` with the iterate after ``k`` steps and its
                cost; returning True stops the loop.
            progress: show a progress bar with the current cost when running in a terminal or a
                notebook (never when the output is a file or a pipe).
            kwargs: keyword arguments of the cost.
            grad_fn: passed on to :meth:`step` (gradient-based optimizers only).

        Returns:
            An :class:`OptimizeResult`; ``history[k]`` is the cost after ``k`` steps.

        Raises:
            OptimizerError: ``steps`` is not a positive integer or ``tol`` is negative.

        Example:
            >>> dev = kt.device("default.qubit", wires=1)
            >>> @kt.qnode(dev)
            ... def circuit(x):
            ...     kt.RX(x[0], wires=0)
            ...     kt.RY(x[1], wires=0)
            ...     return kt.expval(kt.PauliZ(0))
            >>> opt = kt.AdamOptimizer(0.1)
            >>> res = opt.minimize(circuit, np.array([0.1, 0.2]), steps=200, tol=1e-8)
            >>> round(float(res.cost), 4), res.converged
            (-1.0, True)
        """
        steps = check_positive_int(f"{self.name}.minimize", "steps", steps)
        if tol is not None:
            tol = check_positive(self.name, "tol", tol, allow_zero=True)
        kwargs = dict(kwargs or {})
        cost = self.prepare_cost(cost)
        extra = {} if grad_fn is None else {"grad_fn": grad_fn}
        several = isinstance(x0, tuple)
        x = x0
        history: list[float] = []
        converged, message = False, f"reached steps={steps}"
        bar = _progress_bar(progress, steps, self.name)
        try:
            for k in range(steps):
                args = x if several else (x,)
                new, c = self.step_and_cost(cost, *args, **extra, **kwargs)
                history.append(c)
                bar.set_postfix(cost=f"{c:.8g}", refresh=False)
                if callback is not None and callback(k, x, c):
                    message = "stopped by the callback"
                    break
                if tol is not None and k > 0 and abs(history[-1] - history[-2]) < tol:
                    converged, message = True, f"cost changed by less than tol={tol:g}"
                    break
                x = new
                bar.update(1)
            else:
                c = self.evaluate(cost, x if several else (x,), kwargs)
                history.append(c)
                bar.set_postfix(cost=f"{c:.8g}", refresh=True)
                if callback is not None:
                    callback(steps, x, c)
        finally:
            bar.close()
        return OptimizeResult(x=x, cost=history[-1], history=history, n_steps=len(history) - 1,
                              converged=converged, message=message)


# -------------------------------------------------------------------- validation helpers
def check_positive(owner: str, name: str, value: Any, *, allow_zero: bool = False) -> float:
    """``value`` as a float, checked to be a positive (or non-negative) real number."""
    if isinstance(value, onp.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf":
        value = value.item()  # a 0-d array (e.g. np.array(0.1)) is a number
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and onp.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        allowed = "a non-negative" if allow_zero else "a positive"
        raise OptimizerError(f"{owner}: {name} must be {allowed} number, got {value!r}",
                             optimizer=owner, value=value)
    return float(value)


def check_positive_int(owner: str, name: str, value: Any) -> int:
    """``value`` as an int, checked to be a positive integer (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise OptimizerError(f"{owner}: {name} must be a positive integer, got {value!r}",
                             optimizer=owner, value=value)
    return int(value)


def check_fraction(owner: str, name: str, value: Any) -> float:
    """``value`` as a float, checked to lie in [0, 1)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not 0 <= value < 1:
        raise OptimizerError(f"{owner}: {name} must be a number in [0, 1), got {value!r}",
                             optimizer=owner, value=value)
    return float(value)


def select_trainable(args: Sequence, argnum: ArgNum, owner: str) -> list[int]:
    """Positions of the trainable arguments: those selected by ``argnum``, else the tensors with
    ``requires_grad=True``.

    Raises:
        OptimizerError: an index is out of range, selects a ``requires_grad=False`` tensor, or no
            argument is trainable.
    """
    if argnum is None:
        nums = [i for i, a in enumerate(args) if getattr(a, "requires_grad", False) is True]
        if not nums:
            for i, a in enumerate(args):
                check_numpy(a, owner, i)  # a framework tensor: say which optimizer to use instead
            raise OptimizerError(
                f"{owner}: none of the {len(args)} argument(s) is trainable; create them with "
                "kettle.numpy (np.array(..., requires_grad=True)) or select them with argnum=",
                optimizer=owner)
        return nums
    sel = [argnum] if isinstance(argnum, (numbers.Integral, onp.integer)) else list(argnum)
    nums = []
    for i in sel:
        if not isinstance(i, (numbers.Integral, onp.integer)) or not -len(args) <= i < len(args):
            raise OptimizerError(f"{owner}: argnum={i!r} is not the index of one of the "
                                 f"{len(args)} argument(s)", optimizer=owner, value=i)
        i = int(i) % len(args)
        if getattr(args[i], "requires_grad", True) is False:
            raise OptimizerError(
                f"{owner}: argument {i} is selected by argnum but has requires_grad=False; create it "
                "with requires_grad=True or drop it from argnum", optimizer=owner, value=i)
        nums.append(i)
    if not nums:
        raise OptimizerError(f"{owner}: argnum selects no argument", optimizer=owner)
    return sorted(set(nums))


def check_scalar(value: Any, owner: str) -> Any:
    """``value`` unchanged when it is a real scalar (possibly being traced by autograd).

    Raises:
        OptimizerError: otherwise, naming what the cost returned.
    """
    raw = value
    while isinstance(raw, ArrayBox):
        raw = raw._value
    if isinstance(raw, (onp.ndarray, onp.generic)):
        if raw.shape == () and raw.dtype.kind in "fiu":
            return value
        what = f"an array of shape {raw.shape} and dtype {raw.dtype}"
    elif isinstance(raw, numbers.Real) and not isinstance(raw, bool):
        return value
    elif isinstance(raw, (tuple, list)):
        what = f"a {type(raw).__name__} of {len(raw)} value(s)"
    else:
        what = f"{raw!r} ({type(raw).__name__})"
    raise OptimizerError(
        f"{owner} needs a cost that returns a real scalar, but it returned {what}; reduce it to one "
        "number (e.g. return the expectation value of one observable, or np.sum(...))",
        optimizer=owner, value=raw)


def check_numpy(value: Any, owner: str, position: int) -> None:
    """Refuse a torch/TF/JAX tensor, naming that framework's optimizers."""
    framework = qmath.backend_of(value)
    if framework in qmath.FRAMEWORKS:
        hint = qmath.NATIVE_OPTIMIZERS.get(framework, "that framework's optimizers")
        raise OptimizerError(
            f"{owner}: argument {position} is a {framework} tensor; kettle's optimizers step "
            f"NumPy arrays (kettle.numpy). Convert it, or train it with {hint}, which works on "
            "QNodes directly", optimizer=owner, value=value)


def as_trainable(value: Any, owner: str, position: int) -> tensor:
    """A float tensor copy of a selected argument (so updates never alias the caller's array)."""
    check_numpy(value, owner, position)
    arr = onp.array(value.numpy() if isinstance(value, tensor) else value)
    if arr.dtype.kind in "biu":
        arr = arr.astype(float)
    if arr.dtype.kind != "f":
        raise OptimizerError(f"{owner}: argument {position} is {value!r} (dtype {arr.dtype}); only "
                             "real numbers and real arrays can be optimized", optimizer=owner,
                             value=value)
    return tensor(arr, requires_grad=True)


# -------------------------------------------------------------------- progress
class _NoBar:
    def set_postfix(self, **_):
        pass

    def update(self, _=1):
        pass

    def close(self):
        pass


def interactive() -> bool:
    """True in a Jupyter kernel or when standard error is a terminal."""
    ipython = sys.modules.get("IPython")
    if ipython is not None:
        shell = ipython.get_ipython()
        if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
            return True
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def _progress_bar(progress: bool, steps: int, name: str):
    if not progress or not interactive():
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=steps, desc=name, unit="step", leave=True)
