"""JAX adapter: the quantum Jacobian registered through ``jax.custom_jvp``.

Circuits run on the host through ``jax.pure_callback`` with result shapes known in advance, so QNodes
work under ``jax.jit`` and ``jax.vmap``. The JVP rule multiplies the Jacobian by the tangents (JAX
transposes it for reverse mode). With ``max_diff=2`` the Jacobian inside the rule is computed by
running the gradient tapes through this adapter again, so ``jax.hessian`` works too.
"""
from __future__ import annotations

from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from kettle.core.config import ExecutionConfig
from kettle.core.tape import QuantumTape
from kettle.devices import seeding
from kettle.interfaces import boundary, flatten
from kettle.interfaces.boundary import (check_scalar_parameters, jacobian_fn, nested,
                                        second_derivative_error)


def trainable_indices(tape: QuantumTape) -> list[int]:
    # concrete arrays are not being differentiated or compiled; tracers are
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, jax.core.Tracer)]


def _jacobian_matrix(tapes, jacs, templates):
    """(flat output size, n params) matrix from tape-layout Jacobians."""
    cols = [c for t, jac, tmpl in zip(tapes, jacs, templates)
            for c in flatten.columns(jac, len(t.trainable_params), tmpl)]
    row = 0
    sizes = [flatten.size_of(tm) for tm in templates]
    total = sum(sizes)
    out = []
    k = 0
    for t, size in zip(tapes, sizes):
        for _ in range(len(t.trainable_params)):
            col = jnp.ravel(jnp.asarray(cols[k]))
            out.append(jnp.zeros(total, col.dtype).at[row:row + size].set(col))
            k += 1
        row += size
    return jnp.stack(out, axis=1) if out else jnp.zeros((total, 0))


def _first_order_callback(fn: Callable, spec, *args):
    """``pure_callback`` whose derivative is a clear error, not JAX's "Pure callbacks do not
    support JVP" (a Hessian of a QNode created with max_diff=1)."""
    @jax.custom_jvp
    def call(*a):
        return jax.pure_callback(fn, spec, *a, vmap_method="sequential")

    @call.defjvp
    def no_second_derivative(primals, tangents):
        raise second_derivative_error()

    return call(*args)


def execute(tapes: Sequence[QuantumTape], device, config: ExecutionConfig) -> list:
    jac_fn, max_diff = jacobian_fn(config, device), config.max_diff
    params = [p for t in tapes for p in t.get_parameters()]
    templates = [flatten.result_template(t, len(device.circuit_wires(t))) for t in tapes]
    size = sum(flatten.size_of(tm) for tm in templates)
    dtype = jnp.result_type(*params) if params else jnp.result_type(float)  # float32 without x64
    out_spec = jax.ShapeDtypeStruct((size,), dtype)
    n = len(params)
    batched = [b for t in tapes for b in flatten.batched_params(t)]
    offsets = np.cumsum([0] + [flatten.size_of(tm) for tm in templates])
    row_maps = []  # per parameter: positions in the flat results → batch entry (batched only)
    for t, tm, start in zip(tapes, templates, offsets):
        rows = None
        if t.batch_size:
            rows = np.full(size, -1)
            rows[start:start + flatten.size_of(tm)] = flatten.batch_rows(tm)
        row_maps += [rows] * len(t.trainable_params)

    # a device seeded with a JAX key draws on the host from a child key passed in as an operand
    keyed = getattr(getattr(device, "_seeds", None), "key", None) is not None

    def host_forward(*values):
        key, values = (values[-1], values[:-1]) if keyed else (None, values)
        with seeding.using_key(device, key):
            results = boundary.run(device, flatten.bind(tapes, [np.asarray(v) for v in values]),
                                   config)
        return flatten.flat_numpy(results, dtype)

    def host_forward_and_jacobian(*values):
        key, values = (values[-1], values[:-1]) if keyed else (None, values)
        values = [np.asarray(v) for v in values]
        with seeding.using_key(device, key):
            results, jacs = boundary.Execution(tapes, device, config).forward_and_jacobians(values)
        jac = _jacobian_matrix(flatten.bind(tapes, values), jacs, templates)
        return flatten.flat_numpy(results, dtype), np.asarray(jac, dtype=dtype)

    @jax.custom_jvp
    def run(*args):  # with a JAX-key device, the last argument is the key
        return jax.pure_callback(host_forward, out_spec, *args, vmap_method="sequential")

    @run.defjvp
    def run_jvp(primals, tangents):
        if keyed:
            tangents = tangents[:-1]
        if max_diff > 1:  # a traceable Jacobian: differentiable once more
            out = run(*primals)
            bound = flatten.bind(tapes, list(primals))
            jacs = jac_fn(bound, nested(execute, trainable_indices, device, config))
            jac = _jacobian_matrix(bound, jacs, templates).astype(dtype)
        else:
            for t in tapes:  # here, not inside the host callback, which would wrap the error
                check_scalar_parameters(t, jac_fn.method)
            spec = (out_spec, jax.ShapeDtypeStruct((size, n), dtype))
            # results and Jacobian in one host call (one device call where the device has both)
            out, jac = _first_order_callback(host_forward_and_jacobian, spec, *primals)
        # each tangent spread over the result positions it moves: all of them for a plain
        # parameter, its own batch entry's rows for a batched one
        spread = [jnp.where(rows >= 0, jnp.asarray(x, dtype)[np.maximum(rows, 0)], 0) if b
                  else jnp.broadcast_to(jnp.asarray(x, dtype), (size,))
                  for x, b, rows in zip(tangents, batched, row_maps)]
        return out, jnp.sum(jac * jnp.stack(spread, axis=1), axis=1) if n else jnp.zeros(size, dtype)

    key = [seeding.callback_key(device)] if keyed else []
    return flatten.unflatten(run(*params, *key), templates)


def classical_jacobian(fn, args: Sequence, argnums: Sequence[int]) -> list:
    """∂fn/∂args[i] for i in ``argnums`` (traceable: works under jit and nested derivatives)."""
    return list(jax.jacobian(fn, argnums=tuple(argnums))(*args))
