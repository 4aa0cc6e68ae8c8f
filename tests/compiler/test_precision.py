"""``kt.qjit`` computes in float64 whatever JAX's global ``jax_enable_x64`` says, without changing
it: issue 6's examples to 1e-9 with JAX's default configuration, ``precision="float32"``, and the
finite-difference step chosen (and checked) by the working precision."""
from __future__ import annotations

import math
import warnings

import numpy as onp
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import kettle as kt  # noqa: E402

pytestmark = pytest.mark.jax


@pytest.fixture
def default_config():
    """JAX's out-of-the-box configuration (x64 off; the suite's conftest turns it on)."""
    with jax.enable_x64(False):
        yield
        assert jax.config.jax_enable_x64 is False  # nothing we ran changed the user's setting


@pytest.fixture(scope="module")
def dev():
    return kt.device("default.qubit", wires=1)


def test_rx_pi_x_in_y_gives_float64_values(default_config, dev):
    @kt.qnode(dev)
    def circuit(x):
        kt.RX(jnp.pi * x, wires=0)
        return kt.expval(kt.PauliY(0))

    value, slope = kt.qjit(kt.value_and_grad(circuit))(2.0)
    assert value.dtype == jnp.float64 and slope.dtype == jnp.float64
    assert abs(float(value)) < 1e-12  # float32 gave -1.7e-7
    assert abs(float(slope) + math.pi) < 1e-9


def test_classical_postprocessing_of_an_adjoint_qnode(default_config, dev):
    @kt.qnode(dev, diff_method="adjoint")
    def circuit(theta):
        kt.RX(jnp.exp(theta ** 2) / jnp.cos(theta / 4), wires=0)
        return kt.expval(kt.PauliZ(0))

    value, slope = kt.qjit(kt.value_and_grad(lambda t: jnp.pi / jnp.tanh(circuit(t))))(1.0)
    phi = math.exp(1.0) / math.cos(0.25)
    dphi = phi * (2.0 + math.tan(0.25) / 4)
    assert abs(float(value) - math.pi / math.tanh(math.cos(phi))) < 1e-9
    assert abs(float(slope) - math.pi / math.sinh(math.cos(phi)) ** 2 * math.sin(phi) * dphi) < 1e-9


def test_square_of_a_python_float(default_config):
    value, slope = kt.qjit(kt.value_and_grad(lambda x: x ** 2))(2.3)
    assert abs(float(value) - 5.29) < 1e-12 and abs(float(slope) - 4.6) < 1e-12


def test_two_qnodes_by_two_methods(default_config, dev):
    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit_a(p):
        kt.RX(jnp.exp(p[0] ** 2) / jnp.cos(p[1] / 4), wires=0)
        return kt.probs(wires=0)

    @kt.qnode(dev, diff_method="adjoint")
    def circuit_b(p):
        kt.RX(jnp.exp(p[1] ** 2) / jnp.cos(p[0] / 4), wires=0)
        return kt.expval(kt.PauliZ(0))

    # a NumPy array (float64); jnp.array([1.0, 2.0]) made with x64 off would be float32 already,
    # and float32 inputs keep their precision
    grad = kt.qjit(kt.grad(lambda p: circuit_a(p)[0] + circuit_b(p)))(onp.array([1.0, 2.0]))
    assert grad.dtype == jnp.float64
    # probs[0] = cos²(a/2) = (1 + cos a)/2 with a = exp(p0²)/cos(p1/4); ⟨Z⟩ = cos b,
    # b = exp(p1²)/cos(p0/4): the chain rule by hand
    p0, p1 = 1.0, 2.0
    a, b = math.exp(p0 ** 2) / math.cos(p1 / 4), math.exp(p1 ** 2) / math.cos(p0 / 4)
    da = (2 * p0 * a, a * math.tan(p1 / 4) / 4)
    db = (b * math.tan(p0 / 4) / 4, 2 * p1 * b)
    expected = [-math.sin(a) / 2 * da[k] - math.sin(b) * db[k] for k in range(2)]
    onp.testing.assert_allclose(grad, expected, rtol=0, atol=1e-9)
    onp.testing.assert_allclose(grad, [0.57353985, 44.49115142], atol=1e-8)


def test_finite_differences_resolve_a_small_step(default_config):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 1e-6 is fine in float64: no warning
        slope = kt.qjit(kt.grad(jnp.sin, method="fd", h=1e-6))(0.3)
    assert abs(float(slope) - math.cos(0.3)) < 1e-6  # float32 gave 0.983


def test_a_compiled_program_stays_float64_when_called_again(default_config, dev):
    @kt.qnode(dev)
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    f = kt.qjit(circuit)
    first = f(0.1)
    assert not jax.config.jax_enable_x64  # the call left the user's setting as it was
    second = f(0.7)  # a cache hit: the same program, still in float64
    assert second.dtype == jnp.float64 and f.compiled_count == 1
    assert abs(float(second) - math.cos(0.7)) < 1e-14 and abs(float(first) - math.cos(0.1)) < 1e-14
    assert "f64" in f.lower(0.7).as_text() and not jax.config.jax_enable_x64


def test_user_x64_setting_unchanged_when_enabled(dev):
    with jax.enable_x64(True):
        kt.qjit(lambda x: jnp.sin(x), precision="float32")(1.0)
        assert jax.config.jax_enable_x64 is True


def test_precision_float32_computes_in_single_precision(dev):
    @kt.qnode(dev)
    def circuit(x):
        kt.RX(jnp.pi * x, wires=0)
        return kt.expval(kt.PauliY(0))

    for x64 in (False, True):  # whatever the user's setting
        with jax.enable_x64(x64):
            value, slope = kt.qjit(kt.value_and_grad(circuit), precision="float32")(2.0)
        assert value.dtype == jnp.float32 and slope.dtype == jnp.float32
        assert abs(float(slope) + math.pi) < 1e-5


def test_float32_inputs_keep_float32_in_a_float64_program(dev):
    @kt.qnode(dev)
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    out = kt.qjit(circuit)(jnp.asarray(0.4, dtype=jnp.float32))
    assert out.dtype == jnp.float32 and abs(float(out) - math.cos(0.4)) < 1e-6


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match=r"precision='float16'; valid precisions are 'float64', "
                                         r"'float32'"):
        kt.qjit(jnp.sin, precision="float16")


def test_fd_step_below_float32_resolution_warns(default_config):
    with pytest.warns(UserWarning, match=r"h=1e-06, below what float32 resolves"):
        slope = kt.qjit(kt.grad(jnp.sin, method="fd", h=1e-6), precision="float32")(0.3)
    assert abs(float(slope) - math.cos(0.3)) > 1e-3  # the warning is deserved: digits are lost


def test_fd_default_step_follows_the_precision(default_config):
    f64 = kt.qjit(kt.grad(jnp.sin, method="fd"))(0.3)
    f32 = kt.qjit(kt.grad(jnp.sin, method="fd"), precision="float32")(0.3)
    # forward differences: error ≈ h/2·|sin x| with h = 1e-7 (float64) and 1e-3 (float32)
    assert abs(float(f64) - math.cos(0.3)) < 1e-7
    assert 1e-5 < abs(float(f32) - math.cos(0.3)) < 1e-3


def test_fd_step_below_float64_resolution_warns():
    with pytest.warns(UserWarning, match=r"h=1e-12, below what float64 resolves"):
        kt.qjit(kt.grad(jnp.sin, method="fd", h=1e-12))(0.3)


@pytest.fixture
def global_default_config():
    """x64 off globally, as without the suite's conftest: threads XLA starts see it too."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", before)


def test_host_calls_stay_float64_on_xla_threads(global_default_config):
    """XLA may run host calls on a thread of its own, outside kt.qjit's enable_x64 context:
    float64 results there were refused as float32 (12 qubits, from the second call on)."""
    dev = kt.device("default.qubit", wires=12)

    @kt.qnode(dev, diff_method="adjoint")
    def circuit(w):
        kt.StronglyEntanglingLayers(w, wires=range(12))
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    @kt.qnode(dev, diff_method="backprop")
    def reference(w):
        kt.StronglyEntanglingLayers(w, wires=range(12))
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    w = onp.random.default_rng(7).uniform(0, 2 * math.pi, (2, 12, 3))
    f = kt.qjit(kt.value_and_grad(circuit))
    want_value, want_grad = kt.qjit(kt.value_and_grad(reference))(w)
    for _ in range(4):
        value, grad = f(w)
        assert value.dtype == grad.dtype == jnp.float64
        assert abs(float(value - want_value)) < 1e-12
        onp.testing.assert_allclose(grad, want_grad, atol=1e-10)
    assert jax.config.jax_enable_x64 is False
