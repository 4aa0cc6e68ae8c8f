"""Bookkeeping shared by the framework adapters: bind parameters, flatten results, VJP columns.

Adapters pass every result of every tape across the framework boundary as one flat real vector;
these helpers build it, rebuild the nested result structure, and contract Jacobians with the
incoming cotangent. They work on any framework's arrays through autoray.
"""
from __future__ import annotations

from typing import Sequence

import autoray as ar
import numpy as np

from kettle.core import measurements as m
from kettle.core import qmath
from kettle.core.tape import QuantumTape


class Shape(tuple):
    """Shape of one result leaf (a tuple that is not a container of results)."""

    is_complex = False


class ComplexShape(Shape):
    """Shape of a complex leaf, carried as a real segment followed by an imaginary one."""

    is_complex = True


def leaves(res) -> list:
    if isinstance(res, (tuple, list)) and not isinstance(res, Shape):
        return [leaf for r in res for leaf in leaves(r)]
    return [res]


def shapes(res):
    if isinstance(res, (tuple, list)):
        return tuple(shapes(r) for r in res)
    cls = ComplexShape if qmath.dtype_name(res).startswith("complex") else Shape
    return cls(np.shape(res))


def rebuild(template, it):
    if isinstance(template, (tuple, list)) and not isinstance(template, Shape):
        return type(template)(rebuild(t, it) for t in template)
    return next(it)


def size_of(template) -> int:
    return sum(int(np.prod(s)) * (2 if s.is_complex else 1) for s in leaves(template))


def single_precision(params: Sequence) -> bool:
    """Whether every differentiated parameter is float32: the results are then float32 too, else
    float64 (as backprop promotes)."""
    return bool(params) and all(qmath.dtype_name(p) == "float32" for p in params)


def with_trainable(tapes: Sequence[QuantumTape], indices_fn) -> list[QuantumTape]:
    """The tapes with ``trainable_params`` set by ``indices_fn``, copied where that changes them.

    The caller's tapes are never modified: a gradient transform may pass its own input tape among
    its gradient tapes and still read that tape's trainable parameters afterwards.
    """
    out = []
    for t in tapes:
        indices = indices_fn(t)
        if indices != t.trainable_params:
            t = t.copy()
            t.trainable_params = indices
        out.append(t)
    return out


def bind(tapes: Sequence[QuantumTape], params: Sequence) -> list[QuantumTape]:
    """Tapes with their trainable parameters replaced, in order, by ``params``."""
    out, i = [], 0
    for t in tapes:
        n = len(t.trainable_params)
        out.append(t.bind_new_parameters(list(params[i:i + n])) if n else t)
        i += n
    return out


def flat_numpy(results, dtype) -> np.ndarray:
    parts = []
    for r in results:
        for x in leaves(r):
            x = np.asarray(x)
            if np.iscomplexobj(x):
                parts += [np.ravel(x.real.astype(dtype)), np.ravel(x.imag.astype(dtype))]
            else:
                parts.append(np.ravel(x.astype(dtype)))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def _to_complex(re, im):
    if ar.infer_backend(re) == "tensorflow":
        return ar.do("complex", re, im, like="tensorflow")
    return re + 1j * im


def unflatten(flat, templates, batch=None) -> list:
    """Nested per-tape results from one flat vector (differentiable slicing and reshapes).

    ``batch``: the run-time batch size (a scalar tensor) for templates whose batch axis is only
    known when a graph runs (a ``-1`` in the shape).
    """
    out, start = [], 0
    for tmpl in templates:
        pieces = []
        for shape in leaves(tmpl):
            known = int(np.prod([d for d in shape if d != -1]))
            size = known * batch if -1 in shape else known
            leaf = ar.do("reshape", flat[start:start + size], tuple(shape))
            start += size
            if shape.is_complex:
                leaf = _to_complex(leaf, ar.do("reshape", flat[start:start + size], tuple(shape)))
                start += size
            pieces.append(leaf)
        out.append(rebuild(tmpl, iter(pieces)))
    return out


def columns(jac, n_params: int, template) -> list:
    """Per trainable parameter, the flattened derivative of every result leaf (tape layout), with
    complex leaves split into real and imaginary segments like the results."""
    def per_param(j, t):
        if isinstance(j, tuple) and j and isinstance(j[0], tuple) and j[0] and isinstance(j[0][0], tuple):
            return [x for entry in j for x in per_param(entry, t)]  # shot-vector entries
        return [ar.do("reshape", row[t], (-1,)) for row in j]

    kinds = [s.is_complex for s in leaves(template)]
    out = []
    for t in range(n_params):
        parts = []
        for col, is_complex in zip(per_param(jac, t), kinds):
            parts += [ar.numpy.real(col), ar.numpy.imag(col)] if is_complex else [col]
        out.append(ar.do("concatenate", parts, axis=0))
    return out


def batched_params(tape: QuantumTape) -> list[bool]:
    """Which trainable parameters carry a batch axis (one value per broadcast circuit)."""
    flags = []
    for t in range(len(tape.trainable_params)):
        op, k = tape.get_operation(t)
        nd = op.ndim_params[k] if k < len(op.ndim_params) else 0
        flags.append(qmath.ndim(op.data[k]) > nd)
    return flags


def segments(template) -> list[tuple[int, tuple]]:
    """(start, shape) of every real segment of a tape's flat results (complex leaves give two)."""
    out, start = [], 0
    for shape in leaves(template):
        for _ in range(2 if shape.is_complex else 1):
            out.append((start, tuple(shape)))
            start += int(np.prod(shape))
    return out


def batch_rows(template) -> np.ndarray:
    """For every position of a batched tape's flat results, the batch entry it belongs to."""
    rows = [np.repeat(np.arange(shape[0]), int(np.prod(shape[1:])))
            for _, shape in segments(template)]
    return np.concatenate(rows) if rows else np.zeros(0, dtype=int)


def vjp(g, tapes, jacs, templates) -> list:
    """⟨g, ∂results/∂θ⟩ for every trainable parameter of every tape, in order.

    A batched parameter's entry b only moves the results of batch entry b (its Jacobian column
    holds those derivatives), so its cotangent is summed per batch row.
    """
    grads, offset = [], 0
    for t, jac, tmpl in zip(tapes, jacs, templates):
        size = size_of(tmpl)
        seg = g[offset:offset + size]
        cols = columns(jac, len(t.trainable_params), tmpl)
        for col, batched in zip(cols, batched_params(t)):
            part, col = qmath.match_frameworks(seg, col)
            prod = part * col
            if not batched:
                grads.append(ar.do("sum", prod))
                continue
            per_row = [ar.do("sum", ar.do("reshape", prod[s:s + int(np.prod(shape))],
                                          (shape[0], -1)), axis=1)
                       for s, shape in segments(tmpl)]
            grads.append(sum(per_row[1:], per_row[0]))
        offset += size
    return grads


def result_template(tape: QuantumTape, n_wires: int):
    """Shapes of a tape's results, known before running it."""
    lead = (tape.batch_size,) if tape.batch_size else ()

    def one(mp):
        if isinstance(mp, m.ProbabilityMP):
            k = len(mp.wires) or n_wires
            return Shape(lead + (2 ** k,))
        if isinstance(mp, m.StateMP):
            return ComplexShape(lead + (2 ** n_wires,))
        if isinstance(mp, m.DensityMatrixMP):
            d = 2 ** len(mp.wires)
            return ComplexShape(lead + (d, d))
        return Shape(lead)

    per_entry = tuple(one(mp) for mp in tape.measurements)
    if tape.shots.has_vector:
        return tuple(per_entry for _ in tape.shots.vector)
    return per_entry
