"""``kt.for_loop``, ``kt.while_loop`` and ``kt.cond``: control flow that compiles to ``jax.lax``.

Inside ``kt.qjit`` (or whenever a bound or predicate is a JAX tracer) the decorated functions are
traced once and become ``lax.fori_loop``, ``lax.while_loop`` and ``lax.switch``: the compiled
program does not grow with the number of iterations, and bounds and predicates may be values
computed at run time. Everywhere else they run as the Python loops and ``if`` statements they stand
for, so the same code runs eagerly and under autograd.

Inside a QNode that is being recorded:

* in a compiled program, when the QNode's gates are differentiated by backprop (or not at all) on a
  device with ``capabilities.control_flow``, a loop or conditional is recorded as *one* operation
  of the tape (compiler/quantum_flow.py) that the device simulates with the same ``jax.lax``
  construct, so neither the tape nor the program grows with the iteration count, and gates may act
  on wires computed from the loop index;
* otherwise the gates are recorded once per iteration (unrolled), which needs bounds and
  predicates known at trace time; methods that differentiate gate by gate (parameter-shift,
  adjoint) see every gate this way.

Loop bodies take the loop index (``for_loop`` only) and the carried values, and return the new
carried values: one value for one carried value, a tuple for several, nothing for none.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from kettle.compiler.context import compiling, flow_scope
from kettle.core import queuing
from kettle.errors import ControlFlowError


def _is_tracer(value: Any) -> bool:
    import sys

    jax = sys.modules.get("jax")  # nothing can be a tracer if JAX was never imported
    return jax is not None and isinstance(value, jax.core.Tracer)


def _mode(*values: Any) -> str:
    """"python" (run as written), "lax" (emit jax.lax control flow) or "quantum" (record one
    structured operation on the QNode's tape)."""
    traced = any(_is_tracer(v) for v in values)
    if queuing.active() is not None:  # a QNode is recording gates
        scope = flow_scope()
        if scope is not None and scope.wires is not None:
            return "quantum"
        if traced:
            why = (scope.reason if scope is not None else
                   "outside kt.qjit, QNodes record each gate, so loops are unrolled")
            raise ControlFlowError(
                f"kettle control flow inside this QNode got a loop bound or predicate that is a "
                f"traced value, but its gates are unrolled here ({why}); make the bound or "
                f"predicate a Python number (for a kt.qjit argument, with static_argnums)",
                value=values)
        return "python"
    return "lax" if traced or compiling() else "python"


def _record(op_class, flow, *values: Any) -> None:
    """Queue the structured operation standing for ``flow`` on the recording QNode's tape."""
    from kettle.compiler import quantum_flow

    getattr(quantum_flow, op_class)(flow, values, wires=flow_scope().wires)


def _as_carry(result: Any, n: int, who: str) -> tuple:
    """A body's return value as the tuple of ``n`` carried values."""
    if n == 0:
        if result is not None:
            raise ControlFlowError(f"{who} carries no values, so its body must return nothing, "
                                   f"got {result!r}", value=result)
        return ()
    if n == 1:
        return (result,)
    if not isinstance(result, (tuple, list)) or len(result) != n:
        raise ControlFlowError(f"{who} carries {n} values, so its body must return a tuple of {n} "
                               f"values, got {result!r}", value=result)
    return tuple(result)


def _from_carry(carry: tuple) -> Any:
    return None if not carry else carry[0] if len(carry) == 1 else carry


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and getattr(value, "shape", None) == () and np.issubdtype(
        np.dtype(dtype), np.integer)


def _marked(fn: Callable) -> Callable:
    """``fn`` whose TypeErrors are marked as raised by user code (a body, a branch, a condition),
    so the loop and cond wrappers re-raise them as they are instead of blaming the structure."""
    def call(*args):
        try:
            return fn(*args)
        except TypeError as err:
            err._kettle_user_code = True
            raise

    return call


def _from_user_code(err: TypeError) -> bool:
    return getattr(err, "_kettle_user_code", False)


def _retyped(err: TypeError, who: str) -> ControlFlowError:
    return ControlFlowError(
        f"{who} cannot be compiled: its body must return values of the same structure, shapes and "
        f"dtypes as it receives (start float accumulators at 0.0, not 0). JAX says: {err}",
        value=None)


class _ForLoop:
    def __init__(self, body: Callable, lower: Any, upper: Any, step: Any):
        self.body, self.lower, self.upper, self.step = body, lower, upper, step

    def __call__(self, *init: Any):
        lower, upper, step, n = self.lower, self.upper, self.step, len(init)
        for name, value in (("lower", lower), ("upper", upper), ("step", step)):
            if not _is_integer(value):
                raise ControlFlowError(
                    f"kt.for_loop got {name}={value!r}; lower, upper and step must be integers "
                    "(Python ints, or integer scalars inside kt.qjit)", value=value)
        if not _is_tracer(step) and step == 0:
            raise ControlFlowError("kt.for_loop got step=0; the step must be a non-zero integer",
                                   value=step)
        mode = _mode(lower, upper, step)
        if mode == "python":
            carry = tuple(init)
            for i in range(lower, upper, step):
                carry = _as_carry(self.body(i, *carry), n, "kt.for_loop")
            return _from_carry(carry)
        if mode == "quantum":
            _record("ForLoopOp", self, *init)

        def body(i, *carry):
            return _as_carry(self.body(i, *carry), n, "kt.for_loop")

        with queuing.stop_recording():  # the gates (if any) belong to the recorded operation
            return _from_carry(self.compiled(body, tuple(init)))

    def compiled(self, body: Callable, init: tuple) -> tuple:
        """``lax.fori_loop`` over the indices with ``body(i, *carry) -> carry``."""
        import jax
        import jax.numpy as jnp

        lower, upper, step = self.lower, self.upper, self.step
        if any(_is_tracer(v) for v in (lower, upper, step)):
            count = jnp.maximum(0, -((jnp.asarray(lower) - upper) // step))
        else:  # a static trip count: lax lowers the loop to a (reverse-differentiable) scan
            count = max(0, -((lower - upper) // step))
        body = _marked(body)
        try:
            return jax.lax.fori_loop(0, count, lambda k, c: body(lower + k * step, *c), init)
        except TypeError as err:
            if _from_user_code(err):
                raise
            raise _retyped(err, "kt.for_loop") from err


def for_loop(lower: Any, upper: Any, step: Any = 1) -> Callable[[Callable], Callable]:
    """A loop over ``range(lower, upper, step)`` whose body is a decorated function.

    Args:
        lower: first index (an int; may be traced inside ``kt.qjit``).
        upper: the bound the index stops before.
        step: increment, non-zero (negative counts down).

    Returns:
        A decorator turning ``body(i, *carried) -> carried`` into a function of the initial
        carried values that returns their final values.

    Raises:
        ControlFlowError: ``step`` is 0, the body returns the wrong number of values, or (compiled)
            it changes their shapes or dtypes.

    Example:
        >>> @kt.for_loop(0, 3, 1)
        ... def loop(i, x):
        ...     return x * 2.0
        >>> loop(1.0)
        8.0
    """

    def decorator(body: Callable) -> Callable:
        return _ForLoop(body, lower, upper, step)

    return decorator


class _WhileLoop:
    def __init__(self, body: Callable, cond_fn: Callable):
        self.body, self.cond_fn = body, cond_fn

    def __call__(self, *init: Any):
        n, carry = len(init), tuple(init)
        holds = self.cond_fn(*carry)
        mode = _mode(holds, *carry)
        if mode == "python":
            while holds:
                carry = _as_carry(self.body(*carry), n, "kt.while_loop")
                holds = self.cond_fn(*carry)
            return _from_carry(carry)
        if mode == "quantum":
            _record("WhileLoopOp", self, *init)

        def body(*carry):
            return _as_carry(self.body(*carry), n, "kt.while_loop")

        with queuing.stop_recording():
            return _from_carry(self.compiled(body, carry))

    def compiled(self, body: Callable, init: tuple, skip: int = 0) -> tuple:
        """``lax.while_loop`` with ``body(*carry) -> carry``; the condition sees the carried
        values after the first ``skip`` (which the simulation uses for the state)."""
        import jax

        body, cond_fn = _marked(body), _marked(self.cond_fn)
        try:
            return jax.lax.while_loop(lambda c: cond_fn(*c[skip:]), lambda c: body(*c), init)
        except TypeError as err:
            if _from_user_code(err):
                raise
            raise _retyped(err, "kt.while_loop") from err


def while_loop(cond_fn: Callable[..., Any]) -> Callable[[Callable], Callable]:
    """A loop that runs its decorated body while ``cond_fn(*carried)`` is true.

    Args:
        cond_fn: a function of the carried values returning a boolean scalar.

    Returns:
        A decorator turning ``body(*carried) -> carried`` into a function of the initial carried
        values that returns their final values.

    Raises:
        ControlFlowError: the body returns the wrong number of values, or (compiled) changes their
            shapes or dtypes.

    Example:
        >>> @kt.while_loop(lambda x: x < 10.0)
        ... def grow(x):
        ...     return x * 2.0
        >>> grow(1.0)
        16.0
    """

    def decorator(body: Callable) -> Callable:
        return _WhileLoop(body, cond_fn)

    return decorator


class Cond:
    """A conditional built by :func:`cond`; add branches with :meth:`else_if` and
    :meth:`otherwise`, then call it with the branches' arguments."""

    def __init__(self, pred: Any, branch: Callable):
        self._preds = [pred]
        self._branches = [branch]
        self._otherwise: Callable | None = None

    def else_if(self, pred: Any) -> Callable[[Callable], "Cond"]:
        """Decorator adding a branch taken when ``pred`` holds and no earlier predicate does."""
        if self._otherwise is not None:
            raise ControlFlowError(
                "kt.cond: else_if branches must come before the otherwise branch", value=pred)

        def add(branch: Callable) -> Cond:
            self._preds.append(pred)
            self._branches.append(branch)
            return self

        return add

    def otherwise(self, branch: Callable) -> "Cond":
        """Decorator adding the branch taken when no predicate holds."""
        if self._otherwise is not None:
            raise ControlFlowError(
                f"kt.cond already has an otherwise branch ({self._otherwise.__name__}); give it "
                "one otherwise, after any else_if branches", value=branch)
        self._otherwise = branch
        return self

    def __call__(self, *args: Any):
        mode = _mode(*self._preds)
        if mode == "python":
            for pred, branch in zip(self._preds, self._branches):
                if pred:
                    return branch(*args)
            return self._otherwise(*args) if self._otherwise is not None else None
        if mode == "quantum":
            _record("CondOp", self, *args)
        with queuing.stop_recording():
            return self.compiled(self.branches, args)

    @property
    def branches(self) -> list[Callable]:
        """The branches in order, the otherwise branch (or one returning nothing) last."""
        otherwise = self._otherwise if self._otherwise is not None else (lambda *a: None)
        return self._branches + [otherwise]

    def compiled(self, branches: Sequence[Callable], args: tuple) -> Any:
        """``lax.switch`` to the branch of the first predicate that holds (the last branch when
        none does), applied to ``args``."""
        import jax
        import jax.numpy as jnp

        holds = jnp.stack([jnp.asarray(p, dtype=bool) for p in self._preds] + [jnp.asarray(True)])
        try:
            return jax.lax.switch(jnp.argmax(holds), [_marked(b) for b in branches], *args)
        except TypeError as err:
            if _from_user_code(err):
                raise
            hint = ("" if self._otherwise is not None else
                    " Without an otherwise branch every branch must return nothing; add one with "
                    "@f.otherwise.")
            raise ControlFlowError(
                f"kt.cond cannot be compiled: all branches must return values of the same "
                f"structure, shapes and dtypes.{hint} JAX says: {err}", value=err) from err


def cond(pred: Any) -> Callable[[Callable], Cond]:
    """An if/else-if/else whose branches are decorated functions.

    Args:
        pred: a boolean scalar (traced inside ``kt.qjit``).

    Returns:
        A decorator turning the true branch into a :class:`Cond`; calling that with arguments
        runs the selected branch on them and returns its result.

    Raises:
        ControlFlowError: (compiled) the branches return different structures, shapes or dtypes.

    Example:
        >>> x = 2.0
        >>> @kt.cond(x > 1.0)
        ... def f():
        ...     return x ** 2
        >>> @f.otherwise
        ... def f():
        ...     return -x
        >>> f()
        4.0
    """

    def decorator(branch: Callable) -> Cond:
        return Cond(pred, branch)

    return decorator
