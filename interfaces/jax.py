"""JAX adapter: the quantum Jacobian registered through ``jax.custom_vjp``.

The circuit runs on the host through ``jax.pure_callback`` with result shapes known in advance,
so the QNode also works under ``jax.jit``. Every JAX array among the tape parameters is trainable.
"""
from __future__ import annotations

from typing import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from kettle.core import measurements as m
from kettle.core.tape import QuantumTape
from kettle.interfaces import flatten


def trainable_indices(tape: QuantumTape) -> list[int]:
    # concrete arrays are not being differentiated or compiled; tracers are
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, jax.core.Tracer)]


def result_template(tape: QuantumTape, n_wires: int):
    """Shapes of a tape's results, known before running it."""
    lead = (tape.batch_size,) if tape.batch_size else ()

    def one(mp):
        if isinstance(mp, m.ProbabilityMP):
            k = len(mp.wires) or n_wires
            return flatten.Shape(lead + (2 ** k,))
        if isinstance(mp, m.StateMP):
            return flatten.ComplexShape(lead + (2 ** n_wires,))
        if isinstance(mp, m.DensityMatrixMP):
            d = 2 ** len(mp.wires)
            return flatten.ComplexShape(lead + (d, d))
        return flatten.Shape(lead)

    per_entry = tuple(one(mp) for mp in tape.measurements)
    if tape.shots.has_vector:
        return tuple(per_entry for _ in tape.shots.vector)
    return per_entry


def execute(tapes: Sequence[QuantumTape], device, jac_fn: Callable, max_diff: int = 1) -> list:
    for t in tapes:
        t.trainable_params = trainable_indices(t)
    params = [p for t in tapes for p in t.get_parameters()]
    templates = [result_template(t, len(device.wires)) for t in tapes]
    size = sum(flatten.size_of(tm) for tm in templates)
    dtype = jnp.result_type(*params) if params else jnp.float64
    out_spec = jax.ShapeDtypeStruct((size,), dtype)

    def host_forward(*values):
        results = device.execute(flatten.bind(tapes, [np.asarray(v) for v in values]))
        return flatten.flat_numpy(results, dtype)

    def host_vjp(g, *values):
        bound = flatten.bind(tapes, [np.asarray(v) for v in values])
        jacs = jac_fn(bound, device.execute)
        grads = flatten.vjp(np.asarray(g), bound, jacs, templates)
        return tuple(np.asarray(gr, dtype=v.dtype).reshape(np.shape(v)) for gr, v in zip(grads, values))

    @jax.custom_vjp
    def run(*args):
        return jax.pure_callback(host_forward, out_spec, *args, vmap_method="sequential")

    def fwd(*args):
        return run(*args), args

    def bwd(args, g):
        specs = tuple(jax.ShapeDtypeStruct(jnp.shape(a), jnp.result_type(a)) for a in args)
        return jax.pure_callback(host_vjp, specs, g, *args, vmap_method="sequential")

    run.defvjp(fwd, bwd)
    return flatten.unflatten(run(*params), templates)
