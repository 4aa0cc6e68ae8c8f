"""TensorFlow adapter: the quantum Jacobian registered through ``tf.custom_gradient``.

Every TF tensor among the tape parameters is treated as trainable (a GradientTape decides what it
watches). Eagerly, circuits run on NumPy copies; inside ``tf.function`` they run through
``tf.numpy_function`` with result shapes known in advance. Results keep the parameters' precision.
With ``max_diff=2`` the gradient runs its tapes through this adapter again (eagerly or inside
``tf.function``), so nested GradientTapes give second derivatives; with ``max_diff=1`` asking for
one is an error, not a silent None.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf

from kettle.core import qmath
from kettle.core.config import ExecutionConfig
from kettle.core.tape import QuantumTape
from kettle.interfaces import flatten
from kettle.interfaces.boundary import Execution, nested, second_derivative_error

#: TF cannot tell whether a GradientTape watches a tensor, so every tensor counts as trainable;
#: circuits returning samples then run forward only (TF gives None gradients for them).
PRECISE_TRAINABILITY = False


def trainable_indices(tape: QuantumTape) -> list[int]:
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, (tf.Tensor, tf.Variable))]


def _numpy(params) -> list:
    return [p.numpy() if hasattr(p, "numpy") else p for p in params]


def execute(tapes: Sequence[QuantumTape], device, config: ExecutionConfig) -> list:
    # plain tensors inside the custom gradient (variables read here stay connected to the tape)
    params = [tf.convert_to_tensor(p) for t in tapes for p in t.get_parameters()]
    dtype = tf.float32 if flatten.single_precision(params) else tf.float64
    if not tf.executing_eagerly():
        return _execute_graph(tapes, device, config, params, dtype)
    run = Execution(tapes, device, config)

    @tf.custom_gradient
    def forward(*args):
        flat = tf.constant(run.forward(_numpy(args), dtype.as_numpy_dtype))

        def grad(dy):
            if run.higher_order:
                grads = run.vjp_nested(dy, args, nested(execute, trainable_indices, device, config))
            else:
                grads = run.vjp_numpy(dy.numpy(), _numpy(args))
            grads = [tf.reshape(tf.cast(gr, a.dtype), tf.shape(a)) for gr, a in zip(grads, args)]
            return grads if run.higher_order else _first_order(grads, args)

        return flat, grad

    return run.unflatten(forward(*params))


def _first_order(grads: list, args) -> list:
    """``grads`` marked as functions of ``args`` whose derivative is a clear error: a nested
    GradientTape would otherwise get a silent None for a QNode created with max_diff=1."""
    @tf.custom_gradient
    def mark(*a):
        def no_second_derivative(*_):
            raise second_derivative_error("a second derivative was requested (nested GradientTape)")

        return [tf.identity(g) for g in grads], no_second_derivative

    return mark(*args)


def _execute_graph(tapes, device, config, params, dtype) -> list:
    """Inside tf.function: host computations through tf.numpy_function."""
    templates = [flatten.result_template(t, len(device.circuit_wires(t))) for t in tapes]
    run = Execution(tapes, device, config, templates=templates)
    batch = _run_time_batch(tapes)  # a tensor when the batch axis is unknown while tracing
    size = None if batch is not None else sum(flatten.size_of(tm) for tm in templates)
    np_dtype = dtype.as_numpy_dtype

    def host_forward(*values):
        return run.forward(list(values), np_dtype)

    def host_vjp(dy, *values):
        bound = flatten.bind(tapes, list(values))
        concrete = [flatten.result_template(t, len(device.circuit_wires(t)))  # batch sizes known
                    for t in bound]
        grads = Execution(tapes, device, config).vjp_numpy(dy, list(values), concrete)
        return [np.asarray(g, dtype=np.asarray(v).dtype).reshape(np.shape(v))
                for g, v in zip(grads, values)]

    @tf.custom_gradient
    def forward(*args):
        flat = tf.numpy_function(host_forward, list(args), Tout=dtype)
        flat.set_shape((size,))  # None: known when the graph runs

        def grad(dy):
            if run.higher_order:  # traced gradient tapes: differentiable once more
                grads = Execution(tapes, device, config, templates=templates).vjp_nested(
                    dy, args, nested(execute, trainable_indices, device, config))
                return [tf.reshape(tf.cast(g, a.dtype), tf.shape(a)) for g, a in zip(grads, args)]
            grads = tf.numpy_function(host_vjp, [dy, *args], Tout=[a.dtype for a in args])
            return _first_order([tf.reshape(g, tf.shape(a)) for g, a in zip(grads, args)], args)

        return flat, grad

    return flatten.unflatten(forward(*params), templates, batch)


def _run_time_batch(tapes):
    """The batch size as a scalar tensor when a traced parameter's batch axis has no static size
    (e.g. Keras's ``(None, features)`` inputs), else None."""
    if not any(t.batch_size == -1 for t in tapes):
        return None
    for t in tapes:
        for op in t.operations:
            for p, nd in zip(op.data, op.ndim_params):
                if qmath.ndim(p) == nd + 1 and qmath.shape(p)[0] == -1:
                    return tf.shape(p)[0]
    return None


def classical_jacobian(fn, args: Sequence, argnums: Sequence[int]) -> list:
    """∂fn/∂args[i] for i in ``argnums`` (recorded by any enclosing GradientTape)."""
    args = list(args)
    with tf.GradientTape(persistent=True) as tape:
        for i in argnums:
            tape.watch(args[i])
        out = fn(*args)
    return [tape.jacobian(out, args[i]) for i in argnums]
