"""Operators given by arrays: QubitUnitary, BasisState, StatePrep."""
from __future__ import annotations

import autoray as ar
import numpy as np

from kettle.core import qmath, queuing
from kettle.core.operator import Operation
from kettle.errors import DecompositionUndefinedError, MatrixError, OperatorError, StatePrepError

_TOL = 1e-6


def check_square_matrix(name: str, mat, n_wires: int):
    shape = qmath.shape(mat)
    dim = 2 ** n_wires
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise MatrixError(f"{name} needs a square matrix, got shape {shape}", operator=name, matrix=mat)
    if shape[-1] != dim:
        raise MatrixError(
            f"{name} on {n_wires} wire(s) needs a {dim}x{dim} matrix, got {shape[-2]}x{shape[-1]}",
            operator=name, matrix=mat,
        )


class QubitUnitary(Operation):
    """An arbitrary unitary matrix (2**n × 2**n, optionally with a leading batch axis)."""

    num_params = 1
    ndim_params = (2,)

    def __init__(self, U, wires, *, id=None, unitary_check: bool = True):
        super().__init__(U, wires=wires, id=id)
        U = self.data[0]
        check_square_matrix(self.name, U, len(self.wires))
        if unitary_check and not qmath.is_abstract(U):
            m = qmath.to_numpy(U)
            eye = np.eye(m.shape[-1])
            prod = np.einsum("...ji,...jk->...ik", m.conj(), m)
            if not np.allclose(prod, eye, atol=_TOL * 10 if m.dtype == np.complex64 else _TOL):
                err = float(np.max(np.abs(prod - eye)))
                raise MatrixError(
                    f"QubitUnitary needs a unitary matrix; U†U differs from the identity by {err:.3g}",
                    operator=self.name, matrix=U,
                )

    @staticmethod
    def compute_matrix(U):
        return qmath.as_complex(U)

    def adjoint(self):
        U = self.data[0]
        Ud = qmath.anp.conj(qmath.anp.swapaxes(qmath.as_complex(U), -1, -2))
        return QubitUnitary.unqueued(Ud, wires=self.wires, unitary_check=False)

    def label(self, decimals=2):
        return "U"


def off_unit_norm(vec) -> float | None:
    """The first norm (over the last axis) that is not 1 within the precision's tolerance, or None
    when every vector is normalized or the values are known only at run time."""
    if qmath.is_abstract(vec):
        return None
    norms = np.atleast_1d(np.linalg.norm(qmath.to_numpy(vec), axis=-1))
    atol = 1e-5 if qmath.complex_dtype(vec) == "complex64" else 1e-8
    bad = norms[~np.isclose(norms, 1.0, atol=atol, rtol=0)]
    return float(bad[0]) if bad.size else None


_NO_INVERSE = ("{name} prepares a state from |0…0⟩ and has no adjoint: it is not a gate on arbitrary "
               "states; invert the gates that follow it instead")


class StatePrep(Operation):
    """Prepare the given state vector on ``wires`` (which must still be in |0…0⟩).

    Args:
        state: vector of length 2**len(wires) (optionally with a leading batch axis).
        wires: target wires.
        normalize: divide the vector by its norm instead of requiring norm 1.
    """
    prepares_state = True

    num_params = 1
    ndim_params = (1,)

    def __init__(self, state, wires, *, normalize: bool = False, id=None):
        super().__init__(state, wires=wires, id=id)
        vec = self.data[0]
        dim = 2 ** len(self.wires)
        length = qmath.shape(vec)[-1]
        if length != dim:
            raise StatePrepError(
                f"StatePrep on {len(self.wires)} wire(s) needs a vector of length {dim}, got {length}",
                operator=self.name,
            )
        if normalize:
            if not qmath.is_abstract(vec) and np.any(
                    np.linalg.norm(qmath.to_numpy(vec), axis=-1) == 0):
                raise StatePrepError("StatePrep(normalize=True) got a zero vector, which has no "
                                     "direction to normalize", operator=self.name)
            norm = qmath.anp.sqrt(qmath.anp.sum(qmath.anp.abs(vec) ** 2, axis=-1))
            if qmath.ndim(norm) > 0:
                norm = qmath.anp.reshape(norm, (-1, 1))
            self.data = (vec / norm,)
        elif (norm := off_unit_norm(vec)) is not None:
            raise StatePrepError(
                f"StatePrep needs a normalized vector (norm {norm:.6g}); pass normalize=True to "
                "normalize it", operator=self.name)

    def adjoint(self):
        raise OperatorError(_NO_INVERSE.format(name=self.name), operator=self.name)

    def label(self, decimals=2):
        return "|Ψ⟩"


class BasisState(Operation):
    """Prepare the computational basis state given by a vector of 0s and 1s."""
    prepares_state = True

    num_params = 1
    ndim_params = (1,)

    def __init__(self, state, wires, *, id=None):
        super().__init__(state, wires=wires, id=id)
        bits = self.data[0]
        length = qmath.shape(bits)[-1]
        if length != len(self.wires):
            raise StatePrepError(
                f"BasisState on {len(self.wires)} wire(s) needs {len(self.wires)} bits, got {length}",
                operator=self.name,
            )
        if not qmath.is_abstract(bits):
            values = set(np.unique(qmath.to_numpy(bits)).tolist())
            if not values <= {0, 1}:
                raise StatePrepError(
                    f"BasisState takes bits 0 and 1, got values {sorted(values)}", operator=self.name
                )

    @property
    def has_decomposition(self) -> bool:
        return not qmath.is_abstract(self.data[0]) and qmath.ndim(self.data[0]) == 1

    def adjoint(self):
        raise OperatorError(_NO_INVERSE.format(name=self.name), operator=self.name)

    def decomposition(self):
        """PauliX on each wire whose bit is 1 (from |0…0⟩, where BasisState starts)."""
        from kettle.core.ops.qubit import PauliX

        if not self.has_decomposition:
            raise DecompositionUndefinedError(
                "BasisState with run-time or broadcast bits has no gate decomposition")
        bits = qmath.to_numpy(self.data[0]).astype(int)
        with queuing.stop_recording():
            return [PauliX(w) for w, bit in zip(self.wires, bits) if bit]

    def state_vector(self):
        """The prepared vector on this operator's wires (shape (batch?, 2**n))."""
        n = len(self.wires)
        if qmath.is_abstract(self.data[0]):  # bits known only when a compiled program runs
            bits = self.data[0]
            weights = qmath.convert_like(2 ** np.arange(n - 1, -1, -1), bits, dtype="int32")
            index = ar.do("sum", ar.astype(bits, "int32") * weights, axis=-1)
            return qmath.convert_like(np.eye(2 ** n), bits, dtype="complex128")[index]
        b = qmath.to_numpy(self.data[0]).astype(int)
        index = b @ (2 ** np.arange(n - 1, -1, -1))
        vec = np.zeros(b.shape[:-1] + (2 ** n,), dtype=complex)
        if b.ndim == 1:
            vec[index] = 1
        else:
            vec[np.arange(b.shape[0]), index] = 1
        return vec

    def label(self, decimals=2):
        if qmath.ndim(self.data[0]) != 1 or qmath.is_abstract(self.data[0]):
            return "|basis⟩"
        return "|" + "".join(str(int(v)) for v in qmath.to_numpy(self.data[0]).ravel()) + "⟩"
