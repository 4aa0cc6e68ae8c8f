"""The adjoint (inverse) of an operator: ``kt.adjoint(op)`` or ``kt.adjoint(fn)(*args)``."""
from __future__ import annotations

import functools
from typing import Any

import autoray as ar

from kettle.core import queuing
from kettle.core.operator import Operation, Operator
from kettle.errors import OperatorError


class Adjoint(Operation):
    """U† of a wrapped operator; parameters are shared with the wrapped operator."""

    def __init__(self, base: Operator, *, id=None):
        self.base = base
        self.num_params = base.num_params
        self.ndim_params = base.ndim_params
        self.hyperparameters = {}
        queuing.unqueue(base)
        super().__init__(*base.data, wires=base.wires, id=id)

    @property
    def name(self) -> str:
        return f"Adjoint({self.base.name})"

    @property
    def has_diagonal(self) -> bool:
        return self.base.has_diagonal

    def diagonal(self):
        return ar.do("conj", self.base.diagonal())

    @property
    def has_matrix(self) -> bool:
        return self.base.has_matrix

    def matrix(self, wire_order=None):
        m = self.base.with_parameters(self.data).matrix(wire_order)
        return ar.do("conj", ar.numpy.swapaxes(m, -1, -2))

    @property
    def has_decomposition(self) -> bool:
        return self._own_inverse() is not None or self.base.has_decomposition

    def _own_inverse(self):
        """The base's inverse as a plain gate (RX(−θ), PauliX, ...), if its class defines one."""
        base = self.base.with_parameters(self.data)
        with queuing.stop_recording():
            try:
                inverse = base.adjoint()
            except OperatorError:  # channels and state preparations have no inverse
                return None
        return None if isinstance(inverse, Adjoint) else inverse

    def decomposition(self):
        inverse = self._own_inverse()
        if inverse is not None:
            return [inverse]
        base = self.base.with_parameters(self.data)
        with queuing.stop_recording():
            return [op.adjoint() for op in reversed(base.decomposition())]

    @property
    def has_generator(self) -> bool:
        return self.base.has_generator

    def generator(self):
        # (exp(-iθG))† = exp(-iθ(-G))
        return -1.0 * self.base.with_parameters(self.data).generator()

    def adjoint(self):
        return self.base.with_parameters(self.data)

    def with_parameters(self, params):
        new = super().with_parameters(params)
        new.base = self.base.with_parameters(params)
        return new

    def label(self, decimals=2):
        return self.base.with_parameters(self.data).label(decimals) + "†"


def adjoint(target: Any) -> Any:
    """The adjoint of an operator, or a function that applies the adjoint of a quantum function.

    Args:
        target: an operator instance (e.g. ``kt.adjoint(kt.S(0))``), or a callable that applies
            gates (an operator class or a quantum function); calling the result applies the adjoints
            of its gates in reverse order.

    Returns:
        The adjoint operator, or a function with the same arguments as ``target``.
    """
    if isinstance(target, Operator):
        queuing.unqueue(target)
        with queuing.stop_recording():
            adj = target.adjoint()
        queuing.queue(adj)
        return adj
    if not callable(target):
        raise OperatorError(f"adjoint takes an operator or a quantum function, got {target!r}")

    @functools.wraps(target)
    def wrapper(*args, **kwargs):
        with queuing.recording() as rec:
            target(*args, **kwargs)
        with queuing.stop_recording():
            adjs = [op.adjoint() for op in reversed(rec.items) if isinstance(op, Operator)]
        for op in adjs:
            queuing.queue(op)
        return adjs[0] if len(adjs) == 1 else adjs

    return wrapper
