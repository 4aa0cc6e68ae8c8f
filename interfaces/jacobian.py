"""Jacobians of tapes by each non-backprop method, in the tape-level layout of gradients/transform.py.

Every framework adapter calls :func:`jacobian_fn` and only converts arrays and registers the result
with its framework's autodiff.
"""
from __future__ import annotations

import functools
import warnings
from typing import Callable, Sequence

from kettle.core import qmath
from kettle.core.tape import QuantumTape
from kettle.errors import DiffMethodError, NonDifferentiableError


def jacobian_fn(method: str, device, gradient_kwargs: dict) -> Callable:
    """A function ``(tapes, execute_fn) -> list of Jacobians``.

    ``execute_fn`` runs the gradient tapes; adapters pass a differentiable one for higher order.
    """
    rule = _rule(method, device, gradient_kwargs)

    def jacobians(tapes: Sequence[QuantumTape], execute_fn: Callable) -> list:
        for tape in tapes:
            check_scalar_parameters(tape, method)
        return rule(tapes, execute_fn)

    jacobians.method = method
    return jacobians


def check_scalar_parameters(tape: QuantumTape, method) -> None:
    """The Jacobian layout has one column per trainable parameter: array-valued parameters
    (a Hermitian or QubitUnitary matrix, a StatePrep vector) are differentiated by backprop only."""
    for t in range(len(tape.trainable_params)):
        op, k = tape.get_operation(t)
        if op.ndim_params and op.ndim_params[k] > 0:
            name = method if isinstance(method, str) else getattr(method, "__name__", method)
            raise NonDifferentiableError(
                f"diff_method={name!r} differentiates scalar parameters, but the parameter of "
                f"{op.name} on wires {list(op.wires)} is an array (shape "
                f"{tuple(qmath.shape(op.data[k]))}); use diff_method='backprop' for it, or pass it "
                "as a constant (requires_grad=False, or outside the differentiated arguments)",
                argnum=t)


def _rule(method, device, gradient_kwargs: dict) -> Callable:
    from kettle import gradients
    from kettle.core.qnode import METHOD_OPTIONS

    if callable(method):  # a gradient transform given as the diff method: used as it is
        return _by_transform(method, {})
    if method in ("parameter-shift", "finite-diff", "spsa"):
        transform = {"parameter-shift": gradients.param_shift, "finite-diff": gradients.finite_diff,
                     "spsa": gradients.spsa_grad}[method]
        options = {k: v for k, v in gradient_kwargs.items() if k in METHOD_OPTIONS[method]}
        if gradient_kwargs.get("max_diff", 1) > 1:  # nested differences need a wider step
            from kettle.gradients.finite_diff import SECOND_ORDER_H

            if method == "finite-diff":
                options.setdefault("h", SECOND_ORDER_H)
            elif method == "parameter-shift":  # gates without a shift rule fall back to these
                options["fallback_fn"] = functools.partial(gradients.finite_diff, h=SECOND_ORDER_H)
        return _by_transform(transform, options)
    if method in ("adjoint", "device"):
        def by_device(tapes: Sequence[QuantumTape], execute_fn: Callable) -> list:
            if method == "adjoint" and any(not t.shots.analytic for t in tapes):
                warnings.warn("adjoint differentiation ignores shots: the gradient is analytic while "
                              "the forward values are sampled", UserWarning, stacklevel=4)
            jacs = device.compute_derivatives(tapes, method)
            if method == "adjoint":  # analytic: the same Jacobian for every shot-vector entry
                jacs = [tuple(jac for _ in t.shots.vector) if t.shots.has_vector else jac
                        for t, jac in zip(tapes, jacs)]
            return jacs

        return by_device
    raise DiffMethodError(f"no Jacobian rule for diff_method={method!r}", diff_method=method)


def _by_transform(transform: Callable, options: dict) -> Callable:
    def by_transform(tapes: Sequence[QuantumTape], execute_fn: Callable) -> list:
        pairs = [transform(t, **options) for t in tapes]
        flat = [g for tps, _ in pairs for g in tps]
        results = execute_fn(flat) if flat else []
        out, i = [], 0
        for tps, fn in pairs:
            out.append(fn(results[i:i + len(tps)]))
            i += len(tps)
        return out

    return by_transform
