"""The density matrix of default.mixed, evolved by gates, channels and state preparations.

ρ is a tensor of shape ``(batch?,) + (2,) * 2n``: n ket axes, then n bra axes in the same wire
order. A gate U acts as ρ ↦ U ρ U†: the state-vector kernel applies U to the ket axes and U* to the
bra axes. A channel acts as ρ ↦ Σ_i w_i M_i ρ M_i† (see core/ops/channels.py). Seen as a vector on
2n wires (ket wires, then one "bra wire" per device wire), ρ is also a :class:`StateView`, so the
state-vector helpers (observables applied to ρ, state preparation) serve it unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import autoray as ar

from kettle.core import qmath
from kettle.core.ops.channels import Channel
from kettle.core.ops.matrix_ops import BasisState
from kettle.core.wires import Wires
from kettle.devices import qubit_kernel
from kettle.devices.default_qubit import _prepare
from kettle.devices.qubit_kernel import align, apply_matrix
from kettle.devices.qubit_measure import StateView

anp = ar.numpy


@dataclass(frozen=True)
class BraWire:
    """Label of the bra copy of device wire number ``index`` (never equal to a user's label)."""

    index: int


class _Conjugate:
    """The complex conjugate U* of a gate, in the form the gate kernel reads."""

    def __init__(self, op: Any):
        self._op = op
        # a new name: name-keyed fast paths of the kernel must not mistake U* for U
        self.name = f"Conjugate({op.name})"
        self.data = op.data
        self.batch_size = op.batch_size
        self.has_diagonal = op.has_diagonal

    def diagonal(self) -> Any:
        return ar.do("conj", self._op.diagonal())

    def matrix(self) -> Any:
        return ar.do("conj", self._op.matrix())


class DensityView:
    """A density-matrix tensor with the context needed to evolve and measure it.

    Args:
        state: ρ with shape ``(batch?,) + (2,) * 2n`` (ket axes, then bra axes).
        wire_order: the device wires, in the order of the ket (and bra) axes.
        batched: whether ``state`` has a leading batch axis.
        kernel: the state-vector gate kernel (``apply_operation`` signature).
    """

    def __init__(self, state: Any, wire_order: Wires, batched: bool, kernel: Callable = None):
        self.state = state
        self.wire_order = wire_order
        self.batched = batched
        self.kernel = kernel or qubit_kernel.apply_operation

    @property
    def n(self) -> int:
        return len(self.wire_order)

    def _replace(self, state: Any) -> "DensityView":
        batched = self.batched or qmath.ndim(state) == 2 * self.n + 1
        return DensityView(state, self.wire_order, batched, self.kernel)

    def superket(self) -> StateView:
        """ρ as a vector on 2n wires: the device wires, then :class:`BraWire` labels."""
        doubled = Wires(list(self.wire_order) + [BraWire(i) for i in range(self.n)])
        return StateView(self.state, doubled, self.batched, self.kernel)

    def _axes(self, wires) -> tuple[list[int], list[int]]:
        ket = [self.wire_order.index(w) for w in wires]
        return ket, [a + self.n for a in ket]

    def apply(self, op: Any) -> "DensityView":
        """ρ after a gate (U ρ U†) or a channel (Σ K ρ K†)."""
        if isinstance(op, Channel):
            return self._apply_channel(op)
        ket, bra = self._axes(op.wires)
        half = self._replace(self.kernel(self.state, op, ket, self.batched))
        return half._replace(half.kernel(half.state, _Conjugate(op), bra, half.batched))

    def _apply_channel(self, op: Channel) -> "DensityView":
        ket, bra = self._axes(op.wires)
        total = None
        for weight, mat in op.kraus_terms():
            term = self.state
            if mat is not None:
                term = apply_matrix(term, mat, ket, self.batched)
                term_batched = self.batched or qmath.ndim(term) == 2 * self.n + 1
                term = apply_matrix(term, ar.do("conj", mat), bra, term_batched)
            term = _scale(term, weight, 2 * self.n)
            total = term if total is None else total + term
        return self._replace(total)

    def prepare(self, op: Any, touched: set) -> "DensityView":
        """ρ after StatePrep/BasisState ``op`` on wires that are still |0…0⟩: |v⟩⟨v| ⊗ ρ_rest."""
        view = _prepare(self.superket(), op, touched)  # ket side (checks that the wires are fresh)
        bra = {w: BraWire(self.wire_order.index(w)) for w in op.wires}
        if isinstance(op, BasisState):
            mirror = op.map_wires(bra)  # real vector: its conjugate is itself
        else:
            conj = ar.do("conj", qmath.as_complex(op.data[0]))
            mirror = op.with_parameters([conj]).map_wires(bra)
        view = _prepare(view, mirror, set())
        return self._replace(view.state)


def _scale(term: Any, weight: Any, n_axes: int) -> Any:
    """weight · term, with a (batch,) weight broadcast over the wire axes."""
    if isinstance(weight, (int, float)) and weight == 1:
        return term
    if qmath.backend_of(weight) == "numpy":
        weight = align(weight, term)
    else:  # autograd's astype to complex warns and drops the imaginary part of the VJP
        weight = qmath.as_complex(weight, qmath.dtype_name(term))
    if qmath.ndim(weight) == 1:
        weight = ar.do("reshape", weight, (-1,) + (1,) * n_axes)
    return weight * term


def initial_state(wire_order: Wires, params: list,
                  kernel: Callable) -> tuple[DensityView, str, Any]:
    """|0…0⟩⟨0…0| in the framework and precision of the circuit's parameters.

    Returns:
        ``(view, interface, like)``: ``like`` is an array of the framework (None for NumPy and
        autograd, whose states start as NumPy arrays).
    """
    rho, interface, like = qmath.zero_state(2 * len(wire_order), params)
    return DensityView(rho, wire_order, False, kernel), interface, like
