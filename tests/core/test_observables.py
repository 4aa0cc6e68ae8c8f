"""Observables: matrices, eigenvalues and diagonalizing gates, tensor products and Hamiltonians."""
from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

import kettle as kt
from kettle.errors import MatrixError, OperatorError, WireError

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.array([[1, 0], [0, -1]], dtype=complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)


def kron(*ms):
    return reduce(np.kron, ms)


def hermitian(n_wires, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(2 ** n_wires,) * 2) + 1j * rng.normal(size=(2 ** n_wires,) * 2)
    return a + a.conj().T


A2 = hermitian(2, 0)
A1 = hermitian(1, 1)
PSI = np.array([0.6, 0.0, 0.48j, 0.64])  # a normalized 2-qubit vector

#: (observable, its matrix written with NumPy)
OBSERVABLES = {
    "PauliX": (lambda: kt.PauliX(wires=0), X),
    "PauliY": (lambda: kt.PauliY(wires=0), Y),
    "PauliZ": (lambda: kt.PauliZ(wires=0), Z),
    "Hadamard": (lambda: kt.Hadamard(wires=0), H),
    "Identity": (lambda: kt.Identity(wires=[0, 1]), np.eye(4)),
    "Hermitian": (lambda: kt.Hermitian(A2, wires=[0, 1]), A2),
    "Projector-basis": (lambda: kt.Projector([1, 0], wires=[0, 1]), np.diag([0, 0, 1, 0])),
    "Projector-vector": (lambda: kt.Projector(PSI, wires=[0, 1]), np.outer(PSI, PSI.conj())),
    "Tensor-XY": (lambda: kt.X(0) @ kt.Y(1), kron(X, Y)),
    "Tensor-HZI": (lambda: kt.H(0) @ kt.Z(1) @ kt.Identity(wires=2), kron(H, Z, I2)),
    "Tensor-ZHerm": (lambda: kt.Z(0) @ kt.Hermitian(A1, wires=1) @ kt.Y(2), kron(Z, A1, Y)),
    "Hamiltonian": (lambda: 0.5 * kt.Z(0) @ kt.X(1) - 1.5 * kt.Y(0) + kt.X(1), 0.5 * kron(Z, X)
                    - 1.5 * kron(Y, I2) + kron(I2, X)),
}


@pytest.mark.parametrize("name", OBSERVABLES)
def test_observable_matrix(name):
    make, ref = OBSERVABLES[name]
    np.testing.assert_allclose(make().matrix(), ref, atol=1e-12)


@pytest.mark.parametrize("name", OBSERVABLES)
def test_eigvals_and_diagonalizing_gates_are_consistent(name):
    make, ref = OBSERVABLES[name]
    obs = make()
    wires = obs.wires
    u = reduce(lambda acc, g: np.asarray(g.matrix(wire_order=wires)) @ acc, obs.diagonalizing_gates(),
               np.eye(len(ref), dtype=complex))
    rotated = u @ ref @ u.conj().T
    eigvals = np.asarray(obs.eigvals())
    np.testing.assert_allclose(rotated, np.diag(eigvals), atol=1e-10)
    np.testing.assert_allclose(np.sort(eigvals), np.linalg.eigvalsh(ref), atol=1e-10)


@pytest.mark.parametrize("name, gates", [("PauliX", ["Hadamard"]), ("PauliZ", []),
                                         ("Projector-basis", []), ("Identity", []),
                                         ("Tensor-XY", ["Hadamard", "PauliZ", "S", "Hadamard"])])
def test_diagonalizing_gates_of_simple_observables(name, gates):
    assert [g.name for g in OBSERVABLES[name][0]().diagonalizing_gates()] == gates


def test_diagonal_observables():
    np.testing.assert_allclose(kt.Projector([0, 1], wires=[0, 1]).diagonal(), [0, 1, 0, 0])
    tensor = kt.Z(0) @ kt.Projector([1], wires=1)
    assert tensor.has_diagonal
    np.testing.assert_allclose(tensor.diagonal(), [0, 1, 0, -1])
    assert not kt.Projector(PSI, wires=[0, 1]).has_diagonal
    assert not (kt.Z(0) @ kt.X(1)).has_diagonal


def test_tensor_matrix_in_other_wire_order():
    obs = kt.X("a") @ kt.Z("b")
    np.testing.assert_allclose(obs.matrix(wire_order=["b", "c", "a"]), kron(Z, I2, X), atol=1e-12)


def test_tensor_flattens_nested_products():
    obs = (kt.X(0) @ kt.Y(1)) @ (kt.Z(2) @ kt.H(3))
    assert [o.name for o in obs.obs] == ["PauliX", "PauliY", "PauliZ", "Hadamard"]
    assert list(obs.wires) == [0, 1, 2, 3]


def test_tensor_with_repeated_wire():
    with pytest.raises(WireError, match=r"tensor product factors must act on different wires; PauliX "
                                        r"repeats wire\(s\) \[0\]") as info:
        kt.Z(0) @ kt.X(0)
    assert info.value.wires == [0]


def test_hermitian_rejects_non_hermitian_matrix():
    bad = np.array([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(MatrixError, match=r"Hermitian needs a Hermitian matrix; A - A† has entries up "
                                          r"to 2") as info:
        kt.Hermitian(bad, wires=0)
    np.testing.assert_array_equal(info.value.matrix, bad)


@pytest.mark.parametrize("mat, match", [
    (np.eye(4), r"Hermitian on 1 wire\(s\) needs a 2x2 matrix, got 4x4"),
    (np.ones((2, 3)), r"Hermitian needs a square matrix, got shape \(2, 3\)"),
])
def test_hermitian_rejects_wrong_shape(mat, match):
    with pytest.raises(MatrixError, match=match):
        kt.Hermitian(mat, wires=0)


def test_projector_rejects_wrong_length():
    with pytest.raises(OperatorError, match=r"Projector on 2 wire\(s\) takes 2 bits \(a basis state\) "
                                            r"or a vector of length 4, got length 3"):
        kt.Projector([1, 0, 1], wires=[0, 1])


# ---------------------------------------------------------------------------- Hamiltonians
def test_hamiltonian_from_arithmetic():
    obs = 0.5 * kt.Z(0) @ kt.Z(1) + kt.X(0)
    assert isinstance(obs, kt.Hamiltonian)
    np.testing.assert_allclose(obs.matrix(), 0.5 * kron(Z, Z) + kron(X, I2), atol=1e-12)
    assert [float(c) for c in obs.coeffs] == [0.5, 1.0]


def test_hamiltonian_explicit_constructor_and_wire_order():
    obs = kt.Hamiltonian([0.3, -2.0], [kt.X(1) @ kt.Y(2), kt.Z(0)])
    assert list(obs.wires) == [1, 2, 0]
    np.testing.assert_allclose(obs.matrix(wire_order=[0, 1, 2]),
                               0.3 * kron(I2, X, Y) - 2.0 * kron(Z, I2, I2), atol=1e-12)


def test_hamiltonian_with_array_coefficients():
    obs = kt.Hamiltonian(np.array([1.5, -0.25]), [kt.Z(0), kt.X(0)])
    np.testing.assert_allclose(obs.matrix(), 1.5 * Z - 0.25 * X, atol=1e-12)


def test_hamiltonian_subtraction_and_negation():
    np.testing.assert_allclose((kt.Z(0) - kt.X(1)).matrix(), kron(Z, I2) - kron(I2, X), atol=1e-12)
    np.testing.assert_allclose((-(kt.Z(0) @ kt.X(1))).matrix(), -kron(Z, X), atol=1e-12)
    ham = kt.Y(0) + 2 * kt.Z(0)
    np.testing.assert_allclose((-ham).matrix(), -Y - 2 * Z, atol=1e-12)
    np.testing.assert_allclose((ham - kt.X(0)).matrix(), Y + 2 * Z - X, atol=1e-12)
    np.testing.assert_allclose((kt.X(0) - ham).matrix(), X - Y - 2 * Z, atol=1e-12)


def test_hamiltonian_scalar_multiplication_and_sums():
    ham = kt.Z(0) + 0.5 * kt.X(1)
    np.testing.assert_allclose((3.0 * ham).matrix(), 3 * kron(Z, I2) + 1.5 * kron(I2, X), atol=1e-12)
    np.testing.assert_allclose((ham * -2).matrix(), -2 * kron(Z, I2) - kron(I2, X), atol=1e-12)
    total = ham + (kt.Y(0) @ kt.Y(1) + kt.Z(1))
    np.testing.assert_allclose(total.matrix(), kron(Z, I2) + 0.5 * kron(I2, X) + kron(Y, Y)
                               + kron(I2, Z), atol=1e-12)


def test_hamiltonian_tensor_products():
    left = kt.Z(0) + 2 * kt.X(0)
    right = kt.Y(1) - kt.Z(1)
    np.testing.assert_allclose((left @ right).matrix(), kron(Z + 2 * X, Y - Z), atol=1e-12)
    np.testing.assert_allclose((kt.H(2) @ left).matrix(wire_order=[0, 2]), kron(Z + 2 * X, H),
                               atol=1e-12)


def test_hamiltonian_arithmetic_inside_tape_leaves_only_the_result():
    with kt.QuantumTape() as tape:
        kt.RX(0.1, wires=0)
        ham = 0.5 * kt.Z(0) @ kt.Z(1) + kt.X(0) - kt.Y(2)
        kt.expval(ham)
    assert [op.name for op in tape.operations] == ["RX"]
    assert [m.obs for m in tape.measurements] == [ham]


@pytest.mark.parametrize("coeffs", [[1.0], np.array([1.0]), np.array([1.0, 2.0, 3.0])])
def test_hamiltonian_coefficient_count_mismatch(coeffs):
    # regression: array coefficients used to be cut to the number of observables (or raise IndexError)
    with pytest.raises(OperatorError, match=rf"Hamiltonian needs one coefficient per observable, got "
                                            rf"{len(coeffs)} coefficients and 2 observables"):
        kt.Hamiltonian(coeffs, [kt.Z(0), kt.X(0)])


def test_hamiltonian_rejects_non_observables():
    with pytest.raises(OperatorError, match=r"Hamiltonian terms must be observables, got RX"):
        kt.Hamiltonian([1.0], [kt.RX(0.1, wires=0)])
