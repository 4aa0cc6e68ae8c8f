"""kt.ctrl: controlled operations and quantum functions, checked against dense block matrices
C(U) = (I − P) ⊗ I + P ⊗ U built independently here, with gradients by every method."""
from __future__ import annotations

import functools

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import OperatorError

I2 = onp.eye(2)
X = onp.array([[0, 1], [1, 0]], dtype=complex)
H = onp.array([[1, 1], [1, -1]], dtype=complex) / onp.sqrt(2)


def rx(t):
    c, s = onp.cos(t / 2), onp.sin(t / 2)
    return onp.array([[c, -1j * s], [-1j * s, c]])


def ry(t):
    c, s = onp.cos(t / 2), onp.sin(t / 2)
    return onp.array([[c, -s], [s, c]], dtype=complex)


def rz(t):
    return onp.diag([onp.exp(-0.5j * t), onp.exp(0.5j * t)])


def kron(*ms):
    return functools.reduce(onp.kron, ms)


def controlled(u, values):
    """Dense C(U) with the controls first: U acts on the block of the control pattern."""
    k, d = len(values), u.shape[0]
    index = int("".join(str(int(v)) for v in values), 2)
    proj = onp.zeros((2 ** k, 2 ** k))
    proj[index, index] = 1
    return kron(onp.eye(2 ** k) - proj, onp.eye(d)) + kron(proj, u)


def permute(mat, order, wires):
    """``mat`` on wires ``order`` expressed on ``wires`` (a dense reference by index mapping)."""
    n = len(wires)
    pos = [list(order).index(w) for w in wires]
    t = mat.reshape((2,) * 2 * n)
    return t.transpose(pos + [n + p for p in pos]).reshape(2 ** n, 2 ** n)


@pytest.mark.parametrize("values", [None, [1], [0], True, 0])
def test_one_control_matrix(values):
    op = kt.ctrl(kt.RY(0.8, wires=1), control=0, control_values=values)
    bits = [1] if values in (None, True, [1]) or values == 1 else [0]
    onp.testing.assert_allclose(op.matrix(), controlled(ry(0.8), bits), atol=1e-14)
    assert op.name == ("CRY" if bits == [1] else "C(RY)") and list(op.wires) == [0, 1]


@pytest.mark.parametrize("values", [(1, 1), (0, 1), (1, 0), (0, 0)])
def test_two_controls_on_a_circuit_with_wires_in_any_order(values):
    dev = kt.device("default.qubit", wires=4)
    theta = 1.3

    @kt.qnode(dev)
    def circuit():
        for w in range(4):
            kt.RY(0.3 + 0.4 * w, wires=w)
        kt.ctrl(kt.RX(theta, wires=0), control=[3, 1], control_values=values)
        return kt.state()

    prep = kron(*[ry(0.3 + 0.4 * w) for w in range(4)]) @ onp.eye(16)[0]
    gate = permute(kron(controlled(rx(theta), values), I2), [3, 1, 0, 2], [0, 1, 2, 3])
    onp.testing.assert_allclose(circuit(), gate @ prep, atol=1e-12)


class PlainGates(kt.Device):
    """A device that applies default.qubit's gates but no controlled gates of its own."""

    name = "plain.gates"
    capabilities = kt.Capabilities(
        operations={g for g in kt.device("default.qubit", wires=1).capabilities.operations
                    if not g.startswith("C(")},
        measurements={"state"})


@pytest.mark.parametrize("make, base", [
    (lambda: kt.Controlled(kt.PauliX(wires=1), 0), X),
    (lambda: kt.ctrl(kt.Hadamard(wires=1), control=0, control_values=0), H),
    (lambda: kt.Controlled(kt.RZ(0.4, wires=1), 0), rz(0.4)),
    (lambda: kt.ctrl(kt.RZ(0.4, wires=1), control=0, control_values=0), rz(0.4)),
    (lambda: kt.ctrl(kt.Rot(0.1, 0.2, 0.3, wires=1), control=0, control_values=[0]),
     rz(0.3) @ ry(0.2) @ rz(0.1)),
])
def test_decomposition_equals_the_matrix(make, base):
    op = make()
    values = list(op.control_values)
    onp.testing.assert_allclose(op.matrix(), controlled(base, values), atol=1e-12)
    # a device without controlled gates applies the decomposition (CNOT, CRZ, CRot with PauliX
    # flips, or a QubitUnitary)
    parts = PlainGates(2).expand_operations([op])
    assert all(not p.name.startswith("C(") for p in parts)
    total = onp.eye(4)
    for p in parts:
        total = p.matrix(wire_order=[0, 1]) @ total
    onp.testing.assert_allclose(total, controlled(base, values), atol=1e-12)


def test_device_gates_come_back_as_themselves():
    assert type(kt.ctrl(kt.PauliX(wires=2), control=[0, 1])) is kt.Toffoli
    assert type(kt.ctrl(kt.PauliX(wires=2), control=1)) is kt.CNOT
    crx = kt.ctrl(kt.RX(0.1, wires=2), control=0)
    assert type(crx) is kt.CRX and list(crx.wires) == [0, 2] and crx.data == (0.1,)
    assert type(kt.ctrl(kt.CNOT(wires=[1, 2]), control=0)) is kt.Toffoli
    assert type(kt.ctrl(kt.SWAP(wires=[1, 2]), control=0)) is kt.CSWAP
    flipped = kt.ctrl(kt.RX(0.1, wires=2), control=0, control_values=0)
    assert flipped.name == "C(RX)"
    assert [p.name for p in PlainGates(3).expand_operations([flipped])] == \
        ["PauliX", "CRX", "PauliX"]
    # default.qubit applies it as one gate
    assert kt.device("default.qubit", wires=3).expand_operations([flipped]) == [flipped]


def test_a_quantum_function_is_controlled_gate_by_gate():
    dev = kt.device("default.qubit", wires=3)

    def block(x, wires):
        kt.RY(x, wires=wires[0])
        kt.CNOT(wires=wires)
        return "done"

    @kt.qnode(dev)
    def circuit(x):
        kt.Hadamard(wires=0)
        assert kt.ctrl(block, control=0)(x, wires=[1, 2]) == "done"
        return kt.state()

    u = onp.array(kt.CNOT(wires=[0, 1]).matrix()) @ kron(ry(0.9), I2)
    expected = controlled(u, [1]) @ kron(H, onp.eye(4)) @ onp.eye(8)[0]
    onp.testing.assert_allclose(circuit(0.9), expected, atol=1e-12)


def test_an_operator_class_and_nested_controls():
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev)
    def circuit():
        kt.PauliX(wires=0)
        kt.ctrl(kt.ctrl(kt.PauliX, control=1, control_values=0), control=0)(wires=2)
        return kt.probs()

    out = circuit()
    onp.testing.assert_allclose(out, onp.eye(8)[0b101])  # controls 0=1, 1=0 flip wire 2
    op = kt.ctrl(kt.ctrl(kt.RX(0.2, wires=2), control=1, control_values=0), control=0)
    assert list(op.control_wires) == [0, 1] and op.control_values == (True, False)
    assert op.name == "C(RX)"


def test_adjoint_of_a_controlled_gate_is_its_inverse():
    op = kt.ctrl(kt.Rot(0.3, -0.5, 1.1, wires=2), control=[0, 1], control_values=[1, 0])
    inv = kt.adjoint(op)
    onp.testing.assert_allclose(inv.matrix() @ op.matrix(), onp.eye(8), atol=1e-12)


def _expval_circuit(dev, diff_method, values):
    @kt.qnode(dev, diff_method=diff_method)
    def circuit(x):
        kt.Hadamard(wires=0)
        kt.RY(x[0], wires=1)
        kt.ctrl(kt.RX(x[1], wires=2), control=[0, 1], control_values=values)
        kt.ctrl(kt.Rot(x[0], x[1], 0.3, wires=0), control=2)
        return kt.expval(kt.PauliZ(2) @ kt.PauliY(0))

    return circuit


def _dense_expval(x, values):
    psi = kron(H, ry(x[0]), I2) @ onp.eye(8)[0]
    psi = controlled(rx(x[1]), values) @ psi
    rot = rz(0.3) @ ry(x[1]) @ rz(x[0])
    psi = permute(kron(controlled(rot, [1]), I2), [2, 0, 1], [0, 1, 2]) @ psi
    obs = kron(onp.array([[0, -1j], [1j, 0]]), I2, onp.diag([1, -1]))
    return float(onp.real(psi.conj() @ obs @ psi))


@pytest.mark.parametrize("diff_method", ["backprop", "adjoint", "parameter-shift", "finite-diff"])
@pytest.mark.parametrize("values", [(1, 1), (0, 1)])
def test_gradients_of_controlled_rotations(diff_method, values):
    dev = kt.device("default.qubit", wires=3)
    circuit = _expval_circuit(dev, diff_method, values)
    x = np.array([0.7, -1.2])
    assert float(circuit(x)) == pytest.approx(_dense_expval(onp.array(x), values), abs=1e-12)
    h = 1e-6
    fd = [(_dense_expval(x + h * e, values) - _dense_expval(x - h * e, values)) / (2 * h)
          for e in onp.eye(2)]
    tol = 1e-5 if diff_method == "finite-diff" else 1e-8
    onp.testing.assert_allclose(kt.grad(circuit)(x), fd, atol=tol)


def test_controlled_generator_gives_the_two_frequency_rule():
    op = kt.ctrl(kt.RX(0.3, wires=1), control=0)
    assert op.parameter_frequencies == [(0.5, 1.0)]
    gen = onp.array(op.generator().matrix(wire_order=[0, 1]))
    onp.testing.assert_allclose(gen, kron(onp.diag([0, 1]), X / 2), atol=1e-15)
    assert kt.ctrl(kt.Rot(0.1, 0.2, 0.3, wires=1), control=0).parameter_frequencies == \
        [(0.5, 1.0)] * 3


def test_torch_backprop_through_a_controlled_matrix():
    torch = pytest.importorskip("torch")
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev, interface="torch", diff_method="backprop")
    def circuit(t):
        kt.PauliX(wires=0)
        kt.ctrl(kt.RY(t, wires=2), control=[0, 1], control_values=[1, 0])  # a QubitUnitary
        return kt.expval(kt.PauliZ(2))

    t = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    out = circuit(t)
    out.backward()
    assert float(out.detach()) == pytest.approx(onp.cos(0.6))
    assert float(t.grad) == pytest.approx(-onp.sin(0.6))


@pytest.mark.parametrize("make, message", [
    (lambda: kt.ctrl(kt.CNOT(wires=[0, 1]), control=1),
     "ctrl of CNOT on wires [0, 1]: control wire(s) [1] are also target wires; control wires must "
     "differ from the wires of the operation"),
    (lambda: kt.ctrl(kt.RX(0.1, wires=0), control=[1, 2], control_values=[1]),
     "ctrl got 1 control value(s) [1] for 2 control wire(s); give one value (0/1 or False/True) "
     "per control wire"),
    (lambda: kt.ctrl(kt.RX(0.1, wires=0), control=1, control_values=[2]),
     "control values must be 0/1 or False/True, got 2"),
    (lambda: kt.ctrl("RX", control=1), "ctrl takes an operator or a quantum function, got 'RX'"),
])
def test_errors(make, message):
    with pytest.raises(OperatorError) as info:
        make()
    assert str(info.value) == message


def test_broadcast_and_compiled_controlled_gates():
    jax = pytest.importorskip("jax")
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(x):
        kt.ctrl(kt.RY, control=0, control_values=0)(x, wires=1)  # acts: wire 0 is |0⟩
        return kt.expval(kt.PauliZ(1))

    onp.testing.assert_allclose(circuit(np.array([0.3, 0.6])), onp.cos([0.3, 0.6]), atol=1e-12)
    assert float(kt.qjit(circuit)(jax.numpy.array(0.3))) == pytest.approx(onp.cos(0.3), abs=1e-6)
    assert float(jax.grad(circuit)(jax.numpy.array(0.3))) == pytest.approx(-onp.sin(0.3), abs=1e-6)


def test_work_wires_are_accepted_and_must_be_free():
    op = kt.ctrl(kt.RX(0.2, wires=1), control=0, control_values=0, work_wires=[5])
    onp.testing.assert_allclose(op.matrix(), controlled(rx(0.2), [0]), atol=1e-14)
    with pytest.raises(OperatorError, match=r"work wire\(s\) \[0\] that are also control wires"):
        kt.ctrl(kt.RX(0.2, wires=1), control=0, work_wires=0)
