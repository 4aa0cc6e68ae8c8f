"""metric_tensor against the Fubini–Study metric computed here from the state.

Reference: with F(δ) = |⟨ψ(x)|ψ(x + δ)⟩|² = 1 − δᵀgδ + O(δ³), g_ij = −½ ∂_i∂_j F(0), taken by central
finite differences of overlaps of state vectors returned by a kt.state() QNode of the same circuit.
It is computed with respect to the QNode's arguments, so gates that share an argument are covered
by the same formula.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import OptimizerError
from kettle.optimize.metric_tensor import parameter_layers

dev = kt.device("default.qubit", wires=3)


def fubini_study(state_of, x0, h=1e-3):
    x0 = onp.asarray(x0, dtype=float)
    psi = onp.asarray(state_of(np.array(x0)))
    n = x0.size
    e = onp.eye(n)

    def fid(d):
        return abs(psi.conj() @ onp.asarray(state_of(np.array(x0 + d)))) ** 2

    g = onp.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            second = (fid(h * (e[i] + e[j])) - fid(h * (e[i] - e[j])) - fid(h * (e[j] - e[i]))
                      + fid(-h * (e[i] + e[j]))) / (4 * h * h)
            g[i, j] = g[j, i] = -0.5 * second
    return g


def layered(x):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=1)
    kt.RY(x[2], wires=2)
    kt.CNOT(wires=[0, 1])
    kt.CNOT(wires=[1, 2])
    kt.RZ(x[3], wires=0)
    kt.RX(x[4], wires=2)
    kt.CRY(x[5], wires=[1, 2])


#: the layers of ``layered``: gates that can act at the same time
LAYERS = [[0, 1, 2], [3, 4], [5]]


def shared(x):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=1)
    kt.CNOT(wires=[0, 1])
    kt.RZ(x[2], wires=1)
    kt.RY(x[3], wires=2)
    kt.CRX(x[4], wires=[1, 2])
    kt.Rot(x[5], 0.3, x[0], wires=0)      # x[0] feeds two gates
    kt.IsingXX(2 * x[1], wires=[0, 2])    # x[1] too, scaled


def qnodes(body, device=dev):
    @kt.qnode(device)
    def energy(x):
        body(x)
        return kt.expval(kt.PauliZ(0) @ kt.PauliX(2))

    @kt.qnode(dev)
    def state(x):
        body(x)
        return kt.state()

    return energy, state


X0 = onp.array([0.3, 0.5, -0.7, 1.1, 0.4, -0.2])


@pytest.fixture(scope="module")
def layered_reference():
    _, state = qnodes(layered)
    return fubini_study(state, X0)


@pytest.fixture(scope="module")
def shared_reference():
    _, state = qnodes(shared)
    return fubini_study(state, X0)


@pytest.mark.parametrize("strategy", ["state", "circuits"])
def test_full_metric(strategy, shared_reference):
    energy, _ = qnodes(shared)
    g = kt.metric_tensor(energy, approx=None, strategy=strategy)(np.array(X0))
    assert g.shape == (6, 6)
    onp.testing.assert_allclose(g, shared_reference, atol=2e-5)


def test_full_metric_of_a_layered_circuit(layered_reference):
    energy, _ = qnodes(layered)
    g = kt.metric_tensor(energy, approx=None, strategy="circuits")(np.array(X0))
    onp.testing.assert_allclose(g, layered_reference, atol=2e-5)
    assert onp.abs(layered_reference[2, 5]) > 1e-2  # a cross-layer entry that is not zero


def test_layers_of_the_circuit():
    energy, _ = qnodes(layered)
    tape, _ = energy.construct((np.array(X0),), {})
    assert parameter_layers(tape) == LAYERS


def test_block_diagonal_approximation(layered_reference):
    energy, _ = qnodes(layered)
    g = kt.metric_tensor(energy, approx="block-diag")(np.array(X0))
    mask = onp.zeros((6, 6), dtype=bool)
    for layer in LAYERS:
        mask[onp.ix_(layer, layer)] = True
    onp.testing.assert_allclose(g[mask], layered_reference[mask], atol=2e-5)
    assert onp.all(g[~mask] == 0)
    assert abs(g[2, 5]) == 0 and abs(layered_reference[2, 5]) > 1e-2  # dropped between layers


def test_diagonal_approximation(layered_reference):
    energy, _ = qnodes(layered)
    g = kt.metric_tensor(energy, approx="diag")(np.array(X0))
    onp.testing.assert_allclose(onp.diag(g), onp.diag(layered_reference), atol=2e-5)
    onp.testing.assert_array_equal(g, onp.diag(onp.diag(g)))


def test_within_layer_covariance_is_off_diagonal():
    """Two gates in one layer on an entangled state: the block has a non-zero off-diagonal entry."""

    @kt.qnode(dev)
    def circuit(x):
        kt.Hadamard(wires=0)
        kt.CNOT(wires=[0, 1])
        kt.RZ(x[0], wires=0)
        kt.RZ(x[1], wires=1)
        return kt.expval(kt.PauliX(0))

    g = kt.metric_tensor(circuit)(np.array([0.1, 0.2]))
    # Bell state: Var(Z/2) = 1/4 each and Cov(Z0/2, Z1/2) = ⟨Z0 Z1⟩/4 = 1/4
    onp.testing.assert_allclose(g, [[0.25, 0.25], [0.25, 0.25]], atol=1e-12)


def test_block_diagonal_with_shots_is_within_sampling_error(layered_reference):
    shot_dev = kt.device("default.qubit", wires=3, shots=20000, seed=3)
    energy, _ = qnodes(layered, shot_dev)
    g = kt.metric_tensor(energy, approx="block-diag")(np.array(X0))
    # covariance estimates of generators with eigenvalues ±1/2 have σ ≤ 0.5/√shots ≈ 0.0035
    for layer in LAYERS:
        block = onp.ix_(layer, layer)
        assert onp.max(onp.abs(g[block] - layered_reference[block])) < 0.02
    with pytest.raises(OptimizerError, match="strategy='state'.* needs a state-vector device without "
                                             "shots"):
        kt.metric_tensor(energy, approx=None, strategy="state")(np.array(X0))


def test_full_metric_from_circuits_with_shots(layered_reference):
    shot_dev = kt.device("default.qubit", wires=3, shots=20000, seed=4)
    energy, _ = qnodes(layered, shot_dev)
    g = kt.metric_tensor(energy, approx=None)(np.array(X0))  # "auto" has no state: circuits
    # a fidelity second derivative combines 4 probabilities with weights ±1/4: σ(g) ≲ 0.002
    assert onp.max(onp.abs(g - layered_reference)) < 0.02
    assert abs(g[2, 5] - layered_reference[2, 5]) < 0.01


def test_several_arguments_give_blocks():
    @kt.qnode(dev)
    def circuit(a, b, c):
        kt.RX(a[0], wires=0)
        kt.RY(a[1], wires=1)
        kt.CNOT(wires=[0, 1])
        kt.RY(b, wires=0)
        kt.RX(c, wires=1)
        return kt.expval(kt.PauliZ(0))

    a, b = np.array([0.2, 0.9]), np.array(0.4)
    c = np.array(0.6, requires_grad=False)
    blocks = kt.metric_tensor(circuit, approx=None)(a, b, c)
    assert blocks[0][0].shape == (2, 2) and blocks[0][1].shape == (2,) and blocks[1][1].shape == ()

    @kt.qnode(dev)
    def state(v):
        kt.RX(v[0], wires=0)
        kt.RY(v[1], wires=1)
        kt.CNOT(wires=[0, 1])
        kt.RY(v[2], wires=0)
        kt.RX(0.6, wires=1)
        return kt.state()

    ref = fubini_study(state, [0.2, 0.9, 0.4])
    onp.testing.assert_allclose(blocks[0][0], ref[:2, :2], atol=2e-5)
    onp.testing.assert_allclose(blocks[0][1], ref[:2, 2], atol=2e-5)
    onp.testing.assert_allclose(blocks[1][1], ref[2, 2], atol=2e-5)
    only_b = kt.metric_tensor(circuit, approx=None, argnum=1)(a, b, c)
    assert float(only_b) == pytest.approx(ref[2, 2], abs=2e-5)


def test_metric_tensor_errors():
    with pytest.raises(OptimizerError, match="metric_tensor needs a QNode, got"):
        kt.metric_tensor(lambda x: x)
    energy, _ = qnodes(layered)
    with pytest.raises(OptimizerError, match=r"approx must be one of \(None, 'block-diag', 'diag'\), "
                                             r"got 'full'"):
        kt.metric_tensor(energy, approx="full")

    @kt.qnode(dev)
    def unitary(x):
        kt.QubitUnitary(np.array([[np.cos(x), -np.sin(x)], [np.sin(x), np.cos(x)]]), wires=0)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(OptimizerError, match="cannot work out the metric tensor of unitary: the "
                                             "trainable arguments set parameter 0 of QubitUnitary"):
        kt.metric_tensor(unitary)(np.array(0.3))
