"""autograd adapter: the quantum Jacobian registered as the VJP of an autograd primitive.

The primitive takes the trainable tape parameters as positional arguments and returns every result of
every tape flattened into one real vector; the caller reshapes it (differentiably) back. With
``max_diff=2`` the VJP itself runs its gradient tapes through this adapter again, so it is
differentiable once more.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp_argnums, primitive
from autograd.numpy.numpy_boxes import ArrayBox

from kettle.core.tape import QuantumTape


def trainable_indices(tape: QuantumTape) -> list[int]:
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, ArrayBox)]


class _Shape(tuple):
    """Shape of one result leaf (a tuple that is not a container of results)."""


def _leaves(res) -> list:
    if isinstance(res, (tuple, list)) and not isinstance(res, _Shape):
        return [leaf for r in res for leaf in _leaves(r)]
    return [res]


def _rebuild(template, it):
    if isinstance(template, (tuple, list)) and not isinstance(template, _Shape):
        return type(template)(_rebuild(t, it) for t in template)
    return next(it)


def _flat_columns(jac, n_params: int) -> list:
    """Per trainable parameter, the flattened derivative of every result leaf."""
    def leaves_for(j, t):
        # j: tuple over measurements (maybe inside tuple over shot entries) of tuples over params
        if isinstance(j, tuple) and j and isinstance(j[0], tuple) and j[0] and isinstance(j[0][0], tuple):
            return [x for entry in j for x in leaves_for(entry, t)]
        return [anp.reshape(row[t], (-1,)) for row in j]

    return [anp.concatenate(leaves_for(jac, t)) for t in range(n_params)]


def execute(tapes: Sequence[QuantumTape], device, jac_fn: Callable, max_diff: int = 1) -> list:
    for t in tapes:
        t.trainable_params = trainable_indices(t)
    params = [p for t in tapes for p in t.get_parameters()]
    templates: list = []
    flat = _run(*params, tapes=tuple(tapes), device=device, jac_fn=jac_fn, max_diff=max_diff,
                templates=templates)
    out, start = [], 0
    for tmpl in templates:
        pieces = []
        for shape in _leaves(tmpl):
            size = int(np.prod(shape))
            pieces.append(anp.reshape(flat[start:start + size], shape))
            start += size
        out.append(_rebuild(tmpl, iter(pieces)))
    return out


def _bind(tapes, params):
    out, i = [], 0
    for t in tapes:
        n = len(t.trainable_params)
        out.append(t.bind_new_parameters(list(params[i:i + n])) if n else t)
        i += n
    return out


@primitive
def _run(*params, tapes, device, jac_fn, max_diff, templates):
    results = device.execute(_bind(tapes, params))
    templates[:] = [_shapes(r) for r in results]
    leaves = [np.ravel(np.asarray(x, dtype=float)) for r in results for x in _leaves(r)]
    return np.concatenate(leaves) if leaves else np.zeros(0)


def _shapes(res):
    if isinstance(res, (tuple, list)):
        return tuple(_shapes(r) for r in res)
    return _Shape(np.shape(res))


def _vjp_maker(argnums, ans, args, kwargs):
    tapes, device, jac_fn, max_diff = (kwargs[k] for k in ("tapes", "device", "jac_fn", "max_diff"))

    def vjp(g):
        bound = _bind(tapes, args)
        if max_diff > 1:
            def run(ts):
                return execute(ts, device, jac_fn, max_diff - 1)
        else:
            bound = _bind(tapes, [_unbox(a) for a in args])

            def run(ts):
                return device.execute(ts)
        jacs = jac_fn(bound, run)
        grads, offset_out = [], 0
        for t, jac, tmpl in zip(bound, jacs, kwargs["templates"]):
            size = sum(int(np.prod(s)) for s in _leaves(tmpl))
            seg = g[offset_out:offset_out + size]
            for column in _flat_columns(jac, len(t.trainable_params)):
                grads.append(anp.sum(seg * column))
            offset_out += size
        return tuple(grads[i] for i in argnums)

    return vjp


def _unbox(x: Any) -> Any:
    while isinstance(x, ArrayBox):
        x = x._value
    return x


defvjp_argnums(_run, _vjp_maker)
