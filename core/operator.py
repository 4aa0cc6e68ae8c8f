"""The operator hierarchy: Operator, Operation (gates) and Observable.

One gate is one small class: wires and parameter counts, its matrix (built with autoray so every
framework and a leading batch axis work), generator, parameter frequencies and decomposition.
"""
from __future__ import annotations

import copy
from typing import Any, Sequence

import autoray as ar
import numpy as np

from kettle.core import qmath, queuing
from kettle.core.wires import Wires
from kettle.errors import (
    DecompositionUndefinedError,
    GeneratorUndefinedError,
    MatrixUndefinedError,
    OperatorError,
)

anp = ar.numpy


def _numeric(p: Any) -> bool:
    """Numbers, numeric arrays and framework tensors (strings, None and object arrays are not)."""
    if p is None or isinstance(p, (str, bytes)):
        return False
    if isinstance(p, np.ndarray):
        return p.dtype.kind in "biufc"
    return True


def _complex_value(p: Any) -> Any:
    """A complex parameter's offending value (its first entry with an imaginary part), or None
    for real ones. Traced complex values count as complex: their imaginary part is unknown."""
    if isinstance(p, (int, float)):
        return None
    if isinstance(p, complex):
        return p if p.imag else None
    if not qmath.dtype_name(p).startswith("complex"):
        return None
    if qmath.is_abstract(p):
        return p
    values = np.atleast_1d(qmath.to_numpy(p))
    bad = values[values.imag != 0]
    return complex(bad.flat[0]) if bad.size else None


def _coerce_param(p: Any) -> Any:
    if isinstance(p, (list, tuple)):
        return np.asarray(p)
    return p


class Operator:
    """Base class of gates, observables, state preparations and templates.

    Class attributes:
        num_wires: number of wires, or None for any number (at least one).
        num_params: number of parameters.
        ndim_params: expected number of dimensions of each parameter (without a batch axis).
        prepares_state: it sets the state (StatePrep, BasisState) instead of acting on it: no
            generator, no adjoint, and gradient methods never decompose it.
        is_involutory: it is its own square root of the identity (O² = I): a variance needs no
            ⟨O²⟩ circuit.
    """

    num_wires: int | None = None
    num_params: int = 0
    ndim_params: tuple[int, ...] = ()
    #: True for loops and conditionals recorded as one operation (see compiler/quantum_flow.py)
    control_flow: bool = False
    prepares_state: bool = False
    is_involutory: bool = False
    #: True when every parameter is a real angle (rotations): complex values are an error
    real_params: bool = False

    def __init__(self, *params: Any, wires: Any = None, id: str | None = None):
        if wires is None:
            if len(params) == self.num_params + 1:
                params, wires = params[:-1], params[-1]
            else:
                raise OperatorError(
                    f"{self.name} needs its wires: e.g. {self.name}({'x, ' * self.num_params}wires=0)",
                    operator=self.name,
                )
        if len(params) != self.num_params:
            raise OperatorError(
                f"{self.name} takes {self.num_params} parameter(s), got {len(params)}",
                operator=self.name,
            )
        self.wires = Wires(wires)
        if len(self.wires) == 0:
            raise OperatorError(f"{self.name} needs at least one wire", operator=self.name)
        if self.num_wires is not None and len(self.wires) != self.num_wires:
            raise OperatorError(
                f"{self.name} acts on {self.num_wires} wire(s), got {len(self.wires)}: {list(self.wires)}",
                operator=self.name,
            )
        self.data = tuple(_coerce_param(p) for p in params)
        for i, p in enumerate(self.data):
            if not _numeric(p):
                raise OperatorError(
                    f"parameter {i} of {self.name} must be a number or a numeric array, got {p!r}",
                    operator=self.name)
            if self.real_params and (bad := _complex_value(p)) is not None:
                raise OperatorError(
                    f"{self.name} takes real angles, but parameter {i} is the complex number {bad!r}: a "
                    f"complex angle makes the gate non-unitary; pass a real number (complex values "
                    f"belong in QubitUnitary, StatePrep or Hermitian)", operator=self.name)
        self.id = id
        self.hyperparameters: dict[str, Any] = getattr(self, "hyperparameters", {})
        self._batch_size = self._find_batch_size()
        queuing.queue(self)

    @classmethod
    def unqueued(cls, *args: Any, **kwargs: Any) -> "Operator":
        """Build the operator without recording it on the active tape."""
        with queuing.stop_recording():
            return cls(*args, **kwargs)

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def batch_size(self) -> int | None:
        """Size of the leading batch axis of the parameters, or None when not broadcast."""
        return self._batch_size

    def _find_batch_size(self) -> int | None:
        sizes = set()
        for i, (p, nd) in enumerate(zip(self.data, self.ndim_params)):
            d = qmath.ndim(p)
            if d == nd + 1:
                sizes.add(qmath.shape(p)[0])
            elif d != nd:
                raise OperatorError(
                    f"parameter {i} of {self.name} must have {nd} dimension(s), or {nd + 1} with a "
                    f"leading batch axis; got shape {qmath.shape(p)}",
                    operator=self.name,
                )
        if len(sizes) > 1:
            raise OperatorError(
                f"parameters of {self.name} have different batch sizes {sorted(sizes)}",
                operator=self.name,
            )
        return sizes.pop() if sizes else None

    def __repr__(self) -> str:
        params = ", ".join(_short(p) for p in self.data)
        sep = ", " if params else ""
        return f"{self.name}({params}{sep}wires={list(self.wires)})"

    def label(self, decimals: int | None = 2) -> str:
        """Short text for drawings, e.g. ``RX(0.10)``."""
        if not self.data or decimals is None:
            return self.name
        if any(qmath.ndim(p) > 0 for p in self.data):
            return self.name
        vals = ",".join(f"{float(np.real(qmath.to_numpy(p))):.{decimals}f}" for p in self.data)
        return f"{self.name}({vals})"

    # ------------------------------------------------------------------ representations
    @staticmethod
    def compute_matrix(*params, **hyperparameters):
        raise MatrixUndefinedError

    has_diagonal = False

    def matrix(self, wire_order: Sequence | None = None):
        """The matrix in the operator's own wire order, or expanded to ``wire_order``."""
        try:
            mat = self.compute_matrix(*self.data, **self.hyperparameters)
        except MatrixUndefinedError:
            raise MatrixUndefinedError(f"{self.name} has no matrix representation") from None
        if wire_order is None or list(wire_order) == list(self.wires):
            return mat
        return expand_matrix(mat, self.wires, Wires(wire_order))

    @property
    def has_matrix(self) -> bool:
        return type(self).compute_matrix is not Operator.compute_matrix

    def diagonal(self):
        """The diagonal of a diagonal gate, shape ``(batch?, 2**n)``."""
        return self.compute_diagonal(*self.data, **self.hyperparameters)

    @staticmethod
    def compute_decomposition(*params, wires, **hyperparameters):
        raise DecompositionUndefinedError

    @property
    def has_decomposition(self) -> bool:
        return type(self).compute_decomposition is not Operator.compute_decomposition

    def decomposition(self) -> list["Operator"]:
        with queuing.stop_recording():
            try:
                return self.compute_decomposition(*self.data, wires=self.wires, **self.hyperparameters)
            except DecompositionUndefinedError:
                raise DecompositionUndefinedError(f"{self.name} has no decomposition") from None

    # ------------------------------------------------------------------ calculus
    def generator(self) -> "Observable":
        """Observable G with U(θ) = exp(-iθG)."""
        raise GeneratorUndefinedError(f"{self.name} has no generator")

    @property
    def has_generator(self) -> bool:
        return type(self).generator is not Operator.generator

    #: whether the generator depends only on the class, wires count and hyperparameters (not on
    #: the parameter values): then frequencies are computed once per such structure and cached.
    #: A gate whose generator is built from its parameters sets this to False.
    generator_is_structural: bool = True

    @property
    def parameter_frequencies(self) -> list[tuple[float, ...]]:
        """Frequencies of each parameter: positive differences of the generator's eigenvalues."""
        key = _structure_key(self) if self.generator_is_structural else None
        cached = _FREQUENCIES.get(key) if key is not None else None
        if cached is not None:
            return list(cached)
        with queuing.stop_recording():
            ev = np.real(qmath.to_numpy(self.generator().eigvals()))
        diffs = np.abs(ev[:, None] - ev[None, :]).round(12)
        freqs = [tuple(float(f) for f in np.unique(diffs[diffs > 0]))]
        if key is not None:
            _FREQUENCIES[key] = tuple(freqs)
        return freqs

    def adjoint(self) -> "Operator":
        from kettle.core.ops.adjoint import Adjoint

        with queuing.stop_recording():
            return Adjoint(self)

    # ------------------------------------------------------------------ copies
    def with_parameters(self, params: Sequence) -> "Operator":
        """A shallow copy with new parameters (not recorded on any tape)."""
        new = copy.copy(self)
        new.data = tuple(params)
        new._batch_size = new._find_batch_size()
        return new

    def map_wires(self, wire_map: dict) -> "Operator":
        new = copy.copy(self)
        new.wires = Wires([wire_map.get(w, w) for w in self.wires])
        return new


#: parameter frequencies per gate structure (see Operator.generator_is_structural)
_FREQUENCIES: dict = {}


def _structure_key(op) -> tuple | None:
    """(class, name, number of wires, hyperparameters, wrapped gate, control values) when all are
    hashable, else None."""
    def freeze(value):
        if isinstance(value, Operator):
            inner = _structure_key(value)
            if inner is None:
                raise TypeError
            return inner
        if isinstance(value, (list, tuple)):
            return tuple(freeze(v) for v in value)
        if isinstance(value, dict):
            return tuple(sorted((k, freeze(v)) for k, v in value.items()))
        hash(value)
        if isinstance(value, np.ndarray):
            raise TypeError
        return value

    try:
        base = getattr(op, "base", None)  # wrappers such as Adjoint: the wrapped gate's structure
        # a controlled gate's control values sit outside its hyperparameters
        return (type(op), op.name, len(op.wires), freeze(op.hyperparameters),
                freeze(base) if base is not None else None,
                freeze(getattr(op, "control_values", None)))
    except TypeError:
        return None


class Operation(Operator):
    """A gate: an operator applied to the state."""


class Observable(Operator):
    """An operator whose expectation value can be measured.

    Subclasses provide eigenvalues and the gates that rotate into their eigenbasis.
    """

    @staticmethod
    def compute_eigvals(*params, **hyperparameters):
        raise NotImplementedError

    def eigvals(self):
        """Eigenvalues in the order of the computational basis after :meth:`diagonalizing_gates`."""
        try:
            return self.compute_eigvals(*self.data, **self.hyperparameters)
        except NotImplementedError:
            return self._eigh()[0]

    def diagonalizing_gates(self) -> list[Operation]:
        """Gates U such that U O U† is diagonal with :meth:`eigvals` on the diagonal."""
        from kettle.core.ops.matrix_ops import QubitUnitary

        _, vecs = self._eigh()
        with queuing.stop_recording():
            return [QubitUnitary(vecs.conj().T, wires=self.wires)]

    def _eigh(self):
        mat = qmath.to_numpy(self.matrix())
        return np.linalg.eigh(mat)

    # ---------------------------------------------------------------- arithmetic
    def __matmul__(self, other):
        from kettle.core.ops.observables import Hamiltonian, Tensor

        if isinstance(other, Hamiltonian):
            return other.__rmatmul__(self)
        if not isinstance(other, Observable):
            return NotImplemented
        return Tensor(self, other)

    def __add__(self, other):
        from kettle.core.ops.observables import Hamiltonian

        if isinstance(other, Hamiltonian):
            return other.__radd__(self)
        if isinstance(other, Observable):
            return Hamiltonian([1.0, 1.0], [self, other])
        if _is_zero(other):  # sum(observables) starts from 0
            return self
        return NotImplemented

    __radd__ = __add__

    def __mul__(self, scalar):
        from kettle.core.ops.observables import Hamiltonian

        if isinstance(scalar, Operator):
            return NotImplemented
        return Hamiltonian([scalar], [self])

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        if isinstance(other, Observable):
            return self + (-1.0) * other
        return NotImplemented


def _is_zero(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x == 0


def _short(p: Any) -> str:
    if qmath.ndim(p) == 0:
        try:
            return f"{float(np.real(qmath.to_numpy(p))):.4g}"
        except Exception:  # traced values have no number yet
            return "?"
    return f"array{qmath.shape(p)}"


def expand_matrix(mat: Any, op_wires: Wires, wire_order: Wires) -> Any:
    """Embed the matrix of an operator on ``op_wires`` into the space of ``wire_order``.

    Works for every framework and a leading batch axis.
    """
    missing = [w for w in op_wires if w not in wire_order]
    if missing:
        from kettle.errors import WireError

        raise WireError(f"wires {missing} are not in the wire order {list(wire_order)}", wires=missing)
    n, k = len(wire_order), len(op_wires)
    batched = qmath.ndim(mat) == 3
    rest = [w for w in wire_order if w not in op_wires]
    eye = qmath.convert_like(np.eye(2 ** (n - k)), mat)
    letters = "abcdefghijklmnopqrstuvwxyz"
    # indices: op out (k), op in (k), rest out (n-k), rest in (n-k)
    oo, oi = letters[:k], letters[k:2 * k]
    ro, ri = letters[2 * k:2 * k + n - k], letters[2 * k + n - k:2 * n]
    b = "Z" if batched else ""
    m = ar.do("reshape", mat, ((qmath.shape(mat)[0],) if batched else ()) + (2,) * (2 * k))
    e = ar.do("reshape", eye, (2,) * (2 * (n - k)))
    order = list(op_wires) + rest
    out_idx = "".join((oo + ro)[order.index(w)] for w in wire_order)
    in_idx = "".join((oi + ri)[order.index(w)] for w in wire_order)
    full = ar.do("einsum", f"{b}{oo}{oi},{ro}{ri}->{b}{out_idx}{in_idx}", m, e)
    dim = 2 ** n
    return ar.do("reshape", full, ((qmath.shape(mat)[0],) if batched else ()) + (dim, dim))
