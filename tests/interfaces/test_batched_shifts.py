"""Batched shifts: a gradient's tapes of one structure run as one broadcast simulation on devices
that broadcast, with results equal to running them one by one."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.core import batching
from kettle.devices.default_qubit import DefaultQubit


class CountingQubit(DefaultQubit):
    """default.qubit counting the circuits it simulates (a broadcast circuit counts once)."""

    name = "counting.broadcast.qubit"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.simulated = 0

    def execute(self, tapes):
        self.simulated += len(tapes)
        return super().execute(tapes)


def circuit(w, h):
    kt.StronglyEntanglingLayers(w, wires=range(3))
    kt.CRX(w[0, 0, 0], wires=[0, 2])
    return kt.expval(kt.Hermitian(h, wires=[1])), kt.probs(wires=[0, 2]), kt.var(kt.PauliX(1))


W = onp.random.default_rng(11).uniform(-2, 2, kt.StronglyEntanglingLayers.shape(2, 3))
H = onp.array([[0.4, 0.2 - 0.5j], [0.2 + 0.5j, -1.3]])


def _jacobian(dev, method, **options):
    qn = kt.QNode(circuit, dev, diff_method=method, **options)
    return kt.jacobian(lambda w: np.concatenate([np.ravel(r) for r in qn(w, H)]))(
        np.array(W, requires_grad=True))


#: differences divide round-off (~1e-16) by their step: 1e-7 for finite-diff, 1e-5 for SPSA
@pytest.mark.parametrize("method, options, tol", [
    ("parameter-shift", {}, 1e-12),
    ("finite-diff", {"approx_order": 2}, 1e-7),
    ("spsa", {"num_directions": 3, "sampler_rng": 5}, 1e-9)])
def test_batched_equals_unbatched(method, options, tol, monkeypatch):
    batched_dev = CountingQubit(wires=3, engine=False)
    batched = _jacobian(batched_dev, method, **options)
    monkeypatch.setattr(batching, "MAX_BATCH", 1)  # one tape per simulation
    single_dev = CountingQubit(wires=3, engine=False)
    single = _jacobian(single_dev, method, **options)
    onp.testing.assert_allclose(batched, single, atol=tol)
    assert batched_dev.simulated <= single_dev.simulated / 3


def test_parameter_shift_gradient_against_backprop():
    dev = kt.device("default.qubit", wires=3)
    ps = _jacobian(dev, "parameter-shift")
    bp = _jacobian(dev, "backprop")
    onp.testing.assert_allclose(ps, bp, atol=1e-10)


def test_merging_is_where_it_pays():
    """default.qubit's compiled engine runs single tapes faster than one broadcast of them: it
    merges only on its NumPy kernels; a device that does not broadcast never merges."""
    assert not batching.merges_tapes(kt.device("default.qubit", wires=2))
    assert batching.merges_tapes(kt.device("default.qubit", wires=2, engine=False))
    assert not batching.merges_tapes(kt.device("example.qubit", wires=2))


def test_sampled_and_framework_tapes_are_not_merged():
    tape = kt.QuantumTape([kt.RX.unqueued(0.1, wires=0)], [kt.expval(kt.PauliZ.unqueued(0))])
    assert batching.tape_key(tape) is not None
    assert batching.tape_key(tape.copy(shots=100)) is None
    shifted = [tape.bind_new_parameters([v]) for v in (0.1, 0.2, 0.3)]
    merged = batching.merge(shifted)
    assert merged.batch_size == 3
    onp.testing.assert_allclose(merged.get_parameters()[0], [0.1, 0.2, 0.3])
    torch = pytest.importorskip("torch")
    framework = [tape.bind_new_parameters([torch.tensor(v)]) for v in (0.1, 0.2)]
    assert batching.merge(framework) is None


def test_gates_differing_only_in_control_values_are_not_merged():
    """Control values are not hyperparameters; tapes that differ only in them have different
    structures, and merging them would run every tape with the first one's controls."""
    measured = [kt.expval(kt.PauliZ.unqueued(2))]  # one object: tape keys compare measurements

    def tape(values, x):
        ops = [kt.RY.unqueued(0.4, wires=0), kt.PauliX.unqueued(wires=1),
               kt.ctrl(kt.RX.unqueued(x, wires=2), control=[0, 1], control_values=values)]
        return kt.QuantumTape(ops, measured)

    tapes = [tape((1, 1), 0.5), tape((0, 1), 0.7), tape((1, 1), 0.9)]
    assert batching.tape_key(tapes[0]) == batching.tape_key(tapes[2])
    assert batching.tape_key(tapes[0]) != batching.tape_key(tapes[1])
    dev = kt.device("default.qubit", wires=3, engine=False)
    got = batching.execute(dev, tapes, dev.execute)
    # <Z2> = 1 - w (1 - cos x), w the weight of the branch the controls select
    w = {(1, 1): onp.sin(0.2) ** 2, (0, 1): onp.cos(0.2) ** 2}
    expected = [1 - w[v] * (1 - onp.cos(x)) for v, x in [((1, 1), 0.5), ((0, 1), 0.7),
                                                         ((1, 1), 0.9)]]
    onp.testing.assert_allclose(onp.ravel(got), expected, atol=1e-12)
