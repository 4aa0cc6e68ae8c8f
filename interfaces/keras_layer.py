"""KerasLayer: a QNode as a Keras 3 layer with trainable weights (any Keras backend)."""
from __future__ import annotations

import importlib
import math
import sys

import keras

from kettle.errors import QuantumFunctionError
from kettle.interfaces.layers import INPUT_ARG, ArrayOps, as_features, normalize_weight_shapes

_OPS = ArrayOps(shape=lambda t: tuple(t.shape), reshape=keras.ops.reshape,
                concatenate=lambda ts, axis: keras.ops.concatenate(ts, axis=axis))


@keras.saving.register_keras_serializable(package="kettle")
class KerasLayer(keras.layers.Layer):
    """Wrap a QNode whose first argument is ``inputs`` as a Keras 3 layer.

    Args:
        qnode: a QNode taking ``inputs`` and one keyword argument per weight.
        weight_shapes: weight name → shape (an int or a tuple).
        output_dim: number of output features (or the output shape without the batch axis).
        weight_specs: per-weight keyword arguments of ``add_weight`` (e.g. ``initializer``).
            Default initializer: uniform in [0, 2π).

    Works in ``keras.Sequential`` and functional models (fed by ``Dense`` and other layers),
    ``summary``, ``fit``, ``predict``, ``save_weights``/``load_weights`` and the full
    ``model.save(...)``/``keras.models.load_model(...)`` round trip on every Keras backend. A batch
    of inputs runs as one broadcast execution.

    Saving stores where the QNode lives (its module and its name there), not the QNode itself: a
    model is saved whole when its QNode is a module-level name (``@kt.qnode`` at the top of a
    module), and ``load_model`` imports that module to find it again.
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
        config.update({
            "qnode": qnode_reference(self.qnode),
            "weight_shapes": {k: list(v) for k, v in self.weight_shapes.items()},
            "output_dim": list(self.output_dim),
            "weight_specs": {name: {k: keras.saving.serialize_keras_object(v)
                                    for k, v in spec.items()}
                             for name, spec in self.weight_specs.items()},
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        qnode = resolve_qnode(config.pop("qnode"))
        specs = {name: {k: keras.saving.deserialize_keras_object(v) for k, v in spec.items()}
                 for name, spec in config.pop("weight_specs", {}).items()}
        return cls(qnode, config.pop("weight_shapes"), config.pop("output_dim"),
                   weight_specs=specs, **config)


def qnode_reference(qnode) -> dict:
    """``{"module": ..., "name": ...}``: where ``qnode`` can be imported from again.

    Raises:
        QuantumFunctionError: the QNode is not a module-level name (defined inside a function, or
            only held by the layer).
    """
    func = getattr(qnode, "func", None)
    module_name = getattr(func, "__module__", None)
    module = sys.modules.get(module_name) if module_name else None
    names = [k for k, v in vars(module).items() if v is qnode] if module is not None else []
    if not names:
        where = getattr(func, "__qualname__", repr(qnode))
        raise QuantumFunctionError(
            f"KerasLayer cannot save its QNode ({where} in module {module_name!r}) with the model: "
            "a saved model refers to its QNode by module and name, so define the QNode at the top "
            "level of a module (e.g. with @kt.qnode), or save the weights only with "
            "model.save_weights(...)", value=qnode)
    return {"module": module_name, "name": names[0]}


def resolve_qnode(ref: dict):
    """The QNode a :func:`qnode_reference` points to.

    Raises:
        QuantumFunctionError: the module or the name is not there.
    """
    try:
        module = importlib.import_module(ref["module"])
    except ImportError as err:
        raise QuantumFunctionError(
            f"loading a KerasLayer needs its QNode {ref['name']!r} from module {ref['module']!r}, "
            f"which cannot be imported ({err}); make the module importable", value=ref) from err
    qnode = getattr(module, ref["name"], None)
    if qnode is None:
        raise QuantumFunctionError(
            f"loading a KerasLayer needs its QNode {ref['name']!r}, which module {ref['module']!r} "
            "does not define; define it (the same circuit) before calling load_model", value=ref)
    return qnode
