"""Devices created without ``wires`` take them from each circuit (sorted labels of the wires it
uses), as PennyLane's do. Regression: ``kt.device("default.qubit")`` meant one wire, so the first
two-wire gate was a WireError."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import WireError


def _rx(t):
    c, s = onp.cos(t / 2), onp.sin(t / 2)
    return onp.array([[c, -1j * s], [-1j * s, c]])


CNOT = onp.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])


def test_a_device_without_wires_runs_circuits_of_any_width():
    dev = kt.device("default.qubit")
    assert dev.wires is None and dev.num_wires is None
    assert repr(dev) == "<DefaultQubit 'default.qubit' wires=from each circuit shots=Shots(None)>"

    @kt.qnode(dev)
    def two(x):
        kt.RX(x, wires=0)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    @kt.qnode(dev)
    def five():
        for w in range(5):
            kt.Hadamard(wires=w)
        return kt.probs()

    assert float(two(np.array(0.3))) == pytest.approx(1.0)  # ZZ = +1 on |00⟩, |11⟩
    onp.testing.assert_allclose(five(), onp.full(32, 1 / 32))


def test_wire_order_is_the_sorted_labels_not_the_order_of_appearance():
    dev = kt.device("default.qubit")

    @kt.qnode(dev)
    def circuit(x):
        kt.RX(x, wires=2)
        kt.CNOT(wires=[2, 0])
        return kt.state()

    x = 0.7
    # wires sorted: (0, 2); RX on wire 2 is the second factor, CNOT controls on 2 and targets 0
    swap_cnot = onp.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]])
    expected = swap_cnot @ onp.kron(onp.eye(2), _rx(x)) @ onp.eye(4)[0]
    onp.testing.assert_allclose(circuit(x), expected, atol=1e-12)
    assert circuit(x).shape == (4,)  # only the wires the circuit uses


def test_string_labels_and_labels_that_cannot_be_sorted():
    dev = kt.device("default.qubit")

    @kt.qnode(dev)
    def named():
        kt.PauliX(wires="b")
        return kt.probs(wires=["a", "b"])

    onp.testing.assert_allclose(named(), [0, 1, 0, 0])  # sorted: a, b → |0⟩_a |1⟩_b

    @kt.qnode(dev)
    def mixed():
        kt.PauliX(wires="q")
        kt.Hadamard(wires=0)
        return kt.probs()

    # 0 and "q" cannot be compared: the circuit's order (q, 0) is kept
    onp.testing.assert_allclose(mixed(), [0, 0, 0.5, 0.5])


@pytest.mark.parametrize("diff_method", ["backprop", "adjoint", "parameter-shift", "finite-diff"])
def test_gradients_on_a_device_without_wires(diff_method):
    dev = kt.device("default.qubit")

    @kt.qnode(dev, diff_method=diff_method)
    def circuit(x):
        kt.RX(x[0], wires=3)
        kt.RY(x[1], wires=1)
        kt.CNOT(wires=[3, 1])
        return kt.expval(kt.PauliZ(1))

    x = np.array([0.4, 0.9])
    # ⟨Z₁⟩ after CNOT(3→1) on RX(a)|0⟩ ⊗ RY(b)|0⟩ is cos a · cos b
    assert float(circuit(x)) == pytest.approx(onp.cos(0.4) * onp.cos(0.9))
    g = kt.grad(circuit)(x)
    onp.testing.assert_allclose(g, [-onp.sin(0.4) * onp.cos(0.9), -onp.cos(0.4) * onp.sin(0.9)],
                                atol=1e-6 if diff_method == "finite-diff" else 1e-12)


def test_frameworks_and_compiled_paths_on_a_device_without_wires():
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("tensorflow")
    jax = pytest.importorskip("jax")
    dev = kt.device("default.qubit")

    def body(x):
        kt.RX(x, wires=5)
        kt.CNOT(wires=[5, 6])
        return kt.probs()

    expected = [onp.cos(0.5 / 2) ** 2, 0, 0, onp.sin(0.5 / 2) ** 2]
    for interface, x in [("torch", torch.tensor(0.5, dtype=torch.float64)),
                         ("tf", tf.constant(0.5, dtype=tf.float64))]:
        out = kt.QNode(body, dev, interface=interface, diff_method="parameter-shift")(x)
        onp.testing.assert_allclose(onp.asarray(out), expected, atol=1e-12)
    traced = tf.function(kt.QNode(body, dev, interface="tf", diff_method="parameter-shift"))
    onp.testing.assert_allclose(traced(tf.constant(0.5, tf.float64)).numpy(), expected, atol=1e-12)
    jitted = jax.jit(kt.QNode(body, dev, interface="jax", diff_method="parameter-shift"))
    onp.testing.assert_allclose(onp.asarray(jitted(jax.numpy.array(0.5))), expected, atol=1e-6)


def test_default_mixed_without_wires_and_with_shots():
    dev = kt.device("default.mixed", shots=2000, seed=5)

    @kt.qnode(dev)
    def circuit():
        kt.PauliX(wires=7)
        kt.BitFlip(0.0, wires=2)
        return kt.counts()

    assert circuit() == {"01": 2000}  # wires (2, 7)


def test_a_circuit_without_wires_is_an_error():
    dev = kt.device("default.qubit")
    with pytest.raises(WireError) as info:
        kt.QNode(lambda: kt.state(), dev)()
    assert str(info.value) == (
        "device 'default.qubit' takes its wires from each circuit, but this circuit uses none; "
        "name the wires of its measurements (e.g. kt.probs(wires=[0, 1])) or create the device "
        "with wires=...")


def test_a_device_that_reads_its_wires_itself_still_needs_them():
    class Fixed(kt.Device):
        name = "fixed.test"
        capabilities = kt.Capabilities(operations={"RX"}, measurements={"expval"})

    with pytest.raises(WireError) as info:
        Fixed()
    assert str(info.value) == (
        "device 'fixed.test' needs its wires: pass wires=<number of wires> or a list of labels (it "
        "does not take them from each circuit)")
    assert Fixed(2).num_wires == 2


def test_fixed_wires_keep_their_checks():
    dev = kt.device("default.qubit", wires=2)
    with pytest.raises(WireError, match=r"CNOT acts on wire 2, but device 'default.qubit' has "
                                         r"wires \[0, 1\]"):
        kt.QNode(lambda: (kt.CNOT(wires=[0, 2]), kt.state())[1], dev)()
