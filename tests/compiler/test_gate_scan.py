"""Long runs of gates in compiled backprop QNodes become one ``lax.scan``: the same values and
derivatives as gate-by-gate simulation, and a program that does not grow with the depth."""
from __future__ import annotations

import numpy as onp
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import kettle as kt  # noqa: E402
from kettle.compiler import gate_scan  # noqa: E402

pytestmark = pytest.mark.jax
N = 3


def layered(layers: int):
    """RX(a), Rot(a, b, 0.3), RY(b) per wire, then CZ and CNOT rings; ⟨Z0 Z1⟩ and ⟨X2⟩."""
    @kt.qnode(kt.device("default.qubit", wires=N), diff_method="backprop")
    def circuit(x):
        a, b = x[0], x[1]
        kt.Hadamard(wires=0)
        for layer in range(layers):
            for q in range(N):
                kt.RX(a * (layer + 1), wires=q)
                kt.Rot(a, b, 0.3, wires=q)
                kt.RY(b, wires=q)
            for q in range(N):
                kt.CZ(wires=[q, (q + 1) % N])
                kt.CNOT(wires=[(q + 1) % N, q])
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1)), kt.expval(kt.PauliX(2))

    return circuit


def cost_of(circuit):
    def cost(x):
        zz, x2 = circuit(x)
        return zz + jnp.sin(x2)

    return cost


X = jnp.array([0.4, -0.9])


@pytest.fixture
def gate_by_gate(monkeypatch):
    def run(fn, *args):
        monkeypatch.setattr(gate_scan, "MIN_RUN", 10 ** 9)
        monkeypatch.setattr(gate_scan, "MIN_BATCH", 10 ** 9)
        try:
            return fn(*args)
        finally:
            monkeypatch.undo()
    return run


def test_scanned_values_gradients_and_hessians_equal_gate_by_gate(gate_by_gate):
    cost = cost_of(layered(8))  # 8 layers x 15 gates: one scanned run
    for make in (lambda f: f, kt.grad, jax.hessian):
        scanned = kt.qjit(make(cost))(X)
        reference = gate_by_gate(lambda: kt.qjit(make(cost))(X))
        onp.testing.assert_allclose(scanned, reference, atol=1e-10)


def test_the_scan_is_in_the_program_and_its_size_grows_sublinearly(gate_by_gate):
    def text(layers):
        return kt.qjit(kt.value_and_grad(cost_of(layered(layers)))).lower(X).as_text()

    small, large = text(6), text(30)  # 90 against 450 gates
    assert "stablehlo.while" in small
    # what still grows is per gate parameter: stacking it (and its transpose in the gradient)
    assert len(large) < 2.5 * len(small), (len(small), len(large))
    unrolled_small, unrolled_large = gate_by_gate(lambda: (len(text(6)), len(text(30))))
    assert unrolled_large > 4 * unrolled_small


def test_short_runs_of_one_class_share_a_batch_and_others_stay_gate_by_gate():
    dev = kt.device("default.qubit", wires=2)
    with kt.QuantumTape() as tape:
        for _ in range(3):
            kt.RX(0.1, wires=0)
        kt.expval(kt.PauliZ(0))
    (op,) = gate_scan.compress(tape, dev).operations
    assert isinstance(op, gate_scan.BatchedRunOp) and len(op.ops) == 3
    with kt.QuantumTape() as plain:  # one RX, diagonal RZs, constant gates: nothing to batch
        kt.RX(0.1, wires=0)
        kt.RZ(0.2, wires=0)
        kt.RZ(0.3, wires=1)
        kt.CNOT(wires=[0, 1])
        kt.CNOT(wires=[1, 0])
        kt.expval(kt.PauliZ(0))
    assert gate_scan.compress(plain, dev) is plain
    with kt.QuantumTape() as batched:
        for _ in range(gate_scan.MIN_RUN):
            kt.RX(onp.array([0.1, 0.2]), wires=0)
        kt.expval(kt.PauliZ(0))
    assert gate_scan.compress(batched, dev) is batched


def test_batched_short_runs_equal_gate_by_gate(gate_by_gate):
    """Two layers (30 gates, below MIN_RUN): Rot, RX and RY matrices in one batch per class;
    values, gradients and Hessians equal the gate-by-gate program, as does a template whose
    weights are read as one array (qmath.entries, qmath.stack_entries)."""
    cost = cost_of(layered(2))
    for make in (lambda f: f, kt.grad, jax.hessian):
        batched = kt.qjit(make(cost))(X)
        reference = gate_by_gate(lambda: kt.qjit(make(cost))(X))
        onp.testing.assert_allclose(batched, reference, atol=1e-10)

    @kt.qnode(kt.device("default.qubit", wires=N), diff_method="backprop")
    def sel(w):
        kt.StronglyEntanglingLayers(w, wires=range(N))
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(2))

    w = jnp.asarray(onp.random.default_rng(3).uniform(0, 2 * onp.pi, (2, N, 3)))
    for make in (lambda f: f, kt.grad):
        batched = kt.qjit(make(sel))(w)
        reference = gate_by_gate(lambda: kt.qjit(make(sel))(w))
        onp.testing.assert_allclose(batched, reference, atol=1e-10)


def test_a_batched_run_leaves_other_wires_free_for_a_later_preparation():
    """A run op acts on its gates' wires only: a BasisState after it on another wire is allowed
    inside kt.qjit, as outside (the eager value)."""
    @kt.qnode(kt.device("default.qubit", wires=2), diff_method="backprop", interface="jax")
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RX(x[1], wires=0)
        kt.BasisState(onp.array([1]), wires=[1])
        kt.CNOT(wires=[1, 0])
        return kt.expval(kt.PauliZ(0))

    x = jnp.array([0.3, 0.5])
    expected = -onp.cos(0.8)  # RX(0.8)|0>, then X on wire 0
    onp.testing.assert_allclose(kt.qjit(circuit)(x), expected, atol=1e-12)
    onp.testing.assert_allclose(circuit(x), expected, atol=1e-6)
