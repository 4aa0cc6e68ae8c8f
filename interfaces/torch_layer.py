"""TorchLayer: a QNode as a ``torch.nn.Module`` with trainable weights."""
from __future__ import annotations

import math
from typing import Callable

import torch

from kettle.interfaces.layers import INPUT_ARG, ArrayOps, as_features, normalize_weight_shapes

_OPS = ArrayOps(shape=lambda t: tuple(t.shape), reshape=torch.reshape,
                concatenate=lambda ts, axis: torch.cat(ts, dim=axis))


class TorchLayer(torch.nn.Module):
    """Wrap a QNode whose first argument is ``inputs`` as a torch layer.

    Args:
        qnode: a QNode taking ``inputs`` and one keyword argument per weight.
        weight_shapes: weight name → shape (an int or a tuple).
        init_method: a function ``tensor -> None`` initializing a weight in place (as in
            ``torch.nn.init``), or a dict of them by weight name. Default: uniform in [0, 2π).

    A batch of inputs (shape ``(batch, features)``) runs as one broadcast execution. The output
    has the measurement results concatenated on the last axis.

    Example:
        >>> import torch
        >>> dev = kt.device("default.qubit", wires=4)
        >>> @kt.qnode(dev)
        ... def circuit(inputs, weights):
        ...     kt.AngleEmbedding(inputs, wires=range(4))
        ...     kt.StronglyEntanglingLayers(weights, wires=range(4))
        ...     return [kt.expval(kt.PauliZ(w)) for w in range(4)]
        >>> layer = kt.qnn.TorchLayer(circuit, {"weights": (2, 4, 3)})
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 4), layer, torch.nn.Linear(4, 2))
        >>> model(torch.rand(5, 2)).shape
        torch.Size([5, 2])
    """

    def __init__(self, qnode, weight_shapes: dict, init_method: Callable | dict | None = None):
        super().__init__()
        self.qnode = qnode
        self.weight_shapes = normalize_weight_shapes(qnode, weight_shapes)
        for name, shape in self.weight_shapes.items():
            weight = torch.nn.Parameter(torch.empty(shape))
            init = init_method.get(name) if isinstance(init_method, dict) else init_method
            with torch.no_grad():
                if init is None:
                    torch.nn.init.uniform_(weight, 0.0, 2 * math.pi)
                else:
                    init(weight)
            self.register_parameter(name, weight)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        weights = {name: getattr(self, name) for name in self.weight_shapes}
        lead = inputs.shape[:-1]
        flat = inputs.reshape(-1, inputs.shape[-1]) if inputs.dim() > 2 else inputs  # (…, features)
        out = self.qnode(**{INPUT_ARG: flat}, **weights)
        features = as_features(out, _OPS, batched=flat.dim() > 1)
        if inputs.dim() > 2:  # extra leading axes, as nn.Linear allows: one broadcast run for all
            features = features.reshape(*lead, features.shape[-1])
        return features.to(inputs.dtype) if inputs.is_floating_point() else features

    def extra_repr(self) -> str:
        return f"qnode={getattr(self.qnode.func, '__name__', 'qnode')}, weights={self.weight_shapes}"
