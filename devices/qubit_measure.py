"""Analytic measurements of a state vector (shots=None), one function per measurement type.

The table ``ANALYTIC`` maps measurement classes to functions; other simulators reuse the helpers.
"""
from __future__ import annotations

from typing import Any, Callable

import autoray as ar
import numpy as np

from kettle.core import measurements as m
from kettle.core import qmath
from kettle.core.ops.observables import Hamiltonian, Tensor
from kettle.core.wires import Wires
from kettle.devices import dynamic_wires, qubit_kernel

anp = ar.numpy


class StateView:
    """A state tensor with the context needed to measure it."""

    def __init__(self, state: Any, wire_order: Wires, batched: bool, kernel: Callable = None):
        self.state = state
        self.wire_order = wire_order
        self.batched = batched
        self.kernel = kernel or qubit_kernel.apply_operation

    @property
    def n(self) -> int:
        return len(self.wire_order)

    def axes(self, wires) -> list[int]:
        off = 1 if self.batched else 0
        return [self.wire_order.index(w) + off for w in wires]

    def apply(self, op) -> "StateView":
        if op.wires.has_dynamic:  # wires known only when a compiled program runs
            axes, valid = dynamic_wires.positions(self.wire_order, op.wires)
            array = op.diagonal() if op.has_diagonal else op.matrix()
            new = dynamic_wires.apply(self.state, array, axes, self.batched, op.has_diagonal, valid)
        else:
            axes = [self.wire_order.index(w) for w in op.wires]
            new = self.kernel(self.state, op, axes, self.batched)
        batched = self.batched or qmath.ndim(new) == self.n + 1
        return StateView(new, self.wire_order, batched, self.kernel)

    def flat(self) -> Any:
        lead = (qmath.shape(self.state)[0],) if self.batched else ()
        return ar.do("reshape", self.state, lead + (2 ** self.n,))


def _abs2(x: Any) -> Any:
    return anp.real(x * anp.conj(x))


def marginal_probs(view: StateView, wires) -> Any:
    """Probabilities of ``wires`` (in that order); all wires when empty."""
    wires = Wires(wires) if len(wires) else view.wire_order
    p = _abs2(view.state)
    off = 1 if view.batched else 0
    keep = [view.wire_order.index(w) for w in wires]
    drop = tuple(i + off for i in range(view.n) if i not in keep)
    if drop:
        p = anp.sum(p, axis=drop)
    remaining = sorted(keep)
    perm = [remaining.index(i) + off for i in keep]
    if perm != sorted(perm):
        p = anp.transpose(p, tuple(range(off)) + tuple(perm))
    lead = (qmath.shape(p)[0],) if view.batched else ()
    return ar.do("reshape", p, lead + (2 ** len(wires),))


def apply_observable(view: StateView, obs) -> Any:
    """O|ψ⟩ as a state tensor (sums of terms for Hamiltonians)."""
    if isinstance(obs, Hamiltonian):
        total = None
        for c, o in zip(obs.data, obs.ops):
            term = apply_observable(view, o)
            if qmath.backend_of(c) != "numpy":
                c = qmath.as_complex(c, qmath.dtype_name(term))
            elif not isinstance(c, (int, float, complex)) or isinstance(c, np.generic):
                # a NumPy float64 coefficient would promote a complex64 state to complex128
                c = qmath.convert_like(c, term)
            term = c * term
            total = term if total is None else total + term
        return total
    if isinstance(obs, Tensor):
        out = view
        for o in obs.obs:
            out = StateView(apply_observable(out, o), view.wire_order, out.batched, view.kernel)
        return out.state
    if obs.name == "Identity":
        return view.state
    return view.apply(obs).state


def _inner(view: StateView, a: Any, b: Any) -> Any:
    """Re⟨a|b⟩ over the wire axes (keeps the batch axis)."""
    axes = tuple(range(1 if view.batched else 0, qmath.ndim(b)))
    a = a if qmath.ndim(a) == qmath.ndim(b) else a + 0 * b
    return anp.real(anp.sum(anp.conj(a) * b, axis=axes))


def _diag_eigvals(obs, like) -> Any:
    diag = obs.diagonal()
    return qmath.convert_like(np.real(qmath.to_numpy(diag)), like) if qmath.backend_of(diag) == "numpy" \
        else anp.real(diag)


def expval(mp, view: StateView):
    obs = mp.obs
    if obs.has_diagonal and not obs.data:
        p = marginal_probs(view, obs.wires)
        return _dot_last(p, _diag_eigvals(obs, p))
    return _inner(view, view.state, apply_observable(view, obs))


def var(mp, view: StateView):
    obs = mp.obs
    if obs.has_diagonal and not obs.data:
        p = marginal_probs(view, obs.wires)
        ev = _diag_eigvals(obs, p)
        mean = _dot_last(p, ev)
        return _dot_last(p, ev * ev) - mean * mean
    o_psi = apply_observable(view, obs)
    mean = _inner(view, view.state, o_psi)
    return _inner(view, o_psi, o_psi) - mean * mean


def _dot_last(p, v):
    return anp.sum(p * v, axis=-1)


def probs(mp, view: StateView):
    if mp.obs is not None:
        for g in mp.obs.diagonalizing_gates():
            view = view.apply(g)
    return marginal_probs(view, mp.wires)


def state(mp, view: StateView):
    return view.flat()


def reduced_density_matrix(view: StateView, wires) -> Any:
    wires = Wires(wires)
    off = 1 if view.batched else 0
    keep = [view.wire_order.index(w) for w in wires]
    rest = [i for i in range(view.n) if i not in keep]
    perm = tuple(range(off)) + tuple(i + off for i in keep + rest)
    psi = anp.transpose(view.state, perm) if list(perm) != list(range(len(perm))) else view.state
    lead = (qmath.shape(psi)[0],) if view.batched else ()
    psi = ar.do("reshape", psi, lead + (2 ** len(keep), 2 ** len(rest)))
    return ar.do("einsum", "...ik,...jk->...ij", psi, anp.conj(psi))


def purity_of(rho: Any) -> Any:
    return anp.sum(_abs2(rho), axis=(-2, -1))


def entropy_of(rho: Any, log_base: float | None) -> Any:
    """−Σ λ log λ of a density matrix, in units of ``log_base`` (natural log when None)."""
    # eigh, not eigvalsh: autograd has no derivative rule for eigvalsh; eigh's rule skips the
    # eigenvector term when only eigenvalues are used, so degenerate spectra stay finite
    lam = ar.do("linalg.eigh", rho)[0]
    lam = anp.real(lam)
    tiny = 1e-15
    # like=lam: the condition is a plain boolean array and would dispatch to NumPy
    safe = ar.do("where", lam > tiny, lam, anp.ones_like(lam), like=lam)
    terms = ar.do("where", lam > tiny, -lam * anp.log(safe), anp.zeros_like(lam), like=lam)
    s = anp.sum(terms, axis=-1)
    # a Python float keeps float32 entropies float32 (np.log gives a float64 NumPy scalar)
    return s / float(np.log(log_base)) if log_base else s


def from_reduced_state(reduced: Callable) -> dict[type, Callable]:
    """The measurements that are functions of reduced density matrices, given how a simulator
    computes ``reduced(view, wires)``."""

    def entropy(view, wires, log_base):
        return entropy_of(reduced(view, wires), log_base)

    def mutual_info(mp, view):
        return (entropy(view, mp.wires0, mp.log_base) + entropy(view, mp.wires1, mp.log_base)
                - entropy(view, mp.wires, mp.log_base))

    return {
        m.DensityMatrixMP: lambda mp, view: reduced(view, mp.wires),
        m.PurityMP: lambda mp, view: purity_of(reduced(view, mp.wires)),
        m.VnEntropyMP: lambda mp, view: entropy(view, mp.wires, mp.log_base),
        m.MutualInfoMP: mutual_info,
    }


def scalar_as_array(res: Any) -> Any:
    """NumPy reductions give scalars (np.float64); return 0-d arrays, as finite shots do."""
    return np.asarray(res) if isinstance(res, np.generic) else res


ANALYTIC: dict[type, Callable] = {
    m.ExpectationMP: expval,
    m.VarianceMP: var,
    m.ProbabilityMP: probs,
    m.StateMP: state,
    **from_reduced_state(reduced_density_matrix),
}


def measure_analytic(mp, view: StateView):
    return scalar_as_array(ANALYTIC[type(mp)](mp, view))
