"""autograd adapter: the quantum Jacobian registered as the VJP of an autograd primitive.

The primitive takes the trainable tape parameters as positional arguments and returns every result of
every tape flattened into one real vector; the caller reshapes it (differentiably) back. With
``max_diff=2`` the VJP itself runs its gradient tapes through this adapter again, so it is
differentiable once more.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from autograd.extend import defvjp_argnums, primitive
from autograd.numpy.numpy_boxes import ArrayBox

from kettle.core.knumpy import tensor
from kettle.core.tape import QuantumTape
from kettle.errors import DiffMethodError
from kettle.interfaces import flatten


def trainable_indices(tape: QuantumTape) -> list[int]:
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, ArrayBox)]


def execute(tapes: Sequence[QuantumTape], device, jac_fn: Callable, max_diff: int = 1) -> list:
    tapes = flatten.with_trainable(tapes, trainable_indices)
    params = [p for t in tapes for p in t.get_parameters()]
    templates: list = []
    flat = _run(*params, tapes=tuple(tapes), device=device, jac_fn=jac_fn, max_diff=max_diff,
                templates=templates)
    return flatten.unflatten(flat, templates)


def _plain(values) -> list:
    """kettle.numpy tensors as plain NumPy views: devices then skip the subclass's per-operation
    bookkeeping of ``requires_grad`` (the flag means nothing below this adapter)."""
    return [v.view(np.ndarray) if isinstance(v, tensor) else v for v in values]


@primitive
def _run(*params, tapes, device, jac_fn, max_diff, templates):
    results = device.execute(flatten.bind(tapes, _plain(params)))
    templates[:] = [flatten.shapes(r) for r in results]
    return flatten.flat_numpy(results, float)


def _vjp_maker(argnums, ans, args, kwargs):
    tapes, device, jac_fn, max_diff = (kwargs[k] for k in ("tapes", "device", "jac_fn", "max_diff"))
    cache: dict = {}  # kt.jacobian calls the VJP once per output element: one Jacobian serves all

    def jacobians():
        if "jacs" not in cache:
            if max_diff > 1:  # keep the boxes: the Jacobian itself is differentiated later
                bound = flatten.bind(tapes, args)
                jacs = jac_fn(bound, lambda ts: execute(ts, device, jac_fn, max_diff - 1))
            else:
                if any(isinstance(a, ArrayBox) for a in args):
                    raise DiffMethodError(
                        "a second derivative was requested, but the QNode was created with "
                        "max_diff=1; pass max_diff=2 (parameter-shift) or use diff_method='backprop'",
                        diff_method="max_diff")
                bound = flatten.bind(tapes, _plain(args))
                jacs = jac_fn(bound, device.execute)
            cache["jacs"], cache["bound"] = jacs, bound
        return cache["bound"], cache["jacs"]

    def vjp(g):
        bound, jacs = jacobians()
        grads = flatten.vjp(g, bound, jacs, kwargs["templates"])
        return tuple(grads[i] for i in argnums)

    return vjp


defvjp_argnums(_run, _vjp_maker)
