"""TensorFlow adapter: the quantum Jacobian registered through ``tf.custom_gradient``.

Every TF tensor among the tape parameters is treated as trainable (a GradientTape decides what it
watches). Circuits run on NumPy copies; results keep the parameters' float precision.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

from kettle.core.tape import QuantumTape
from kettle.interfaces import flatten


#: TF cannot tell whether a GradientTape watches a tensor, so every tensor counts as trainable;
#: circuits returning samples then run forward only (TF gives None gradients for them).
PRECISE_TRAINABILITY = False


def trainable_indices(tape: QuantumTape) -> list[int]:
    return [i for i, p in enumerate(tape.get_parameters(trainable_only=False))
            if isinstance(p, (tf.Tensor, tf.Variable))]


def _numpy(params) -> list:
    return [p.numpy() if hasattr(p, "numpy") else p for p in params]


def execute(tapes: Sequence[QuantumTape], device, jac_fn: Callable, max_diff: int = 1) -> list:
    for t in tapes:
        t.trainable_params = trainable_indices(t)
    # plain tensors inside the custom gradient (variables read here stay connected to the tape)
    params = [tf.convert_to_tensor(p) for t in tapes for p in t.get_parameters()]
    templates: list = []
    dtype = params[0].dtype if params else tf.float64

    @tf.custom_gradient
    def run(*args):
        results = device.execute(flatten.bind(tapes, _numpy(args)))
        templates[:] = [flatten.shapes(r) for r in results]
        flat = tf.constant(flatten.flat_numpy(results, dtype.as_numpy_dtype))

        def grad(dy):
            if max_diff > 1:
                bound = flatten.bind(tapes, args)
                jacs = jac_fn(bound, lambda ts: execute(ts, device, jac_fn, max_diff - 1))
            else:
                bound = flatten.bind(tapes, _numpy(args))
                jacs = jac_fn(bound, device.execute)
            grads = flatten.vjp(dy, bound, jacs, templates)
            return [tf.reshape(tf.cast(gr, a.dtype), tf.shape(a)) for gr, a in zip(grads, args)]

        return flat, grad

    return flatten.unflatten(run(*params), templates)
