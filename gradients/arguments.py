"""Derivatives with respect to a QNode's arguments, from derivatives with respect to its gates.

A gradient transform differentiates a tape's gate parameters θ. Applied to a QNode, users want
derivatives with respect to the QNode's arguments x: the chain rule through the classical map
x ↦ θ(x) that the quantum function computes,

    ∂f/∂x = ∂f/∂θ · ∂θ/∂x,
    ∂²f/∂x∂x' = (∂θ/∂x)ᵀ · ∂²f/∂θ∂θ · ∂θ/∂x' + Σ_p ∂f/∂θ_p · ∂²θ_p/∂x∂x'.

The classical Jacobian ∂θ/∂x is computed by the arguments' own framework (``classical_jacobian``
of the framework's adapter), so the result stays differentiable in that framework.
"""
from __future__ import annotations

from typing import Any, Sequence

import autoray as ar
import numpy as np

from kettle.core import qmath


def trainable_arguments(args: Sequence, requires_grad) -> list[int]:
    """Positions of the arguments that are differentiated: floating-point values marked as
    trainable, or every floating-point value when none says either way."""
    def floating(a) -> bool:
        if isinstance(a, bool) or isinstance(a, (list, tuple, dict, str)) or a is None:
            return False
        try:
            return qmath.dtype_name(a).startswith(("float", "bfloat"))
        except Exception:  # objects that are not arrays
            return False

    flags = [requires_grad(a) if floating(a) else False for a in args]
    marked = [i for i, f in enumerate(flags) if f]
    return marked or [i for i, f in enumerate(flags) if f is None]


def gate_parameter_map(qnode, args: Sequence, kwargs: dict, indices: Sequence[int]):
    """``θ(*args)``: the gate parameters at ``indices`` recorded by the QNode, as one vector."""
    def theta(*values):
        tape, _ = qnode.construct(tuple(values), kwargs)
        params = tape.get_parameters(trainable_only=False)
        return qmath.stack_like([params[i] for i in indices])

    return theta


def classical_jacobians(qnode, args: Sequence, kwargs: dict, indices: Sequence[int],
                        argnums: Sequence[int], interface: str) -> list:
    """∂θ/∂args[i] for i in ``argnums``, shaped ``(P,) + args[i].shape``, in the framework of the
    arguments (autograd for NumPy values)."""
    from kettle.interfaces.execute import adapter

    name = interface if interface in qmath.FRAMEWORKS else "autograd"  # NumPy values: autograd
    theta = gate_parameter_map(qnode, args, kwargs, indices)
    jacs = adapter(name).classical_jacobian(theta, list(args), list(argnums))
    out = []
    for i, jac in zip(argnums, jacs):
        if jac is None:  # TF: θ does not depend on this argument
            jac = np.zeros((len(indices),) + tuple(np.shape(args[i])))
        out.append(jac)
    return out


def chain(jac, classical: list, single_argument: bool):
    """∂f/∂θ (measurement shape + (P,)) contracted with each ∂θ/∂x_i ((P,) + x_i's shape)."""
    parts = []
    for c in classical:
        a, b = qmath.match_frameworks(jac, c)
        parts.append(ar.do("tensordot", a, b, axes=1))
    return parts[0] if single_argument else tuple(parts)


def chain_hessian(hess, grad, classical: list, second: list | None, shapes: list,
                  single_argument: bool):
    """Argument Hessians from ∂²f/∂θ² (measurement shape + (P, P)), ∂f/∂θ (measurement shape +
    (P,); only read with ``second``), ∂θ/∂x_i and ∂²θ/∂x_i∂x_j (``second[i][j]``, shaped
    (P,) + x_i's shape + x_j's shape; None for a linear map). ``shapes``: the x_i's shapes."""
    meas = tuple(np.shape(hess))[:-2]
    blocks = []
    for i, ci in enumerate(classical):
        row = []
        for j, cj in enumerate(classical):
            a = np.reshape(qmath.to_numpy(ci), (np.shape(ci)[0], -1))
            b = np.reshape(qmath.to_numpy(cj), (np.shape(cj)[0], -1))
            h, ab = qmath.match_frameworks(hess, np.einsum("pa,qb->pqab", a, b))
            block = ar.do("einsum", "...pq,pqab->...ab", h, ab)
            if second is not None:
                s2 = np.reshape(qmath.to_numpy(second[i][j]), (a.shape[0], a.shape[1], b.shape[1]))
                g, s2 = qmath.match_frameworks(grad, s2)
                block = block + ar.do("einsum", "...p,pab->...ab", g, s2)
            row.append(ar.do("reshape", block, meas + tuple(shapes[i]) + tuple(shapes[j])))
        blocks.append(row)
    if single_argument:
        return blocks[0][0]
    return tuple(tuple(r) for r in blocks)


def is_constant(x: Any) -> bool:
    """Whether an array is identically zero (a linear classical map has no second derivative)."""
    return not np.any(np.asarray(qmath.to_numpy(x)))
