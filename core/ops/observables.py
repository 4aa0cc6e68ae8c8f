"""Observables given by arrays (Hermitian, Projector) and composite observables (Tensor, Hamiltonian)."""
from __future__ import annotations

import functools
from typing import Any, Sequence

import autoray as ar
import numpy as np

from kettle.core import qmath, queuing
from kettle.core.operator import Observable, Operator, _is_zero, expand_matrix
from kettle.core.ops.matrix_ops import check_square_matrix, off_unit_norm
from kettle.core.wires import Wires
from kettle.errors import MatrixError, OperatorError, WireError


class Hermitian(Observable):
    """An observable given by a Hermitian matrix (2**n × 2**n)."""

    num_params = 1
    ndim_params = (2,)

    def __init__(self, A, wires, *, id=None):
        super().__init__(A, wires=wires, id=id)
        A = self.data[0]
        check_square_matrix(self.name, A, len(self.wires))
        if not qmath.is_abstract(A):
            m = qmath.to_numpy(A)
            err = float(np.max(np.abs(m - np.swapaxes(m.conj(), -1, -2))))
            if err > 1e-8 * max(1.0, float(np.max(np.abs(m)))):
                raise MatrixError(
                    f"Hermitian needs a Hermitian matrix; A - A† has entries up to {err:.3g}",
                    operator=self.name, matrix=A,
                )

    @staticmethod
    def compute_matrix(A):
        return qmath.as_complex(A)

    def label(self, decimals=2):
        return "𝓗"


def _plain_number(v):
    """``2`` rather than ``2.0`` for whole numbers in messages."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


class Projector(Observable):
    """Projector onto a basis state (bits, one per wire) or a state vector (length 2**n)."""

    num_params = 1
    ndim_params = (1,)

    def __init__(self, state, wires, *, id=None):
        super().__init__(state, wires=wires, id=id)
        n = len(self.wires)
        length = qmath.shape(self.data[0])[-1]
        if length == n and not qmath.is_abstract(self.data[0]):
            values = qmath.to_numpy(self.data[0])
            bad = [v for v in np.unique(values).tolist() if v not in (0, 1)]
            if bad:
                raise OperatorError(
                    f"Projector on wires {list(self.wires)} got the basis state "
                    f"{values.tolist()}: {_plain_number(bad[0])} is not a bit; each entry must be "
                    f"0 or 1 (or pass a state vector of length {2 ** n})", operator=self.name)
            self.hyperparameters = {"kind": "basis"}
        elif length == 2 ** n:
            self.hyperparameters = {"kind": "vector"}
            if (norm := off_unit_norm(self.data[0])) is not None:
                raise OperatorError(f"Projector onto a state vector needs a normalized vector "
                                    f"(norm {norm:.6g}); divide it by its norm", operator=self.name)
        else:
            raise OperatorError(
                f"Projector on {n} wire(s) takes {n} bits (a basis state) or a vector of length "
                f"{2 ** n}, got length {length}",
                operator=self.name,
            )

    @staticmethod
    def compute_matrix(state, kind):
        if kind == "basis":
            bits = qmath.to_numpy(state).astype(int)
            n = bits.shape[-1]
            vec = np.zeros(2 ** n, dtype=complex)
            vec[int(bits @ (2 ** np.arange(n - 1, -1, -1)))] = 1
            return np.outer(vec, vec)
        v = qmath.as_complex(state)
        return ar.do("einsum", "...i,...j->...ij", v, ar.do("conj", v))

    @property
    def has_diagonal(self) -> bool:
        return self.hyperparameters.get("kind") == "basis"

    def diagonal(self):
        return np.diag(self.matrix())

    def eigvals(self):
        if self.hyperparameters["kind"] == "basis":
            return np.real(self.diagonal())
        values = super().eigvals()
        if qmath.is_abstract(values) or qmath.backend_of(values) != "numpy":
            return values
        return np.round(values)  # exactly 0 and 1 (eigh leaves ~1e-16), e.g. as counts keys

    def diagonalizing_gates(self):
        return [] if self.hyperparameters["kind"] == "basis" else super().diagonalizing_gates()

    def label(self, decimals=2):
        if self.hyperparameters["kind"] == "basis":
            return "|" + "".join(str(int(b)) for b in qmath.to_numpy(self.data[0])) + "⟩⟨" + \
                "".join(str(int(b)) for b in qmath.to_numpy(self.data[0])) + "|"
        return "P"


class Tensor(Observable):
    """Tensor product of observables on disjoint wires (written ``A @ B``)."""

    def __init__(self, *obs: Observable, id=None):
        factors: list[Observable] = []
        for o in obs:
            factors.extend(o.obs if isinstance(o, Tensor) else [o])
        seen: list = []
        for o in factors:
            overlap = [w for w in o.wires if w in seen]
            if overlap:
                raise WireError(
                    f"tensor product factors must act on different wires; {o.name} repeats wire(s) "
                    f"{overlap}", wires=overlap)
            seen.extend(o.wires)
        self.obs = factors
        self.num_params = sum(o.num_params for o in factors)
        self.ndim_params = tuple(nd for o in factors for nd in o.ndim_params)
        queuing.unqueue(*obs)
        super().__init__(*[p for o in factors for p in o.data], wires=Wires(seen), id=id)

    @property
    def name(self) -> str:
        return "Tensor"

    def __repr__(self):
        return " @ ".join(repr(o) for o in self.obs)

    def label(self, decimals=2):
        return "@".join(o.label(decimals) for o in self.obs)

    def _factors(self):
        out, i = [], 0
        for o in self.obs:
            out.append(o.with_parameters(self.data[i:i + o.num_params]) if o.num_params else o)
            i += o.num_params
        return out

    def with_parameters(self, params):
        new = super().with_parameters(params)
        new.obs = new._factors()
        return new

    def matrix(self, wire_order=None):
        mats = [o.matrix() for o in self.obs]
        full = functools.reduce(lambda a, b: ar.do("kron", a, b), mats)
        return full if wire_order is None else expand_matrix(full, self.wires, Wires(wire_order))

    has_matrix = True

    @property
    def has_diagonal(self):
        return all(o.has_diagonal for o in self.obs)

    def diagonal(self):
        return functools.reduce(lambda a, b: ar.do("kron", a, b), [o.diagonal() for o in self.obs])

    def eigvals(self):
        evs = [np.real(qmath.to_numpy(o.eigvals())) for o in self.obs]
        return functools.reduce(np.kron, evs)

    def diagonalizing_gates(self):
        return [g for o in self.obs for g in o.diagonalizing_gates()]

    def __matmul__(self, other):
        if isinstance(other, Observable) and not isinstance(other, Hamiltonian):
            return Tensor(self, other)
        return super().__matmul__(other)


class Hamiltonian(Observable):
    """A linear combination Σ cᵢ Oᵢ of observables (also made by ``0.5 * Z(0) @ Z(1) + X(0)``)."""

    def __init__(self, coeffs: Sequence, observables: Sequence[Observable], *, id=None):
        observables = list(observables)
        # Index arrays along their first axis (their own length, not the number of observables) so
        # that a length mismatch is reported below instead of silently dropping coefficients.
        coeffs = list(coeffs) if not hasattr(coeffs, "shape") else \
            [coeffs[i] for i in range(qmath.shape(coeffs)[0])]
        if len(coeffs) != len(observables):
            raise OperatorError(
                f"Hamiltonian needs one coefficient per observable, got {len(coeffs)} coefficients "
                f"and {len(observables)} observables", operator="Hamiltonian")
        for o in observables:
            if not isinstance(o, Observable):
                raise OperatorError(f"Hamiltonian terms must be observables, got {o!r}",
                                    operator="Hamiltonian")
        for c in coeffs:
            if qmath.dtype_name(c).startswith("complex") or isinstance(c, complex):
                raise OperatorError(
                    f"Hamiltonian coefficients must be real (an observable is Hermitian), got {c!r}",
                    operator="Hamiltonian")
        self.coeffs = coeffs
        self.ops = observables
        self.num_params = len(coeffs)
        self.ndim_params = (0,) * len(coeffs)
        queuing.unqueue(*observables)
        wires = Wires([])
        for o in observables:
            wires = wires + o.wires
        super().__init__(*coeffs, wires=wires, id=id)

    def with_parameters(self, params):
        new = super().with_parameters(params)
        new.coeffs = list(params)
        return new

    def __repr__(self):
        return " + ".join(f"{_fmt(c)} * {o!r}" for c, o in zip(self.coeffs, self.ops))

    def label(self, decimals=2):
        return "𝓗"

    def matrix(self, wire_order=None):
        order = self.wires if wire_order is None else Wires(wire_order)
        total = None
        for c, o in zip(self.data, self.ops):
            m = o.matrix(wire_order=order)
            if qmath.backend_of(c) != "numpy":
                c = qmath.as_complex(c)
                if qmath.backend_of(m) == "numpy":
                    m = qmath.convert_like(m, c)
            term = c * m
            total = term if total is None else total + term
        return total

    has_matrix = True

    # ---------------------------------------------------------------- arithmetic
    def __add__(self, other):
        if isinstance(other, Hamiltonian):
            return _new_ham(self.coeffs + other.coeffs, self.ops + other.ops, self, other)
        if isinstance(other, Observable):
            return _new_ham(self.coeffs + [1.0], self.ops + [other], self, other)
        if _is_zero(other):
            return self
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, Observable):
            return _new_ham([1.0] + self.coeffs, [other] + self.ops, self, other)
        if _is_zero(other):  # sum(...) starts from 0
            return self
        return NotImplemented

    def __mul__(self, scalar):
        if isinstance(scalar, Operator):
            return NotImplemented
        return _new_ham([scalar * c for c in self.coeffs], self.ops, self)

    __rmul__ = __mul__

    def __matmul__(self, other):
        if isinstance(other, Hamiltonian):
            coeffs = [a * b for a in self.coeffs for b in other.coeffs]
            with queuing.stop_recording():
                ops = [Tensor(x, y) for x in self.ops for y in other.ops]
            return _new_ham(coeffs, ops, self, other)
        if isinstance(other, Observable):
            with queuing.stop_recording():
                ops = [Tensor(x, other) for x in self.ops]
            return _new_ham(self.coeffs, ops, self, other)
        return NotImplemented

    def __rmatmul__(self, other):
        if isinstance(other, Observable):
            with queuing.stop_recording():
                ops = [Tensor(other, x) for x in self.ops]
            return _new_ham(self.coeffs, ops, self, other)
        return NotImplemented


def _new_ham(coeffs, ops, *parts) -> Hamiltonian:
    queuing.unqueue(*parts)
    return Hamiltonian(coeffs, ops)


def _fmt(c: Any) -> str:
    try:
        return f"{float(qmath.to_numpy(c)):.4g}"
    except Exception:
        return "?"
