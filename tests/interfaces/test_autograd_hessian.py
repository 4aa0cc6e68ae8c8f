"""Second derivatives against Hessians derived by hand: ``kt.jacobian(kt.grad(qnode))`` by nested
parameter shifts (max_diff=2) and by backprop, and ``kt.gradients.param_shift_hessian``."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np

DEV1 = kt.device("default.qubit", wires=1)
DEV2 = kt.device("default.qubit", wires=2)
#: the two ways of making a QNode twice differentiable
METHODS = [{"diff_method": "parameter-shift", "max_diff": 2}, {"diff_method": "backprop"}]
METHOD_IDS = ["parameter-shift", "backprop"]


def rx_ry(x):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=0)
    return kt.expval(kt.PauliZ(0))


def rx_ry_hessian(a, b):
    """⟨Z⟩ = cos a cos b."""
    return onp.array([[-onp.cos(a) * onp.cos(b), onp.sin(a) * onp.sin(b)],
                      [onp.sin(a) * onp.sin(b), -onp.cos(a) * onp.cos(b)]])


def ry_crx(x):
    kt.Hadamard(wires=0)
    kt.RY(x[0], wires=1)
    kt.CRX(x[1], wires=[0, 1])
    return kt.expval(kt.PauliZ(1))


def ry_crx_hessian(b, a):
    """Half the time RX(a) acts on RY(b)|0⟩: ⟨Z1⟩ = cos b (1 + cos a) / 2 (CRX: two frequencies)."""
    return onp.array([[-onp.cos(b) * (1 + onp.cos(a)), onp.sin(a) * onp.sin(b)],
                      [onp.sin(a) * onp.sin(b), -onp.cos(a) * onp.cos(b)]]) / 2


CIRCUITS = [(rx_ry, DEV1, rx_ry_hessian), (ry_crx, DEV2, ry_crx_hessian)]
POINTS = [(0.4, 0.9), (-1.3, 2.2)]


@pytest.mark.parametrize("options", METHODS, ids=METHOD_IDS)
@pytest.mark.parametrize("circuit, dev, hessian", CIRCUITS, ids=["RX-RY", "RY-CRX"])
@pytest.mark.parametrize("point", POINTS)
def test_hessian_of_expval_matches_analytic(options, circuit, dev, hessian, point):
    qnode = kt.QNode(circuit, dev, **options)
    x = np.array(point)
    onp.testing.assert_allclose(kt.jacobian(kt.grad(qnode))(x), hessian(*point), atol=1e-10)


@pytest.mark.parametrize("circuit, dev, hessian", CIRCUITS, ids=["RX-RY", "RY-CRX"])
@pytest.mark.parametrize("point", POINTS)
def test_param_shift_hessian_matches_analytic(circuit, dev, hessian, point):
    qnode = kt.QNode(circuit, dev, diff_method="parameter-shift")
    # regression: for one measurement, only the first row of the Hessian came back
    onp.testing.assert_allclose(kt.gradients.param_shift_hessian(qnode)(np.array(point)),
                                hessian(*point), atol=1e-10)


@kt.qnode(DEV1, diff_method="parameter-shift", max_diff=2)
def processed(x):
    kt.RX(x[0] ** 2, wires=0)
    kt.RY(np.sin(x[1]), wires=0)
    return kt.expval(kt.PauliZ(0))


def processed_hessian(u, v):
    """f = cos(u²) cos(sin v), differentiated by hand."""
    a, s = u ** 2, onp.sin(v)
    f_uu = (-2 * onp.sin(a) - 4 * u ** 2 * onp.cos(a)) * onp.cos(s)
    f_uv = 2 * u * onp.sin(a) * onp.sin(s) * onp.cos(v)
    f_vv = -onp.cos(a) * (onp.cos(s) * onp.cos(v) ** 2 - onp.sin(s) * onp.sin(v))
    return onp.array([[f_uu, f_uv], [f_uv, f_vv]])


@pytest.mark.parametrize("point", POINTS)
def test_hessian_through_classical_processing(point):
    x = np.array(point)
    onp.testing.assert_allclose(kt.jacobian(kt.grad(processed))(x), processed_hessian(*point),
                                atol=1e-10)
    # param_shift_hessian differentiates with respect to the QNode's argument too: the chain rule
    # through the gate angles (x0², sin x1), second derivatives of that map included
    onp.testing.assert_allclose(kt.gradients.param_shift_hessian(processed)(x),
                                processed_hessian(*point), atol=1e-10)


@pytest.mark.parametrize("options", METHODS, ids=METHOD_IDS)
def test_hessian_of_probs(options):
    """p = ((1 + cos a cos b) / 2, (1 − cos a cos b) / 2): the Hessians are ±½ that of ⟨Z⟩."""
    @kt.qnode(DEV1, **options)
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=0)
        return kt.probs(wires=0)

    a, b = 0.7, -0.4
    expected = onp.stack([rx_ry_hessian(a, b) / 2, -rx_ry_hessian(a, b) / 2])
    x = np.array([a, b])
    hess = kt.jacobian(kt.jacobian(circuit))(x)
    assert hess.shape == (2, 2, 2)
    onp.testing.assert_allclose(hess, expected, atol=1e-10)
    onp.testing.assert_allclose(kt.gradients.param_shift_hessian(circuit)(x), expected, atol=1e-10)


@pytest.mark.parametrize("options", METHODS, ids=METHOD_IDS)
def test_hessian_of_variance(options):
    """var Z = 1 − g² with g = cos a cos b: ∇²var = −2 (∇g ∇gᵀ + g ∇²g)."""
    @kt.qnode(DEV1, **options)
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=0)
        return kt.var(kt.PauliZ(0))

    a, b = 0.7, -0.4
    g = onp.cos(a) * onp.cos(b)
    dg = onp.array([-onp.sin(a) * onp.cos(b), -onp.cos(a) * onp.sin(b)])
    expected = -2 * (onp.outer(dg, dg) + g * rx_ry_hessian(a, b))
    onp.testing.assert_allclose(kt.jacobian(kt.grad(circuit))(np.array([a, b])), expected,
                                atol=1e-10)


def test_param_shift_hessian_of_several_measurements_has_measurement_axes_first():
    @kt.qnode(DEV2, diff_method="parameter-shift")
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=0)
        kt.CRX(x[2], wires=[0, 1])
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=[1])

    x = np.array([0.4, 0.9, -0.6])
    ev, probs = kt.gradients.param_shift_hessian(circuit)(x)
    assert ev.shape == (3, 3) and probs.shape == (2, 3, 3)
    reference = kt.QNode(circuit.func, DEV2, diff_method="backprop")
    ev_ref, probs_ref = kt.jacobian(kt.jacobian(reference))(x)
    onp.testing.assert_allclose(ev, ev_ref, atol=1e-10)
    onp.testing.assert_allclose(probs, probs_ref, atol=1e-10)
    onp.testing.assert_allclose(ev[:2, :2], rx_ry_hessian(0.4, 0.9), atol=1e-10)


def test_nested_shifts_agree_with_backprop_on_an_entangling_circuit():
    def circuit(x):
        kt.Hadamard(wires=0)
        kt.Rot(x[0], x[1] ** 2, x[2], wires=1)
        kt.IsingZZ(x[0] * x[1], wires=[0, 1])
        kt.CRY(np.cos(x[1]), wires=[1, 0])
        kt.ControlledPhaseShift(x[1], wires=[0, 1])
        kt.IsingYY(x[2], wires=[0, 1])
        return kt.expval(kt.PauliX(0) @ kt.PauliY(1))

    x = np.array([0.3, -0.8, 1.4])
    shifted = kt.jacobian(kt.grad(kt.QNode(circuit, DEV2, diff_method="parameter-shift",
                                           max_diff=2)))(x)
    backprop = kt.grad(kt.QNode(circuit, DEV2, diff_method="backprop"))
    onp.testing.assert_allclose(shifted, kt.jacobian(backprop)(x), atol=1e-10)
    onp.testing.assert_allclose(shifted, shifted.T, atol=1e-10)
    # central differences of the exact gradient, computed here
    h = 1e-5
    columns = [(backprop(x + h * e) - backprop(x - h * e)) / (2 * h) for e in onp.eye(3)]
    onp.testing.assert_allclose(shifted, onp.stack(columns, axis=-1), atol=1e-7)
    assert onp.abs(shifted).max() > 0.1

