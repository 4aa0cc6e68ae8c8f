"""PyTorch adapter: the method's derivative registered through ``torch.autograd.Function``.

Circuits run on NumPy copies of the parameters; results come back as tensors on the parameters'
device and dtype. With ``max_diff=2`` the backward pass runs its gradient tapes through this adapter
again, so ``create_graph=True`` (e.g. ``torch.autograd.functional.hessian``) works.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from kettle.core.config import ExecutionConfig
from kettle.core.tape import QuantumTape
from kettle.interfaces import flatten
from kettle.interfaces.boundary import Execution, nested, second_derivative_error


def trainable_indices(tape: QuantumTape) -> list[int]:
    """Parameters torch will differentiate: tensors that require grad, outside ``torch.no_grad()``."""
    if not torch.is_grad_enabled():
        return []
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, torch.Tensor) and p.requires_grad]


def _numpy(params) -> list:
    return [p.detach().cpu().numpy() if isinstance(p, torch.Tensor) else p for p in params]


def execute(tapes: Sequence[QuantumTape], device, config: ExecutionConfig) -> list:
    run = Execution(tapes, device, config)
    flat = _Execute.apply(run, *run.params)
    return run.unflatten(flat)


class _Execute(torch.autograd.Function):
    @staticmethod
    def forward(ctx, run: Execution, *params):
        ctx.run = run
        ctx.save_for_backward(*params)
        single = flatten.single_precision(params)
        flat = run.forward(_numpy(params), np.float32 if single else np.float64)
        return torch.as_tensor(flat, device=params[0].device if params else None)

    @staticmethod
    def backward(ctx, g):
        run: Execution = ctx.run
        params = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: the gradient is differentiated again
            if not run.higher_order:
                raise second_derivative_error(
                    "a differentiable gradient (create_graph=True) was requested")
            grads = run.vjp_nested(g, params, nested(execute, trainable_indices, run.device,
                                                     run.config))
        else:
            grads = [torch.as_tensor(gr, device=g.device)
                     for gr in run.vjp_numpy(g.detach().cpu().numpy(), _numpy(params))]
        grads = [gr.to(p.dtype).reshape(p.shape) for gr, p in zip(grads, params)]
        return (None, *grads)


def classical_jacobian(fn, args: Sequence, argnums: Sequence[int]) -> list:
    """∂fn/∂args[i] for i in ``argnums`` (kept in the autograd graph when gradients are on)."""
    args = list(args)

    def of_selected(*selected):
        full = list(args)
        for i, v in zip(argnums, selected):
            full[i] = v
        return fn(*full)

    jac = torch.autograd.functional.jacobian(of_selected, tuple(args[i] for i in argnums),
                                             create_graph=torch.is_grad_enabled())
    return list(jac)
