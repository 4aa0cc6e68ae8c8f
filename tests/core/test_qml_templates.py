"""BasisEmbedding, IQPEmbedding and QFT against closed forms and dense references."""
from __future__ import annotations

import functools
import itertools

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import OperatorError

H = onp.array([[1, 1], [1, -1]]) / onp.sqrt(2)
Z = onp.diag([1.0, -1.0])


def kron(*ms):
    return functools.reduce(onp.kron, ms)


# ---------------------------------------------------------------------------- BasisEmbedding
@pytest.mark.parametrize("features, index", [([1, 0, 1], 0b101), ([0, 0, 0], 0), (6, 0b110),
                                             (onp.array([1, 1, 1]), 7)])
def test_basis_embedding_prepares_the_basis_state(features, index):
    dev = kt.device("default.qubit")

    @kt.qnode(dev)
    def circuit():
        kt.BasisEmbedding(features, wires=["a", "b", "c"])
        return kt.probs(wires=["a", "b", "c"])

    onp.testing.assert_allclose(circuit(), onp.eye(8)[index])


def test_basis_embedding_has_no_trainable_parameters_and_decomposes_into_x():
    op = kt.BasisEmbedding([1, 0, 1], wires=[0, 1, 2])
    assert op.data == ()
    assert [(p.name, list(p.wires)) for p in op.decomposition()] == [("PauliX", [0]),
                                                                      ("PauliX", [2])]


@pytest.mark.parametrize("features, message", [
    ([1, 0], "BasisEmbedding on 3 wire(s) needs 3 bits, got 2: [1, 0]"),
    ([1, 2, 0], "BasisEmbedding got the features [1, 2, 0]: 2 is not a bit; each entry must be 0 "
                "or 1"),
    (8, "BasisEmbedding on 3 wire(s) takes an integer in [0, 8), got 8"),
])
def test_basis_embedding_errors(features, message):
    with pytest.raises(OperatorError) as info:
        kt.BasisEmbedding(features, wires=[0, 1, 2])
    assert str(info.value) == message


# ---------------------------------------------------------------------------- IQPEmbedding
def _iqp_state(x, n_repeats, pattern):
    n = len(x)
    psi = onp.eye(2 ** n)[0].astype(complex)
    diag = lambda ws, t: onp.exp(-0.5j * t * functools.reduce(  # noqa: E731
        onp.kron, [onp.diag(Z) if w in ws else onp.ones(2) for w in range(n)]))
    for _ in range(n_repeats):
        psi = kron(*[H] * n) @ psi
        for i in range(n):
            psi = diag([i], x[i]) * psi  # RZ(x_i) = exp(−i x_i Z/2)
        for i, j in pattern:
            psi = diag([i, j], x[i] * x[j]) * psi  # MultiRZ(x_i x_j) = exp(−i x_i x_j Z Z/2)
    return psi


@pytest.mark.parametrize("n_repeats, pattern", [(1, None), (2, None), (1, [[0, 2], [1, 0]])])
def test_iqp_embedding_matches_the_dense_reference(n_repeats, pattern):
    x = onp.array([0.4, -1.1, 0.7])
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev)
    def circuit(x):
        kt.IQPEmbedding(x, wires=range(3), n_repeats=n_repeats, pattern=pattern)
        return kt.state()

    pairs = pattern or list(itertools.combinations(range(3), 2))
    onp.testing.assert_allclose(circuit(x), _iqp_state(x, n_repeats, pairs), atol=1e-12)


def test_iqp_embedding_gradient_and_broadcasting():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x):
        kt.IQPEmbedding(x, wires=[0, 1], n_repeats=2)
        return kt.expval(kt.PauliX(0) @ kt.PauliX(1))

    obs = kron(onp.array([[0, 1], [1, 0]]), onp.array([[0, 1], [1, 0]]))
    f = lambda x: float(onp.real(_iqp_state(x, 2, [(0, 1)]).conj() @ obs @  # noqa: E731
                                 _iqp_state(x, 2, [(0, 1)])))
    x = np.array([0.3, 0.8])
    h = 1e-6
    fd = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in onp.eye(2)]
    onp.testing.assert_allclose(kt.grad(circuit)(x), fd, atol=1e-7)
    batch = circuit(np.array([[0.3, 0.8], [1.0, -0.2]], requires_grad=False))
    onp.testing.assert_allclose(batch, [f(onp.array([0.3, 0.8])), f(onp.array([1.0, -0.2]))],
                                atol=1e-12)


def test_iqp_embedding_errors():
    with pytest.raises(OperatorError, match=r"IQPEmbedding on 3 wire\(s\) needs one feature per "
                                            r"wire, got 2"):
        kt.IQPEmbedding([0.1, 0.2], wires=[0, 1, 2])
    with pytest.raises(OperatorError, match="n_repeats must be a positive integer, got 0"):
        kt.IQPEmbedding([0.1, 0.2], wires=[0, 1], n_repeats=0)


# ---------------------------------------------------------------------------- QFT
def _dft(n):
    N = 2 ** n
    j = onp.arange(N)
    return onp.exp(2j * onp.pi * onp.outer(j, j) / N) / onp.sqrt(N)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_qft_matrix_and_decomposition_are_the_dft(n):
    op = kt.QFT(wires=range(n))
    onp.testing.assert_allclose(op.matrix(), _dft(n), atol=1e-12)
    total = onp.eye(2 ** n)
    for p in op.decomposition():
        total = p.matrix(wire_order=list(range(n))) @ total
    onp.testing.assert_allclose(total, _dft(n), atol=1e-12)


def test_qft_of_a_basis_state_and_its_adjoint():
    dev = kt.device("default.qubit")
    k, n = 5, 3

    @kt.qnode(dev)
    def forward():
        kt.BasisEmbedding(k, wires=range(n))
        kt.QFT(wires=range(n))
        return kt.state()

    @kt.qnode(dev)
    def round_trip():
        kt.BasisEmbedding(k, wires=range(n))
        kt.QFT(wires=range(n))
        kt.adjoint(kt.QFT)(wires=range(n))
        return kt.probs()

    j = onp.arange(2 ** n)
    onp.testing.assert_allclose(forward(), onp.exp(2j * onp.pi * j * k / 2 ** n) / onp.sqrt(8),
                                atol=1e-12)
    onp.testing.assert_allclose(round_trip(), onp.eye(8)[k], atol=1e-12)
    inverse = kt.adjoint(kt.QFT(wires=[0, 1]))
    onp.testing.assert_allclose(inverse.matrix(), _dft(2).conj().T, atol=1e-12)


def test_controlled_qft_on_a_phase_estimation_register():
    """ctrl works on templates: C(QFT) is the block diag(I, F)."""
    op = kt.ctrl(kt.QFT(wires=[1, 2]), control=0)
    expected = onp.block([[onp.eye(4), onp.zeros((4, 4))], [onp.zeros((4, 4)), _dft(2)]])
    onp.testing.assert_allclose(op.matrix(), expected, atol=1e-12)
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev)
    def circuit():
        kt.PauliX(wires=0)
        kt.ctrl(kt.QFT, control=0)(wires=[1, 2])
        return kt.state()

    onp.testing.assert_allclose(circuit(), expected @ onp.eye(8)[4], atol=1e-12)
