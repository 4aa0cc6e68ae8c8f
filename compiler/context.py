"""Whether a ``kt.qjit`` program is being traced.

While the flag is set, QNodes execute as plain JAX code (interfaces/execute.py routes them to
:mod:`kettle.compiler.traced`), ``kt.grad`` and friends differentiate with JAX, and ``kt.for_loop``
and friends lower to structured ``jax.lax`` control flow.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

_COMPILING: contextvars.ContextVar[int] = contextvars.ContextVar("kettle_compiling", default=0)


def compiling() -> bool:
    """True while a ``kt.qjit`` function is being traced (in this thread)."""
    return _COMPILING.get() > 0


@contextlib.contextmanager
def compiling_scope() -> Iterator[None]:
    """Mark the block as the tracing of a compiled program (re-entrant)."""
    token = _COMPILING.set(_COMPILING.get() + 1)
    try:
        yield
    finally:
        _COMPILING.reset(token)
