"""Gate matrices against textbook definitions, generators, frequencies and every framework.

Every reference matrix below is written out with NumPy from its textbook definition; none is taken
from kettle.
"""
from __future__ import annotations

import functools
from functools import reduce

import numpy as np
import pytest
from scipy.linalg import expm

import kettle as kt

# ---------------------------------------------------------------------------- textbook matrices
I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.array([[1, 0], [0, -1]], dtype=complex)
P0 = np.array([[1, 0], [0, 0]], dtype=complex)  # |0><0|
P1 = np.array([[0, 0], [0, 1]], dtype=complex)  # |1><1|


def kron(*ms):
    return reduce(np.kron, ms)


def ctrl(u):
    """|0><0| ⊗ I + |1><1| ⊗ U: control on the first wire."""
    return kron(P0, np.eye(u.shape[0])) + kron(P1, u)


def rx(t):
    return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * X


def ry(t):
    return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * Y


def rz(t):
    return np.diag([np.exp(-1j * t / 2), np.exp(1j * t / 2)])


def phase_shift(p):
    return np.diag([1, np.exp(1j * p)])


def rot(phi, theta, omega):
    return rz(omega) @ ry(theta) @ rz(phi)


def pauli_rotation(pauli, t):
    """exp(-i t/2 P) for a Pauli word P (P² = I)."""
    return np.cos(t / 2) * np.eye(pauli.shape[0]) - 1j * np.sin(t / 2) * pauli


SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)
ISWAP = np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]], dtype=complex)
TOFFOLI = np.eye(8, dtype=complex)[[0, 1, 2, 3, 4, 5, 7, 6]]  # flips the target of |11x>
CSWAP = np.eye(8, dtype=complex)[[0, 1, 2, 3, 4, 6, 5, 7]]  # exchanges |101> and |110>

#: name -> (class, wires, reference as a function of the parameters, number of parameters)
PARAMETRIC = {
    "RX": (kt.RX, [0], rx, 1),
    "RY": (kt.RY, [0], ry, 1),
    "RZ": (kt.RZ, [0], rz, 1),
    "PhaseShift": (kt.PhaseShift, [0], phase_shift, 1),
    "Rot": (kt.Rot, [0], rot, 3),
    "CRX": (kt.CRX, [0, 1], lambda t: ctrl(rx(t)), 1),
    "CRY": (kt.CRY, [0, 1], lambda t: ctrl(ry(t)), 1),
    "CRZ": (kt.CRZ, [0, 1], lambda t: ctrl(rz(t)), 1),
    "CRot": (kt.CRot, [0, 1], lambda *a: ctrl(rot(*a)), 3),
    "ControlledPhaseShift": (kt.ControlledPhaseShift, [0, 1], lambda p: np.diag([1, 1, 1, np.exp(1j * p)]), 1),
    "IsingXX": (kt.IsingXX, [0, 1], lambda t: pauli_rotation(kron(X, X), t), 1),
    "IsingYY": (kt.IsingYY, [0, 1], lambda t: pauli_rotation(kron(Y, Y), t), 1),
    "IsingZZ": (kt.IsingZZ, [0, 1], lambda t: pauli_rotation(kron(Z, Z), t), 1),
    "MultiRZ2": (kt.MultiRZ, [0, 1], lambda t: pauli_rotation(kron(Z, Z), t), 1),
    "MultiRZ3": (kt.MultiRZ, [0, 1, 2], lambda t: pauli_rotation(kron(Z, Z, Z), t), 1),
    "PauliRotXYZ": (functools.partial(kt.PauliRot, pauli_word="XYZ"), [0, 1, 2],
                    lambda t: pauli_rotation(kron(X, Y, Z), t), 1),
    "PauliRotY": (functools.partial(kt.PauliRot, pauli_word="Y"), [0], ry, 1),
}

CONSTANT = {
    "Identity": (kt.Identity, [0], I2),
    "Identity2": (kt.Identity, [0, 1], np.eye(4)),
    "PauliX": (kt.PauliX, [0], X),
    "PauliY": (kt.PauliY, [0], Y),
    "PauliZ": (kt.PauliZ, [0], Z),
    "Hadamard": (kt.Hadamard, [0], np.array([[1, 1], [1, -1]]) / np.sqrt(2)),
    "S": (kt.S, [0], np.diag([1, 1j])),
    "T": (kt.T, [0], np.diag([1, (1 + 1j) / np.sqrt(2)])),
    "SX": (kt.SX, [0], 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])),
    "CNOT": (kt.CNOT, [0, 1], ctrl(X)),
    "CZ": (kt.CZ, [0, 1], np.diag([1, 1, 1, -1])),
    "CY": (kt.CY, [0, 1], ctrl(Y)),
    "SWAP": (kt.SWAP, [0, 1], SWAP),
    "ISWAP": (kt.ISWAP, [0, 1], ISWAP),
    "Toffoli": (kt.Toffoli, [0, 1, 2], TOFFOLI),
    "CSWAP": (kt.CSWAP, [0, 1, 2], CSWAP),
}

#: known frequencies of the one-parameter gates (differences of their generator's eigenvalues)
FREQUENCIES = {
    "RX": (1.0,), "RY": (1.0,), "RZ": (1.0,), "PhaseShift": (1.0,),
    "CRX": (0.5, 1.0), "CRY": (0.5, 1.0), "CRZ": (0.5, 1.0), "ControlledPhaseShift": (1.0,),
    "IsingXX": (1.0,), "IsingYY": (1.0,), "IsingZZ": (1.0,), "MultiRZ2": (1.0,), "MultiRZ3": (1.0,),
    "PauliRotXYZ": (1.0,), "PauliRotY": (1.0,),
}
ANGLES = [0.37, 1.2, -2.1]


def make(name, params):
    cls, wires, _, _ = PARAMETRIC[name]
    return cls(*params, wires=wires)


# ---------------------------------------------------------------------------- NumPy values
@pytest.mark.parametrize("name", CONSTANT)
def test_constant_gate_matrix(name):
    cls, wires, ref = CONSTANT[name]
    mat = cls(wires=wires).matrix()
    np.testing.assert_allclose(mat, ref, atol=1e-12)
    np.testing.assert_allclose(mat @ mat.conj().T, np.eye(len(ref)), atol=1e-12)


def test_sx_squares_to_x_and_t_squares_to_s():
    sx, t = kt.SX(wires=0).matrix(), kt.T(wires=0).matrix()
    np.testing.assert_allclose(sx @ sx, X, atol=1e-12)
    np.testing.assert_allclose(t @ t, np.diag([1, 1j]), atol=1e-12)


@pytest.mark.parametrize("name", PARAMETRIC)
def test_parametric_gate_matrix(name):
    _, _, ref, n_params = PARAMETRIC[name]
    params = ANGLES[:n_params]
    mat = make(name, params).matrix()
    assert mat.dtype == np.complex128
    np.testing.assert_allclose(mat, ref(*params), atol=1e-12)
    np.testing.assert_allclose(mat @ mat.conj().T, np.eye(len(mat)), atol=1e-12)


@pytest.mark.parametrize("name", [n for n in PARAMETRIC if PARAMETRIC[n][3] == 1])
@pytest.mark.parametrize("theta", [0.0, 0.81, -2.7])
def test_matrix_is_exp_of_generator(name, theta):
    op = make(name, [theta])
    gen = np.asarray(op.generator().matrix(wire_order=op.wires))
    np.testing.assert_allclose(gen, gen.conj().T, atol=1e-12)
    np.testing.assert_allclose(op.matrix(), expm(-1j * theta * gen), atol=1e-10)


@pytest.mark.parametrize("name", FREQUENCIES)
def test_parameter_frequencies(name):
    (freqs,) = make(name, [0.3]).parameter_frequencies
    np.testing.assert_allclose(freqs, FREQUENCIES[name], atol=1e-12)


@pytest.mark.parametrize("op, freqs", [(kt.Rot(0.1, 0.2, 0.3, wires=0), (1.0,)),
                                       (kt.CRot(0.1, 0.2, 0.3, wires=[0, 1]), (0.5, 1.0))])
def test_parameter_frequencies_of_three_angle_gates(op, freqs):
    # each angle enters through one (controlled) single-qubit rotation
    assert [tuple(f) for f in op.parameter_frequencies] == [freqs] * 3


@pytest.mark.parametrize("op", [kt.Rot(0.1, 0.2, 0.3, wires=0), kt.CNOT(wires=[0, 1]), kt.S(wires=0)])
def test_gates_without_generator_raise(op):
    with pytest.raises(kt.errors.GeneratorUndefinedError, match=f"{op.name} has no generator"):
        op.generator()


@pytest.mark.parametrize("name", [n for n in PARAMETRIC if n in
                                  ("RZ", "PhaseShift", "CRZ", "ControlledPhaseShift", "IsingZZ", "MultiRZ3")])
def test_diagonal_gates(name):
    op = make(name, [0.93])
    assert op.has_diagonal
    np.testing.assert_allclose(op.diagonal(), np.diag(PARAMETRIC[name][2](0.93)), atol=1e-12)


@pytest.mark.parametrize("op, ref", [(kt.PauliZ(wires=0), [1, -1]), (kt.S(wires=0), [1, 1j]),
                                     (kt.CZ(wires=[0, 1]), [1, 1, 1, -1]),
                                     (kt.Identity(wires=[0, 1]), [1, 1, 1, 1])])
def test_constant_diagonals(op, ref):
    assert op.has_diagonal
    np.testing.assert_allclose(op.diagonal(), ref, atol=1e-12)


def test_qubit_unitary_matrix():
    u = kron(rx(0.4), ry(1.3)) @ ctrl(X)
    np.testing.assert_allclose(kt.QubitUnitary(u, wires=[0, 1]).matrix(), u, atol=1e-12)


# ---------------------------------------------------------------------------- wire order
def test_matrix_with_reversed_wire_order():
    # CNOT controlled by wire 1, target wire 0, written in the order [0, 1]
    ref = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]])
    np.testing.assert_allclose(kt.CNOT(wires=[1, 0]).matrix(wire_order=[0, 1]), ref, atol=1e-12)


def test_matrix_embedded_in_larger_register():
    mat = kt.RX(0.7, wires="b").matrix(wire_order=["a", "b", "c"])
    np.testing.assert_allclose(mat, kron(I2, rx(0.7), I2), atol=1e-12)
    mat = kt.CRY(0.4, wires=[2, 0]).matrix(wire_order=[0, 1, 2])
    ref = kron(I2, I2, P0) + kron(ry(0.4), I2, P1)  # control on wire 2 (last), target wire 0 (first)
    np.testing.assert_allclose(mat, ref, atol=1e-12)


def test_batched_matrix_embedded_in_larger_register():
    thetas = np.array([0.1, 0.9, -1.4])
    mat = kt.CRX(thetas, wires=[1, 0]).matrix(wire_order=[0, 2, 1])
    assert mat.shape == (3, 8, 8)
    for t, m in zip(thetas, mat):
        ref = kron(I2, I2, P0) + kron(rx(t), I2, P1)
        np.testing.assert_allclose(m, ref, atol=1e-12)


def test_matrix_wire_order_missing_op_wire():
    with pytest.raises(kt.errors.WireError, match=r"wires \[0\] are not in the wire order \[1, 2\]"):
        kt.RX(0.1, wires=0).matrix(wire_order=[1, 2])


# ---------------------------------------------------------------------------- frameworks
def _to(values, framework, dtype):
    if framework == "numpy":
        return np.asarray(values, dtype=dtype)
    if framework == "torch":
        torch = pytest.importorskip("torch")
        return torch.tensor(np.asarray(values), dtype=getattr(torch, dtype))
    if framework == "tf":
        tf = pytest.importorskip("tensorflow")
        return tf.constant(np.asarray(values), dtype=dtype)
    jnp = pytest.importorskip("jax.numpy")
    return jnp.asarray(np.asarray(values), dtype=dtype)


def _framework_of(x):
    module = type(x).__module__.split(".")[0]
    return {"numpy": "numpy", "torch": "torch", "tensorflow": "tf", "jax": "jax", "jaxlib": "jax"}[module]


FRAMEWORKS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("torch", id="torch", marks=pytest.mark.torch),
    pytest.param("tf", id="tf", marks=pytest.mark.tf),
    pytest.param("jax", id="jax", marks=pytest.mark.jax),
]
PRECISIONS = [("float32", "complex64", 1e-5), ("float64", "complex128", 1e-10)]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("dtype, cdtype, tol", PRECISIONS, ids=["float32", "float64"])
@pytest.mark.parametrize("name", PARAMETRIC)
def test_parametric_matrix_in_every_framework(name, framework, dtype, cdtype, tol):
    cls, wires, ref, n_params = PARAMETRIC[name]
    batch = np.array([[0.3, -1.1, 2.5], [0.8, 0.05, -0.6], [1.7, 2.2, 0.4]])[:n_params]

    single = cls(*[_to(b[0], framework, dtype) for b in batch], wires=wires)
    mat = single.matrix()
    assert _framework_of(mat) == framework
    assert cdtype in str(mat.dtype)
    assert single.batch_size is None
    np.testing.assert_allclose(np.asarray(mat), ref(*batch[:, 0]), atol=tol)

    batched = cls(*[_to(b, framework, dtype) for b in batch], wires=wires)
    mat = batched.matrix()
    assert batched.batch_size == 3
    assert tuple(mat.shape) == (3,) + ref(*batch[:, 0]).shape
    assert _framework_of(mat) == framework
    assert cdtype in str(mat.dtype)
    for i in range(3):
        np.testing.assert_allclose(np.asarray(mat[i]), ref(*batch[:, i]), atol=tol)
    if batched.has_diagonal:
        diag = np.asarray(batched.diagonal())
        assert diag.shape == (3, len(ref(0.0)))
        for i in range(3):
            np.testing.assert_allclose(diag[i], np.diag(ref(*batch[:, i])), atol=tol)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("dtype, cdtype, tol", PRECISIONS, ids=["float32", "float64"])
def test_qubit_unitary_in_every_framework(framework, dtype, cdtype, tol):
    # a real orthogonal matrix, so that float dtypes can carry it
    refs = np.stack([np.real(ry(t)) for t in (0.2, 1.9)])
    single = kt.QubitUnitary(_to(refs[0], framework, dtype), wires=0)
    assert cdtype in str(single.matrix().dtype)
    assert _framework_of(single.matrix()) == framework
    np.testing.assert_allclose(np.asarray(single.matrix()), refs[0], atol=tol)

    batched = kt.QubitUnitary(_to(refs, framework, dtype), wires=0)
    assert batched.batch_size == 2
    np.testing.assert_allclose(np.asarray(batched.matrix()), refs, atol=tol)
