"""Recording of operators and measurements while a quantum function runs.

The stack of active recorders is context-local (a :class:`contextvars.ContextVar`): each thread and
each asyncio task records into its own tape, so one QNode can be called from many threads at once.
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Any


class Recorder:
    """An ordered list of queued objects; ``remove`` lets composite objects claim their parts."""

    def __init__(self):
        self.items: list[Any] = []

    def append(self, obj: Any) -> None:
        self.items.append(obj)

    def remove(self, obj: Any) -> None:
        for i in range(len(self.items) - 1, -1, -1):
            if self.items[i] is obj:
                del self.items[i]
                return


#: the active recorders, innermost last; ``None`` entries stop recording. An immutable tuple per
#: context: pushing sets a new tuple, so no context ever sees another one's changes.
_ACTIVE: contextvars.ContextVar[tuple] = contextvars.ContextVar("kettle_recording", default=())


def active() -> Recorder | None:
    stack = _ACTIVE.get()
    return stack[-1] if stack else None


def queue(obj: Any) -> None:
    rec = active()
    if rec is not None:
        rec.append(obj)


def unqueue(*objs: Any) -> None:
    rec = active()
    if rec is not None:
        for o in objs:
            rec.remove(o)


@contextlib.contextmanager
def _pushed(entry: Recorder | None):
    token = _ACTIVE.set(_ACTIVE.get() + (entry,))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


@contextlib.contextmanager
def recording(recorder: Recorder | None = None):
    """Record every operator and measurement created inside the block."""
    rec = recorder if recorder is not None else Recorder()
    with _pushed(rec):
        yield rec


@contextlib.contextmanager
def stop_recording():
    """Build operators without recording them (decompositions, generators, adjoints)."""
    with _pushed(None):
        yield
