"""Whether a ``kt.qjit`` program is being traced, and how control flow inside QNodes compiles.

While the flag is set, QNodes are part of the JAX program (backprop ones simulate on the tracers,
the others are host calls of :mod:`kettle.interfaces.jax`), ``kt.grad`` and friends differentiate with JAX, and ``kt.for_loop``
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


class FlowScope:
    """How kettle control flow recorded inside a QNode behaves while a program is compiled.

    Attributes:
        wires: the device's wires when loops and conditionals become structured operations of the
            tape (simulated with ``jax.lax`` control flow); None when they are unrolled instead.
        reason: why they are unrolled (shown when a bound or predicate is traced, so that
            unrolling is impossible).
    """

    def __init__(self, wires=None, reason: str = ""):
        self.wires, self.reason = wires, reason


_FLOW: contextvars.ContextVar[FlowScope | None] = contextvars.ContextVar("kettle_flow", default=None)


def flow_scope() -> FlowScope | None:
    """The scope set by the QNode whose gates are being recorded, if any."""
    return _FLOW.get()


@contextlib.contextmanager
def flow_scope_set(scope: FlowScope | None) -> Iterator[None]:
    """Set the control-flow scope for the block (None: no QNode-specific behaviour)."""
    token = _FLOW.set(scope)
    try:
        yield
    finally:
        _FLOW.reset(token)
