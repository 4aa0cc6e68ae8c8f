"""PyTorch adapter: the quantum Jacobian registered through ``torch.autograd.Function``.

Circuits run on NumPy copies of the parameters; results come back as tensors on the parameters'
device and dtype. With ``max_diff=2`` the backward pass runs its gradient tapes through this adapter
again, so ``create_graph=True`` (e.g. ``torch.autograd.functional.hessian``) works.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch

from kettle.core.tape import QuantumTape
from kettle.errors import DiffMethodError
from kettle.interfaces import flatten


def trainable_indices(tape: QuantumTape) -> list[int]:
    """Parameters torch will differentiate: tensors that require grad, outside ``torch.no_grad()``."""
    if not torch.is_grad_enabled():
        return []
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, torch.Tensor) and p.requires_grad]


def _numpy(params) -> list:
    return [p.detach().cpu().numpy() if isinstance(p, torch.Tensor) else p for p in params]


def execute(tapes: Sequence[QuantumTape], device, jac_fn: Callable, max_diff: int = 1) -> list:
    tapes = flatten.with_trainable(tapes, trainable_indices)
    params = [p for t in tapes for p in t.get_parameters()]
    info = {"tapes": tuple(tapes), "device": device, "jac_fn": jac_fn, "max_diff": max_diff,
            "templates": []}
    flat = _Execute.apply(info, *params)
    return flatten.unflatten(flat, info["templates"])


class _Execute(torch.autograd.Function):
    @staticmethod
    def forward(ctx, info, *params):
        ctx.info = info
        ctx.save_for_backward(*params)
        results = info["device"].execute(flatten.bind(info["tapes"], _numpy(params)))
        info["templates"][:] = [flatten.shapes(r) for r in results]
        single = flatten.single_precision(params)
        flat = flatten.flat_numpy(results, np.float32 if single else np.float64)
        return torch.as_tensor(flat, device=params[0].device if params else None)

    @staticmethod
    def backward(ctx, g):
        info = ctx.info
        params = ctx.saved_tensors
        device, jac_fn = info["device"], info["jac_fn"]
        higher = torch.is_grad_enabled()  # create_graph=True: the gradient is differentiated again
        if higher and info["max_diff"] < 2:
            raise DiffMethodError(
                "a differentiable gradient (create_graph=True) was requested, but the QNode was "
                "created with max_diff=1; pass max_diff=2 (parameter-shift) or use "
                "diff_method='backprop'", diff_method="max_diff")
        if not hasattr(ctx, "jacs"):  # jacobian() calls backward once per output element
            if higher:
                bound = flatten.bind(info["tapes"], params)
                jacs = jac_fn(bound, lambda ts: execute(ts, device, jac_fn, info["max_diff"] - 1))
            else:
                bound = flatten.bind(info["tapes"], _numpy(params))
                jacs = jac_fn(bound, device.execute)
            ctx.bound, ctx.jacs = bound, jacs
        grads = flatten.vjp(g, ctx.bound, ctx.jacs, info["templates"])
        grads = [gr.to(p.dtype).reshape(p.shape) for gr, p in zip(grads, params)]
        return (None, *grads)
