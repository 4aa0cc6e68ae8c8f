"""Analytic measurements of a density matrix (shots=None), one function per measurement type.

Expectation values are traces Tr(O ρ), with O applied to the ket axes by the state-vector helpers;
probabilities are the diagonal of a reduced density matrix; purity and entropies reuse the
functions of devices/qubit_measure.py on reduced density matrices.
"""
from __future__ import annotations

from typing import Any, Callable

import autoray as ar
import numpy as np

from kettle.core import measurements as m
from kettle.core import qmath
from kettle.core.wires import Wires
from kettle.devices.mixed_state import DensityView
from kettle.devices.qubit_measure import apply_observable, from_reduced_state, scalar_as_array

anp = ar.numpy

def reduced_density_matrix(view: DensityView, wires) -> Any:
    """ρ of ``wires`` (in that order), shape (batch?, 2**k, 2**k): the other wires traced out."""
    n, off = view.n, (1 if view.batched else 0)
    keep = [view.wire_order.index(w) for w in Wires(wires)]
    rest = [i for i in range(n) if i not in keep]
    order = keep + rest
    perm = list(range(off)) + [i + off for i in order] + [n + i + off for i in order]
    rho = view.state
    if perm != sorted(perm):
        rho = anp.transpose(rho, tuple(perm))
    lead = (qmath.shape(rho)[0],) if view.batched else ()
    dk, dr = 2 ** len(keep), 2 ** len(rest)
    if dr == 1:
        return ar.do("reshape", rho, lead + (dk, dk))
    rho = ar.do("reshape", rho, lead + (dk, dr, dk, dr))
    # a contraction with the identity, not a repeated index: not every framework's einsum traces
    eye = qmath.convert_like(np.eye(dr), rho)
    return ar.do("einsum", "...axby,xy->...ab", rho, eye)


def _diagonal(mat: Any) -> Any:
    """Real diagonal of a (batch?, d, d) matrix."""
    eye = qmath.convert_like(np.eye(qmath.shape(mat)[-1]), mat)
    return anp.real(anp.sum(mat * eye, axis=-1))


def marginal_probs(view: DensityView, wires) -> Any:
    """Probabilities of ``wires`` (in that order); all wires when empty."""
    wires = Wires(wires) if len(wires) else view.wire_order
    return _diagonal(reduced_density_matrix(view, wires))


def _trace(view: DensityView, sigma: Any) -> Any:
    """Re Tr σ for an operator tensor σ shaped like ρ (keeps a batch axis)."""
    dim = 2 ** view.n
    lead = (qmath.shape(sigma)[0],) if qmath.ndim(sigma) == 2 * view.n + 1 else ()
    return anp.sum(_diagonal(ar.do("reshape", sigma, lead + (dim, dim))), axis=-1)


def _o_rho(view: DensityView, obs) -> DensityView:
    """O ρ (O on the ket axes) as a view."""
    out = apply_observable(view.superket(), obs)
    return DensityView(out, view.wire_order, qmath.ndim(out) == 2 * view.n + 1, view.kernel)


def expval(mp, view: DensityView):
    return _trace(view, _o_rho(view, mp.obs).state)


def var(mp, view: DensityView):
    o_rho = _o_rho(view, mp.obs)
    mean = _trace(view, o_rho.state)
    return _trace(view, _o_rho(o_rho, mp.obs).state) - mean * mean


def probs(mp, view: DensityView):
    if mp.obs is not None:
        for g in mp.obs.diagonalizing_gates():
            view = view.apply(g)
    return marginal_probs(view, mp.wires)


def state(mp, view: DensityView):
    """``state()`` of a mixed state is its density matrix over every wire (PennyLane's meaning);
    ``density_matrix(wires)`` is the explicit form."""
    return reduced_density_matrix(view, view.wire_order)


ANALYTIC: dict[type, Callable] = {
    m.ExpectationMP: expval,
    m.VarianceMP: var,
    m.ProbabilityMP: probs,
    m.StateMP: state,
    **from_reduced_state(reduced_density_matrix),
}


def measure_analytic(mp, view: DensityView):
    return scalar_as_array(ANALYTIC[type(mp)](mp, view))
