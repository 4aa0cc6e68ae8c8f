"""Shared machinery of gradient transforms: validation, tape/QNode dispatch, result layout.

A gradient transform is pure: ``transform(tape, **options) -> (tapes, fn)``; ``fn(results)`` turns
the results of ``tapes`` into the Jacobian of the tape: a tuple over measurements of tuples over
trainable parameters (one more tuple level outside for shot vectors). Applied to a QNode, the
transform gives a function of the QNode's arguments returning, per measurement, the derivative by
each trainable argument (shape ``measurement shape + argument shape``; a tuple over arguments when
several are trainable), as users of such transforms expect.
"""
from __future__ import annotations

import functools
import warnings
from typing import Any, Callable

import autoray as ar
import numpy as np

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
            return _qnode_jacobian(target, transform, t_args, t_kwargs,
                                   getattr(wrapper, "derivative_order", 1))
        raise TypeError(f"{transform.__name__} takes a QuantumTape or a QNode, got {target!r}")

    return wrapper


def _qnode_jacobian(qnode, transform, t_args, t_kwargs, order: int = 1) -> Callable:
    """The transform applied to the QNode's own gates (so the Jacobian's columns do not depend on
    how a device decomposes them), then the chain rule through the classical map from the QNode's
    arguments to those gate parameters (gradients/arguments.py). The gradient tapes are
    preprocessed and run through the QNode's execute boundary, so the result is differentiable
    in the arguments' framework. Broadcast circuits keep one column per gate parameter."""
    def shaped(tape, jac, structure, to_args):  # the return structure is known once recorded
        single = not isinstance(structure, (list, tuple))
        if tape.shots.has_vector:
            return tuple(shaped(tape.copy(shots=None), j, structure, to_args) for j in jac)
        res = stack_jacobian(jac, single)
        if to_args is not None:
            res = to_args(res) if single else type(res)(to_args(r) for r in res)
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
        to_args = None
        if tape.batch_size is None:
            to_args = _argument_chain(qnode, args, kwargs, entries[0][0], interface, order)
        results = qnode.execute([t for _, tapes, _ in entries for t in tapes], interface)
        jacobians, start = [], 0
        for entry, tapes, fn in entries:
            jacobians.append(shaped(entry, fn(results[start:start + len(tapes)]), structure,
                                    to_args))
            start += len(tapes)
        return broadcast.stack(jacobians) if split else jacobians[0]

    return jacobian_fn


def _argument_chain(qnode, args, kwargs, tape: QuantumTape, interface, order: int):
    """A function taking one measurement's gate-parameter derivative (shape measurement +
    (P,) for first order, + (P, P) for the Hessian) to derivatives by the QNode's arguments."""
    from kettle.gradients import arguments

    argnums = arguments.trainable_arguments(args, _requires_grad)
    indices = list(tape.trainable_params)
    for t in range(len(indices)):
        op, k = tape.get_operation(t)
        if op.ndim_params and k < len(op.ndim_params) and op.ndim_params[k] > 0:
            raise NonDifferentiableError(
                f"the gradient transform differentiates scalar gate parameters, but the parameter "
                f"of {op.name} on wires {list(op.wires)} is an array; pass it with "
                "requires_grad=False (kt.numpy.array(..., requires_grad=False)), or apply the "
                "transform to the tape", argnum=t)
    if not argnums:
        return lambda jac: ()
    single = len(argnums) == 1
    if not indices:  # no gate depends on anything trainable: zero derivatives by each argument
        def zeros(jac):
            meas = tuple(qmath.shape(jac))[:-order]
            shapes = [tuple(qmath.shape(args[i])) for i in argnums]
            parts = [qmath.convert_like(np.zeros(meas + s * order), jac) for s in shapes]
            return parts[0] if single else tuple(parts)

        return zeros
    classical = arguments.classical_jacobians(qnode, args, kwargs, indices, argnums, interface)
    if order == 1:
        return lambda jac: arguments.chain(jac, classical, single)
    return _hessian_chain(qnode, args, kwargs, tape, indices, argnums, classical, single)


def _hessian_chain(qnode, args, kwargs, tape, indices, argnums, classical, single):
    """The Hessian chain rule; a nonlinear classical map also needs ∂f/∂θ (one more
    parameter-shift batch)."""
    from autograd import jacobian

    from kettle.gradients import arguments
    from kettle.gradients.param_shift import param_shift

    plain = [qmath.to_numpy(a) if qmath.backend_of(a) != "numpy" else a for a in args]
    theta = arguments.gate_parameter_map(qnode, plain, kwargs, indices)
    with warnings.catch_warnings():  # a linear map's second derivative is "independent of input"
        warnings.simplefilter("ignore", UserWarning)
        second = [[jacobian(jacobian(theta, i), j)(*plain) for j in argnums] for i in argnums]
    shapes = [tuple(np.shape(args[i])) for i in argnums]
    grads = None
    if not all(arguments.is_constant(s) for row in second for s in row):
        tapes, fn = param_shift(tape)
        jac = fn(qnode.execute([qnode.device.preprocess(t) for t in tapes], None))
        grads = iter([ar.do("stack", list(per_param), axis=-1, like=per_param[0])
                      for per_param in jac])
    else:
        second = None

    def to_args(hess):
        grad = next(grads) if grads is not None else None
        return arguments.chain_hessian(hess, grad, classical, second, shapes, single)

    return to_args
