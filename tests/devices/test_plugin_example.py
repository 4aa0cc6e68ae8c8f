"""The example third-party plugin (examples/kettle-plugin-example), discovered from its real
install: its entry point, its forward results, and its own derivatives used by diff_method="device"
and by "best" in every interface, checked against default.qubit backprop.
"""
from __future__ import annotations

import importlib.metadata as md
import importlib.util
import platform
import subprocess
import sys

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.core import measurements
from kettle.errors import NonDifferentiableError

X = onp.array([0.3, -1.1, 0.8])
WEIGHTS = onp.array([0.25, -0.6])  # weights of probs in the scalar cost


@pytest.fixture(scope="module", autouse=True)
def example_installed():
    if "example.qubit" not in kt.available_devices():
        pytest.fail("the example plugin is not installed in this environment; run `make venv` or "
                    "`pip install -e examples/kettle-plugin-example`")


def circuit(x):
    kt.Rot(x[0], x[1], x[2], wires=0)  # decomposed: example.qubit has no Rot
    kt.CRX(x[1], wires=[0, 1])  # decomposed too
    kt.RY(x[0] * x[2], wires=1)
    return kt.expval(kt.PauliZ(0) @ kt.PauliX(1)), kt.probs(wires=[1])


def cost_reference(x):
    """The scalar cost on default.qubit, differentiated by backprop (autograd)."""
    ev, p = kt.QNode(circuit, kt.device("default.qubit", wires=2), diff_method="backprop")(x)
    return ev + np.sum(WEIGHTS * p)


# ---------------------------------------------------------------- discovery


def test_example_device_is_discovered_through_its_entry_point():
    (ep,) = md.entry_points(group="kettle.devices", name="example")
    assert ep.value == "kettle_plugin_example.plugin"
    assert ep.dist.name == "kettle-plugin-example"
    entry = kt.available_devices()["example.qubit"]
    assert (entry.distribution, entry.version) == ("kettle-plugin-example", md.version(
        "kettle-plugin-example"))
    assert entry.cls.__module__ == "kettle_plugin_example.device"
    assert entry.capabilities.derivatives == {"device"}
    dev = kt.device("example.qubit", wires=["a", "b"])
    assert isinstance(dev, entry.cls) and list(dev.wires) == ["a", "b"]


def test_example_forward_results_match_default_qubit():
    def every_measurement(x):
        circuit(x)
        return (kt.expval(kt.PauliY(1)), kt.probs(wires=[1, 0]), kt.probs(op=kt.PauliX(0)),
                kt.state())

    got = kt.QNode(every_measurement, kt.device("example.qubit", wires=2))(X)
    want = kt.QNode(every_measurement, kt.device("default.qubit", wires=2))(X)
    for g, w in zip(got, want):
        assert onp.shape(g) == onp.shape(w)
        onp.testing.assert_allclose(g, w, atol=1e-12)


# ---------------------------------------------------------------- the device's own derivatives


def test_device_jacobian_layout_and_values():
    """RX(a) RY(b) on one wire: ⟨Z⟩ = cos a cos b and probs = ((1 + ⟨Z⟩)/2, (1 − ⟨Z⟩)/2)."""
    a, b = 0.4, -0.9
    dev = kt.device("example.qubit", wires=1)
    tape = kt.QuantumTape([kt.RX.unqueued(a, wires=0), kt.RY.unqueued(b, wires=0)],
                          [measurements.expval(kt.PauliZ.unqueued(0)),
                           measurements.probs(wires=[0])])
    (jac,) = dev.compute_derivatives([tape], "device")
    assert len(jac) == 2 and all(len(row) == 2 for row in jac)
    d_ev = [-onp.sin(a) * onp.cos(b), -onp.cos(a) * onp.sin(b)]
    onp.testing.assert_allclose(jac[0], d_ev, atol=1e-12)
    for t in range(2):
        assert onp.shape(jac[1][t]) == (2,)
        onp.testing.assert_allclose(jac[1][t], [d_ev[t] / 2, -d_ev[t] / 2], atol=1e-12)
    assert dev.derivative_calls == 1 and dev.executions == 4  # two shifted circuits per parameter


def test_default_vjp_and_execute_and_derivatives_build_on_the_device_jacobian():
    dev, ref = kt.device("example.qubit", wires=2), kt.device("default.qubit", wires=2)
    tape = dev.preprocess(kt.QNode(circuit, dev).construct((X,), {})[0])
    dy = (onp.float64(0.7), onp.array([0.2, -1.3]))
    (vjp,) = dev.compute_vjp([tape], [dy])
    (adjoint,) = ref.compute_derivatives([tape], "adjoint")  # an independent method
    want = [dy[0] * adjoint[0][t] + onp.sum(dy[1] * adjoint[1][t]) for t in range(tape.num_params)]
    onp.testing.assert_allclose(vjp, want, atol=1e-12)
    results, jacs = dev.execute_and_compute_derivatives([tape])
    onp.testing.assert_allclose(results[0][1], ref.execute([tape])[0][1], atol=1e-12)
    for k in range(2):
        onp.testing.assert_allclose(onp.array(jacs[0][k]), onp.array(adjoint[k]), atol=1e-12)


def test_device_derivatives_of_state_are_refused():
    dev = kt.device("example.qubit", wires=1)

    @kt.qnode(dev, diff_method="device")
    def f(x):
        kt.RX(x, wires=0)
        return kt.state()

    f(np.array(0.1, requires_grad=True))  # the forward pass works
    with pytest.raises(NonDifferentiableError, match=(
            r"device 'example.qubit' differentiates expval and probs, not state\(\); use "
            r"diff_method='finite-diff' for state\(\)")):
        kt.jacobian(lambda x: np.real(f(x)))(np.array(0.1, requires_grad=True))


def _autograd_grad(qnode, x):
    def cost(x):
        ev, p = qnode(x)
        return ev + np.sum(WEIGHTS * p)

    return onp.asarray(kt.grad(cost)(np.array(x, requires_grad=True)))


def _torch_grad(qnode, x):
    import torch

    t = torch.tensor(x, requires_grad=True)
    ev, p = qnode(t)
    (ev + torch.sum(torch.tensor(WEIGHTS) * p)).backward()
    return t.grad.numpy()


def _tf_grad(qnode, x):
    import tensorflow as tf

    v = tf.Variable(x)
    with tf.GradientTape() as tape:
        ev, p = qnode(v)
        cost = ev + tf.reduce_sum(tf.constant(WEIGHTS) * p)
    return tape.gradient(cost, v).numpy()


def _jax_grad(qnode, x):
    import jax
    import jax.numpy as jnp

    def cost(x):
        ev, p = qnode(x)
        return ev + jnp.sum(jnp.asarray(WEIGHTS) * p)

    return onp.asarray(jax.grad(cost)(jnp.asarray(x)))


INTERFACES = [
    pytest.param("autograd", _autograd_grad, id="autograd"),
    pytest.param("torch", _torch_grad, id="torch", marks=pytest.mark.torch),
    pytest.param("tf", _tf_grad, id="tf", marks=pytest.mark.tf),
    pytest.param("jax", _jax_grad, id="jax", marks=pytest.mark.jax),
]


@pytest.mark.parametrize("diff_method", ["device", "best"])
@pytest.mark.parametrize("interface, gradient", INTERFACES)
def test_device_gradient_is_used_in_every_interface(interface, gradient, diff_method):
    module = {"autograd": "autograd", "torch": "torch", "tf": "tensorflow", "jax": "jax"}[interface]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    dev = kt.device("example.qubit", wires=2)
    qnode = kt.QNode(circuit, dev, interface=interface, diff_method=diff_method)
    got = gradient(qnode, X.copy())
    want = kt.grad(cost_reference)(np.array(X, requires_grad=True))
    onp.testing.assert_allclose(got, want, atol=1e-10)
    assert dev.derivative_calls == 1  # the device's own method computed the gradient
    # one forward run, then two shifted runs per trainable gate of the decomposed circuit
    # (Rot → 3 rotations, CRX → 2, RY → 1)
    assert dev.executions == 1 + 2 * 6


def test_device_derivatives_are_first_order_only():
    from kettle.errors import DiffMethodError

    dev = kt.device("example.qubit", wires=1)
    with pytest.raises(DiffMethodError, match="first derivatives only.*example.qubit"):
        kt.QNode(lambda x: (kt.RX(x, wires=0), kt.expval(kt.PauliZ(0)))[1], dev,
                 diff_method="device", max_diff=2)


def test_about_prints_versions_and_devices(capsys):
    kt.about()
    out = capsys.readouterr().out
    assert out.startswith(f"kettle {kt.__version__} at ")
    assert f"Python {platform.python_version()} ({platform.python_implementation()})" in out
    for dist in ("numpy", "autoray", "autograd", "pluggy"):
        assert f"{dist} {md.version(dist)}" in out
    frameworks = out.split("frameworks: ")[1].splitlines()[0]
    for name in ("torch", "jax"):
        try:
            assert f"{name} {md.version(name)}" in frameworks
        except md.PackageNotFoundError:
            assert f"{name} not installed" in frameworks
    lines = out.splitlines()
    i = next(i for i, line in enumerate(lines) if line.lstrip().startswith("example.qubit"))
    assert lines[i].split() == ["example.qubit", "from", "kettle-plugin-example",
                                md.version("kettle-plugin-example") + ":", "14", "operations,", "6",
                                "observables"]
    assert lines[i + 1].strip() == "measurements: expval, probs, state"
    assert lines[i + 2].strip() == ("own derivatives: device; backprop with: none; shots: no; "
                                    "analytic: yes; broadcasting: no")
    assert any(line.split()[:4] == ["default.qubit", "from", "kettle", kt.__version__ + ":"]
               for line in lines)


def test_python_m_kettle_devices_lists_the_plugin():
    run = subprocess.run([sys.executable, "-m", "kettle", "devices"], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "installed devices:"
    assert any(line.split()[:3] == ["example.qubit", "from", "kettle-plugin-example"]
               for line in lines)
    assert "own derivatives: device; backprop with: none" in run.stdout

