"""autograd adapter: the method's derivative registered as the VJP of an autograd primitive.

The primitive takes the trainable tape parameters as positional arguments and returns every result of
every tape flattened into one real vector; the caller reshapes it (differentiably) back. With
``max_diff=2`` the VJP itself runs its gradient tapes through this adapter again, so it is
differentiable once more.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from autograd.extend import defvjp_argnums, primitive
from autograd.numpy.numpy_boxes import ArrayBox

from kettle.core.config import ExecutionConfig
from kettle.core.knumpy import tensor
from kettle.core.tape import QuantumTape
from kettle.interfaces.boundary import Execution, nested, second_derivative_error


def trainable_indices(tape: QuantumTape) -> list[int]:
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, ArrayBox)]


def execute(tapes: Sequence[QuantumTape], device, config: ExecutionConfig) -> list:
    run = Execution(tapes, device, config)
    return run.unflatten(_run(*run.params, run=run))


def _plain(values) -> list:
    """kettle.numpy tensors as plain NumPy views: devices then skip the subclass's per-operation
    bookkeeping of ``requires_grad`` (the flag means nothing below this adapter)."""
    return [v.view(np.ndarray) if isinstance(v, tensor) else v for v in values]


@primitive
def _run(*params, run: Execution):
    return run.forward(_plain(params), float)


def _vjp_maker(argnums, ans, args, kwargs):
    run: Execution = kwargs["run"]

    def vjp(g):
        if run.higher_order:  # keep the boxes: the gradient itself is differentiated later
            grads = run.vjp_nested(g, args, nested(execute, trainable_indices, run.device,
                                                   run.config))
        else:
            if any(isinstance(a, ArrayBox) for a in args):
                raise second_derivative_error()
            grads = run.vjp_numpy(g, _plain(args))
        return tuple(grads[i] for i in argnums)

    return vjp


defvjp_argnums(_run, _vjp_maker)


def classical_jacobian(fn, args: Sequence, argnums: Sequence[int]) -> list:
    """∂fn/∂args[i] for i in ``argnums``, each shaped ``fn's shape + args[i]'s shape``;
    differentiable again when the arguments are being traced by an outer derivative."""
    from autograd import jacobian

    return [jacobian(fn, i)(*args) for i in argnums]
