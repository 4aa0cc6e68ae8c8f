"""Recording of operators and measurements while a quantum function runs."""
from __future__ import annotations

import contextlib
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


_ACTIVE: list[Recorder | None] = []


def active() -> Recorder | None:
    return _ACTIVE[-1] if _ACTIVE else None


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
def recording(recorder: Recorder | None = None):
    """Record every operator and measurement created inside the block."""
    rec = recorder if recorder is not None else Recorder()
    _ACTIVE.append(rec)
    try:
        yield rec
    finally:
        _ACTIVE.pop()


@contextlib.contextmanager
def stop_recording():
    """Build operators without recording them (decompositions, generators, adjoints)."""
    _ACTIVE.append(None)
    try:
        yield
    finally:
        _ACTIVE.pop()
