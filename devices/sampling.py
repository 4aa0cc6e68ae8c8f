"""Finite-shot measurements: sample basis states from the probabilities, then estimate.

Measurements whose observables can be diagonalized together share one set of samples, so
``sample(Z(0)), sample(Z(1))`` stay correlated shot by shot.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from kettle.core import measurements as m
from kettle.core import qmath
from kettle.core.ops.observables import Tensor
from kettle.core.wires import Wires
from kettle.devices.qubit_measure import StateView, marginal_probs


def _units(obs) -> list:
    """Independently diagonalizable parts of an observable (tensor factors, or the whole)."""
    if obs is None:
        return []
    return list(obs.obs) if isinstance(obs, Tensor) else [obs]


def _signature(unit) -> Any:
    if unit.name in ("PauliZ", "Identity") or (unit.name == "Projector" and unit.has_diagonal):
        return "computational"
    if unit.name in ("PauliX", "PauliY", "Hadamard"):
        return unit.name
    return ("matrix", id(unit))


def group_measurements(mps: Sequence, all_wires: Wires) -> list[list[int]]:
    """Indices of measurements that can share samples."""
    groups: list[tuple[dict, list[int]]] = []
    for i, mp in enumerate(mps):
        claims = {}
        units = _units(mp.obs)
        if not units:
            for w in (mp.wires or all_wires):
                claims[w] = "computational"
        for u in units:
            sig = _signature(u)
            if sig == "computational" and u.name == "Identity":
                continue
            for w in u.wires:
                claims[w] = sig
        for basis, members in groups:
            if all(basis.get(w, s) == s for w, s in claims.items()):
                basis.update(claims)
                members.append(i)
                break
        else:
            groups.append((dict(claims), [i]))
    return [members for _, members in groups]


def rotate_into_eigenbasis(view: StateView, mps: Sequence) -> StateView:
    done: set = set()
    for mp in mps:
        for u in _units(mp.obs):
            if _signature(u) == "computational":
                continue
            key = (tuple(u.wires), _signature(u))
            if key in done:
                continue
            done.add(key)
            for g in u.diagonalizing_gates():
                view = view.apply(g)
    return view


def draw_samples(probs: np.ndarray, shots: int, rng: np.random.Generator, n: int) -> np.ndarray:
    """Bits of shape (batch?, shots, n) drawn from basis-state probabilities."""
    probs = np.clip(np.real(probs), 0, None)
    if probs.ndim == 1:
        idx = rng.choice(probs.shape[0], size=shots, p=probs / probs.sum())
    else:
        idx = np.stack([rng.choice(p.shape[0], size=shots, p=p / p.sum()) for p in probs])
    shifts = np.arange(n - 1, -1, -1)
    return ((idx[..., None] >> shifts) & 1).astype(np.int64)


def _bits_of(bits: np.ndarray, wires, all_wires: Wires) -> np.ndarray:
    wires = Wires(wires) if len(wires) else all_wires
    return bits[..., [all_wires.index(w) for w in wires]]


def _index(bits: np.ndarray) -> np.ndarray:
    k = bits.shape[-1]
    return bits @ (2 ** np.arange(k - 1, -1, -1))


def eigen_samples(mp, bits: np.ndarray, all_wires: Wires) -> np.ndarray:
    """Eigenvalues of the observable, one per shot."""
    ev = np.real(qmath.to_numpy(mp.obs.eigvals()))
    return ev[_index(_bits_of(bits, mp.obs.wires, all_wires))]


def _sample(mp, bits, all_wires):
    if mp.obs is not None:
        return eigen_samples(mp, bits, all_wires)
    b = _bits_of(bits, mp.wires, all_wires)
    return b[..., 0] if b.shape[-1] == 1 else b


def _counts_one(values: np.ndarray, mp, all_wires: Wires) -> dict:
    if mp.obs is None:
        b = _bits_of(values, mp.wires, all_wires)
        keys = ["".join(str(int(x)) for x in row) for row in b.reshape(-1, b.shape[-1])]
        k = b.shape[-1]
        outcomes = [format(i, f"0{k}b") for i in range(2 ** k)] if mp.all_outcomes else []
    else:
        ev = eigen_samples(mp, values, all_wires)
        keys = [float(v) for v in ev]
        outcomes = sorted(set(np.real(qmath.to_numpy(mp.obs.eigvals())).tolist())) if mp.all_outcomes else []
    out = {o: 0 for o in outcomes}
    uniq, cnt = np.unique(np.asarray(keys), return_counts=True)
    for u, c in zip(uniq.tolist(), cnt.tolist()):
        out[u] = int(c)
    return dict(sorted(out.items()))


def _counts(mp, bits, all_wires):
    if bits.ndim == 3:
        return [_counts_one(b, mp, all_wires) for b in bits]
    return _counts_one(bits, mp, all_wires)


def _expval(mp, bits, all_wires):
    return np.mean(eigen_samples(mp, bits, all_wires), axis=-1)


def _var(mp, bits, all_wires):
    return np.var(eigen_samples(mp, bits, all_wires), axis=-1)


def _probs(mp, bits, all_wires):
    wires = mp.wires if len(mp.wires) else all_wires
    idx = _index(_bits_of(bits, wires, all_wires))
    k = len(wires)
    if idx.ndim == 1:
        return np.bincount(idx, minlength=2 ** k) / idx.shape[0]
    return np.stack([np.bincount(i, minlength=2 ** k) / i.shape[0] for i in idx])


FROM_SAMPLES = {
    m.SampleMP: _sample,
    m.CountsMP: _counts,
    m.ExpectationMP: _expval,
    m.VarianceMP: _var,
    m.ProbabilityMP: _probs,
}


def measure_with_shots(mps: Sequence, view: StateView, shots: int, rng: np.random.Generator,
                       interface: str, real_dtype: str, like: Any = None, *,
                       probabilities: Callable = marginal_probs) -> list:
    """Estimate each measurement from ``shots`` samples; results in the interface's arrays.

    ``view`` is any state with ``wire_order``, ``n`` and ``apply(gate)``; ``probabilities(view,
    wires)`` gives its basis-state probabilities (density matrices pass their own).
    """
    results: list = [None] * len(mps)
    for group in group_measurements(mps, view.wire_order):
        members = [mps[i] for i in group]
        rotated = rotate_into_eigenbasis(view, members)
        probs = qmath.to_numpy(probabilities(rotated, view.wire_order))
        bits = draw_samples(probs, shots, rng, view.n)
        for i, mp in zip(group, members):
            value = FROM_SAMPLES[type(mp)](mp, bits, view.wire_order)
            results[i] = _wrap(value, mp, interface, real_dtype, like)
    return results


def _wrap(value, mp, interface, real_dtype, like):
    if isinstance(value, (dict, list)):
        return value
    if isinstance(mp, m.SampleMP) and mp.obs is None:
        dtype = "int64"
    else:
        dtype = real_dtype
    arr = np.asarray(value, dtype=dtype)
    if like is not None and qmath.backend_of(like) not in ("numpy", "autograd"):
        return qmath.convert_like(arr, like, dtype)
    return arr
