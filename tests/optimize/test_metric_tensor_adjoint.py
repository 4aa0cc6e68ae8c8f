"""metric_tensor(strategy="adjoint") against the "state" strategy and a finite-difference reference.

Reference: with F(δ) = |⟨ψ(x)|ψ(x + δ)⟩|² = 1 − δᵀgδ + O(δ³), g_ij = −½ ∂_i∂_j F(0), by central
differences of overlaps of state vectors from a kt.state() QNode of the same circuit. The circuits
are drawn at random from many gate types, with gate angles that are non-linear functions of the
arguments (so the classical Jacobian matters) and gates without parameters in between.
"""
from __future__ import annotations

import importlib

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.devices.default_qubit import DefaultQubit
from kettle.errors import OptimizerError

# the module, not the function kettle.optimize re-exports under the same name
mt_module = importlib.import_module("kettle.optimize.metric_tensor")

N_WIRES = 3
ONE_QUBIT = [kt.RX, kt.RY, kt.RZ, kt.PhaseShift]
TWO_QUBIT = [kt.CRZ, kt.CRX, kt.CRY, kt.IsingXX, kt.IsingYY, kt.IsingZZ, kt.ControlledPhaseShift]
FIXED = [lambda w: kt.CNOT(wires=w), lambda w: kt.Hadamard(wires=w[0]), lambda w: kt.S(wires=w[1])]


def basis_state():
    kt.BasisState(np.array([1, 0, 0], requires_grad=False), wires=range(N_WIRES))


def random_body(seed: int, n_args: int = 4, n_gates: int = 9, prepare=basis_state):
    """A random circuit of x (shape (n_args,)); angles such as sin(x_a)·x_b and 2x_a + 0.3."""
    rng = onp.random.default_rng(seed)
    plan = []
    for _ in range(n_gates):
        kind = rng.integers(4)
        wires = [int(w) for w in rng.choice(N_WIRES, size=2, replace=False)]
        a, b = (int(i) for i in rng.integers(n_args, size=2))
        plan.append((kind, int(rng.integers(7)), wires, a, b))

    def angle(x, kind_of_angle, a, b):
        return [lambda: np.sin(x[a]) * x[b], lambda: 2 * x[a] + 0.3, lambda: x[a] ** 2,
                lambda: x[a] - x[b], lambda: np.cos(x[a])][kind_of_angle % 5]()

    def body(x):
        prepare()
        for kind, pick, wires, a, b in plan:
            if kind == 0:
                ONE_QUBIT[pick % 4](angle(x, pick, a, b), wires=wires[0])
            elif kind == 1:
                TWO_QUBIT[pick](angle(x, pick, a, b), wires=wires)
            elif kind == 2:
                kt.Rot(x[a], angle(x, pick, a, b), 0.4, wires=wires[1])
            else:
                FIXED[pick % 3](wires)
        kt.CNOT(wires=[0, 2])  # after the last trainable gate: no effect on the metric

    return body


def qnodes(body, device=None):
    device = device or kt.device("default.qubit", wires=N_WIRES)

    @kt.qnode(device)
    def energy(x):
        body(x)
        return kt.expval(kt.PauliZ(0) @ kt.PauliY(1))

    @kt.qnode(kt.device("default.qubit", wires=N_WIRES))
    def state(x):
        body(x)
        return kt.state()

    return energy, state


def fubini_study(state_of, x0, h=1e-3):
    x0 = onp.asarray(x0, dtype=float)
    psi = onp.asarray(state_of(np.array(x0)))
    n = x0.size

    def fidelity(d):
        return abs(psi.conj() @ onp.asarray(state_of(np.array(x0 + d)))) ** 2

    g = onp.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = h * onp.eye(n)[i], h * onp.eye(n)[j]
            second = (fidelity(e_i + e_j) - fidelity(e_i - e_j) - fidelity(e_j - e_i)
                      + fidelity(-e_i - e_j)) / (4 * h * h)
            g[i, j] = g[j, i] = -0.5 * second
    return g


X0 = onp.array([0.4, -1.1, 0.7, 0.25])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_adjoint_equals_state_strategy_and_finite_differences(seed):
    energy, state = qnodes(random_body(seed))
    g = kt.metric_tensor(energy, approx=None, strategy="adjoint")(np.array(X0))
    assert g.shape == (4, 4)
    g_state = kt.metric_tensor(energy, approx=None, strategy="state")(np.array(X0))
    onp.testing.assert_allclose(g, g_state, atol=1e-12)
    onp.testing.assert_allclose(g, fubini_study(state, X0), atol=2e-5)
    assert onp.max(onp.abs(g - onp.diag(onp.diag(g)))) > 1e-2  # off-diagonal entries are tested


def test_several_arguments_and_a_non_trainable_one():
    def body(x):
        a, b, c = x[:2], x[2], x[3]
        kt.RX(a[0], wires=0)
        kt.Rot(a[1], b, 0.3, wires=1)
        kt.CNOT(wires=[0, 1])
        kt.IsingXX(a[0] * b, wires=[1, 2])
        kt.CRZ(c, wires=[2, 0])
        kt.RY(b, wires=2)

    @kt.qnode(kt.device("default.qubit", wires=3))
    def energy(a, b, c):
        body(np.concatenate([a, np.reshape(b, (1,)), np.reshape(c, (1,))]))
        return kt.expval(kt.PauliZ(0))

    a, b, c = np.array([0.2, 0.9]), np.array(0.4), np.array(0.6, requires_grad=False)
    blocks = kt.metric_tensor(energy, approx=None, strategy="adjoint")(a, b, c)
    _, state = qnodes(lambda v: body(np.concatenate([v, np.array([0.6])])))
    ref = fubini_study(state, [0.2, 0.9, 0.4])
    onp.testing.assert_allclose(blocks[0][0], ref[:2, :2], atol=2e-5)
    onp.testing.assert_allclose(blocks[0][1], ref[:2, 2], atol=2e-5)
    onp.testing.assert_allclose(blocks[1][1], ref[2, 2], atol=2e-5)


def test_auto_uses_the_adjoint_sweep_only_without_shots(monkeypatch):
    calls = []
    original = mt_module.metric_from_adjoint
    monkeypatch.setattr(mt_module, "metric_from_adjoint",
                        lambda tape, device: calls.append(device.name) or original(tape, device))
    energy, _ = qnodes(random_body(0))
    kt.metric_tensor(energy, approx=None)(np.array(X0))
    assert calls == ["default.qubit"]
    shot_energy, _ = qnodes(random_body(0), kt.device("default.qubit", wires=N_WIRES, shots=50))
    kt.metric_tensor(shot_energy, approx="diag")(np.array(X0))
    assert calls == ["default.qubit"]  # shots: the layer circuits, no sweep


def test_the_sweep_applies_each_gate_once_to_the_state_and_once_to_the_batch(monkeypatch):
    """Scaling: kernel calls grow with the number of gates, not with gates × parameters."""
    counted = []
    kernel = DefaultQubit.kernel

    def counting(state, op, axes, batched):
        counted.append(op.name)
        return kernel(state, op, axes, batched)

    def deep(x):
        for layer in range(4):
            for w in range(N_WIRES):
                kt.RY(x[(layer + w) % 4], wires=w)
            kt.CNOT(wires=[0, 1])
            kt.IsingZZ(x[layer], wires=[1, 2])

    energy, _ = qnodes(deep)
    tape, _ = energy.construct((np.array(X0),), {})
    monkeypatch.setattr(DefaultQubit, "kernel", staticmethod(counting))
    g = kt.metric_tensor(energy, approx=None, strategy="adjoint")(np.array(X0))
    n_ops, n_params = len(tape.operations), 16
    # each gate: the state and the batch of bras (not before the first trainable gate);
    # each generator: one or two factors
    assert len(counted) <= 2 * n_ops + 2 * n_params
    assert g.shape == (4, 4)


def test_default_mixed_auto_falls_back_and_adjoint_is_refused():
    mixed = kt.device("default.mixed", wires=N_WIRES)
    energy, state = qnodes(random_body(1), mixed)
    with pytest.raises(OptimizerError, match="strategy='adjoint'\\) cannot run: device "
                                             "'default.mixed' is not a state-vector simulator with "
                                             "adjoint differentiation"):
        kt.metric_tensor(energy, approx=None, strategy="adjoint")(np.array(X0))
    g = kt.metric_tensor(energy, approx=None)(np.array(X0))
    onp.testing.assert_allclose(g, fubini_study(state, X0), atol=2e-5)


def test_shots_are_refused_with_a_message():
    energy, _ = qnodes(random_body(2), kt.device("default.qubit", wires=N_WIRES, shots=1000))
    with pytest.raises(OptimizerError, match="strategy='adjoint'\\) cannot run: the circuit runs with "
                                             "shots=1000.*use strategy='state' or 'circuits'"):
        kt.metric_tensor(energy, approx=None, strategy="adjoint")(np.array(X0))


def test_unknown_strategy_lists_adjoint():
    energy, _ = qnodes(random_body(0))
    with pytest.raises(OptimizerError, match=r"strategy must be one of \('auto', 'adjoint', 'state', "
                                             r"'circuits'\), got 'fast'"):
        kt.metric_tensor(energy, approx=None, strategy="fast")


@pytest.mark.parametrize("prepare", [
    lambda: kt.BasisState(np.array([0, 1, 1], requires_grad=False), wires=[2, 0, 1]),
    lambda: kt.StatePrep(np.array([0.6, 0.0, 0.0, 0.8j], requires_grad=False), wires=[1, 2]),
])
def test_circuits_strategy_with_a_state_preparation(prepare):
    """Regression: the compute-uncompute circuits tried to undo BasisState/StatePrep, which have no
    inverse gate; they now keep the preparation and measure the projector on the prepared state."""
    energy, state = qnodes(random_body(1, prepare=prepare))
    g = kt.metric_tensor(energy, approx=None, strategy="circuits")(np.array(X0))
    onp.testing.assert_allclose(g, fubini_study(state, X0), atol=2e-5)
    adjoint = kt.metric_tensor(energy, approx=None, strategy="adjoint")(np.array(X0))
    onp.testing.assert_allclose(g, adjoint, atol=1e-10)
    assert onp.max(onp.abs(g - onp.diag(onp.diag(g)))) > 1e-2


def test_a_trainable_gate_the_device_decomposes():
    """PauliRot is not a default.qubit gate: 'auto' moves on to the state strategy."""
    from kettle.optimize.lie_algebra import PauliRot

    def body(x):
        kt.RX(x[0], wires=0)
        PauliRot(x[1], "XY", wires=[0, 1])
        kt.RY(x[2], wires=2)
        kt.CNOT(wires=[2, 0])
        kt.IsingZZ(x[3], wires=[1, 2])

    energy, state = qnodes(body)
    with pytest.raises(OptimizerError, match=r"device 'default.qubit' does not apply the trainable "
                                             r"gate\(s\) \['PauliRot'\] itself"):
        kt.metric_tensor(energy, approx=None, strategy="adjoint")(np.array(X0))
    g = kt.metric_tensor(energy, approx=None)(np.array(X0))
    onp.testing.assert_allclose(g, fubini_study(state, X0), atol=2e-5)
