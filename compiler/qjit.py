"""``kt.qjit``: compile a hybrid quantum-classical function into one XLA program through JAX."""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

from kettle.compiler.context import compiling, compiling_scope
from kettle.core.qmath import require_framework


class QJIT:
    """A hybrid function compiled with ``jax.jit``; QNodes inside run as JAX code.

    The first call with given argument shapes and dtypes traces the function (QNodes record their
    tapes and simulate on tracers) and compiles it; later calls with the same shapes and dtypes run
    the compiled program. Inside the traced function ``kt.grad``, ``kt.value_and_grad`` and
    ``kt.jacobian`` differentiate with JAX (each QNode by its own diff_method), and ``kt.for_loop``,
    ``kt.while_loop`` and ``kt.cond`` become ``jax.lax`` loops and conditionals.

    Args:
        fn: the hybrid function: JAX code, QNodes on default.qubit, kettle control flow.
        static_argnums: positions of arguments that are compile-time constants (hashable Python
            values); a new value compiles anew.

    Attributes:
        compiled_count: how many times the function has been traced and compiled.

    Example:
        >>> import jax.numpy as jnp
        >>> dev = kt.device("default.qubit", wires=1)
        >>> @kt.qnode(dev)
        ... def circuit(x):
        ...     kt.RX(x, wires=0)
        ...     return kt.expval(kt.PauliZ(0))
        >>> @kt.qjit
        ... def cost(x):
        ...     return jnp.sin(circuit(x)) ** 2
        >>> round(float(cost(jnp.array(0.5))), 6)  # sin(cos 0.5)²
        0.591663
    """

    def __init__(self, fn: Callable, *, static_argnums: int | Sequence[int] | None = None):
        require_framework("jax", feature="kt.qjit")
        import jax

        self.fn = fn
        self.compiled_count = 0
        self._jitted = jax.jit(self._traced, static_argnums=static_argnums)
        functools.update_wrapper(self, fn)

    def _traced(self, *args: Any, **kwargs: Any):
        self.compiled_count += 1  # runs only while JAX traces, never when the cache is hit
        with compiling_scope():
            return self.fn(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any):
        if compiling():  # a qjit function called inside another one is inlined into it
            return self.fn(*args, **kwargs)
        return self._jitted(*args, **kwargs)

    def lower(self, *args: Any, **kwargs: Any):
        """The lowered (not yet compiled) program for these arguments: ``jax.stages.Lowered``.

        ``.as_text()`` of the result is the StableHLO program, e.g. to inspect its size.
        """
        return self._jitted.lower(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<QJIT {getattr(self.fn, '__name__', self.fn)!r}: compiled {self.compiled_count}x>"


def qjit(fn: Callable | None = None, *, static_argnums: int | Sequence[int] | None = None):
    """Compile a hybrid function (see :class:`QJIT`); usable as ``@kt.qjit`` or ``@kt.qjit(...)``.

    Args:
        fn: the function to compile.
        static_argnums: positions of compile-time constant arguments.

    Returns:
        A :class:`QJIT` (or a decorator making one, when ``fn`` is omitted).
    """
    if fn is None:
        return functools.partial(qjit, static_argnums=static_argnums)
    return QJIT(fn, static_argnums=static_argnums)
