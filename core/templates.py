"""Templates: layers of gates that decompose into the gate set."""
from __future__ import annotations

from typing import Any

import numpy as np

from kettle.core import qmath
from kettle.core.operator import Operation
from kettle.core.ops.matrix_ops import StatePrep
from kettle.core.ops.parametric import RX, RY, RZ, ControlledPhaseShift, MultiRZ, Rot
from kettle.core.ops.qubit import CNOT, SWAP, Hadamard, PauliX
from kettle.core.wires import Wires
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
        f = qmath.entries(features, 1)
        return [rotation(f[i], wires=wires[i]) for i in range(len(f))]


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
        w = qmath.entries(weights, 2)
        for layer in range(w.shape[0]):
            ops += [rotation(w[layer, i], wires=wires[i]) for i in range(n)]
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
        w = qmath.entries(weights, 3)
        for layer, r in enumerate(ranges):
            ops += [Rot(*w[layer, i], wires=wires[i]) for i in range(n)]
            if n > 1:
                ops += [imprimitive(wires=[wires[i], wires[(i + r) % n]]) for i in range(n)]
        return ops


class BasisEmbedding(Operation):
    """Prepare the basis state |b₁…bₙ⟩ from |0…0⟩: PauliX on every wire whose bit is 1.

    Args:
        features: n bits (one per wire, the first for the first wire) or an integer in
            [0, 2**n), read as n binary digits with the first wire most significant.
        wires: the n wires.

    Raises:
        OperatorError: not one bit per wire, an entry that is not 0 or 1, or an integer out of
            range.

    The bits are data of the circuit's structure, not trainable parameters.
    """

    num_params = 0

    def __init__(self, features, wires, *, id=None):
        n = len(Wires(wires))
        self.hyperparameters = {"bits": _basis_bits(features, n)}
        super().__init__(wires=wires, id=id)

    @staticmethod
    def compute_decomposition(wires, bits):
        return [PauliX(wires=w) for w, b in zip(wires, bits) if b]


def _basis_bits(features, n: int) -> tuple[int, ...]:
    if qmath.is_abstract(features):
        raise OperatorError("BasisEmbedding needs concrete bits (they choose the gates); it cannot "
                            "take values traced by jax.jit or tf.function", operator="BasisEmbedding")
    values = qmath.to_numpy(features) if not isinstance(features, (list, tuple)) else \
        np.asarray(features)
    if values.ndim == 0:
        k = int(values)
        if values != k or not 0 <= k < 2 ** n:
            raise OperatorError(f"BasisEmbedding on {n} wire(s) takes an integer in [0, {2 ** n}), "
                                f"got {values.item()!r}", operator="BasisEmbedding")
        return tuple(int(b) for b in np.binary_repr(k, width=n))
    flat = values.reshape(-1).tolist()
    if len(flat) != n:
        raise OperatorError(f"BasisEmbedding on {n} wire(s) needs {n} bits, got {len(flat)}: "
                            f"{flat}", operator="BasisEmbedding")
    bad = [v for v in flat if v not in (0, 1)]
    if bad:
        raise OperatorError(f"BasisEmbedding got the features {flat}: {bad[0]!r} is not a bit; each "
                            "entry must be 0 or 1", operator="BasisEmbedding")
    return tuple(int(v) for v in flat)


class IQPEmbedding(Operation):
    """Encode n features with instantaneous-quantum-polynomial layers.

    Each repetition applies a Hadamard and RZ(xᵢ) on every wire i, then MultiRZ(xᵢ·xⱼ) on the wire
    pairs of ``pattern`` (default: every pair i < j, in lexicographic order).

    Args:
        features: n features (a leading batch axis is allowed).
        wires: n wires.
        n_repeats: how many times the layer is applied.
        pattern: pairs of wires for the MultiRZ entanglers.

    Raises:
        OperatorError: not one feature per wire, or n_repeats below 1.
    """

    num_params = 1
    ndim_params = (1,)
    real_params = True

    def __init__(self, features, wires, n_repeats: int = 1, pattern=None, *, id=None):
        wires = Wires(wires)
        if pattern is None:
            pattern = [[wires[i], wires[j]] for i in range(len(wires)) for j in range(i + 1, len(wires))]
        if not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
            raise OperatorError(f"IQPEmbedding n_repeats must be a positive integer, got "
                                f"{n_repeats!r}", operator="IQPEmbedding")
        self.hyperparameters = {"n_repeats": int(n_repeats),
                                "pattern": tuple(tuple(p) for p in pattern)}
        super().__init__(features, wires=wires, id=id)
        n = qmath.shape(self.data[0])[-1]
        if n != len(self.wires):
            raise OperatorError(f"IQPEmbedding on {len(self.wires)} wire(s) needs one feature per "
                                f"wire, got {n}", operator=self.name)

    @staticmethod
    def compute_decomposition(features, wires, n_repeats, pattern):
        ops = []
        f = qmath.entries(features, 1)
        for _ in range(n_repeats):
            for i, w in enumerate(wires):
                ops += [Hadamard(wires=w), RZ(f[i], wires=w)]
            for a, b in pattern:
                i, j = wires.index(a), wires.index(b)
                ops.append(MultiRZ(f[i] * f[j], wires=[a, b]))
        return ops


class QFT(Operation):
    """The quantum Fourier transform on n wires: |k⟩ ↦ 2^(−n/2) Σ_j e^(2πi jk/2ⁿ) |j⟩, with the
    first wire the most significant bit.

    Decomposes into Hadamards, controlled phase shifts and the final SWAPs that reverse the wire
    order; ``kt.adjoint(kt.QFT(wires=...))`` is the inverse transform.
    """

    num_params = 0

    def __init__(self, wires, *, id=None):
        self.hyperparameters = {"n_wires": len(Wires(wires))}
        super().__init__(wires=wires, id=id)

    @staticmethod
    def compute_matrix(n_wires):
        dim = 2 ** n_wires
        j = np.arange(dim)
        return np.exp(2j * np.pi * np.outer(j, j) / dim) / np.sqrt(dim)

    @staticmethod
    def compute_decomposition(wires, n_wires):
        n = n_wires
        ops = []
        for i in range(n):
            ops.append(Hadamard(wires=wires[i]))
            for j in range(i + 1, n):
                ops.append(ControlledPhaseShift(np.pi / 2 ** (j - i), wires=[wires[j], wires[i]]))
        ops += [SWAP(wires=[wires[i], wires[n - 1 - i]]) for i in range(n // 2)]
        return ops
