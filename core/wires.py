"""Wire labels: integers or any hashable labels, kept in a fixed order.

Inside compiled programs a wire may also be *dynamic*: an integer scalar whose value is known only
when the program runs (a JAX tracer, e.g. a ``kt.for_loop`` index). Dynamic labels are kept as
they are; they equal no other label (only themselves), and devices that support them map them to
positions at run time.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from kettle.errors import WireError


_PLAIN = frozenset({int, str})


def is_dynamic(wire: Any) -> bool:
    """Whether ``wire`` is a run-time integer (an unhashable integer scalar array)."""
    if type(wire) in _PLAIN:  # the common labels, without the ABC check (per gate, per call)
        return False
    return (not isinstance(wire, Hashable) and getattr(wire, "shape", None) == ()
            and hasattr(wire, "dtype") and np.issubdtype(np.dtype(wire.dtype), np.integer))


class Wires(tuple):
    """An ordered, duplicate-free tuple of hashable wire labels.

    ``Wires(3)`` is one wire labelled 3; ``Wires([0, "a"])`` two wires. Use :meth:`range` for the
    wires of a device given as a count.
    """

    def __new__(cls, wires: Any = ()):
        if isinstance(wires, Wires):
            return wires
        labels = _as_labels(wires)
        static = [w for w in labels if not is_dynamic(w)]
        if len(set(static)) != len(static):
            dup = sorted({str(w) for w in static if static.count(w) > 1})
            raise WireError(f"wires must be unique, got {list(labels)} (repeated: {', '.join(dup)})",
                            wires=list(labels))
        return super().__new__(cls, labels)

    @classmethod
    def range(cls, n: int) -> "Wires":
        return cls(range(n))

    @property
    def has_dynamic(self) -> bool:
        """Whether some label is a run-time integer (see :func:`is_dynamic`)."""
        return any(is_dynamic(w) for w in self)

    def _position(self, wire) -> int | None:
        if is_dynamic(wire):
            return next((i for i, w in enumerate(self) if w is wire), None)
        return next((i for i, w in enumerate(self) if not is_dynamic(w) and w == wire), None)

    def __contains__(self, wire) -> bool:
        return self._position(wire) is not None

    def index(self, wire):  # type: ignore[override]
        i = self._position(wire)
        if i is None:
            raise WireError(f"wire {wire!r} is not among {list(self)}", wires=wire)
        return i

    def indices(self, wires: Iterable) -> list[int]:
        return [self.index(w) for w in wires]

    @classmethod
    def union(cls, groups: Iterable["Wires"]) -> "Wires":
        """Every label of ``groups`` once, in order of first appearance (one pass, where
        repeated ``+`` would rescan the labels gathered so far)."""
        labels, seen = [], set()
        for group in groups:
            for w in group:
                key = ("dynamic", id(w)) if is_dynamic(w) else w
                if key not in seen:
                    seen.add(key)
                    labels.append(w)
        return cls(labels)

    def __add__(self, other):  # union preserving order
        return Wires(list(self) + [w for w in Wires(other) if w not in self])

    def __repr__(self) -> str:
        return f"Wires({list(self)})"


def _as_labels(wires: Any) -> tuple:
    if isinstance(wires, (str, bytes)):
        return (wires,)
    if isinstance(wires, Iterable) and not is_dynamic(wires):
        out = []
        for w in wires:
            w = _scalar_label(w)
            if not isinstance(w, Hashable) and not is_dynamic(w):
                raise WireError(f"wire labels must be hashable, got {w!r}", wires=w)
            out.append(w)
        return tuple(out)
    wires = _scalar_label(wires)
    if not isinstance(wires, Hashable) and not is_dynamic(wires):
        raise WireError(f"wire labels must be hashable, got {wires!r}", wires=wires)
    return (wires,)


def _scalar_label(w: Any) -> Any:
    # NumPy integer scalars (e.g. from np.arange) become plain ints so that 0 and np.int64(0) match.
    if hasattr(w, "dtype") and getattr(w, "shape", None) == () and hasattr(w, "item"):
        try:
            return w.item()
        except TypeError:  # a value known only at run time (a JAX tracer): a dynamic label
            return w
    return w
