"""Broadcast circuits on devices without native broadcasting: the QNode splits them into one circuit
per batch entry and stacks the results, for values, every interface and diff method, gradient
transforms, shots and the layer wrappers.

Circuit: RX(a) on wire 0, RY(b) on wire 0, CNOT(0, 1). Both wires then carry ⟨Z⟩ = cos a cos b and
P(wire 0 = 1) = (1 − cos a cos b) / 2.
"""
from __future__ import annotations

import dataclasses
import re

import numpy as onp
import pytest

import kettle as kt
from kettle.core import broadcast
from kettle.devices.default_qubit import DefaultQubit
from kettle.errors import DeviceError

A = onp.array([0.1, 2.0, -0.7])
B = 0.4


def body(a, b):
    kt.RX(a, wires=0)
    kt.RY(b, wires=0)
    kt.CNOT(wires=[0, 1])
    return kt.expval(kt.PauliZ(1)), kt.probs(wires=[0])


def exact(a, b):
    c = onp.cos(a) * onp.cos(b)
    return c, onp.stack([(1 + c) / 2, (1 - c) / 2], axis=-1)


def loss_value(ev, probs):
    """L = Σ_b ⟨Z₁⟩_b + 3 Σ_b P(1)_b = Σ_b (3/2 − ½ cos a_b cos b)."""
    return ev.sum() + 3 * probs[:, 1].sum()


def exact_loss_grad(a, b):
    return 0.5 * onp.sin(a) * onp.cos(b), 0.5 * onp.sum(onp.cos(a)) * onp.sin(b)


class NoBroadcastQubit(DefaultQubit):
    """default.qubit with broadcasting switched off, recording the batch size of each tape run."""

    name = "nobroadcast.qubit"
    capabilities = dataclasses.replace(DefaultQubit.capabilities, broadcasting=False)

    def __init__(self, wires, **kwargs):
        super().__init__(wires, **kwargs)
        self.batch_sizes = []

    def execute(self, tapes):
        self.batch_sizes += [t.batch_size for t in tapes]
        return super().execute(tapes)


def test_a_non_broadcasting_device_runs_a_broadcast_circuit_entry_by_entry():
    dev = kt.device("example.qubit", wires=2)
    ev, probs = kt.QNode(body, dev)(A, B)
    ref_ev, ref_probs = exact(A, B)
    assert ev.shape == (3,) and probs.shape == (3, 2)
    onp.testing.assert_allclose(ev, ref_ev, atol=1e-12)
    onp.testing.assert_allclose(probs, ref_probs, atol=1e-12)
    assert dev.executions == 3


def test_batched_template_features_and_a_batched_second_parameter():
    """AngleEmbedding features with a batch axis (decomposed after the split) and a batch only in
    the second gate: each entry equals a call with that entry's values."""
    dev, ref = kt.device("example.qubit", wires=2), kt.device("default.qubit", wires=2)

    def circuit(features, b):
        kt.AngleEmbedding(features, wires=[0, 1])
        kt.RY(b, wires=1)
        kt.CNOT(wires=[1, 0])
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1)), kt.expval(kt.PauliZ(0))

    features = onp.array([[0.1, 0.2], [0.3, -1.2], [2.5, 0.7], [1.0, 1.0]])
    bs = onp.array([0.5, -0.1, 0.9, 2.0])
    out = kt.QNode(circuit, dev)(features, bs)
    # RX(f0) on 0, RX(f1) then RY(b) on 1, CNOT(1→0): Z0Z1 → Z0 before the CNOT, and Z0 → Z0Z1
    zz = onp.cos(features[:, 0])
    z0 = onp.cos(features[:, 0]) * onp.cos(features[:, 1]) * onp.cos(bs)
    onp.testing.assert_allclose(out[0], zz, atol=1e-12)
    onp.testing.assert_allclose(out[1], z0, atol=1e-12)
    onp.testing.assert_allclose(onp.stack(out), onp.stack(kt.QNode(circuit, ref)(features, bs)),
                                atol=1e-12)


def test_split_keeps_shared_parameters_and_trainable_indices():
    tape = kt.QuantumTape([kt.RX.unqueued(A, wires=0), kt.RY.unqueued(B, wires=0)],
                          [kt.core.measurements.expval(kt.PauliZ.unqueued(0))])
    tape.trainable_params = [1]
    parts = broadcast.split(tape)
    assert [t.batch_size for t in parts] == [None] * 3
    assert [float(t.get_parameters(False)[0]) for t in parts] == list(A)
    assert all(t.get_parameters(False)[1] == B and t.trainable_params == [1] for t in parts)


def test_the_device_itself_still_refuses_broadcast_tapes():
    """Devices receive only what they declare; the split is the QNode's job."""
    dev = kt.device("example.qubit", wires=2)
    tape = kt.QuantumTape([kt.RX.unqueued(A, wires=0)],
                          [kt.core.measurements.expval(kt.PauliZ.unqueued(0))])
    with pytest.raises(DeviceError, match=re.escape(
            "device 'example.qubit' does not support parameter broadcasting, but the circuit is "
            "broadcast with batch size 3; run one tape per parameter set "
            "(kettle.core.broadcast.split(tape), which QNodes do for you) or use a device that "
            "broadcasts, such as default.qubit")):
        dev.preprocess(tape)


# ---------------------------------------------------------------- gradients, every interface

METHODS = ["device", "parameter-shift", "finite-diff"]
TOL = {"device": 1e-10, "parameter-shift": 1e-10, "finite-diff": 1e-5}


def _grads_autograd(qn):
    from kettle import numpy as np

    a, b = np.array(A, requires_grad=True), np.array(B, requires_grad=True)
    return kt.grad(lambda a, b: loss_value(*qn(a, b)), argnum=[0, 1])(a, b)


def _grads_torch(qn):
    import torch

    a = torch.tensor(A, requires_grad=True)
    b = torch.tensor(B, dtype=torch.float64, requires_grad=True)
    loss_value(*qn(a, b)).backward()
    return a.grad.numpy(), b.grad.numpy()


def _grads_tf(qn):
    import tensorflow as tf

    a, b = tf.Variable(A), tf.Variable(B, dtype=tf.float64)
    with tf.GradientTape() as tape:
        ev, probs = qn(a, b)
        loss = tf.reduce_sum(ev) + 3 * tf.reduce_sum(probs[:, 1])
    return [g.numpy() for g in tape.gradient(loss, [a, b])]


def _grads_jax(qn):
    import jax

    jax.config.update("jax_enable_x64", True)
    fn = jax.grad(lambda a, b: loss_value(*qn(a, b)), argnums=(0, 1))
    eager = fn(jax.numpy.asarray(A), B)
    jitted = jax.jit(fn)(jax.numpy.asarray(A), B)
    onp.testing.assert_allclose(onp.asarray(jitted[0]), onp.asarray(eager[0]), atol=1e-12)
    return eager


GRADS = {
    "autograd": _grads_autograd,
    "torch": pytest.param(_grads_torch, marks=pytest.mark.torch),
    "tf": pytest.param(_grads_tf, marks=pytest.mark.tf),
    "jax": pytest.param(_grads_jax, marks=pytest.mark.jax),
}


@pytest.mark.parametrize("grads", list(GRADS.values()), ids=list(GRADS))
@pytest.mark.parametrize("method", METHODS)
def test_gradients_through_the_split_match_the_analytic_ones(grads, method):
    dev = kt.device("example.qubit", wires=2)
    da, db = grads(kt.QNode(body, dev, diff_method=method))
    ref_a, ref_b = exact_loss_grad(A, B)
    onp.testing.assert_allclose(onp.asarray(da), ref_a, atol=TOL[method])
    onp.testing.assert_allclose(float(db), ref_b, atol=TOL[method])
    if method == "device":
        assert dev.derivative_calls >= 1


def test_gradient_transforms_on_a_qnode_stack_per_entry_jacobians():
    """param_shift(qnode) on the splitting device: per entry (∂/∂a_b, ∂/∂b) with one device
    execution for all shifted circuits of all entries."""
    dev = kt.device("example.qubit", wires=2)
    from kettle import numpy as np

    a, b = np.array(A, requires_grad=True), np.array(B, requires_grad=True)
    jac_ev, jac_probs = kt.gradients.param_shift(kt.QNode(body, dev))(a, b)
    d_ev = onp.stack([-onp.sin(A) * onp.cos(B), -onp.cos(A) * onp.sin(B)], axis=-1)
    assert jac_ev.shape == (3, 2) and jac_probs.shape == (3, 2, 2)
    onp.testing.assert_allclose(jac_ev, d_ev, atol=1e-12)
    onp.testing.assert_allclose(jac_probs[:, 0], d_ev / 2, atol=1e-12)
    onp.testing.assert_allclose(jac_probs[:, 1], -d_ev / 2, atol=1e-12)
    assert dev.executions == 3 * 4  # 3 entries × 2 parameters × 2 shifts, in one execute call


# ---------------------------------------------------------------- shots and sample-based results


def test_shots_shot_vectors_and_counts_are_stacked_per_entry():
    dev = NoBroadcastQubit(2, shots=4000, seed=7)

    def circuit(a, b):
        body(a, b)
        return kt.expval(kt.PauliZ(1)), kt.counts(wires=[0]), kt.sample(kt.PauliZ(0))

    ev, counts, samples = kt.QNode(circuit, dev)(A, B)
    assert dev.batch_sizes == [None] * 3
    ref_ev, ref_probs = exact(A, B)
    assert onp.all(onp.abs(ev - ref_ev) < 5 / onp.sqrt(4000))  # 5σ of a ±1 mean
    assert isinstance(counts, list) and len(counts) == 3
    for c, p in zip(counts, ref_probs):
        assert sum(c.values()) == 4000 and abs(c.get("1", 0) / 4000 - p[1]) < 5 * 0.5 / onp.sqrt(4000)
    assert samples.shape == (3, 4000)
    onp.testing.assert_allclose(samples.mean(axis=1), ev, atol=5 / onp.sqrt(4000))

    vec = NoBroadcastQubit(2, shots=[1000, (2000, 2)], seed=3)
    out = kt.QNode(lambda a, b: body(a, b)[0], vec)(A, B)
    assert isinstance(out, tuple) and len(out) == 3
    for entry, shots in zip(out, [1000, 2000, 2000]):
        assert entry.shape == (3,)
        assert onp.all(onp.abs(entry - ref_ev) < 5 / onp.sqrt(shots))


# ---------------------------------------------------------------- layers on a plugin device


def _layer_qnode(device_name):
    dev = kt.device(device_name, wires=2)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(inputs, weights):
        kt.AngleEmbedding(inputs, wires=[0, 1])
        kt.RY(weights[0], wires=0)
        kt.RY(weights[1], wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(0)), kt.expval(kt.PauliZ(1))

    return circuit


X = onp.random.default_rng(5).uniform(-1, 1, (4, 2))
W = onp.array([0.3, -0.8])


@pytest.mark.torch
def test_torch_layer_on_a_non_broadcasting_plugin_matches_default_qubit():
    import torch

    outs, grads = [], []
    for name in ["example.qubit", "default.qubit"]:
        layer = kt.qnn.TorchLayer(_layer_qnode(name), {"weights": (2,)}).double()
        with torch.no_grad():
            layer.weights.copy_(torch.tensor(W))
        out = layer(torch.tensor(X))
        out.sum().backward()
        outs.append(out.detach().numpy())
        grads.append(layer.weights.grad.numpy())
    assert outs[0].shape == (4, 2)
    # ⟨Z0⟩ = cos x0 cos w0 (the CNOT keeps Z0), ⟨Z1⟩ = cos x0 cos w0 cos x1 cos w1
    z0 = onp.cos(X[:, 0]) * onp.cos(W[0])
    onp.testing.assert_allclose(outs[0][:, 0], z0, atol=1e-12)
    onp.testing.assert_allclose(outs[0][:, 1], z0 * onp.cos(X[:, 1]) * onp.cos(W[1]), atol=1e-12)
    onp.testing.assert_allclose(outs[0], outs[1], atol=1e-12)
    onp.testing.assert_allclose(grads[0], grads[1], atol=1e-10)


@pytest.mark.tf
def test_keras_layer_on_a_non_broadcasting_plugin_matches_default_qubit():
    import keras
    import tensorflow as tf

    outs, grads = [], []
    for name in ["example.qubit", "default.qubit"]:
        layer = kt.qnn.KerasLayer(_layer_qnode(name), {"weights": (2,)}, output_dim=2)
        model = keras.Sequential([keras.Input((2,)), layer])
        layer.weights[0].assign(W.astype(layer.weights[0].dtype))
        with tf.GradientTape() as tape:
            out = model(X.astype("float32"))
            loss = tf.reduce_sum(out)
        grads.append(onp.asarray(tape.gradient(loss, layer.trainable_weights[0])))
        outs.append(onp.asarray(out))
    assert outs[0].shape == (4, 2)
    onp.testing.assert_allclose(outs[0], outs[1], atol=1e-5)
    onp.testing.assert_allclose(grads[0], grads[1], atol=1e-5)
    z0 = onp.cos(X[:, 0]) * onp.cos(W[0])
    onp.testing.assert_allclose(outs[0][:, 0], z0, atol=1e-5)
