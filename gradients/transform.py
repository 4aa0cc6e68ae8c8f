"""Shared machinery of gradient transforms: validation, tape/QNode dispatch, result layout.

A gradient transform is pure: ``transform(tape, **options) -> (tapes, fn)``; ``fn(results)`` turns
the results of ``tapes`` into the Jacobian of the tape: a tuple over measurements of tuples over
trainable parameters (one more tuple level outside for shot vectors). Applied to a QNode, the
transform gives a function of the QNode's arguments returning, per measurement, an array of shape
``measurement shape + (number of trainable gate parameters,)``.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import autoray as ar

from kettle.core import broadcast, qmath
from kettle.core.measurements import CountsMP, SampleMP
from kettle.core.tape import QuantumTape
from kettle.errors import NonDifferentiableError


def check_differentiable(tape: QuantumTape, method: str, unsupported: dict[type, str]) -> None:
    for mp in tape.measurements:
        if isinstance(mp, (SampleMP, CountsMP)):
            raise NonDifferentiableError(
                f"{mp.return_type}() is not differentiable: samples are random outcomes, not smooth "
                "functions of the parameters; differentiate expval, var or probs instead")
        for cls, hint in unsupported.items():
            if isinstance(mp, cls):
                raise NonDifferentiableError(
                    f"{method} cannot differentiate {mp.return_type}(); {hint}")


def per_shot_entry(tape: QuantumTape, fn: Callable) -> Callable:
    """Apply a single-shot-setting post-processing to each shot-vector entry."""
    if not tape.shots.has_vector:
        return fn

    def split(results):
        n = len(tape.shots.vector)
        return tuple(fn([r[k] for r in results]) for k in range(n))

    return split


def trainable_indices(tape: QuantumTape) -> list[int]:
    """Gate parameters that require gradients; all gate parameters when no value says either way.

    Parameters of measured observables are never selected (gradients are with respect to gates).
    """
    n_gate = sum(len(op.data) for op in tape.operations)
    params = tape.get_parameters(trainable_only=False)[:n_gate]
    marked = [i for i, p in enumerate(params) if _requires_grad(p)]
    if marked:
        return marked
    return [i for i, p in enumerate(params) if _requires_grad(p) is None]


def _requires_grad(p: Any) -> bool | None:
    flag = getattr(p, "requires_grad", None)
    if flag is not None:
        return bool(flag)
    if qmath.backend_of(p) in qmath.TRACES_EVERYTHING:
        return True
    return None  # NumPy values and Python numbers say neither way


def stack_jacobian(jac: tuple, single_measurement: bool):
    """Tuple over measurements of tuples over parameters → arrays with the parameter axis last.

    Transforms whose tape-level result is already stacked per measurement (param_shift_hessian: one
    array, or a tuple of arrays, of shape ``measurement shape + (P, P)``) pass through unchanged.
    """
    if not isinstance(jac, (tuple, list)):
        return jac if single_measurement else (jac,)
    out = []
    for per_param in jac:
        if not isinstance(per_param, (tuple, list)):
            out.append(per_param)
            continue
        if len(per_param) == 0:
            out.append(per_param)
            continue
        out.append(ar.do("stack", list(per_param), axis=-1, like=per_param[0]))
    return out[0] if single_measurement else tuple(out)


def gradient_transform(transform: Callable) -> Callable:
    """Make ``transform(tape, ...)`` also accept a QNode (returning a Jacobian function)."""

    @functools.wraps(transform)
    def wrapper(target, *t_args, **t_kwargs):
        from kettle.core.qnode import QNode

        if isinstance(target, QuantumTape):
            return transform(target, *t_args, **t_kwargs)
        if isinstance(target, QNode):
            return _qnode_jacobian(target, transform, t_args, t_kwargs)
        raise TypeError(f"{transform.__name__} takes a QuantumTape or a QNode, got {target!r}")

    return wrapper


def _qnode_jacobian(qnode, transform, t_args, t_kwargs) -> Callable:
    """The transform applied to the QNode's own gates (so the Jacobian's columns do not depend on
    how a device decomposes them); the gradient tapes are preprocessed and run through the QNode's
    execute boundary, so the Jacobian is differentiable in the arguments' framework."""
    def shaped(tape, jac, structure):  # the QNode's return structure is known once recorded
        single = not isinstance(structure, (list, tuple))
        if tape.shots.has_vector:
            return tuple(stack_jacobian(j, single) for j in jac)
        res = stack_jacobian(jac, single)
        return list(res) if isinstance(structure, list) else res

    @functools.wraps(qnode)
    def jacobian_fn(*args, **kwargs):
        from kettle.core.qnode import leaf_values

        detected = qmath.get_interface(*leaf_values(args), *leaf_values(tuple(kwargs.values())))
        tape, structure = qnode.construct(args, kwargs)
        interface = qnode.call_interface(detected, tape)
        split = broadcast.needs_split(qnode.device, tape)
        entries = []  # per circuit: (tape, its gradient tapes, post-processing)
        for entry in broadcast.split(tape) if split else [tape]:
            entry.trainable_params = trainable_indices(entry)
            tapes, fn = transform(entry, *t_args, **t_kwargs)
            entries.append((entry, [qnode.device.preprocess(t) for t in tapes], fn))
        results = qnode.execute([t for _, tapes, _ in entries for t in tapes], interface)
        jacobians, start = [], 0
        for entry, tapes, fn in entries:
            jacobians.append(shaped(entry, fn(results[start:start + len(tapes)]), structure))
            start += len(tapes)
        return broadcast.stack(jacobians) if split else jacobians[0]

    return jacobian_fn

