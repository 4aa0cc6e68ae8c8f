"""``state()`` on default.mixed returns the density matrix over all wires (PennyLane's meaning);
``density_matrix(wires)`` stays the explicit form. Regression: it was a MeasurementError."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import MeasurementError


def _ry(t):
    c, s = onp.cos(t / 2), onp.sin(t / 2)
    return onp.array([[c, -s], [s, c]])


def test_state_is_the_full_density_matrix():
    dev = kt.device("default.mixed", wires=2)
    p, t = 0.2, 0.8

    @kt.qnode(dev)
    def circuit(t):
        kt.RY(t, wires=0)
        kt.CNOT(wires=[0, 1])
        kt.BitFlip(p, wires=1)
        return kt.state(), kt.density_matrix(wires=[0, 1])

    rho, explicit = circuit(t)
    psi = onp.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]) @ \
        onp.kron(_ry(t), onp.eye(2)) @ onp.eye(4)[0]
    pure = onp.outer(psi, psi.conj())
    X1 = onp.kron(onp.eye(2), [[0, 1], [1, 0]])
    expected = (1 - p) * pure + p * X1 @ pure @ X1
    assert rho.shape == (4, 4)
    onp.testing.assert_allclose(rho, expected, atol=1e-12)
    onp.testing.assert_allclose(explicit, rho, atol=1e-14)
    assert onp.trace(rho).real == pytest.approx(1.0)


def test_state_of_a_pure_circuit_is_the_outer_product_of_default_qubits_state():
    def body(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        kt.CNOT(wires=[1, 0])
        return kt.state()

    x = np.array([0.3, 1.1])
    psi = kt.QNode(body, kt.device("default.qubit", wires=2))(x)
    rho = kt.QNode(body, kt.device("default.mixed", wires=2))(x)
    onp.testing.assert_allclose(rho, onp.outer(psi, psi.conj()), atol=1e-12)


def test_state_is_differentiable_and_batched():
    dev = kt.device("default.mixed", wires=1)

    @kt.qnode(dev, diff_method="backprop")
    def circuit(t):
        kt.RY(t, wires=0)
        return kt.state()

    # ρ₀₀ = cos²(t/2), d/dt = −sin(t)/2
    g = kt.grad(lambda t: np.real(circuit(t)[0, 0]))(np.array(0.7))
    assert float(g) == pytest.approx(-onp.sin(0.7) / 2)
    batch = circuit(np.array([0.0, onp.pi]))
    assert batch.shape == (2, 2, 2)
    onp.testing.assert_allclose(batch[1], [[0, 0], [0, 1]], atol=1e-12)


def test_state_with_shots_is_still_an_error():
    dev = kt.device("default.mixed", wires=1, shots=10)
    with pytest.raises(MeasurementError, match=r"state\(\) needs the exact state"):
        kt.QNode(lambda: kt.state(), dev)()
