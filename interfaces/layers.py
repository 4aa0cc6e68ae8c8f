"""What TorchLayer and KerasLayer share: validating a QNode and its weight shapes, and turning the
QNode's output into one (batch, features) array."""
from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from kettle.errors import QuantumFunctionError

INPUT_ARG = "inputs"


def normalize_weight_shapes(qnode, weight_shapes: dict) -> dict[str, tuple[int, ...]]:
    """Check that the QNode takes ``inputs`` plus exactly the named weights; shapes as tuples."""
    params = inspect.signature(qnode.func).parameters
    if INPUT_ARG not in params:
        raise QuantumFunctionError(
            f"a quantum layer's QNode must take its data as an argument named '{INPUT_ARG}'; "
            f"{getattr(qnode.func, '__name__', 'the QNode')} takes {list(params)}", value=qnode)
    shapes = {}
    for name, shape in weight_shapes.items():
        if name == INPUT_ARG:
            raise QuantumFunctionError(f"'{INPUT_ARG}' is the data argument and cannot be a weight",
                                       value=name)
        if name not in params:
            raise QuantumFunctionError(
                f"weight '{name}' is not an argument of the QNode; its arguments are {list(params)}",
                value=name)
        shapes[name] = (int(shape),) if isinstance(shape, int) else tuple(int(s) for s in shape)
    missing = [p for p in params if p not in shapes and p != INPUT_ARG
               and params[p].default is inspect.Parameter.empty
               and params[p].kind not in (inspect.Parameter.VAR_POSITIONAL,
                                          inspect.Parameter.VAR_KEYWORD)]
    if missing:
        raise QuantumFunctionError(f"QNode arguments {missing} have no entry in weight_shapes",
                                   value=missing)
    return shapes


def as_features(result: Any, ops, batched: bool) -> Any:
    """QNode output (one array or a tuple of them, each with a batch axis when ``batched``) as one
    array with the features on the last axis."""
    parts = list(result) if isinstance(result, (tuple, list)) else [result]
    if not batched:
        return ops.concatenate([ops.reshape(p, (-1,)) for p in parts], axis=0)
    # the batch size may be symbolic (Keras traces with None): let the reshape infer it
    flat = [ops.reshape(p, (-1, int(np.prod(ops.shape(p)[1:], dtype=int)))) for p in parts]
    return ops.concatenate(flat, axis=-1)


class ArrayOps:
    """The few array operations as_features needs, for one framework (static shapes)."""

    def __init__(self, shape, reshape, concatenate):
        self.shape, self.reshape, self.concatenate = shape, reshape, concatenate
