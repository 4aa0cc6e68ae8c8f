"""QNodes inside ``kt.qjit`` simulated on the JAX tracers (no host calls), for the circuits the host
calls of interfaces/jax.py do not take: those fed a loop index or a run-time wire.

Every method but backprop (which needs nothing: JAX differentiates the simulation) registers a ``jax.custom_jvp`` whose primal runs ``device.execute``
on the tracers and whose rule computes the Jacobian by the QNode's own method
(core/diff_methods.py), again on tracers. Gradient tapes run through this same function, so the
rule is differentiable once more: a second parameter-shift derivative shifts the shifted tapes, and
a second adjoint derivative is JAX's derivative of the adjoint sweep. Only parameters whose tangent
is not a symbolic zero are differentiated, so ``kt.grad(f, argnum=0)`` shifts only what depends on
argument 0.
"""
from __future__ import annotations

from typing import Callable, Sequence

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from kettle.core.measurements import MeasurementProcess
from kettle.core.operator import Operator
from kettle.core.tape import QuantumTape
from kettle.core.wires import Wires
from kettle.errors import DifferentiableCompilerError
from kettle.interfaces import flatten
from kettle.interfaces.jax import held_tracers, rebound


def traced_indices(tape: QuantumTape) -> list[int]:
    """Indices of the tape's floating-point parameters that are JAX tracers."""
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, jax.core.Tracer) and jnp.issubdtype(p.dtype, jnp.inexact)]


class _Unbatchable(Exception):
    """A tape holds something whose structure cannot be compared: run it on its own."""


def _structure_key(obj):
    """A hashable description of an operator's or measurement's structure, without parameter
    values (their shapes and dtypes are part of it)."""
    if isinstance(obj, (Operator, MeasurementProcess)):
        attrs = tuple((name, _structure_key(v)) for name, v in sorted(vars(obj).items())
                      if name not in ("data", "coeffs", "id"))
        shapes = tuple((jnp.shape(d), jnp.result_type(d).name) for d in getattr(obj, "data", ()))
        return type(obj), shapes, attrs
    if isinstance(obj, Wires):
        if obj.has_dynamic:
            raise _Unbatchable  # run-time wire values cannot be compared while tracing
        return tuple(obj)
    if isinstance(obj, (list, tuple)):
        return tuple(_structure_key(v) for v in obj)
    if isinstance(obj, dict):
        return tuple((k, _structure_key(v)) for k, v in sorted(obj.items()))
    if obj is None or isinstance(obj, (str, int, float, bool, type)):
        return obj
    raise _Unbatchable  # arrays and other objects: no cheap, safe comparison


def _tape_key(tape: QuantumTape):
    try:
        return (_structure_key(tape.operations), _structure_key(tape.measurements),
                str(tape.shots))
    except _Unbatchable:
        return id(tape)


def batched_execute(device, tapes: Sequence[QuantumTape]) -> list:
    """``device.execute(tapes)``, with tapes that differ only in parameter values (the shifted
    tapes of parameter-shift) simulated once under ``jax.vmap``: the compiled program then holds
    one simulation per circuit structure rather than one per tape."""
    groups: dict = {}
    for i, t in enumerate(tapes):
        groups.setdefault(_tape_key(t), []).append(i)
    results: list = [None] * len(tapes)
    for members in groups.values():
        if len(members) == 1 or not _run_group(device, [tapes[i] for i in members], members,
                                                results):
            for i, r in zip(members, device.execute([tapes[i] for i in members])):
                results[i] = r
    return results


def _run_group(device, group: list[QuantumTape], members: list[int], results: list) -> bool:
    """Simulate tapes of one structure under vmap over the parameters that differ; False when a
    differing parameter is not a floating-point value (then they run one by one)."""
    per_tape = [t.get_parameters(trainable_only=False) for t in group]
    varying = [j for j in range(len(per_tape[0]))
               if any(p[j] is not per_tape[0][j] for p in per_tape[1:])]
    if not varying:
        return False
    stacked = []
    for j in varying:
        column = [p[j] for p in per_tape]
        if not all(jnp.issubdtype(jnp.result_type(c), jnp.inexact) for c in column):
            return False
        stacked.append(jnp.stack([jnp.asarray(c) for c in column]))
    template = group[0]

    def one(*values):
        return device.execute([template.bind_new_parameters(list(values), varying)])[0]

    out = jax.vmap(one)(*stacked)
    for k, i in enumerate(members):
        results[i] = jax.tree_util.tree_map(lambda x, k=k: x[k], out)
    return True


def _flat(results, dtype) -> jax.Array:
    """Every result leaf of every tape as one real vector (complex leaves: real part, then imag)."""
    parts = []
    for res in results:
        for leaf in flatten.leaves(res):
            leaf = jnp.asarray(leaf)
            if jnp.iscomplexobj(leaf):
                parts += [jnp.ravel(jnp.real(leaf)), jnp.ravel(jnp.imag(leaf))]
            else:
                parts.append(jnp.ravel(leaf))
    return jnp.concatenate([p.astype(dtype) for p in parts]) if parts else jnp.zeros(0, dtype)


def _finite_diff_error() -> DifferentiableCompilerError:
    return DifferentiableCompilerError(
        "a QNode with diff_method='finite-diff' is being differentiated inside kt.qjit with "
        "method='auto'; per-QNode finite differences are not compiled. Differentiate the whole "
        "function with kt.grad(f, method='fd'), or give the QNode diff_method='parameter-shift', "
        "'adjoint' or 'backprop'", value="finite-diff")


def execute(tapes: Sequence[QuantumTape], device, jac_fn: Callable, method: str) -> list:
    """Results of ``tapes`` as JAX values, differentiable (to any order) by ``method``.

    Args:
        tapes: tapes whose parameters may be JAX tracers; the traced floating-point ones become
            the trainable parameters.
        device: a device whose ``execute`` runs on JAX arrays (default.qubit).
        jac_fn: the method's Jacobian function, ``(tapes, execute_fn) -> Jacobians``.
        method: the resolved diff method (for error messages and the finite-diff refusal).

    Returns:
        One result per tape, in the usual nested layout.

    Raises:
        DifferentiableCompilerError: when a finite-diff QNode is differentiated.

    The caller (interfaces/execute.py) has refused finite shots with :func:`check_exact`; gradient
    tapes inherit the shots of the tapes they come from.
    """
    tapes = flatten.with_trainable(list(tapes), traced_indices)
    params = [p for t in tapes for p in t.get_parameters()]
    templates = [flatten.result_template(t, len(device.circuit_wires(t))) for t in tapes]
    dtype = jnp.finfo(jnp.result_type(float, *params)).dtype
    counts = [len(t.trainable_params) for t in tapes]
    held = held_tracers(tapes)
    n_params = len(params)

    @jax.custom_jvp
    def run(*values):
        bound = rebound(tapes, held, values[n_params:], values[:n_params])
        return _flat(batched_execute(device, bound), dtype)

    def run_jvp(primals, tangents):
        out = run(*primals)
        active = [k for k, t in enumerate(tangents[:n_params]) if not isinstance(t, SymbolicZero)]
        if not active:
            return out, jnp.zeros_like(out)
        if method == "finite-diff":
            raise _finite_diff_error()
        return out, tangent_out(primals, tangents, active)

    def tangent_out(primals, tangents, active):
        """J·t over the parameters with non-zero tangents; the Jacobian by ``method``, with
        gradient tapes executed by this (differentiable) function."""
        bound = rebound(tapes, held, primals[n_params:], primals[:n_params])
        selected, per_tape, start = [], [], 0
        for t, n in zip(bound, counts):
            mine = [k - start for k in active if start <= k < start + n]
            sub = t.copy()
            sub.trainable_params = [t.trainable_params[j] for j in mine]
            per_tape.append([start + j for j in mine])
            if mine:
                selected.append(sub)
            start += n
        jacs = iter(jac_fn(selected, lambda ts: execute(ts, device, jac_fn, method))
                    if selected else [])
        segments, subs = [], iter(selected)
        for sub_idx, tmpl in zip(per_tape, templates):
            size = flatten.size_of(tmpl)
            if not sub_idx:
                segments.append(jnp.zeros(size, dtype))
                continue
            sub = next(subs)
            cols = flatten.columns(next(jacs), len(sub_idx), tmpl)
            # entry b of a broadcast parameter moves only the results of batch entry b
            rows = flatten.batch_rows(tmpl) if sub.batch_size else None
            seg = jnp.zeros(size, dtype)
            for c, k, batched in zip(cols, sub_idx, flatten.batched_params(sub)):
                tangent = jnp.asarray(tangents[k], dtype)
                seg = seg + jnp.asarray(c, dtype) * (tangent[rows] if batched else tangent)
            segments.append(seg)
        return jnp.concatenate(segments)

    run.defjvp(run_jvp, symbolic_zeros=True)
    return flatten.unflatten(run(*params, *held), templates)
