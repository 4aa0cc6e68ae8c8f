"""KerasLayer: a QNode as a Keras 3 layer with trainable weights (any Keras backend)."""
from __future__ import annotations

import math

import keras

from kettle.interfaces.layers import INPUT_ARG, ArrayOps, as_features, normalize_weight_shapes

_OPS = ArrayOps(shape=lambda t: tuple(t.shape), reshape=keras.ops.reshape,
                concatenate=lambda ts, axis: keras.ops.concatenate(ts, axis=axis))


class KerasLayer(keras.layers.Layer):
    """Wrap a QNode whose first argument is ``inputs`` as a Keras 3 layer.

    Args:
        qnode: a QNode taking ``inputs`` and one keyword argument per weight.
        weight_shapes: weight name → shape (an int or a tuple).
        output_dim: number of output features (or the output shape without the batch axis).
        weight_specs: per-weight keyword arguments of ``add_weight`` (e.g. ``initializer``).
            Default initializer: uniform in [0, 2π).

    Works in ``keras.Sequential``, ``model.fit`` and ``save_weights``/``load_weights``. A batch
    of inputs runs as one broadcast execution.
    """

    def __init__(self, qnode, weight_shapes: dict, output_dim, weight_specs: dict | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.qnode = qnode
        self.weight_shapes = normalize_weight_shapes(qnode, weight_shapes)
        self.output_dim = (output_dim,) if isinstance(output_dim, int) else tuple(output_dim)
        self.weight_specs = dict(weight_specs or {})
        self.qweights: dict = {}

    def build(self, input_shape):
        for name, shape in self.weight_shapes.items():
            spec = {"initializer": keras.initializers.RandomUniform(0.0, 2 * math.pi),
                    "trainable": True, **self.weight_specs.get(name, {})}
            self.qweights[name] = self.add_weight(name=name, shape=shape, **spec)
        super().build(input_shape)

    def call(self, inputs):
        # .value: the backend's own variable (a KerasVariable is no framework array)
        weights = {name: w.value for name, w in self.qweights.items()}
        out = self.qnode(**{INPUT_ARG: inputs}, **weights)
        batched = len(inputs.shape) > 1
        return keras.ops.cast(as_features(out, _OPS, batched), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + self.output_dim

    def get_config(self):
        config = super().get_config()
        config.update({"weight_shapes": self.weight_shapes, "output_dim": self.output_dim})
        return config
