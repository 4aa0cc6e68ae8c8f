"""Shot settings: None (analytic), a positive integer, or a shot vector."""
from __future__ import annotations

from typing import Any

from kettle.errors import ShotsError


class Shots:
    """Normalized shots.

    ``Shots(None)`` is analytic; ``Shots(1000)`` samples 1000 times; ``Shots([100, 1000])`` (or
    ``[(100, 3)]`` for three copies of 100) gives one result per entry.
    """

    __slots__ = ("vector",)

    def __init__(self, shots: Any = None):
        if isinstance(shots, Shots):
            self.vector = shots.vector
            return
        if shots is None:
            self.vector: tuple[int, ...] = ()
        elif _is_positive_int(shots):
            self.vector = (int(shots),)
        elif isinstance(shots, (list, tuple)) and len(shots) > 0:
            vec: list[int] = []
            for entry in shots:
                if _is_positive_int(entry):
                    vec.append(int(entry))
                elif (isinstance(entry, (list, tuple)) and len(entry) == 2
                      and all(_is_positive_int(e) for e in entry)):
                    vec.extend([int(entry[0])] * int(entry[1]))
                else:
                    raise ShotsError(_message(shots, f"entry {entry!r} is not"), shots=shots)
            self.vector = tuple(vec)
        else:
            raise ShotsError(_message(shots, "it is not"), shots=shots)

    @property
    def total(self) -> int | None:
        return sum(self.vector) if self.vector else None

    @property
    def analytic(self) -> bool:
        return not self.vector

    @property
    def has_vector(self) -> bool:
        """True when results are split into one result per shot-vector entry."""
        return len(self.vector) > 1

    def __bool__(self) -> bool:
        return bool(self.vector)

    def __eq__(self, other):
        return isinstance(other, Shots) and other.vector == self.vector

    def __hash__(self):
        return hash(self.vector)

    def __repr__(self) -> str:
        if not self.vector:
            return "Shots(None)"
        return f"Shots({self.vector[0]})" if len(self.vector) == 1 else f"Shots({list(self.vector)})"


def _is_positive_int(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    try:
        import numbers

        return isinstance(x, numbers.Integral) and int(x) > 0
    except TypeError:
        return False


def _message(shots: Any, what: str) -> str:
    return (f"shots={shots!r} is invalid: {what} a positive integer; use None (analytic), a positive "
            "integer, or a list of positive integers / (shots, copies) pairs")
