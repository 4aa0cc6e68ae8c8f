"""Templates: layers of gates that decompose into the gate set."""
from __future__ import annotations

from typing import Any

import numpy as np

from kettle.core import qmath
from kettle.core.operator import Operation
from kettle.core.ops.matrix_ops import StatePrep
from kettle.core.ops.parametric import RX, RY, RZ, Rot
from kettle.core.ops.qubit import CNOT
from kettle.errors import OperatorError, StatePrepError

_ROTATIONS = {"X": RX, "Y": RY, "Z": RZ}


def _rotation_class(rotation: Any, template: str) -> type:
    if isinstance(rotation, str):
        if rotation not in _ROTATIONS:
            raise OperatorError(f"{template} rotation must be 'X', 'Y' or 'Z', got {rotation!r}",
                                operator=template)
        return _ROTATIONS[rotation]
    if isinstance(rotation, type) and issubclass(rotation, Operation) and rotation.num_params == 1:
        return rotation
    raise OperatorError(f"{template} rotation must be 'X', 'Y', 'Z' or a one-parameter gate class, "
                        f"got {rotation!r}", operator=template)


class AngleEmbedding(Operation):
    """Encode n features as rotation angles on n (or more) wires."""

    num_params = 1
    ndim_params = (1,)

    def __init__(self, features, wires, rotation: Any = "X", *, id=None):
        self.hyperparameters = {"rotation": _rotation_class(rotation, "AngleEmbedding")}
        super().__init__(features, wires=wires, id=id)
        n = qmath.shape(self.data[0])[-1]
        if n > len(self.wires):
            raise OperatorError(f"AngleEmbedding got {n} features but only {len(self.wires)} wires; "
                                "use at most one feature per wire", operator=self.name)

    @staticmethod
    def compute_decomposition(features, wires, rotation):
        n = qmath.shape(features)[-1]
        return [rotation(features[..., i], wires=wires[i]) for i in range(n)]


class AmplitudeEmbedding(Operation):
    """Encode 2**n features as the amplitudes of a state on n wires.

    Args:
        features: vector of length ≤ 2**n (pad with ``pad_with`` when shorter).
        wires: target wires.
        pad_with: value used to fill a shorter vector up to 2**n.
        normalize: normalize the vector instead of requiring norm 1.
    """

    num_params = 1
    ndim_params = (1,)

    def __init__(self, features, wires, pad_with: float | None = None, normalize: bool = False, *,
                 id=None):
        self.hyperparameters = {"pad_with": pad_with, "normalize": normalize}
        super().__init__(features, wires=wires, id=id)
        dim = 2 ** len(self.wires)
        length = qmath.shape(self.data[0])[-1]
        if length > dim or (length < dim and pad_with is None):
            raise StatePrepError(
                f"AmplitudeEmbedding on {len(self.wires)} wire(s) needs {dim} features, got {length}"
                + ("; pass pad_with=0.0 to pad a shorter vector" if length < dim else ""),
                operator=self.name)

    @staticmethod
    def compute_decomposition(features, wires, pad_with, normalize):
        import autoray as ar

        dim = 2 ** len(wires)
        length = qmath.shape(features)[-1]
        if length < dim:
            lead = qmath.shape(features)[:-1]
            pad = qmath.convert_like(np.full(lead + (dim - length,), pad_with), features) \
                if qmath.backend_of(features) != "numpy" else np.full(lead + (dim - length,), pad_with)
            features = ar.do("concatenate", [features, pad], axis=-1)
        return [StatePrep(features, wires=wires, normalize=normalize)]


class BasicEntanglerLayers(Operation):
    """Layers of one-parameter rotations on every wire followed by a ring of CNOTs.

    ``weights`` has shape (n_layers, n_wires).
    """

    num_params = 1
    ndim_params = (2,)

    def __init__(self, weights, wires, rotation: Any = None, *, id=None):
        self.hyperparameters = {"rotation": _rotation_class(rotation or RX, "BasicEntanglerLayers")}
        super().__init__(weights, wires=wires, id=id)
        shape = qmath.shape(self.data[0])
        if shape[-1] != len(self.wires):
            raise OperatorError(f"BasicEntanglerLayers weights need shape (n_layers, {len(self.wires)})"
                                f", got {shape}", operator=self.name)

    @staticmethod
    def shape(n_layers: int, n_wires: int) -> tuple[int, int]:
        return (n_layers, n_wires)

    @staticmethod
    def compute_decomposition(weights, wires, rotation):
        n = len(wires)
        ops = []
        for layer in range(qmath.shape(weights)[-2]):
            ops += [rotation(weights[..., layer, i], wires=wires[i]) for i in range(n)]
            if n == 2:
                ops.append(CNOT(wires=[wires[0], wires[1]]))
            elif n > 2:
                ops += [CNOT(wires=[wires[i], wires[(i + 1) % n]]) for i in range(n)]
        return ops


class StronglyEntanglingLayers(Operation):
    """Layers of general rotations (Rot) followed by entanglers of growing range.

    ``weights`` has shape :meth:`shape` = (n_layers, n_wires, 3). ``ranges`` gives the entangler
    range of each layer (default: ``layer % (n_wires - 1) + 1``).
    """

    num_params = 1
    ndim_params = (3,)

    def __init__(self, weights, wires, ranges=None, imprimitive=None, *, id=None):
        super().__init__(weights, wires=wires, id=id)
        shape = qmath.shape(self.data[0])
        n = len(self.wires)
        if shape[-2:] != (n, 3):
            raise OperatorError(f"StronglyEntanglingLayers weights need shape (n_layers, {n}, 3), got "
                                f"{shape}", operator=self.name)
        n_layers = shape[-3]
        if ranges is None:
            ranges = tuple((layer % (n - 1)) + 1 for layer in range(n_layers)) if n > 1 else (0,) * n_layers
        elif len(ranges) != n_layers:
            raise OperatorError(f"StronglyEntanglingLayers needs one range per layer ({n_layers}), got "
                                f"{len(ranges)}", operator=self.name)
        self.hyperparameters = {"ranges": tuple(ranges), "imprimitive": imprimitive or CNOT}

    @staticmethod
    def shape(n_layers: int, n_wires: int) -> tuple[int, int, int]:
        return (n_layers, n_wires, 3)

    @staticmethod
    def compute_decomposition(weights, wires, ranges, imprimitive):
        n = len(wires)
        ops = []
        for layer, r in enumerate(ranges):
            ops += [Rot(weights[..., layer, i, 0], weights[..., layer, i, 1], weights[..., layer, i, 2],
                        wires=wires[i]) for i in range(n)]
            if n > 1:
                ops += [imprimitive(wires=[wires[i], wires[(i + r) % n]]) for i in range(n)]
        return ops
