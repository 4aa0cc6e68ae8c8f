"""Loops and conditionals inside QNodes compiled by ``kt.qjit``: one tape operation per construct,
simulated with ``jax.lax``; results and gradients equal the unrolled Python circuit, gates act on
wires computed from loop indices, and the program does not grow with the iteration count."""
from __future__ import annotations

import functools

import numpy as onp
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import kettle as kt  # noqa: E402
from kettle.compiler.context import compiling_scope  # noqa: E402
from kettle.compiler.quantum_flow import ControlFlowOp, ForLoopOp  # noqa: E402
from kettle.errors import ControlFlowError, DeviceError, WireError  # noqa: E402

pytestmark = pytest.mark.jax

N = 4


def layered(x, m):
    """Nested loops (the inner trip count depends on the outer index), a branch on the index and a
    while loop; gates act on wires computed from the indices."""
    for w in range(N):
        kt.RY(0.3 * (w + 1), wires=w)

    @kt.for_loop(0, m, 1)
    def outer(i, a):
        @kt.for_loop(0, i + 1, 1)
        def inner(j, b):
            kt.RX(b, wires=j % N)
            return b + 0.1

        b = inner(a)

        @kt.cond(i % 2 == 0)
        def entangle():
            kt.CNOT(wires=[i % N, (i + 1) % N])

        @entangle.otherwise
        def entangle():
            kt.CRY(b, wires=[(i + 2) % N, i % N])

        entangle()
        return b * 0.5

    a = outer(x)

    @kt.while_loop(lambda k, a: k < 3)
    def tail(k, a):
        kt.RZ(a, wires=k)
        kt.Hadamard(wires=k)
        return k + 1, a + 0.2

    tail(0, a)
    return kt.expval(kt.PauliZ(0) @ kt.PauliX(2)), kt.probs(wires=[1, 3])


def layered_unrolled(x, m):
    for w in range(N):
        kt.RY(0.3 * (w + 1), wires=w)
    a = x
    for i in range(m):
        b = a
        for j in range(i + 1):
            kt.RX(b, wires=j % N)
            b = b + 0.1
        if i % 2 == 0:
            kt.CNOT(wires=[i % N, (i + 1) % N])
        else:
            kt.CRY(b, wires=[(i + 2) % N, i % N])
        a = b * 0.5
    for k in range(3):
        kt.RZ(a, wires=k)
        kt.Hadamard(wires=k)
        a = a + 0.2
    return kt.expval(kt.PauliZ(0) @ kt.PauliX(2)), kt.probs(wires=[1, 3])


def _qnodes(diff_method="backprop"):
    dev = kt.device("default.qubit", wires=N)
    return (kt.qnode(dev, diff_method=diff_method)(layered),
            kt.qnode(dev, diff_method=diff_method)(layered_unrolled))


@pytest.mark.parametrize("m", [0, 1, 2, 5])
def test_results_equal_the_unrolled_circuit(m):
    circuit, unrolled = _qnodes()
    compiled = kt.qjit(circuit)  # m is traced: the loop bounds are run-time values
    got = compiled(jnp.array(0.7), m)
    want = unrolled(onp.array(0.7), m)  # eager NumPy run of the Python loops
    for g, w in zip(got, want):
        onp.testing.assert_allclose(g, w, atol=1e-12)
    assert compiled.compiled_count == 1 or m != 0


def test_one_compilation_serves_every_trip_count():
    circuit, unrolled = _qnodes()
    compiled = kt.qjit(circuit)
    for m in range(4):
        onp.testing.assert_allclose(compiled(jnp.array(0.2), m)[0], unrolled(onp.array(0.2), m)[0],
                                    atol=1e-12)
    assert compiled.compiled_count == 1


def _compiled_tape(qnode, *args):
    """The tape ``qnode`` records while a compiled program is traced (QNodes keep no tape)."""
    out = {}

    def program(x):
        with compiling_scope():
            out["tape"], _ = qnode.construct((x, *args), {})
        return x

    jax.make_jaxpr(program)(jnp.array(0.7))
    return out["tape"]


def test_the_tape_holds_one_operation_per_construct():
    circuit, _ = _qnodes()
    kt.qjit(circuit)(jnp.array(0.7), 3)
    tape = _compiled_tape(circuit, 3)
    names = [op.name for op in tape.operations]
    assert names == ["RY"] * N + ["ForLoopOp", "WhileLoopOp"]
    loop = tape.operations[N]
    assert isinstance(loop, ForLoopOp) and list(loop.wires) == list(range(N))


def test_program_size_does_not_grow_with_the_loop_count():
    dev = kt.device("default.qubit", wires=3)

    def lowered(n):
        @kt.qnode(dev, diff_method="backprop")
        def circuit(x):
            @kt.for_loop(0, n, 1)
            def loop(i):
                kt.RX(x, wires=i % 3)
                kt.CNOT(wires=[i % 3, (i + 1) % 3])

            loop()
            return kt.expval(kt.PauliZ(0))

        return len(kt.qjit(circuit).lower(0.3).as_text())

    assert abs(lowered(300) - lowered(3)) < 20  # only the trip count's digits differ


def test_gradients_equal_those_of_the_unrolled_circuit():
    """Static trip counts differentiate in reverse mode; while loops and traced bounds, which JAX
    cannot reverse, make kt.grad fall back to forward mode — both must give the exact gradient."""
    circuit, unrolled = _qnodes()
    x = 0.7
    for m in (1, 3):
        got = kt.qjit(kt.grad(lambda x, m=m: circuit(x, m)[0]))(x)
        want = jax.grad(lambda x, m=m: unrolled(x, m)[0])(x)
        onp.testing.assert_allclose(got, want, atol=1e-12)
        jac = kt.qjit(kt.jacobian(lambda x, m=m: circuit(x, m)[1]))(x)
        onp.testing.assert_allclose(jac, jax.jacobian(lambda x, m=m: unrolled(x, m)[1])(x),
                                    atol=1e-12)
    # central differences of the compiled forward pass, independently of any autodiff
    f = kt.qjit(lambda x: circuit(x, 3)[0])
    fd = (f(x + 1e-6) - f(x - 1e-6)) / 2e-6
    onp.testing.assert_allclose(kt.qjit(kt.grad(lambda x: circuit(x, 3)[0]))(x), fd, atol=1e-8)


def test_second_derivative_through_a_static_loop():
    """⟨Z0 Z1 Z2⟩ after RX(k·x) on wire k−1, k = 1..3: ∏ cos(kx), differentiated twice."""
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev, diff_method="backprop")
    def circuit(x):
        @kt.for_loop(0, 3, 1)
        def loop(i):
            kt.RX(x * (i + 1), wires=i)

        loop()
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1) @ kt.PauliZ(2))

    def exact(x):
        return jnp.cos(x) * jnp.cos(2 * x) * jnp.cos(3 * x)

    x = 0.3
    onp.testing.assert_allclose(kt.qjit(circuit)(x), exact(x), atol=1e-14)
    onp.testing.assert_allclose(kt.qjit(kt.grad(kt.grad(circuit)))(x),
                                jax.grad(jax.grad(exact))(x), atol=1e-12)


def test_parameter_shift_and_adjoint_qnodes_unroll_static_loops():
    """Methods that differentiate gate by gate see every gate: their gradients are exact."""
    dev = kt.device("default.qubit", wires=3)

    def circuit(x):
        @kt.for_loop(0, 3, 1)
        def loop(i):
            kt.RX(x * (i + 1), wires=i)

        loop()
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1) @ kt.PauliZ(2))

    x = 0.3
    want = jax.grad(lambda x: jnp.cos(x) * jnp.cos(2 * x) * jnp.cos(3 * x))(x)
    for method in ("parameter-shift", "adjoint"):
        qnode = kt.qnode(dev, diff_method=method)(circuit)
        onp.testing.assert_allclose(kt.qjit(kt.grad(qnode))(x), want, atol=1e-12)
        assert [op.name for op in _compiled_tape(qnode).operations] == ["RX"] * 3


def test_broadcast_parameters_through_a_loop():
    dev = kt.device("default.qubit", wires=N)

    def body(xs, structured):
        kt.RX(xs, wires=0)
        if structured:
            @kt.for_loop(0, N - 1, 1)
            def chain(i):
                kt.CNOT(wires=[i, i + 1])
                kt.RY(xs * 0.5, wires=i + 1)

            chain()
        else:
            for i in range(N - 1):
                kt.CNOT(wires=[i, i + 1])
                kt.RY(xs * 0.5, wires=i + 1)
        return kt.expval(kt.PauliZ(N - 1))

    xs = onp.array([0.1, 0.5, 1.2])
    got = kt.qjit(kt.qnode(dev, diff_method="backprop")(functools.partial(body, structured=True)))(
        jnp.asarray(xs))
    want = kt.qnode(dev)(functools.partial(body, structured=False))(xs)
    onp.testing.assert_allclose(got, want, atol=1e-12)


# ------------------------------------------------------------------------- dynamic wires
def _dense(u, wires, n):
    """The n-qubit matrix of ``u`` acting on ``wires`` (wire 0 is the most significant bit)."""
    k = len(wires)
    full = onp.zeros((2 ** n, 2 ** n), dtype=complex)
    for col in range(2 ** n):
        bits = [(col >> (n - 1 - q)) & 1 for q in range(n)]
        c = int("".join(str(bits[w]) for w in wires), 2)
        for r in range(2 ** k):
            out = list(bits)
            for j, w in enumerate(wires):
                out[w] = (r >> (k - 1 - j)) & 1
            full[int("".join(map(str, out)), 2), col] += u[r, c]
    return full


def _random_unitary(k, rng):
    z = rng.normal(size=(2 ** k, 2 ** k)) + 1j * rng.normal(size=(2 ** k, 2 ** k))
    q, r = onp.linalg.qr(z)
    return q * (onp.diag(r) / onp.abs(onp.diag(r)))


@pytest.mark.parametrize("wires", [(2,), (3, 0), (1, 4), (4, 0, 2), (0, 1, 2)])
def test_gates_on_wires_given_at_run_time_match_a_dense_reference(wires):
    n = 5
    rng = onp.random.default_rng(len(wires) * 10 + wires[0])
    psi0 = rng.normal(size=2 ** n) + 1j * rng.normal(size=2 ** n)
    psi0 /= onp.linalg.norm(psi0)
    u = _random_unitary(len(wires), rng)
    dev = kt.device("default.qubit", wires=n)

    @kt.qjit
    @kt.qnode(dev, diff_method="backprop")
    def circuit(state, w):  # the wires are traced arguments of the compiled program
        kt.StatePrep(state, wires=range(n))
        kt.QubitUnitary(u, wires=list(w))
        kt.PhaseShift(0.4, wires=w[0])  # a diagonal gate on a dynamic wire
        return kt.state()

    got = circuit(jnp.asarray(psi0), jnp.asarray(wires))
    phase = _dense(onp.diag([1, onp.exp(0.4j)]), [wires[0]], n)
    onp.testing.assert_allclose(got, phase @ _dense(u, list(wires), n) @ psi0, atol=1e-12)


def test_invalid_dynamic_wires_give_nan_not_a_wrong_state():
    dev = kt.device("default.qubit", wires=3)

    @kt.qjit
    @kt.qnode(dev, diff_method="backprop")
    def circuit(a, b):
        kt.Hadamard(wires=0)
        kt.CNOT(wires=[a, b])
        return kt.expval(kt.PauliZ(0))

    assert float(circuit(0, 2)) == pytest.approx(0.0, abs=1e-15)
    assert onp.isnan(circuit(0, 3))  # wire 3 is not on the device
    assert onp.isnan(circuit(1, 1))  # a gate's wires must differ


# --------------------------------------------------------------------------------- errors
def test_errors_inside_compiled_qnode_loops():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev, diff_method="backprop")
    def measures_in_loop(x):
        @kt.for_loop(0, 2, 1)
        def loop(i):
            kt.RX(x, wires=i)
            kt.expval(kt.PauliZ(i))

        loop()
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(ControlFlowError, match=r"^the body of kt.for_loop inside a QNode records "
                                               r"the measurement .*; measurements belong at the end"):
        kt.qjit(measures_in_loop)(0.1)

    @kt.qnode(dev, diff_method="backprop")
    def prepares_in_loop(x):
        @kt.for_loop(0, 1, 1)
        def loop(i):
            kt.BasisState(onp.array([1]), wires=[1])

        loop()
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(DeviceError, match=r"^BasisState on wires \[1\] is inside a compiled loop or "
                                          r"conditional"):
        kt.qjit(prepares_in_loop)(0.1)

    labelled = kt.device("default.qubit", wires=["a", "b"])

    @kt.qnode(labelled, diff_method="backprop")
    def dynamic_on_labels(x):
        @kt.for_loop(0, 2, 1)
        def loop(i):
            kt.RX(x, wires=i)

        loop()
        return kt.expval(kt.PauliZ("a"))

    with pytest.raises(WireError, match=r"dynamic wires .* need a device with integer wire labels, "
                                        r"but the device has wires \['a', 'b'\]"):
        kt.qjit(dynamic_on_labels)(0.1)


def test_structured_operations_are_control_flow_ops():
    assert ControlFlowOp.control_flow and not kt.RX.control_flow


@pytest.mark.parametrize("method", ["backprop", "parameter-shift", "adjoint"])
def test_gradients_with_dynamic_wires_by_every_method(method):
    """RX(x) on wire w, then CNOT(w, 2): ⟨Z2⟩ = cos x for any w ∈ {0, 1}."""
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev, diff_method=method)
    def circuit(x, w):
        kt.RX(x, wires=w)
        kt.CNOT(wires=[w, 2])
        return kt.expval(kt.PauliZ(2))

    value_and_grad = kt.qjit(kt.value_and_grad(circuit))
    for w in (0, 1):
        value, grad = value_and_grad(0.3, w)
        onp.testing.assert_allclose([value, grad], [onp.cos(0.3), -onp.sin(0.3)], atol=1e-12)


def test_measurements_on_dynamic_wires_are_refused():
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev, diff_method="backprop")
    def circuit(x, w):
        kt.RX(x, wires=w)
        return kt.expval(kt.PauliZ(w))

    with pytest.raises(WireError, match=r"^expval\(\) got a wire whose value is known only when the "
                                        r"compiled program runs; measurements need wires fixed at "
                                        r"compile time"):
        kt.qjit(circuit)(0.3, 1)
