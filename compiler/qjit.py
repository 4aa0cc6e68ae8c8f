"""``kt.qjit``: compile a hybrid quantum-classical function into one XLA program through JAX."""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

from kettle.compiler.context import compiling, compiling_scope
from kettle.core.qmath import require_framework

#: the working precisions a compiled program can run in.
PRECISIONS = ("float64", "float32")


class QJIT:
    """A hybrid function compiled with ``jax.jit``; QNodes inside run as JAX code.

    The first call with given argument shapes and dtypes traces the function (QNodes record their
    tapes and simulate on tracers) and compiles it; later calls with the same shapes and dtypes run
    the compiled program. Inside the traced function ``kt.grad``, ``kt.value_and_grad`` and
    ``kt.jacobian`` differentiate with JAX (each QNode by its own diff_method), and ``kt.for_loop``,
    ``kt.while_loop`` and ``kt.cond`` become ``jax.lax`` loops and conditionals.

    The program computes in double precision by default, whatever JAX's global
    ``jax_enable_x64`` setting: tracing, compilation and every call run inside
    ``jax.enable_x64(True)``, a context that is left when the call returns, so the user's
    configuration is never changed. Python numbers become float64 and complex128; arrays passed in
    keep their dtype (a float32 array computes in float32).

    Args:
        fn: the hybrid function: JAX code, QNodes on default.qubit, kettle control flow.
        static_argnums: positions of arguments that are compile-time constants (hashable Python
            values); a new value compiles anew.
        precision: "float64" (default) or "float32": the precision of Python numbers and of
            JAX's default dtypes inside the program ("float32" runs it with x64 disabled).

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

    def __init__(self, fn: Callable, *, static_argnums: int | Sequence[int] | None = None,
                 precision: str = "float64"):
        require_framework("jax", feature="kt.qjit")
        import jax

        if precision not in PRECISIONS:
            raise ValueError(f"kt.qjit got precision={precision!r}; valid precisions are "
                             f"{', '.join(repr(p) for p in PRECISIONS)}")
        self.fn = fn
        self.precision = precision
        self.compiled_count = 0
        self._jitted = jax.jit(self._traced, static_argnums=static_argnums)
        functools.update_wrapper(self, fn)

    def _precision_scope(self):
        """JAX's x64 mode for this program, set for the duration of one trace, lowering or call
        (JAX keys its compilation cache on it, so every call must run under the same one)."""
        import jax

        return jax.enable_x64(self.precision == "float64")

    def _traced(self, *args: Any, **kwargs: Any):
        self.compiled_count += 1  # runs only while JAX traces, never when the cache is hit
        with compiling_scope():
            return self.fn(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any):
        if compiling():  # a qjit function called inside another one is inlined into it
            return self.fn(*args, **kwargs)
        with self._precision_scope():
            return self._jitted(*args, **kwargs)

    def lower(self, *args: Any, **kwargs: Any):
        """The lowered (not yet compiled) program for these arguments: ``jax.stages.Lowered``.

        ``.as_text()`` of the result is the StableHLO program, e.g. to inspect its size.
        """
        with self._precision_scope():
            return self._jitted.lower(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<QJIT {getattr(self.fn, '__name__', self.fn)!r}: compiled {self.compiled_count}x>"


def qjit(fn: Callable | None = None, *, static_argnums: int | Sequence[int] | None = None,
         precision: str = "float64"):
    """Compile a hybrid function (see :class:`QJIT`); usable as ``@kt.qjit`` or ``@kt.qjit(...)``.

    Args:
        fn: the function to compile.
        static_argnums: positions of compile-time constant arguments.
        precision: "float64" (default, whatever JAX's global setting) or "float32".

    Returns:
        A :class:`QJIT` (or a decorator making one, when ``fn`` is omitted).
    """
    if fn is None:
        return functools.partial(qjit, static_argnums=static_argnums, precision=precision)
    return QJIT(fn, static_argnums=static_argnums, precision=precision)
