"""Operator construction and validation, decompositions, adjoints and copies.

Gate matrices themselves are checked against textbook definitions in test_gates.py; here the
decompositions and adjoints are checked against those (already verified) matrices or against NumPy
references written below.
"""
from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

import kettle as kt
from kettle.errors import (
    DecompositionUndefinedError,
    MatrixError,
    MatrixUndefinedError,
    OperatorError,
    StatePrepError,
    WireError,
)

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex)
S = np.diag([1, 1j])


def rx(t):
    return np.array([[np.cos(t / 2), -1j * np.sin(t / 2)], [-1j * np.sin(t / 2), np.cos(t / 2)]])


def circuit_matrix(ops, wire_order):
    """Product of the ops' matrices in circuit order: later ops multiply from the left."""
    dim = 2 ** len(wire_order)
    return reduce(lambda acc, op: np.asarray(op.matrix(wire_order=wire_order)) @ acc, ops,
                  np.eye(dim, dtype=complex))


# ---------------------------------------------------------------------------- construction
def test_wires_may_be_given_positionally():
    op = kt.CRX(0.3, [4, "a"])
    assert list(op.wires) == [4, "a"]
    assert len(op.data) == 1 and float(op.data[0]) == 0.3


@pytest.mark.parametrize("make, name, match", [
    (lambda: kt.RX(0.1, 0.2, wires=0), "RX", r"RX takes 1 parameter\(s\), got 2"),
    (lambda: kt.RX(wires=0), "RX", r"RX takes 1 parameter\(s\), got 0"),
    (lambda: kt.Rot(0.1, wires=0), "Rot", r"Rot takes 3 parameter\(s\), got 1"),
    (lambda: kt.Hadamard(0.5, wires=0), "Hadamard", r"Hadamard takes 0 parameter\(s\), got 1"),
])
def test_wrong_number_of_parameters(make, name, match):
    with pytest.raises(OperatorError, match=match) as info:
        make()
    assert info.value.operator == name


def test_missing_wires():
    with pytest.raises(OperatorError, match=r"RX needs its wires: e.g. RX\(x, wires=0\)"):
        kt.RX(0.1)


@pytest.mark.parametrize("make, match", [
    (lambda: kt.CNOT(wires=0), r"CNOT acts on 2 wire\(s\), got 1: \[0\]"),
    (lambda: kt.RX(0.1, wires=[0, 1]), r"RX acts on 1 wire\(s\), got 2: \[0, 1\]"),
    (lambda: kt.Toffoli(wires=[0, 1]), r"Toffoli acts on 3 wire\(s\), got 2"),
    (lambda: kt.MultiRZ(0.1, wires=[]), "MultiRZ needs at least one wire"),
])
def test_wrong_number_of_wires(make, match):
    with pytest.raises(OperatorError, match=match):
        make()


@pytest.mark.parametrize("make", [lambda: kt.CNOT(wires=[0, 0]), lambda: kt.MultiRZ(0.3, wires=[1, 2, 1])])
def test_duplicate_wires(make):
    with pytest.raises(WireError, match=r"wires must be unique, got \[.*\] \(repeated: (0|1)\)") as info:
        make()
    assert len(info.value.wires) > len(set(info.value.wires))


def test_parameter_with_wrong_number_of_dimensions():
    with pytest.raises(OperatorError, match=r"parameter 0 of RX must have 0 dimension\(s\), or 1 with "
                                            r"a leading batch axis; got shape \(2, 2\)"):
        kt.RX(np.ones((2, 2)), wires=0)


def test_parameters_with_different_batch_sizes():
    with pytest.raises(OperatorError, match=r"parameters of Rot have different batch sizes \[2, 3\]"):
        kt.Rot(np.zeros(2), np.zeros(3), 0.1, wires=0)


def test_batch_size_of_mixed_scalar_and_batched_parameters():
    phis = np.array([0.1, 0.5])
    op = kt.Rot(phis, 0.7, np.array([0.2, -0.3]), wires=0)
    assert op.batch_size == 2
    assert kt.RX(0.1, wires=0).batch_size is None
    mats = op.matrix()
    assert mats.shape == (2, 2, 2)
    for m, phi, omega in zip(mats, phis, [0.2, -0.3]):
        np.testing.assert_allclose(m, kt.Rot(phi, 0.7, omega, wires=0).matrix(), atol=1e-12)


def test_with_parameters_returns_new_operator():
    op = kt.RX(0.2, wires=1)
    new = op.with_parameters([np.array([0.4, 1.0])])
    np.testing.assert_allclose(new.matrix()[1], rx(1.0), atol=1e-12)
    assert new.batch_size == 2 and list(new.wires) == [1]
    np.testing.assert_allclose(op.matrix(), rx(0.2), atol=1e-12)  # the original is unchanged
    assert op.batch_size is None


def test_operators_are_recorded_in_order_but_not_their_decompositions():
    with kt.QuantumTape() as tape:
        a = kt.Hadamard(wires=0)
        b = kt.CRX(0.2, wires=[0, 1])
        b.decomposition()
        kt.RX.unqueued(0.5, wires=0)
        b.generator()
    assert tape.operations == (a, b)


# ---------------------------------------------------------------------------- matrix operators
def test_qubit_unitary_rejects_non_unitary_matrix():
    bad = np.array([[1, 1], [0, 1]])
    with pytest.raises(MatrixError, match=r"QubitUnitary needs a unitary matrix; U†U differs from the "
                                          r"identity by 1") as info:
        kt.QubitUnitary(bad, wires=0)
    assert info.value.matrix is not None and info.value.operator == "QubitUnitary"
    # the check can be skipped on purpose
    np.testing.assert_allclose(kt.QubitUnitary(bad, wires=0, unitary_check=False).matrix(), bad)


@pytest.mark.parametrize("mat, wires, match", [
    (np.eye(2), [0, 1], r"QubitUnitary on 2 wire\(s\) needs a 4x4 matrix, got 2x2"),
    (np.ones((2, 4)), [0], r"QubitUnitary needs a square matrix, got shape \(2, 4\)"),
])
def test_qubit_unitary_rejects_wrong_shape(mat, wires, match):
    with pytest.raises(MatrixError, match=match):
        kt.QubitUnitary(mat, wires=wires)


def test_state_prep_wrong_length():
    with pytest.raises(StatePrepError, match=r"StatePrep on 2 wire\(s\) needs a vector of length 4, got 3"):
        kt.StatePrep([1, 0, 0], wires=[0, 1])


def test_state_prep_not_normalized():
    with pytest.raises(StatePrepError, match=r"StatePrep needs a normalized vector \(norm 1\.41421\); "
                                             "pass normalize=True"):
        kt.StatePrep([1.0, 1.0], wires=0)


def test_state_prep_normalize():
    (vec,) = kt.StatePrep([3.0, 0.0, 0.0, 4.0], wires=[0, 1], normalize=True).data
    np.testing.assert_allclose(vec, [0.6, 0, 0, 0.8], atol=1e-12)
    (batch,) = kt.StatePrep(np.array([[1.0, 1.0], [0.0, 2.0]]), wires=0, normalize=True).data
    np.testing.assert_allclose(batch, [[2 ** -0.5, 2 ** -0.5], [0.0, 1.0]], atol=1e-12)


def test_state_prep_accepts_normalized_complex_vector():
    vec = np.array([0.6, 0.8j])
    np.testing.assert_allclose(kt.StatePrep(vec, wires=0).data[0], vec)


@pytest.mark.parametrize("bits, match", [
    ([1, 2], r"BasisState takes bits 0 and 1, got values \[1, 2\]"),
    ([1], r"BasisState on 2 wire\(s\) needs 2 bits, got 1"),
])
def test_basis_state_rejects_bad_bits(bits, match):
    with pytest.raises(StatePrepError, match=match):
        kt.BasisState(bits, wires=[0, 1])


def test_basis_state_vector():
    np.testing.assert_allclose(kt.BasisState([1, 0, 1], wires=[0, 1, 2]).state_vector(), np.eye(8)[5])


def test_undefined_decomposition():
    with pytest.raises(DecompositionUndefinedError, match="T has no decomposition"):
        kt.T(wires=0).decomposition()


def test_undefined_matrix():
    with pytest.raises(MatrixUndefinedError, match="AngleEmbedding has no matrix representation"):
        kt.AngleEmbedding([0.1], wires=0).matrix()


# ---------------------------------------------------------------------------- decompositions
DECOMPOSABLE = [
    kt.Rot(0.3, -1.2, 2.1, wires="q"),
    kt.CRX(0.7, wires=[3, "q"]),
    kt.CRY(-1.3, wires=[3, "q"]),
    kt.CRZ(2.2, wires=[3, "q"]),
    kt.CRot(0.3, -1.2, 2.1, wires=[3, "q"]),
    kt.ControlledPhaseShift(0.9, wires=[3, "q"]),
    kt.IsingXX(0.4, wires=[3, "q"]),
    kt.IsingYY(-0.8, wires=[3, "q"]),
    kt.IsingZZ(1.6, wires=[3, "q"]),
    kt.MultiRZ(0.5, wires=[3, "q"]),
    kt.MultiRZ(-1.1, wires=[2, 0, 1]),
    kt.SWAP(wires=[3, "q"]),
    kt.CZ(wires=[3, "q"]),
    kt.CY(wires=[3, "q"]),
    kt.PauliY(wires="q"),
    kt.PauliZ(wires="q"),
    kt.SX(wires="q"),
    kt.ISWAP(wires=[3, "q"]),
    kt.Toffoli(wires=[2, 3, "q"]),
    kt.Toffoli(wires=["q", 0, 3]),
    kt.CSWAP(wires=[2, 3, "q"]),
    kt.Adjoint(kt.ISWAP(wires=["q", 3])),
]


@pytest.mark.parametrize("op", DECOMPOSABLE, ids=lambda op: f"{op.name}{len(op.wires)}")
def test_decomposition_reproduces_matrix(op):
    decomp = op.decomposition()
    assert op.has_decomposition and len(decomp) > 1
    assert all(set(g.wires) <= set(op.wires) for g in decomp)
    np.testing.assert_allclose(circuit_matrix(decomp, op.wires), op.matrix(), atol=1e-10)


def test_batched_decomposition():
    thetas = np.array([0.2, -1.5, 2.8])
    op = kt.CRY(thetas, wires=[0, 1])
    decomp = op.decomposition()
    for i, t in enumerate(thetas):
        single = [g.with_parameters([p[i] for p in g.data]) if g.batch_size else g for g in decomp]
        np.testing.assert_allclose(circuit_matrix(single, op.wires), op.matrix()[i], atol=1e-10)


# ---------------------------------------------------------------------------- adjoints
ADJOINTABLE = DECOMPOSABLE + [
    kt.RX(0.4, wires=0), kt.RY(0.4, wires=0), kt.RZ(0.4, wires=0), kt.PhaseShift(0.4, wires=0),
    kt.S(wires=0), kt.T(wires=0), kt.SX(wires=0), kt.Hadamard(wires=0), kt.PauliY(wires=0),
    kt.CNOT(wires=[0, 1]), kt.ISWAP(wires=[0, 1]), kt.Toffoli(wires=[0, 1, 2]),
    kt.CSWAP(wires=[0, 1, 2]), kt.Identity(wires=[0, 1]),
    kt.QubitUnitary(np.kron(rx(0.3), S), wires=[0, 1]),
]


@pytest.mark.parametrize("op", ADJOINTABLE, ids=lambda op: f"{op.name}{len(op.wires)}")
def test_adjoint_matrix_is_conjugate_transpose(op):
    adj = kt.adjoint(op)
    assert list(adj.wires) == list(op.wires)
    expected = np.asarray(op.matrix()).conj().T
    np.testing.assert_allclose(adj.matrix(), expected, atol=1e-12)
    np.testing.assert_allclose(np.asarray(adj.matrix()) @ op.matrix(), np.eye(len(expected)), atol=1e-12)


def test_adjoint_of_batched_gate():
    thetas = np.array([0.3, -2.0])
    adj = kt.adjoint(kt.CRX(thetas, wires=[0, 1]))
    assert adj.batch_size == 2
    for m, t in zip(adj.matrix(), thetas):
        ref = np.block([[I2, 0 * I2], [0 * I2, rx(t)]]).conj().T
        np.testing.assert_allclose(m, ref, atol=1e-12)


def test_adjoint_wrapper_diagonal_generator_and_decomposition():
    adj = kt.Adjoint(kt.S(wires=0))
    np.testing.assert_allclose(adj.diagonal(), [1, -1j], atol=1e-12)
    assert adj.adjoint().name == "S"

    adj_crx = kt.Adjoint(kt.CRX(0.6, wires=[0, 1]))
    gen = np.asarray(adj_crx.generator().matrix(wire_order=[0, 1]))
    np.testing.assert_allclose(gen, -0.5 * np.kron(np.diag([0, 1]), X), atol=1e-12)
    np.testing.assert_allclose(circuit_matrix(adj_crx.decomposition(), [0, 1]), adj_crx.matrix(),
                               atol=1e-10)


def test_adjoint_inside_tape_replaces_the_operator():
    with kt.QuantumTape() as tape:
        kt.Hadamard(wires=0)
        kt.adjoint(kt.S(wires=0))
        kt.adjoint(kt.RX(0.3, wires=1))
        kt.adjoint(kt.CNOT(wires=[0, 1]))
    assert [op.name for op in tape.operations] == ["Hadamard", "Adjoint(S)", "RX", "CNOT"]
    np.testing.assert_allclose(tape.operations[1].matrix(), np.diag([1, -1j]), atol=1e-12)
    np.testing.assert_allclose(tape.operations[2].matrix(), rx(-0.3), atol=1e-12)


def test_adjoint_method_does_not_record():
    # regression: self-inverse gates used to record their adjoint on the active tape
    with kt.QuantumTape() as tape:
        cnot = kt.CNOT(wires=[0, 1])
        cnot.adjoint()
        rx_op = kt.RX(0.2, wires=0)
        rx_op.adjoint()
    assert tape.operations == (cnot, rx_op)


def test_adjoint_of_function_applies_reversed_adjoints():
    def layer(a, wires):
        kt.RX(a, wires=wires[0])
        kt.CNOT(wires=wires)
        kt.S(wires=wires[1])

    with kt.QuantumTape() as tape:
        kt.Hadamard(wires=1)
        kt.adjoint(layer)(0.4, wires=[0, 1])
    assert [op.name for op in tape.operations] == ["Hadamard", "Adjoint(S)", "CNOT", "RX"]
    forward = np.kron(I2, S) @ CNOT @ np.kron(rx(0.4), I2)
    np.testing.assert_allclose(circuit_matrix(tape.operations[1:], [0, 1]), forward.conj().T,
                               atol=1e-12)


def test_adjoint_of_operator_class():
    with kt.QuantumTape() as tape:
        op = kt.adjoint(kt.RY)(0.5, wires=2)
    assert tape.operations == (op,)
    np.testing.assert_allclose(op.matrix(), [[np.cos(0.25), np.sin(0.25)], [-np.sin(0.25), np.cos(0.25)]],
                               atol=1e-12)


def test_adjoint_of_non_operator():
    with pytest.raises(OperatorError, match="adjoint takes an operator or a quantum function, got 3"):
        kt.adjoint(3)


def test_single_gate_and_empty_decompositions():
    """Adjoints of gates that have their own inverse (RX(−θ), PauliX), BasisState as PauliX gates,
    and Identity as nothing: each reproduces the matrix or state it stands for."""
    assert [(g.name, float(g.data[0])) for g in kt.Adjoint(kt.RX(0.2, wires=0)).decomposition()] \
        == [("RX", -0.2)]
    assert [g.name for g in kt.Adjoint(kt.PauliX(0)).decomposition()] == ["PauliX"]
    gates = kt.BasisState([1, 0, 1], wires=[0, 1, 2]).decomposition()
    assert [(g.name, list(g.wires)) for g in gates] == [("PauliX", [0]), ("PauliX", [2])]
    np.testing.assert_allclose(circuit_matrix(gates, [0, 1, 2])[:, 0], np.eye(8)[5], atol=1e-12)
    assert kt.Identity(wires=[0, 1]).has_decomposition and kt.Identity(0).decomposition() == []
    assert not kt.Adjoint(kt.S(0)).has_decomposition  # S† is a primitive of its own


@pytest.mark.parametrize("prep", [lambda: kt.StatePrep(np.array([0.6, 0.8]), wires=0),
                                  lambda: kt.BasisState([1], wires=0)])
def test_state_preparations_have_no_adjoint(prep):
    op = prep()
    with pytest.raises(OperatorError, match=rf"^{op.name} prepares a state from \|0…0⟩ and has no "
                                            r"adjoint"):
        kt.adjoint(op)


@pytest.mark.parametrize("make, error, match", [
    (lambda: kt.Projector([1, 0, 0, 1], wires=[0, 1]), OperatorError,
     r"^Projector onto a state vector needs a normalized vector \(norm 1.41421\)"),
    (lambda: kt.Hamiltonian([1j], [kt.PauliX(0)]), OperatorError,
     r"^Hamiltonian coefficients must be real \(an observable is Hermitian\), got 1j"),
    (lambda: 1j * kt.PauliZ(0), OperatorError, r"^Hamiltonian coefficients must be real"),
    (lambda: kt.StatePrep([0.0, 0.0], wires=0, normalize=True), StatePrepError,
     r"^StatePrep\(normalize=True\) got a zero vector"),
])
def test_inputs_that_would_give_wrong_values_are_refused(make, error, match):
    """⟨P⟩ = 2 for an unnormalized projector, an imaginary 'Hamiltonian', NaN probabilities: refused."""
    with pytest.raises(error, match=match):
        make()


def test_sum_of_observables_starts_from_zero():
    """sum() adds to 0 first: Σ_i 0.5·Z_i is a Hamiltonian; its matrix is the sum of the terms."""
    H = sum(0.5 * kt.PauliZ(i) for i in range(3))
    assert isinstance(H, kt.Hamiltonian) and H.coeffs == [0.5, 0.5, 0.5]
    Z = np.diag([1.0, -1.0])
    expected = 0.5 * (np.kron(np.kron(Z, I2), I2) + np.kron(np.kron(I2, Z), I2)
                      + np.kron(np.kron(I2, I2), Z))
    np.testing.assert_allclose(H.matrix(wire_order=[0, 1, 2]), expected, atol=1e-12)
    assert sum([kt.PauliX(0)]).name == "PauliX"


@pytest.mark.parametrize("value", ["a", None, np.array(["1"])])
def test_non_numeric_parameters_are_refused(value):
    with pytest.raises(OperatorError, match=r"^parameter 0 of RX must be a number or a numeric "
                                            r"array, got"):
        kt.RX(value, wires=0)
