"""The engine's in-place numba kernels, one gate at a time, against two references.

References: the generic einsum kernel of default.qubit (``qubit_kernel.apply_matrix``) and a dense
``2**n x 2**n`` matrix built in this file, by Kronecker products with identities and a permutation
of the tensor axes. Every gate of default.qubit's gate set, wires in every position (first, last,
non-adjacent, controls above and below the target), complex64 and complex128, serial and parallel
kernels.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import kettle as kt
from kettle.devices import qubit_kernel
from kettle.devices.engine import apply as A
from kettle.devices.engine import config
from kettle.devices.engine import scalar_gates

pytestmark = pytest.mark.skipif(not config.available(), reason="numba cannot compile here")

TOL = {np.complex128: 1e-12, np.complex64: 2e-5}


def random_unitary(rng, d):
    q, r = np.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def full_matrix(mat, wires, n):
    """``mat`` (gate wire order, first wire most significant) on ``wires`` of ``n`` qubits."""
    k = len(wires)
    big = np.kron(mat, np.eye(2 ** (n - k)))  # acts on axes 0..k-1
    rest = [a for a in range(n) if a not in wires]
    order = list(wires) + rest  # axis order of `big`'s tensor legs
    t = big.reshape((2,) * (2 * n))
    inv = np.argsort(order)
    t = t.transpose(list(inv) + [n + i for i in inv])
    return t.reshape(2 ** n, 2 ** n)


def gate_makers(rng):
    """(gate constructor taking wires, number of wires) for the whole gate set."""
    a = lambda: float(rng.uniform(-np.pi, np.pi))  # noqa: E731
    return [
        (lambda w: kt.Identity.unqueued(wires=w), 1),
        (lambda w: kt.PauliX.unqueued(wires=w), 1),
        (lambda w: kt.PauliY.unqueued(wires=w), 1),
        (lambda w: kt.PauliZ.unqueued(wires=w), 1),
        (lambda w: kt.Hadamard.unqueued(wires=w), 1),
        (lambda w: kt.S.unqueued(wires=w), 1),
        (lambda w: kt.T.unqueued(wires=w), 1),
        (lambda w: kt.SX.unqueued(wires=w), 1),
        (lambda w: kt.RX.unqueued(a(), wires=w), 1),
        (lambda w: kt.RY.unqueued(a(), wires=w), 1),
        (lambda w: kt.RZ.unqueued(a(), wires=w), 1),
        (lambda w: kt.PhaseShift.unqueued(a(), wires=w), 1),
        (lambda w: kt.Rot.unqueued(a(), a(), a(), wires=w), 1),
        (lambda w: kt.CNOT.unqueued(wires=w), 2),
        (lambda w: kt.CZ.unqueued(wires=w), 2),
        (lambda w: kt.CY.unqueued(wires=w), 2),
        (lambda w: kt.SWAP.unqueued(wires=w), 2),
        (lambda w: kt.ISWAP.unqueued(wires=w), 2),
        (lambda w: kt.CRX.unqueued(a(), wires=w), 2),
        (lambda w: kt.CRY.unqueued(a(), wires=w), 2),
        (lambda w: kt.CRZ.unqueued(a(), wires=w), 2),
        (lambda w: kt.CRot.unqueued(a(), a(), a(), wires=w), 2),
        (lambda w: kt.ControlledPhaseShift.unqueued(a(), wires=w), 2),
        (lambda w: kt.IsingXX.unqueued(a(), wires=w), 2),
        (lambda w: kt.IsingYY.unqueued(a(), wires=w), 2),
        (lambda w: kt.IsingZZ.unqueued(a(), wires=w), 2),
        (lambda w: kt.MultiRZ.unqueued(a(), wires=w), 3),
        (lambda w: kt.Toffoli.unqueued(wires=w), 3),
        (lambda w: kt.CSWAP.unqueued(wires=w), 3),
        (lambda w: kt.QubitUnitary.unqueued(random_unitary(rng, 2), wires=w), 1),
        (lambda w: kt.QubitUnitary.unqueued(random_unitary(rng, 8), wires=w), 3),
        (lambda w: kt.adjoint(kt.S.unqueued(wires=w)), 1),
        (lambda w: kt.adjoint(kt.CRot.unqueued(a(), a(), a(), wires=w)), 2),
    ]


def random_state(rng, n, dtype):
    psi = rng.normal(size=2 ** n) + 1j * rng.normal(size=2 ** n)
    return (psi / np.linalg.norm(psi)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_every_gate_in_every_wire_position(dtype):
    rng = np.random.default_rng(7)
    n = 4
    for make, k in gate_makers(rng):
        for wires in itertools.permutations(range(n), k):
            op = make(list(wires))
            psi = random_state(rng, n, dtype)
            expected = full_matrix(np.asarray(op.matrix()), list(wires), n) @ psi.astype(complex)
            einsum = qubit_kernel.apply_matrix(psi.reshape((2,) * n), op.matrix(), list(wires),
                                               False).reshape(-1)
            got = psi.copy()
            A.apply_op(got, n, op, wires, 0)
            assert got.dtype == dtype
            np.testing.assert_allclose(got, expected, atol=TOL[dtype], err_msg=f"{op!r}")
            np.testing.assert_allclose(got, einsum, atol=TOL[dtype], err_msg=f"{op!r}")


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 12])
def test_random_gates_at_many_sizes_serial_and_parallel(n):
    """Parallel kernels (any number of ranges) give the serial kernels' numbers."""
    rng = np.random.default_rng(n)
    makers = [(mk, k) for mk, k in gate_makers(rng) if k <= n]
    psi = random_state(rng, n, np.complex128)
    serial, parallel = psi.copy(), psi.copy()
    ref = psi.reshape((2,) * n)
    for _ in range(40):
        make, k = makers[rng.integers(len(makers))]
        wires = tuple(int(w) for w in rng.choice(n, size=k, replace=False))
        op = make(list(wires))
        A.apply_op(serial, n, op, wires, 0)
        A.apply_op(parallel, n, op, wires, 3)
        ref = qubit_kernel.apply_matrix(ref, op.matrix(), list(wires), False)
    np.testing.assert_allclose(serial, ref.reshape(-1), atol=1e-12)
    np.testing.assert_allclose(parallel, serial, atol=1e-14)


def test_dense_kernels_up_to_five_wires_and_the_wide_fallback():
    rng = np.random.default_rng(3)
    n = 7
    for k in (2, 3, 4, 5, 6):
        wires = [int(w) for w in rng.choice(n, size=k, replace=False)]
        u = random_unitary(rng, 2 ** k)
        psi = random_state(rng, n, np.complex128)
        got = psi.copy()
        A.apply_array(got, n, tuple(wires), "dense", u, 0)
        np.testing.assert_allclose(got, full_matrix(u, wires, n) @ psi, atol=1e-12)


def test_multi_qubit_diagonal_on_non_adjacent_wires():
    rng = np.random.default_rng(4)
    n = 6
    wires = [4, 0, 2]
    diag = np.exp(1j * rng.uniform(0, 2 * np.pi, 8))
    psi = random_state(rng, n, np.complex128)
    got = psi.copy()
    A.apply_array(got, n, tuple(wires), "diag", diag, 0)
    np.testing.assert_allclose(got, full_matrix(np.diag(diag), wires, n) @ psi, atol=1e-12)


def test_multi_controlled_x_with_controls_on_both_sides():
    rng = np.random.default_rng(5)
    n = 6
    wires = (5, 0, 3, 2)  # controls 5, 0, 3; target 2
    x = np.array([[0, 1], [1, 0]], dtype=complex)
    mcx = np.eye(16, dtype=complex)
    mcx[-2:, -2:] = x
    psi = random_state(rng, n, np.complex128)
    got = psi.copy()
    A.apply_array(got, n, wires, "flip", None, 0, n_controls=3)
    np.testing.assert_allclose(got, full_matrix(mcx, list(wires), n) @ psi, atol=1e-14)


def test_full_matrix_reference_is_a_kronecker_product_on_ordered_wires():
    """The reference itself: on wires (0, 1) of 3 it is kron(M, I); on (2,) it is kron(I, M)."""
    rng = np.random.default_rng(6)
    m4, m2 = random_unitary(rng, 4), random_unitary(rng, 2)
    np.testing.assert_allclose(full_matrix(m4, [0, 1], 3), np.kron(m4, np.eye(2)))
    np.testing.assert_allclose(full_matrix(m2, [2], 3), np.kron(np.eye(4), m2))
    swap = np.eye(4)[[0, 2, 1, 3]]
    np.testing.assert_allclose(full_matrix(m4, [1, 0], 2), swap @ m4 @ swap)


def test_closed_form_arrays_equal_the_gate_classes_matrices():
    rng = np.random.default_rng(8)
    for cls, _ in scalar_gates.SCALAR.items():
        params = rng.uniform(-np.pi, np.pi, cls.num_params)
        op = cls.unqueued(*params, wires=list(range(cls.num_wires)))
        kind = A.kind(op)
        kind = "diag" if kind == "cdiag" else kind  # the table gives controlled phases' full diagonal
        fast = scalar_gates.scalar_array(op)
        slow = A._array_of(op, kind, np.complex128)
        np.testing.assert_allclose(fast, slow, atol=1e-14, err_msg=cls.__name__)


def test_gate_traits_choose_the_kernel_family():
    assert A.kind(kt.CNOT.unqueued(wires=[0, 1])) == "flip"
    assert A.kind(kt.Toffoli.unqueued(wires=[0, 1, 2])) == "flip"
    assert A.kind(kt.adjoint(kt.CNOT.unqueued(wires=[0, 1]))) == "flip"
    assert A.kind(kt.SWAP.unqueued(wires=[0, 1])) == "swap"
    assert A.kind(kt.CZ.unqueued(wires=[0, 1])) == "cdiag"
    assert A.kind(kt.ControlledPhaseShift.unqueued(0.1, wires=[0, 1])) == "cdiag"
    assert A.kind(kt.MultiRZ.unqueued(0.1, wires=[0, 1, 2])) == "diag"
    assert A.kind(kt.CRY.unqueued(0.1, wires=[0, 1])) == "ctrl"
    assert A.kind(kt.IsingXX.unqueued(0.1, wires=[0, 1])) == "dense"
