"""``kt.qjit``: compile once, reuse; backprop QNodes run as JAX code, the other methods as host
calls to the device."""
from __future__ import annotations

import numpy as onp
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import kettle as kt  # noqa: E402
from kettle.devices.default_qubit import DefaultQubit  # noqa: E402

pytestmark = pytest.mark.jax
METHODS = ["parameter-shift", "adjoint", "backprop"]


class RecordingQubit(DefaultQubit):
    """default.qubit that records which derivative path ran (on the host, when the program runs)."""

    def __init__(self, wires):
        super().__init__(wires)
        self.executed_tapes = 0
        self.adjoint_calls = 0

    def execute(self, tapes):
        self.executed_tapes += sum(t.batch_size or 1 for t in tapes)  # circuits
        return super().execute(tapes)

    def compute_derivatives(self, tapes, method="adjoint"):
        self.adjoint_calls += 1
        return super().compute_derivatives(tapes, method)


def two_qubit_circuit(dev, method):
    """⟨Z1⟩ = cos(x) cos(y) after RX(x)⊗RY(y), CNOT."""

    @kt.qnode(dev, diff_method=method)
    def circuit(x, y):
        kt.RX(x, wires=0)
        kt.RY(y, wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1))

    return circuit


def test_first_call_compiles_and_same_shapes_reuse_the_program():
    dev = kt.device("default.qubit", wires=2)
    circuit = two_qubit_circuit(dev, "parameter-shift")
    f = kt.qjit(lambda x, y: circuit(x, y) ** 2)
    assert f.compiled_count == 0
    for x in (0.1, 0.2, 0.3):
        onp.testing.assert_allclose(f(jnp.array(x), jnp.array(0.5)),
                                    (onp.cos(x) * onp.cos(0.5)) ** 2, atol=1e-12)
    assert f.compiled_count == 1
    f(jnp.array([0.1, 0.2]), jnp.array(0.5))  # a new shape compiles anew
    f(jnp.array(0.1, dtype=jnp.float32), jnp.array(0.5))  # and so does a new dtype
    assert f.compiled_count == 3
    f(jnp.array(0.9), jnp.array(0.1))
    assert f.compiled_count == 3


@pytest.mark.parametrize("method", METHODS)
def test_backprop_is_traced_and_other_methods_are_host_calls(method):
    dev = kt.device("default.qubit", wires=2)
    circuit = two_qubit_circuit(dev, method)

    def f(x, y):
        return jax.value_and_grad(circuit)(x, y)

    x, y = jnp.array(0.3), jnp.array(0.4)
    text = kt.qjit(f).lower(x, y).as_text()
    calls = [line for line in text.splitlines() if "custom_call" in line and "callback" in line]
    # one host call for the results and their Jacobian; backprop simulates in the program
    assert len(calls) == (0 if method == "backprop" else 1)


@pytest.mark.parametrize("method", METHODS)
def test_each_qnode_is_differentiated_by_its_own_method(method):
    dev = RecordingQubit(2)
    circuit = two_qubit_circuit(dev, method)
    value, slope = kt.qjit(jax.value_and_grad(circuit, argnums=(0, 1)))(jnp.array(0.3),
                                                                         jnp.array(0.4))
    onp.testing.assert_allclose(value, onp.cos(0.3) * onp.cos(0.4), atol=1e-12)
    onp.testing.assert_allclose(slope, [-onp.sin(0.3) * onp.cos(0.4),
                                        -onp.cos(0.3) * onp.sin(0.4)], atol=1e-12)
    assert dev.adjoint_calls == (1 if method == "adjoint" else 0)
    # one forward simulation (traced by backprop); parameter-shift adds its four shifted tapes
    assert dev.executed_tapes == {"backprop": 1, "adjoint": 1, "parameter-shift": 5}[method]


def test_results_of_every_measurement_kind_match_eager_execution():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev, diff_method="backprop")
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        kt.CNOT(wires=[0, 1])
        return (kt.expval(kt.PauliZ(0) @ kt.PauliZ(1)), kt.var(kt.PauliX(1)), kt.probs(wires=[1]),
                kt.state())

    x = jnp.array([0.3, -1.1])
    compiled, eager = kt.qjit(circuit)(x), circuit(x)
    for c, e in zip(compiled, eager):
        onp.testing.assert_allclose(c, e, atol=1e-12)
    assert compiled[3].dtype == jnp.complex128


def test_parameter_shift_tapes_of_mixed_structure_and_several_qnodes():
    """Compiled, shifted tapes are grouped by structure and simulated under vmap; circuits with
    adjoints, a Hamiltonian and gates of several kinds give the eager (host) gradient."""
    dev = kt.device("default.qubit", wires=3)
    H = kt.Hamiltonian([0.4, -1.2], [kt.PauliZ(0) @ kt.PauliX(2), kt.PauliY(1)])

    def make(method):
        @kt.qnode(dev, diff_method=method)
        def a(w):
            kt.Rot(w[0], w[1], w[2], wires=0)
            kt.CRX(w[3], wires=[0, 1])
            kt.adjoint(kt.IsingXX(w[4], wires=[1, 2]))
            kt.CNOT(wires=[2, 0])
            return kt.expval(H)

        @kt.qnode(dev, diff_method=method)
        def b(w):
            kt.StronglyEntanglingLayers(jnp.reshape(w[:6], (2, 1, 3)), wires=[1])
            kt.MultiRZ(w[5], wires=[0, 1])
            return kt.probs(wires=[1])

        return lambda w: a(w) * b(w)[1] + jnp.sin(a(w[::-1]))

    w = jnp.linspace(0.2, 1.4, 6)
    cost = make("parameter-shift")
    want = jax.grad(cost)(w)  # eager: every tape runs on the host, one by one
    onp.testing.assert_allclose(kt.qjit(jax.grad(cost))(w), want, atol=1e-10)


def test_nested_qjit_is_inlined_and_static_argnums_are_constants():
    dev = kt.device("default.qubit", wires=2)
    circuit = two_qubit_circuit(dev, "adjoint")
    inner = kt.qjit(lambda x: circuit(x, x))

    @kt.qjit(static_argnums=1)
    def outer(x, power):
        return inner(x) ** power

    onp.testing.assert_allclose(outer(jnp.array(0.4), 3), onp.cos(0.4) ** 6, atol=1e-12)
    onp.testing.assert_allclose(outer(jnp.array(0.4), 2), onp.cos(0.4) ** 4, atol=1e-12)
    assert outer.compiled_count == 2 and inner.compiled_count == 0
    assert repr(outer) == "<QJIT 'outer': compiled 2x>"


def test_vmap_over_a_compiled_gradient():
    dev = kt.device("default.qubit", wires=2)
    circuit = two_qubit_circuit(dev, "parameter-shift")
    xs = jnp.array([0.1, 0.5, 0.9])
    got = kt.qjit(jax.vmap(kt.grad(circuit), in_axes=(0, None)))(xs, jnp.array(0.2))
    onp.testing.assert_allclose(got, -onp.sin(xs) * onp.cos(0.2), atol=1e-12)


def test_outside_qjit_qnodes_keep_the_callback_path():
    """Only tracing by kt.qjit switches QNodes to compiled execution."""
    dev = kt.device("default.qubit", wires=2)
    circuit = two_qubit_circuit(dev, "adjoint")
    onp.testing.assert_allclose(jax.jit(jax.grad(circuit))(0.3, 0.4),
                                -onp.sin(0.3) * onp.cos(0.4), atol=1e-12)


def test_finite_shots_are_refused_with_a_clear_error():
    from kettle.errors import DeviceError

    dev = kt.device("default.qubit", wires=2, shots=100, seed=1)
    circuit = two_qubit_circuit(dev, "parameter-shift")
    with pytest.raises(DeviceError, match=r"^kt.qjit compiles exact simulation only, but a QNode on "
                                          r"'default.qubit' has shots=100; use shots=None inside "
                                          r"kt.qjit") as info:
        kt.qjit(circuit)(0.1, 0.2)
    assert info.value.device == "default.qubit"


@pytest.mark.parametrize("measure, method", [("sample", "best"), ("expval", "backprop")])
def test_finite_shots_error_comes_before_differentiability_checks(measure, method):
    """sample() or a backprop QNode with shots: the shots are the problem, and the error says so
    (not "sample() is not differentiable" or "backprop needs shots=None")."""
    from kettle.errors import DeviceError

    @kt.qnode(kt.device("default.qubit", wires=1, shots=50), diff_method=method)
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.sample(kt.PauliZ(0)) if measure == "sample" else kt.expval(kt.PauliZ(0))

    with pytest.raises(DeviceError, match=r"^kt.qjit compiles exact simulation only, but a QNode on "
                                          r"'default.qubit' has shots=50"):
        kt.qjit(circuit)(0.1)


@pytest.mark.parametrize("method", METHODS)
def test_jacobian_of_broadcast_parameters(method):
    """RX(x_b)⊗RY(y), CNOT: P(wire 1 = 1) = p + q − 2pq with p = sin²(x/2), q = sin²(y/2);
    entry b of the broadcast x moves only batch entry b's results."""
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev, diff_method=method)
    def circuit(x, y):
        kt.RX(x, wires=0)
        kt.RY(y, wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.probs(wires=[1]), kt.expval(kt.PauliZ(0))

    xs, y = onp.array([0.1, 0.5, 0.9]), 0.3
    (dp_dx, dp_dy), (dz_dx, dz_dy) = kt.qjit(kt.jacobian(circuit, argnum=(0, 1)))(
        jnp.asarray(xs), jnp.asarray(y))
    d1_dx = onp.sin(xs) / 2 * onp.cos(y)  # d/dx of P(1): (sin x / 2)(1 − 2q)
    onp.testing.assert_allclose(dp_dx, onp.stack([onp.diag(-d1_dx), onp.diag(d1_dx)], axis=1),
                                atol=1e-12)
    d1_dy = onp.sin(y) / 2 * onp.cos(xs)
    onp.testing.assert_allclose(dp_dy, onp.stack([-d1_dy, d1_dy], axis=1), atol=1e-12)
    onp.testing.assert_allclose(dz_dx, onp.diag(-onp.sin(xs)), atol=1e-12)
    onp.testing.assert_allclose(dz_dy, 0.0, atol=1e-12)
