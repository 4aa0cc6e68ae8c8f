"""Wire labels: integers or any hashable labels, kept in a fixed order."""
from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from kettle.errors import WireError


class Wires(tuple):
    """An ordered, duplicate-free tuple of hashable wire labels.

    ``Wires(3)`` is one wire labelled 3; ``Wires([0, "a"])`` two wires. Use :meth:`range` for the
    wires of a device given as a count.
    """

    def __new__(cls, wires: Any = ()):
        if isinstance(wires, Wires):
            return wires
        labels = _as_labels(wires)
        if len(set(labels)) != len(labels):
            dup = sorted({str(w) for w in labels if labels.count(w) > 1})
            raise WireError(f"wires must be unique, got {list(labels)} (repeated: {', '.join(dup)})",
                            wires=list(labels))
        return super().__new__(cls, labels)

    @classmethod
    def range(cls, n: int) -> "Wires":
        return cls(range(n))

    def index(self, wire):  # type: ignore[override]
        try:
            return super().index(wire)
        except ValueError:
            raise WireError(f"wire {wire!r} is not among {list(self)}", wires=wire) from None

    def indices(self, wires: Iterable) -> list[int]:
        return [self.index(w) for w in wires]

    def __add__(self, other):  # union preserving order
        return Wires(list(self) + [w for w in Wires(other) if w not in self])

    def __repr__(self) -> str:
        return f"Wires({list(self)})"


def _as_labels(wires: Any) -> tuple:
    if isinstance(wires, (str, bytes)):
        return (wires,)
    if isinstance(wires, Iterable):
        out = []
        for w in wires:
            w = _scalar_label(w)
            if not isinstance(w, Hashable):
                raise WireError(f"wire labels must be hashable, got {w!r}", wires=w)
            out.append(w)
        return tuple(out)
    wires = _scalar_label(wires)
    if not isinstance(wires, Hashable):
        raise WireError(f"wire labels must be hashable, got {wires!r}", wires=wires)
    return (wires,)


def _scalar_label(w: Any) -> Any:
    # NumPy integer scalars (e.g. from np.arange) become plain ints so that 0 and np.int64(0) match.
    if hasattr(w, "dtype") and getattr(w, "shape", None) == () and hasattr(w, "item"):
        return w.item()
    return w
