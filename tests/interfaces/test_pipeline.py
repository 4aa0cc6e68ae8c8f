"""One differentiation pipeline: the diff-method registry, the execution config, and the device's
derivative API as the execute boundary calls it.

* A device that implements only ``compute_derivatives`` and ``compute_vjp`` gets ``compute_vjp``
  called by the reverse-mode frameworks (autograd, torch, TF), with correct gradients.
* JAX's forward-mode rule asks for results and Jacobian together
  (``execute_and_compute_derivatives``).
* A new diff method is one registry entry.
* The QNode keeps no state about its calls; gate frequencies are computed once per gate structure.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.core import diff_methods
from kettle.core.diff_methods import DiffMethod
from kettle.devices.device import Capabilities, Device
from kettle.errors import DiffMethodError

X = onp.array([0.4, -1.1])


def circuit(x):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=1)
    kt.CNOT(wires=[0, 1])
    return kt.expval(kt.PauliZ(1)), kt.expval(kt.PauliX(0))


def exact(x):
    """(⟨Z1⟩, ⟨X0⟩) from the 4×4 matrices: an independent dense reference."""
    c, s = onp.cos(x / 2), onp.sin(x / 2)
    rx = onp.array([[c[0], -1j * s[0]], [-1j * s[0], c[0]]])
    ry = onp.array([[c[1], -s[1]], [s[1], c[1]]])
    cnot = onp.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])
    psi = cnot @ onp.kron(rx, ry) @ onp.array([1, 0, 0, 0])
    z1 = onp.kron(onp.eye(2), onp.diag([1, -1]))
    x0 = onp.kron(onp.array([[0, 1], [1, 0]]), onp.eye(2))
    return onp.array([onp.real(psi.conj() @ z1 @ psi), onp.real(psi.conj() @ x0 @ psi)])


def exact_jacobian(x, h=1e-6):
    return onp.stack([(exact(x + h * e) - exact(x - h * e)) / (2 * h) for e in onp.eye(2)], axis=1)


class VjpDevice(Device):
    """Simulates with default.qubit and differentiates by its own parameter-shift rule, counting
    how the boundary asks for derivatives."""

    name = "vjp.qubit"
    capabilities = Capabilities(operations={"RX", "RY", "CNOT"}, observables={"PauliZ", "PauliX"},
                                measurements={"expval"}, derivatives={"device"})

    def __init__(self, wires, *, shots=None, seed=None):
        super().__init__(wires, shots=shots, seed=seed)
        self.sim = kt.device("default.qubit", wires=wires)
        self.calls = {"jacobian": 0, "vjp": 0, "both": 0}

    def execute(self, tapes):
        return self.sim.execute(tapes)

    def _jacobian(self, tape):
        """Shift rule ∂f/∂θ = [f(θ + π/2) − f(θ − π/2)] / 2 for every trainable parameter."""
        params = tape.get_parameters()
        cols = []
        for t in range(len(params)):
            up = tape.bind_new_parameters([params[t] + onp.pi / 2], [tape.trainable_params[t]])
            down = tape.bind_new_parameters([params[t] - onp.pi / 2], [tape.trainable_params[t]])
            r_up, r_down = self.sim.execute([up, down])
            cols.append([(a - b) / 2 for a, b in zip(r_up, r_down)])
        return tuple(tuple(cols[t][k] for t in range(len(params)))
                     for k in range(len(tape.measurements)))

    def compute_derivatives(self, tapes, method="device"):
        self.calls["jacobian"] += 1
        return [self._jacobian(t) for t in tapes]

    def compute_vjp(self, tapes, cotangents, method="device"):
        self.calls["vjp"] += 1
        out = []
        for tape, dy in zip(tapes, cotangents):
            jac = self._jacobian(tape)
            out.append(tuple(sum(float(onp.real(d * jac[k][t])) for k, d in enumerate(dy))
                             for t in range(len(tape.trainable_params))))
        return out

    def execute_and_compute_derivatives(self, tapes, method="device"):
        self.calls["both"] += 1
        return self.execute(tapes), [self._jacobian(t) for t in tapes]


WEIGHTS = onp.array([0.7, -0.3])  # the scalar differentiated: 0.7 ⟨Z1⟩ − 0.3 ⟨X0⟩


def _autograd_grad(qn):
    x = np.array(X, requires_grad=True)
    return onp.asarray(kt.grad(lambda v: 0.7 * qn(v)[0] - 0.3 * qn(v)[1])(x))


def _torch_grad(qn):
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    out = qn(x)
    (0.7 * out[0] - 0.3 * out[1]).backward()
    return x.grad.numpy()


def _tf_grad(qn):
    tf = pytest.importorskip("tensorflow")
    x = tf.Variable(X)
    with tf.GradientTape() as tape:
        out = qn(x)
        y = 0.7 * out[0] - 0.3 * out[1]
    return tape.gradient(y, x).numpy()


@pytest.mark.parametrize("grad", [
    pytest.param(_autograd_grad, id="autograd"),
    pytest.param(_torch_grad, id="torch", marks=pytest.mark.torch),
    pytest.param(_tf_grad, id="tf", marks=pytest.mark.tf),
])
def test_reverse_mode_calls_the_devices_vjp(grad):
    dev = VjpDevice(wires=2)
    qn = kt.QNode(circuit, dev, diff_method="device")
    g = grad(qn)
    onp.testing.assert_allclose(g, WEIGHTS @ exact_jacobian(X), atol=1e-8)
    # two QNode calls in the autograd cost: one VJP each; never a full Jacobian
    assert dev.calls["vjp"] >= 1 and dev.calls["jacobian"] == 0


@pytest.mark.jax
def test_jax_forward_mode_asks_for_results_and_jacobian_together():
    jax = pytest.importorskip("jax")
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        dev = VjpDevice(wires=2)
        qn = kt.QNode(circuit, dev, diff_method="device")
        jac = jax.jacfwd(lambda v: jax.numpy.stack(qn(v)))(jax.numpy.asarray(X))
        onp.testing.assert_allclose(onp.asarray(jac), exact_jacobian(X), atol=1e-8)
        assert dev.calls["both"] == 1 and dev.calls["jacobian"] == 0
    finally:
        jax.config.update("jax_enable_x64", before)


def test_a_device_without_its_own_vjp_gets_one_jacobian_per_execution():
    """The default compute_vjp contracts compute_derivatives; the boundary then computes the
    Jacobian once and reuses it for every output of a Jacobian request."""
    class JacobianOnly(VjpDevice):
        name = "jacobian.qubit"
        compute_vjp = Device.compute_vjp

    dev = JacobianOnly(wires=2)
    qn = kt.QNode(circuit, dev, diff_method="device")
    jac = kt.jacobian(lambda v: np.stack(qn(v)))(np.array(X, requires_grad=True))
    onp.testing.assert_allclose(jac, exact_jacobian(X), atol=1e-8)
    assert dev.calls["jacobian"] == 1 and dev.calls["vjp"] == 0


# ---------------------------------------------------------------- a new method: one entry
def central_differences(tape, h=1e-4):
    """A toy gradient transform: central differences, 2 tapes per parameter."""
    params = tape.get_parameters()
    tapes = []
    for t in range(len(params)):
        for s in (h, -h):
            tapes.append(tape.bind_new_parameters([params[t] + s], [tape.trainable_params[t]]))

    def fn(results):
        return tuple(tuple((results[2 * t][k] - results[2 * t + 1][k]) / (2 * h)
                           for t in range(len(params)))
                     for k in range(len(tape.measurements)))

    return tapes, fn


@pytest.fixture
def toy_method():
    entry = diff_methods.register(DiffMethod(
        name="toy-central", rank=50, transform=central_differences,
        measurements=(kt.core.measurements.ExpectationMP,), summary="central differences"))
    yield entry
    diff_methods.unregister("toy-central")


def test_a_new_diff_method_is_one_registry_entry(toy_method):
    assert "toy-central" in diff_methods.names()
    dev = kt.device("default.qubit", wires=2)
    qn = kt.QNode(circuit, dev, diff_method="toy-central")
    x = np.array(X, requires_grad=True)
    jac = kt.jacobian(lambda v: np.stack(qn(v)))(x)
    onp.testing.assert_allclose(jac, exact_jacobian(X), atol=1e-7)
    # its measurement support is enforced like any built-in method's
    probs = kt.QNode(lambda v: (kt.RX(v[0], wires=0), kt.probs(wires=[0]))[1], dev,
                     diff_method="toy-central")
    with pytest.raises(kt.errors.NonDifferentiableError,
                       match=r"diff_method='toy-central' cannot differentiate probs\(\); it "
                             r"supports expval"):
        kt.jacobian(probs)(x)


def test_the_registry_refuses_options_it_does_not_know():
    with pytest.raises(DiffMethodError, match=r"reads unknown options \['stepsize'\]"):
        diff_methods.register(DiffMethod(name="bad", rank=99, transform=central_differences,
                                         options=frozenset({"stepsize"})))
    assert "bad" not in diff_methods.names()


def test_best_is_resolved_from_the_registry():
    dev = kt.device("default.qubit", wires=1)
    sampled = kt.device("default.qubit", wires=1, shots=10)
    tape = kt.QuantumTape([kt.RX.unqueued(0.1, wires=0)], [kt.expval(kt.PauliZ.unqueued(0))])
    assert diff_methods.resolve("best", dev, "torch", [tape]).name == "backprop"
    shot_tape = tape.copy(shots=10)
    assert diff_methods.resolve("best", sampled, "torch", [shot_tape]).name == "parameter-shift"
    assert diff_methods.resolve("best", VjpDevice(1), "torch", [tape]).name == "device"


# ---------------------------------------------------------------- nothing stored per call
def test_a_qnode_keeps_no_state_about_its_calls():
    dev = kt.device("default.qubit", wires=2)
    qn = kt.QNode(circuit, dev, diff_method="parameter-shift")
    before = dict(vars(qn))
    qn(X)
    kt.grad(lambda v: qn(v)[0])(np.array(X, requires_grad=True))
    assert vars(qn).keys() == before.keys()
    assert all(vars(qn)[k] is before[k] for k in before)


class CountedRX(kt.RX):
    """RX counting how often its generator is built (each time means an eigendecomposition)."""

    built = 0

    @property
    def name(self) -> str:  # the device applies it as the RX it is
        return "RX"

    def generator(self):
        type(self).built += 1
        return super().generator()


def test_frequencies_are_computed_once_per_gate_structure():
    dev = kt.device("default.qubit", wires=1)

    def f(x):
        CountedRX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    qn = kt.QNode(f, dev, diff_method="parameter-shift")
    CountedRX.built = 0
    qn(0.3)  # forward pass, nothing differentiated: no frequencies at all
    assert CountedRX.built == 0
    for x in (0.3, 0.5, 0.9):
        g = kt.grad(qn)(np.array(x, requires_grad=True))
        assert g == pytest.approx(-onp.sin(x), abs=1e-10)
    assert CountedRX.built <= 1
