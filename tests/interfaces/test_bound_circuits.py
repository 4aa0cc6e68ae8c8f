"""Bound circuits (devices/engine/bound.py): jitted and compiled JAX functions run an engine
QNode's structure with a parameter vector per call instead of new tapes. Their values and
gradients equal backprop's on the same circuit; gates outside the tables keep the tape path."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as onp
import pytest

import kettle as kt
from kettle.devices.engine import bound, config

pytestmark = pytest.mark.skipif(not config.available(), reason="numba cannot compile here")


@pytest.fixture(autouse=True)
def x64():
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


@pytest.fixture
def calls(monkeypatch):
    """How often the bound circuits ran (a counting wrapper around the real methods)."""
    count = {"expvals": 0, "jacobian": 0, "rows": 0}
    plain, both = bound.Circuit.expvals, bound.Circuit.expvals_and_jacobian
    batched = bound.Circuit._from

    def expvals(self, theta):
        count["expvals"] += 1
        return plain(self, theta)

    def expvals_and_jacobian(self, theta):
        count["jacobian"] += 1
        return both(self, theta)

    def rows(self, start, runs, thetas):  # circuits run as rows
        count["rows"] += len(thetas)
        return batched(self, start, runs, thetas)

    monkeypatch.setattr(bound.Circuit, "expvals", expvals)
    monkeypatch.setattr(bound.Circuit, "_from", rows)
    monkeypatch.setattr(bound.Circuit, "expvals_and_jacobian", expvals_and_jacobian)
    return count


def every_family(n):
    """Each table gate family (vectorized and single), constant gates and constant angles, on
    wires in varied positions; several expectation values."""
    ham = kt.Hamiltonian([0.7, -0.4], [kt.PauliX(0) @ kt.PauliZ(n - 1), kt.PauliY(1)])
    herm = onp.array([[0.5, 0.2 - 0.1j], [0.2 + 0.1j, -1.0]])

    def circuit(w):
        kt.Hadamard(wires=0)
        kt.RX(w[0], wires=n - 1)
        kt.RY(w[1], wires=0)
        kt.RZ(w[2], wires=1)
        kt.CNOT(wires=[n - 1, 1])
        kt.PhaseShift(w[3], wires=2)
        kt.Rot(w[4], w[5], w[6], wires=1)
        kt.RX(0.37, wires=2)  # a constant angle
        kt.CRX(w[7], wires=[2, 0])
        kt.CRY(w[8], wires=[0, n - 1])
        kt.CRZ(w[9], wires=[1, 2])
        kt.ControlledPhaseShift(w[10], wires=[n - 1, 0])
        kt.IsingXX(w[11], wires=[0, 2])
        kt.IsingYY(w[12], wires=[n - 1, 1])
        kt.IsingZZ(w[13], wires=[2, n - 1])
        kt.Toffoli(wires=[0, 1, 2])
        kt.CRot(w[14], w[15], w[16], wires=[1, 0])
        for i in range(n):  # enough gates to fuse on 12 qubits
            kt.RY(w[i % 17], wires=i)
        for i in range(n - 1):
            kt.CNOT(wires=[i, i + 1])
        return (kt.expval(kt.PauliZ(0)), kt.expval(ham), kt.expval(kt.Hermitian(herm, wires=1)),
                kt.expval(kt.PauliY(2) @ kt.PauliX(n - 1)))

    return circuit


def qnodes(n, method):
    circuit = every_family(n)
    dev = kt.device("default.qubit", wires=n)
    ref_dev = kt.device("default.qubit", wires=n)
    return (kt.qnode(dev, diff_method=method)(circuit),
            kt.qnode(ref_dev, diff_method="backprop")(circuit))


def total(qnode):
    return lambda w: sum(jnp.asarray(v) * (k + 1) for k, v in enumerate(qnode(w)))


@pytest.mark.parametrize("n", [4, 12])
def test_compiled_value_and_gradient_equal_backprop(n, calls):
    w = jnp.asarray(onp.random.default_rng(n).uniform(-2, 2, 17))
    qnode, ref = qnodes(n, "adjoint")
    value, grad = kt.qjit(kt.value_and_grad(total(qnode)))(w)
    ref_value, ref_grad = jax.value_and_grad(total(ref))(w)
    assert calls["jacobian"] >= 1
    assert abs(float(value) - float(ref_value)) < 1e-10
    assert onp.abs(onp.asarray(ref_grad)).max() > 0.1
    onp.testing.assert_allclose(grad, ref_grad, atol=1e-10)
    # a second call with other numbers runs the same bound circuit
    w2 = w + 0.25
    _, grad2 = kt.qjit(kt.value_and_grad(total(qnode)))(w2)
    onp.testing.assert_allclose(grad2, jax.grad(total(ref))(w2), atol=1e-10)


@pytest.mark.parametrize("n", [4, 12])
def test_compiled_parameter_shift_runs_the_shifted_circuits_as_rows(n, calls):
    """Two-term rules (RX, Rot, ...) and four-term ones (CRX, CRot, ...) alike: the shifted
    circuits' rows give backprop's gradient."""
    w = jnp.asarray(onp.random.default_rng(n + 1).uniform(-2, 2, 17))
    qnode, ref = qnodes(n, "parameter-shift")
    value, grad = kt.qjit(kt.value_and_grad(total(qnode)))(w)
    ref_value, ref_grad = jax.value_and_grad(total(ref))(w)
    # two-term rules: RX, RY, RZ, PhaseShift, Rot's three, ControlledPhaseShift, the three Ising
    # gates, the n RYs; four-term: CRX, CRY, CRZ, CRot's three
    shifted = 2 * (4 + 3 + 1 + 3 + n) + 4 * (3 + 3)
    assert calls["rows"] == shifted and calls["jacobian"] == 0
    assert abs(float(value) - float(ref_value)) < 1e-10
    onp.testing.assert_allclose(grad, ref_grad, atol=1e-10)


def test_parameter_shift_rows_only_shift_the_differentiated_argument(calls):
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev, diff_method="parameter-shift", shifts=[(0.3,), (1.1,), (0.7,), (0.2, 1.9)])
    def circuit(x, y):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        kt.RY(0.9, wires=2)
        kt.CNOT(wires=[0, 2])
        kt.RZ(y[0], wires=2)
        kt.CRY(y[1], wires=[2, 1])  # frequencies (0.5, 1): two custom shifts
        return kt.expval(kt.PauliX(2) @ kt.PauliZ(1))

    ref = kt.qnode(dev, diff_method="backprop")(circuit.func)
    x, y = jnp.asarray([0.4, -0.8]), jnp.asarray([1.3, 0.6])
    gy = kt.qjit(kt.grad(circuit, argnum=1))(x, y)
    assert calls["rows"] == 2 + 4  # RZ's pair, CRY's four
    onp.testing.assert_allclose(gy, jax.grad(ref, argnums=1)(x, y), atol=1e-12)
    assert onp.abs(onp.asarray(gy)).min() > 1e-3


@pytest.mark.parametrize("n", [3, 9, 16])
def test_rows_equal_one_circuit_at_a_time(n, monkeypatch):
    """Rows of parameters through one batched run equal each row's own run, on states that are
    one tile (small and padded) and tiled, with a gate wider than a program holds."""
    dev = kt.device("default.qubit", wires=n)
    rng = onp.random.default_rng(n)

    def circuit(w):
        for i in range(n):
            kt.Rot(w[3 * i], w[3 * i + 1], w[3 * i + 2], wires=i)
        for i in range(n):
            kt.CRZ(w[i], wires=[i, (i + 1 + n // 2) % n])
        if n >= 7:
            kt.ctrl(kt.PauliX(wires=n - 1), control=list(range(n - 7, n - 1)))  # a step alone
        kt.IsingXX(w[1], wires=[0, n - 1])
        return kt.expval(kt.PauliZ(0) @ kt.PauliY(n - 1)), kt.expval(kt.PauliX(n // 2))

    tape, _ = kt.qnode(dev)(circuit).construct((rng.uniform(-2, 2, 3 * n),), {})
    c = dev.bound_circuit(tape.bind_new_parameters([0.0] * len(tape.trainable_params)))
    assert c is not None
    thetas = rng.uniform(-3, 3, (5, c.n_params))
    rows = c.expvals_rows(thetas)
    for theta, row in zip(thetas, rows):
        onp.testing.assert_allclose(row, c.expvals(theta), atol=1e-12)
    assert onp.ptp(rows[:, 0]) > 1e-3  # the rows do differ
    # shifted circuits resumed from the unshifted one's state run by run: their Jacobian equals
    # central differences of whole rows (in blocks of two rows)
    from kettle.gradients.param_shift import recipe_of

    monkeypatch.setattr(bound, "ROW_BYTES", 2 * 16 * 2 ** n)
    values, jac = c.shift_jacobian(thetas[0], [recipe_of(tape, t) for t in range(c.n_params)])
    h = 1e-6
    eye = h * onp.eye(c.n_params)
    steps = onp.concatenate([thetas[0] + eye, thetas[0] - eye])
    ends = c.expvals_rows(steps)
    fd = (ends[:c.n_params] - ends[c.n_params:]).T / (2 * h)
    onp.testing.assert_allclose(values, rows[0], atol=1e-12)
    onp.testing.assert_allclose(jac, fd, atol=1e-7)
    assert onp.abs(jac).max() > 0.1
    onp.testing.assert_allclose(c.expvals_rows(thetas), rows, atol=1e-12)


def test_jitted_forward_values_equal_backprop(calls):
    w = jnp.asarray(onp.random.default_rng(5).uniform(-2, 2, 17))
    qnode, ref = qnodes(4, "parameter-shift")
    got = jax.jit(lambda x: jnp.stack(qnode(x)))(w)
    assert calls["expvals"] >= 1
    onp.testing.assert_allclose(got, jnp.stack(ref(w)), atol=1e-12)
    # parameter-shift's derivative tapes run the tape path and agree too
    onp.testing.assert_allclose(jax.jit(jax.grad(total(qnode)))(w), jax.grad(total(ref))(w),
                                atol=1e-8)


def test_a_gate_outside_the_tables_keeps_the_tape_path(calls):
    dev = kt.device("default.qubit", wires=3)

    def circuit(w):
        kt.RX(w[0], wires=0)
        kt.MultiRZ(w[1], wires=[0, 1, 2])  # a generator the sweep covers, no table entry
        kt.CNOT(wires=[0, 2])
        return kt.expval(kt.PauliY(0) @ kt.PauliZ(2))

    w = jnp.asarray([0.4, -1.1])
    got = kt.qjit(jax.grad(kt.qnode(dev, diff_method="adjoint")(circuit)))(w)
    ref = jax.grad(kt.qnode(dev, diff_method="backprop")(circuit))(w)
    assert calls == {"expvals": 0, "jacobian": 0, "rows": 0}
    onp.testing.assert_allclose(got, ref, atol=1e-12)


def test_a_subclass_that_runs_tapes_its_own_way_is_called():
    from kettle.devices.default_qubit import DefaultQubit

    class Counting(DefaultQubit):
        runs = 0

        def execute(self, tapes):
            Counting.runs += len(tapes)
            return super().execute(tapes)

    dev = Counting(wires=2)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x):
        kt.RX(x, wires=0)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1))

    assert abs(float(jax.jit(circuit)(0.3)) - onp.cos(0.3)) < 1e-12
    assert Counting.runs >= 1


def test_a_device_with_an_executor_runs_its_tapes_there(calls):
    from concurrent.futures import ThreadPoolExecutor

    class Counting(ThreadPoolExecutor):
        submitted = 0

        def submit(self, fn, *args, **kwargs):
            Counting.submitted += 1
            return super().submit(fn, *args, **kwargs)

    with Counting(max_workers=2) as pool:
        dev = kt.device("default.qubit", wires=2, executor=pool)

        @kt.qnode(dev, diff_method="adjoint")
        def circuit(x):
            kt.RX(x, wires=0)
            kt.CNOT(wires=[0, 1])
            return kt.expval(kt.PauliZ(1))

        value = jax.jit(circuit)(0.3)
        grad = kt.qjit(jax.grad(circuit))(0.3)
    assert Counting.submitted >= 1
    assert calls == {"expvals": 0, "jacobian": 0, "rows": 0}
    assert abs(float(value) - onp.cos(0.3)) < 1e-12
    assert abs(float(grad) + onp.sin(0.3)) < 1e-12


@pytest.mark.parametrize("method", ["adjoint", "parameter-shift"])
def test_vmapped_values_and_gradients_equal_backprop(method, calls):
    """Under vmap the operands' vector is split back per entry (the batched tape path)."""
    qnode, ref = qnodes(4, method)
    ws = jnp.asarray(onp.random.default_rng(11).uniform(-2, 2, (3, 17)))
    got = jax.jit(jax.vmap(jax.value_and_grad(total(qnode))))(ws)
    want = jax.vmap(jax.value_and_grad(total(ref)))(ws)
    onp.testing.assert_allclose(got[0], want[0], atol=1e-10)
    onp.testing.assert_allclose(got[1], want[1], atol=1e-8)
    # an unbatched call of the same function takes the bound circuits
    single = jax.jit(jax.value_and_grad(total(qnode)))(ws[1])
    assert calls["jacobian"] + calls["rows"] >= 1
    onp.testing.assert_allclose(single[1], want[1][1], atol=1e-10)


def test_rows_spread_over_threads_equal_serial_rows(monkeypatch):
    from kettle.devices.engine import program

    launches = []
    par = program.run_rows_par
    monkeypatch.setattr(program, "run_rows_par", lambda *a: launches.append(1) or par(*a))
    n = 12

    def circuit(w):
        for i in range(n):
            kt.Rot(w[3 * i], w[3 * i + 1], w[3 * i + 2], wires=i)
            kt.CRX(w[i], wires=[i, (i + 5) % n])
        return kt.expval(kt.PauliZ(0) @ kt.PauliX(7)), kt.expval(kt.PauliY(n - 1))

    w = onp.random.default_rng(3).uniform(-2, 2, 3 * n)
    made = []
    for threads in (1, 2):
        dev = kt.device("default.qubit", wires=n, threads=threads)
        tape, _ = kt.qnode(dev)(circuit).construct((w,), {})
        made.append(dev.bound_circuit(tape.bind_new_parameters([0.0] * len(tape.trainable_params))))
    thetas = onp.random.default_rng(4).uniform(-3, 3, (40, made[0].n_params))
    serial = made[0].expvals_rows(thetas)
    assert not launches
    parallel = made[1].expvals_rows(thetas)
    assert launches
    onp.testing.assert_allclose(parallel, serial, atol=1e-13)
    onp.testing.assert_allclose(serial[7], made[0].expvals(thetas[7]), atol=1e-12)
