"""Non-parameterized gates; the Pauli operators and Hadamard are also observables."""
from __future__ import annotations

import numpy as np

from kettle.core.operator import Observable, Operation

_S2 = 1 / np.sqrt(2)
_I = np.eye(2, dtype=complex)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
_PM = np.array([1.0, -1.0])


def _ctrl(u: np.ndarray, n_controls: int = 1) -> np.ndarray:
    d = u.shape[0]
    full = np.eye(d * 2 ** n_controls, dtype=complex)
    full[-d:, -d:] = u
    return full


class _Constant(Operation):
    """A gate whose matrix is a fixed NumPy array."""

    _matrix: np.ndarray

    @classmethod
    def compute_matrix(cls):
        return cls._matrix


class _SelfInverse(_Constant):
    def adjoint(self):
        return type(self).unqueued(wires=self.wires)


class Identity(Observable, _SelfInverse):
    """The identity on any number of wires; also an observable with eigenvalue 1."""
    pauli_letter = "I"  # engine dispatch: a factor of a Pauli word

    is_involutory = True

    def matrix(self, wire_order=None):
        from kettle.core.operator import expand_matrix

        mat = np.eye(2 ** len(self.wires), dtype=complex)
        return mat if wire_order is None else expand_matrix(mat, self.wires, wire_order)

    has_matrix = True
    has_diagonal = True

    def diagonal(self):
        return np.ones(2 ** len(self.wires), dtype=complex)

    def eigvals(self):
        return np.ones(2 ** len(self.wires))

    def diagonalizing_gates(self):
        return []

    @staticmethod
    def compute_decomposition(wires):
        return []  # nothing to apply

    def label(self, decimals=2):
        return "I"


class PauliX(Observable, _SelfInverse):
    """Pauli X (NOT) gate and observable, [[0, 1], [1, 0]]; eigenvalues ±1.

    Self-inverse; no parameters, so no generator. Usage: ``kt.PauliX(wires=0)`` or ``kt.X(0)``.
    """

    pauli_letter = "X"
    target_is_x = True  # engine dispatch: a bit flip under num_controls controls
    num_controls = 0
    num_wires = 1
    is_involutory = True
    _matrix = _X

    @staticmethod
    def compute_eigvals():
        return _PM

    def diagonalizing_gates(self):
        return [Hadamard.unqueued(self.wires)]

    def label(self, decimals=2):
        return "X"


class PauliY(Observable, _SelfInverse):
    """Pauli Y gate and observable, [[0, −i], [i, 0]]; eigenvalues ±1.

    Self-inverse; no parameters, so no generator. Usage: ``kt.PauliY(wires=0)`` or ``kt.Y(0)``.
    """

    pauli_letter = "Y"
    num_wires = 1
    is_involutory = True
    _matrix = _Y

    @staticmethod
    def compute_eigvals():
        return _PM

    def diagonalizing_gates(self):
        return [PauliZ.unqueued(self.wires), S.unqueued(self.wires), Hadamard.unqueued(self.wires)]

    @staticmethod
    def compute_decomposition(wires):
        from kettle.core.ops.adjoint import Adjoint

        return [Adjoint(S(wires)), PauliX(wires), S(wires)]  # S X S† = Y exactly (matrix order)

    def label(self, decimals=2):
        return "Y"


class PauliZ(Observable, _SelfInverse):
    """Pauli Z gate and observable, diag(1, −1); eigenvalues ±1.

    Self-inverse; no parameters, so no generator. Usage: ``kt.PauliZ(wires=0)`` or ``kt.Z(0)``.
    """

    pauli_letter = "Z"
    num_wires = 1
    is_involutory = True
    _matrix = _Z
    has_diagonal = True

    @staticmethod
    def compute_diagonal():
        return np.array([1, -1], dtype=complex)

    @staticmethod
    def compute_eigvals():
        return _PM

    def diagonalizing_gates(self):
        return []

    @staticmethod
    def compute_decomposition(wires):
        return [S(wires), S(wires)]  # S² = diag(1, −1)

    def label(self, decimals=2):
        return "Z"


class Hadamard(Observable, _SelfInverse):
    """Hadamard gate and observable, [[1, 1], [1, −1]]/√2; eigenvalues ±1.

    Self-inverse; maps |0⟩ to |+⟩. Usage: ``kt.Hadamard(wires=0)`` or ``kt.H(0)``.
    """

    num_wires = 1
    is_involutory = True
    _matrix = np.array([[1, 1], [1, -1]], dtype=complex) * _S2

    @staticmethod
    def compute_eigvals():
        return _PM

    def diagonalizing_gates(self):
        from kettle.core.ops.parametric import RY

        return [RY.unqueued(-np.pi / 4, self.wires)]

    def label(self, decimals=2):
        return "H"


class S(_Constant):
    """Phase gate S = diag(1, i), the square root of PauliZ.

    Its inverse is ``kt.adjoint(kt.S(w))``; no parameters, so no generator.
    """

    num_wires = 1
    _matrix = np.diag([1, 1j])
    has_diagonal = True

    @staticmethod
    def compute_diagonal():
        return np.array([1, 1j])


class T(_Constant):
    """T gate, diag(1, e^{iπ/4}), the square root of S.

    Its inverse is ``kt.adjoint(kt.T(w))``; no parameters, so no generator.
    """

    num_wires = 1
    _matrix = np.diag([1, np.exp(1j * np.pi / 4)])
    has_diagonal = True

    @staticmethod
    def compute_diagonal():
        return np.array([1, np.exp(1j * np.pi / 4)])


class SX(_Constant):
    """Square root of PauliX, [[1 + i, 1 − i], [1 − i, 1 + i]]/2 (SX·SX = X).

    No parameters, so no generator.
    """

    num_wires = 1
    _matrix = 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])

    @staticmethod
    def compute_decomposition(wires):
        return [Hadamard(wires), S(wires), Hadamard(wires)]  # H S H = √X exactly


class CNOT(_SelfInverse):
    """Controlled NOT on wires [control, target]: flips the target when the control is |1⟩.

    Matrices act on basis states |b₀b₁…⟩ with the first wire as the most significant bit.
    Matrix [[1,0,0,0],[0,1,0,0],[0,0,0,1],[0,0,1,0]]; self-inverse.
    """

    target_is_x = True
    num_controls = 1
    num_wires = 2
    _matrix = _ctrl(_X)

    def label(self, decimals=2):
        return "X"


class CZ(_SelfInverse):
    """Controlled Z on wires [control, target]: diag(1, 1, 1, −1), symmetric in its wires.

    Self-inverse; decomposes as H(target)·CNOT·H(target).
    """

    num_controls = 1  # matrix is controlled-U: identity but on the last wire's block
    num_wires = 2
    _matrix = _ctrl(_Z)
    has_diagonal = True

    @staticmethod
    def compute_diagonal():
        return np.array([1, 1, 1, -1], dtype=complex)

    @staticmethod
    def compute_decomposition(wires):
        return [Hadamard(wires[1]), CNOT(wires=wires), Hadamard(wires[1])]

    def label(self, decimals=2):
        return "Z"


class CY(_SelfInverse):
    """Controlled Y on wires [control, target]: applies PauliY to the target when the control is |1⟩.

    Matrices act on basis states |b₀b₁…⟩ with the first wire as the most significant bit.
    Self-inverse.
    """

    num_controls = 1
    num_wires = 2
    _matrix = _ctrl(_Y)

    @staticmethod
    def compute_decomposition(wires):
        from kettle.core.ops.adjoint import Adjoint

        return [Adjoint(S(wires[1])), CNOT(wires=wires), S(wires[1])]

    def label(self, decimals=2):
        return "Y"


class SWAP(_SelfInverse):
    """Exchanges the states of two wires: |ab⟩ → |ba⟩.

    Self-inverse; decomposes into three CNOTs.
    """

    is_swap = True
    num_wires = 2
    _matrix = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)

    @staticmethod
    def compute_decomposition(wires):
        a, b = wires
        return [CNOT(wires=[a, b]), CNOT(wires=[b, a]), CNOT(wires=[a, b])]


class ISWAP(_Constant):
    """Exchanges two wires with a phase i on the swapped amplitudes: |01⟩ → i|10⟩, |10⟩ → i|01⟩.

    Matrices act on basis states |b₀b₁…⟩ with the first wire as the most significant bit.
    """

    num_wires = 2
    _matrix = np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]], dtype=complex)

    @staticmethod
    def compute_decomposition(wires):
        a, b = wires
        return [S(a), S(b), Hadamard(a), CNOT(wires=[a, b]), CNOT(wires=[b, a]), Hadamard(b)]


class Toffoli(_SelfInverse):
    """Doubly controlled NOT on wires [control, control, target] (CCX).

    Matrices act on basis states |b₀b₁…⟩ with the first wire as the most significant bit.
    Self-inverse.
    """

    target_is_x = True
    num_controls = 2
    num_wires = 3
    _matrix = _ctrl(_X, 2)

    @staticmethod
    def compute_decomposition(wires):
        """The textbook circuit of six CNOTs and T gates (exact, no global phase)."""
        from kettle.core.ops.adjoint import Adjoint

        a, b, c = wires
        return [Hadamard(c), CNOT(wires=[b, c]), Adjoint(T(c)), CNOT(wires=[a, c]), T(c),
                CNOT(wires=[b, c]), Adjoint(T(c)), CNOT(wires=[a, c]), T(b), T(c), Hadamard(c),
                CNOT(wires=[a, b]), T(a), Adjoint(T(b)), CNOT(wires=[a, b])]

    def label(self, decimals=2):
        return "X"


class CSWAP(_SelfInverse):
    """Controlled SWAP (Fredkin) on wires [control, a, b]: swaps a and b when the control is |1⟩.

    Matrices act on basis states |b₀b₁…⟩ with the first wire as the most significant bit.
    Self-inverse.
    """

    num_wires = 3
    _matrix = _ctrl(SWAP._matrix)

    @staticmethod
    def compute_decomposition(wires):
        a, b, c = wires
        return [CNOT(wires=[c, b]), Toffoli(wires=[a, b, c]), CNOT(wires=[c, b])]

    def label(self, decimals=2):
        return "SWAP"


# Shorthands used in the field: X(0) @ Z(1).
X, Y, Z, H = PauliX, PauliY, PauliZ, Hadamard
