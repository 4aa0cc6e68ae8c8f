"""Gate parameters are checked where their meaning demands it. Regressions: RX(0.1 + 0.2j) ran
with a non-unitary matrix (the state's norm became 1.0099); Projector([0, 2]) reported a length
problem instead of the value that is not a bit."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle.errors import OperatorError

ADVICE = ("a complex angle makes the gate non-unitary; pass a real number (complex values belong "
          "in QubitUnitary, StatePrep or Hermitian)")


@pytest.mark.parametrize("make, name, index, value", [
    (lambda: kt.RX(0.1 + 0.2j, wires=0), "RX", 0, "(0.1+0.2j)"),
    (lambda: kt.PhaseShift(onp.array(0.5j), wires=0), "PhaseShift", 0, "0.5j"),
    (lambda: kt.Rot(0.1, 0.2, 1j, wires=0), "Rot", 2, "1j"),
    (lambda: kt.CRY(onp.array([0.1, 0.2 - 1j]), wires=[0, 1]), "CRY", 0, "(0.2-1j)"),
    (lambda: kt.IsingZZ(2j, wires=[0, 1]), "IsingZZ", 0, "2j"),
    (lambda: kt.MultiRZ(1 + 1j, wires=[0, 1, 2]), "MultiRZ", 0, "(1+1j)"),
    (lambda: kt.PauliRot(0.3j, "XY", wires=[0, 1]), "PauliRot", 0, "0.3j"),
])
def test_complex_rotation_angles_are_errors(make, name, index, value):
    with pytest.raises(OperatorError) as info:
        make()
    assert str(info.value) == (f"{name} takes real angles, but parameter {index} is the complex "
                               f"number {value}: {ADVICE}")
    assert info.value.operator == name


def test_complex_framework_tensors_are_errors_and_zero_imaginary_parts_are_not():
    torch = pytest.importorskip("torch")
    with pytest.raises(OperatorError, match="RZ takes real angles"):
        kt.RZ(torch.tensor(0.1 + 0.3j), wires=0)
    op = kt.RX(0.1 + 0j, wires=0)
    U = op.matrix()
    onp.testing.assert_allclose(U @ U.conj().T, onp.eye(2), atol=1e-15)


def test_a_complex_angle_inside_a_template_is_an_error():
    with pytest.raises(OperatorError, match="RX takes real angles"):
        kt.AngleEmbedding(onp.array([0.1, 0.2j]), wires=[0, 1]).decomposition()


def test_complex_values_stay_allowed_where_they_mean_something():
    s = 1 / onp.sqrt(2)
    kt.StatePrep(onp.array([s, 1j * s]), wires=0)
    kt.QubitUnitary(onp.array([[0, 1j], [1j, 0]]), wires=0)
    kt.Hermitian(onp.array([[1, -1j], [1j, 1]]), wires=0)
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def circuit():
        kt.StatePrep(onp.array([s, 1j * s]), wires=0)
        return kt.expval(kt.PauliY(0))

    assert float(circuit()) == pytest.approx(1.0)  # |+i⟩ is the +1 eigenvector of Y


@pytest.mark.parametrize("state, bad", [([0, 2], "2"), ([1, 0.5], "0.5"), ([-1, 0], "-1")])
def test_projector_names_the_entry_that_is_not_a_bit(state, bad):
    with pytest.raises(OperatorError) as info:
        kt.Projector(state, wires=[0, 1])
    assert str(info.value) == (
        f"Projector on wires [0, 1] got the basis state {list(onp.asarray(state).tolist())}: {bad} "
        "is not a bit; each entry must be 0 or 1 (or pass a state vector of length 4)")


def test_projector_keeps_its_length_message_and_its_two_forms():
    with pytest.raises(OperatorError, match=r"takes 2 bits \(a basis state\) or a vector of length "
                                            r"4, got length 3"):
        kt.Projector([0, 1, 0], wires=[0, 1])
    onp.testing.assert_allclose(kt.Projector([1, 0], wires=[0, 1]).eigvals(), [0, 0, 1, 0])
    onp.testing.assert_allclose(kt.Projector(onp.array([0, 1, 0, 0]), wires=[0, 1]).eigvals(),
                                [0, 0, 0, 1])
