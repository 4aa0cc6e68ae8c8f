"""Finite-shot measurements: draw outcomes from the probabilities, then estimate.

Measurements whose observables can be diagonalized together share one draw, so ``sample(Z(0)),
sample(Z(1))`` stay correlated shot by shot. A draw is a vector of counts over the basis states of
the wires the group reads, taken with one ``rng.multinomial``: expectation values, variances,
probabilities and counts are functions of those counts, so their cost does not grow with the number
of shots and nothing of that size is allocated. Individual outcomes are drawn only for ``sample()``.

Tapes with more than ``shot_chunk`` shots (10**7 unless the device says otherwise) are drawn in
chunks, chunk ``j`` from the ``j``-th child of the tape's generator, and the chunks' estimates are
combined by :func:`combine`; devices/dispatch.py runs such chunks on different workers and combines
them with the same function, so results do not depend on where they ran.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from kettle.core import measurements as m
from kettle.core import qmath, queuing
from kettle.core.ops.observables import Tensor
from kettle.core.wires import Wires
from kettle.devices import seeding
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


def _groups(mps: Sequence, all_wires: Wires) -> list[tuple[dict, list[int]]]:
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
    return groups


def group_measurements(mps: Sequence, all_wires: Wires) -> list[list[int]]:
    """Indices of measurements that can share samples."""
    return [members for _, members in _groups(mps, all_wires)]


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


def _normalized(probs: np.ndarray) -> np.ndarray:
    p = np.clip(np.real(np.asarray(probs, dtype=float)), 0, None)
    return p / p.sum(axis=-1, keepdims=True)


def draw_indices(probs: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Basis-state indices of shape (batch?, shots) drawn from probabilities (batch?, 2**k)."""
    p = _normalized(probs)
    if p.ndim == 1:
        return rng.choice(p.shape[0], size=shots, p=p)
    return np.stack([rng.choice(row.shape[0], size=shots, p=row) for row in p])


def draw_counts(probs: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """How often each basis state occurs in ``shots`` draws: one multinomial per batch row."""
    return rng.multinomial(shots, _normalized(probs)).astype(np.int64)


def draw_samples(probs: np.ndarray, shots: int, rng: np.random.Generator, n: int) -> np.ndarray:
    """Bits of shape (batch?, shots, n) drawn from basis-state probabilities."""
    return _bits(draw_indices(probs, shots, rng), n)


def _bits(idx: np.ndarray, n: int) -> np.ndarray:
    shifts = np.arange(n - 1, -1, -1)
    return ((idx[..., None] >> shifts) & 1).astype(np.int64)


def _bits_of(bits: np.ndarray, wires, all_wires: Wires) -> np.ndarray:
    wires = Wires(wires) if len(wires) else all_wires
    return bits[..., [all_wires.index(w) for w in wires]]


def _index(bits: np.ndarray) -> np.ndarray:
    k = bits.shape[-1]
    return bits @ (2 ** np.arange(k - 1, -1, -1))


def _eigvals(mp) -> np.ndarray:
    return np.real(qmath.to_numpy(mp.obs.eigvals()))


def eigen_samples(mp, bits: np.ndarray, all_wires: Wires) -> np.ndarray:
    """Eigenvalues of the observable, one per shot."""
    return _eigvals(mp)[_index(_bits_of(bits, mp.obs.wires, all_wires))]


def marginal_counts(counts: np.ndarray, group_wires: Wires, wires, xp: Any = np) -> np.ndarray:
    """Counts over the basis states of ``wires`` (in that order) from counts over ``group_wires``
    (``xp``: the array module, NumPy or ``jax.numpy``)."""
    wires = Wires(wires) if len(wires) else group_wires
    k = len(group_wires)
    lead = counts.shape[:-1]
    c = counts.reshape(lead + (2,) * k)
    keep = [group_wires.index(w) for w in wires]
    off = len(lead)
    drop = tuple(i + off for i in range(k) if i not in keep)
    if drop:
        c = c.sum(axis=drop)
    remaining = sorted(keep)
    perm = [remaining.index(i) + off for i in keep]
    if perm != sorted(perm):
        c = xp.transpose(c, tuple(range(off)) + tuple(perm))
    return c.reshape(lead + (2 ** len(wires),))


# ---------------------------------------------------------------- estimates from counts


def _counts_dict(c: np.ndarray, keys: list, all_outcomes: bool) -> dict:
    out: dict = {}
    for key, n in zip(keys, c.tolist()):
        if n or all_outcomes:
            out[key] = out.get(key, 0) + int(n)
    return dict(sorted(out.items()))


def _counts(mp, counts, gw, shots):
    if mp.obs is None:
        c = marginal_counts(counts, gw, mp.wires)
        k = len(mp.wires) or len(gw)
        keys = [format(i, f"0{k}b") for i in range(2 ** k)]
    else:
        c = marginal_counts(counts, gw, mp.obs.wires)
        keys = [float(v) for v in _eigvals(mp)]
    if c.ndim == 2:
        return [_counts_dict(row, keys, mp.all_outcomes) for row in c]
    return _counts_dict(c, keys, mp.all_outcomes)


def _expval(mp, counts, gw, shots):
    return marginal_counts(counts, gw, mp.obs.wires) @ _eigvals(mp) / shots


def _var(mp, counts, gw, shots):
    c = marginal_counts(counts, gw, mp.obs.wires)
    ev = _eigvals(mp)
    mean = c @ ev / shots
    return np.clip(c @ (ev * ev) / shots - mean * mean, 0, None)


def _probs(mp, counts, gw, shots):
    wires = mp.wires if len(mp.wires) else gw
    return marginal_counts(counts, gw, wires) / shots


#: estimates from the counts over a group's wires: f(mp, counts, group wires, shots)
FROM_COUNTS = {
    m.CountsMP: _counts,
    m.ExpectationMP: _expval,
    m.VarianceMP: _var,
    m.ProbabilityMP: _probs,
}


def _sample(mp, idx, gw):
    bits = _bits(idx, len(gw))
    if mp.obs is not None:
        return eigen_samples(mp, bits, gw)
    b = _bits_of(bits, mp.wires, gw)
    return b[..., 0] if b.shape[-1] == 1 else b


# ---------------------------------------------------------------- chunks


def split_shots(shots: int, chunk: int) -> list[int]:
    """Shot counts of the chunks of one draw: ``chunk`` each, the remainder last."""
    sizes = [chunk] * (shots // chunk)
    if shots % chunk:
        sizes.append(shots % chunk)
    return sizes


def augmented(mps: Sequence) -> list:
    """The measurements a chunk estimates: ``mps`` and, per variance, the mean it is pooled with."""
    with queuing.stop_recording():
        means = [m.ExpectationMP(obs=mp.obs) for mp in mps if isinstance(mp, m.VarianceMP)]
    return list(mps) + means


def combine(mps: Sequence, parts: Sequence[Sequence], sizes: Sequence[int], batched: bool) -> list:
    """One result per measurement from per-chunk results of :func:`augmented` measurements.

    Means and probabilities are shot-weighted averages, variances pooled with their chunk means,
    samples concatenated and counts added, always in chunk order.
    """
    total = float(sum(sizes))
    weights = [s / total for s in sizes]
    n_var = 0
    out = []
    for i, mp in enumerate(mps):
        column = [part[i] for part in parts]
        if isinstance(mp, m.SampleMP):
            out.append(np.concatenate([np.asarray(c) for c in column], axis=1 if batched else 0))
        elif isinstance(mp, m.CountsMP):
            out.append(_add_counts(column))
        elif isinstance(mp, m.VarianceMP):
            means = [np.asarray(part[len(mps) + n_var]) for part in parts]
            n_var += 1
            mean = sum(w * mu for w, mu in zip(weights, means))
            second = sum(w * (np.asarray(v) + mu * mu) for w, v, mu in zip(weights, column, means))
            out.append(np.asarray(np.clip(second - mean * mean, 0, None), np.asarray(column[0]).dtype))
        else:
            value = sum(w * np.asarray(c) for w, c in zip(weights, column))
            out.append(np.asarray(value, np.asarray(column[0]).dtype))
    return out


def _add_counts(column: list):
    if isinstance(column[0], list):
        return [_add_counts(list(rows)) for rows in zip(*column)]
    out: dict = {}
    for d in column:
        for key, n in d.items():
            out[key] = out.get(key, 0) + n
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- measuring


def group_probabilities(mps, view, probabilities, to_array: Callable = qmath.to_numpy) -> list:
    """Per group of measurements sharing a draw: (member indices, the group's wires, the
    probabilities of their basis states after rotating into the group's eigenbasis)."""
    out = []
    for claims, members in _groups(mps, view.wire_order):
        gw = Wires(list(claims))
        rotated = rotate_into_eigenbasis(view, [mps[i] for i in members])
        if len(gw):
            probs = to_array(probabilities(rotated, gw))
        else:  # only identities: one certain outcome
            probs = np.ones((qmath.shape(view.state)[0], 1) if view.batched else (1,))
        out.append((members, gw, probs))
    return out


def _estimate(mps, groups, shots: int, rng: np.random.Generator, real_dtype: str) -> list:
    values: list = [None] * len(mps)
    for members, gw, probs in groups:
        if any(isinstance(mps[i], m.SampleMP) for i in members):
            idx = draw_indices(probs, shots, rng)
            size = probs.shape[-1]
            counts = np.stack([np.bincount(r, minlength=size) for r in idx]) if idx.ndim == 2 \
                else np.bincount(idx, minlength=size)
        else:
            idx, counts = None, draw_counts(probs, shots, rng)
        for i in members:
            mp = mps[i]
            if isinstance(mp, m.SampleMP):
                value = _sample(mp, idx, gw)
            else:
                value = FROM_COUNTS[type(mp)](mp, counts, gw, shots)
            values[i] = _plain(value, mp, real_dtype)
    return values


def _plain(value, mp, real_dtype):
    if isinstance(value, (dict, list)):
        return value
    dtype = "int64" if isinstance(mp, m.SampleMP) and mp.obs is None else real_dtype
    return np.asarray(value, dtype=dtype)


def measure_with_shots(mps: Sequence, view: StateView, shots: int, rng: Any,
                       interface: str, real_dtype: str, like: Any = None, *,
                       probabilities: Callable = marginal_probs) -> list:
    """Estimate each measurement from ``shots`` draws; results in the interface's arrays.

    ``view`` is any state with ``wire_order``, ``n`` and ``apply(gate)``; ``probabilities(view,
    wires)`` gives its basis-state probabilities (density matrices pass their own). ``rng`` is a
    NumPy Generator, or a sampler with its own ``measure_with_shots`` (a JAX key,
    interfaces/jax_sampling.py).
    """
    if not isinstance(rng, np.random.Generator):
        return rng.measure_with_shots(mps, view, shots, real_dtype, probabilities=probabilities)
    sizes = split_shots(shots, seeding.shot_chunk())
    if len(sizes) == 1:
        values = _estimate(mps, group_probabilities(mps, view, probabilities), shots, rng,
                           real_dtype)
    else:
        ext = augmented(mps)
        groups = group_probabilities(ext, view, probabilities)
        parts = [_estimate(ext, groups, s, r, real_dtype) for s, r in zip(sizes, rng.spawn(len(sizes)))]
        values = combine(mps, parts, sizes, view.batched)
    return [_wrap(v, mp, real_dtype, like) for v, mp in zip(values, mps)]


def _wrap(value, mp, real_dtype, like):
    if isinstance(value, (dict, list)):
        return value
    arr = _plain(value, mp, real_dtype)
    if like is not None and qmath.backend_of(like) not in ("numpy", "autograd"):
        return qmath.convert_like(arr, like, str(arr.dtype))
    return arr
