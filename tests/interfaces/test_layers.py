"""TorchLayer and KerasLayer: construction, values against direct QNode calls, batching, weights."""
from __future__ import annotations

import numpy as np
import pytest

import kettle as kt
from kettle.errors import QuantumFunctionError

N_WIRES = 3


def _qnode(diff_method="best"):
    dev = kt.device("default.qubit", wires=N_WIRES)

    @kt.qnode(dev, diff_method=diff_method)
    def circuit(inputs, weights, bias):
        kt.AngleEmbedding(inputs, wires=range(N_WIRES))
        kt.StronglyEntanglingLayers(weights, wires=range(N_WIRES))
        kt.RZ(bias, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=[1, 2])

    return circuit


SHAPES = {"weights": (2, N_WIRES, 3), "bias": ()}


def _reference(inputs, weights, bias):
    """Features from direct NumPy calls of the same QNode, one sample at a time."""
    qn = _qnode()
    rows = []
    for x in np.atleast_2d(inputs):
        ev, pr = qn(x, weights, bias)
        rows.append(np.concatenate([[ev], pr]))
    return np.array(rows)


def test_weight_shapes_must_match_the_qnode():
    pytest.importorskip("torch")
    with pytest.raises(QuantumFunctionError, match="'nope' is not an argument"):
        kt.qnn.TorchLayer(_qnode(), {"weights": (2, 3, 3), "bias": (), "nope": 2})
    with pytest.raises(QuantumFunctionError, match=r"\['bias'\] have no entry in weight_shapes"):
        kt.qnn.TorchLayer(_qnode(), {"weights": (2, 3, 3)})
    dev = kt.device("default.qubit", wires=1)
    no_inputs = kt.QNode(lambda x, w: kt.expval(kt.PauliZ(0)), dev)
    with pytest.raises(QuantumFunctionError, match="argument named 'inputs'"):
        kt.qnn.TorchLayer(no_inputs, {"w": 1})


@pytest.mark.torch
@pytest.mark.parametrize("diff_method", ["backprop", "parameter-shift", "adjoint"])
def test_torch_layer_matches_the_qnode_and_broadcasts(diff_method):
    import torch

    qn = _qnode(diff_method if diff_method != "adjoint" else "parameter-shift")
    layer = kt.qnn.TorchLayer(qn, SHAPES).double()
    x = np.random.default_rng(0).uniform(-1, 1, (5, N_WIRES))
    calls = {"n": 0}
    original = qn.device.execute

    def counting(tapes):
        calls["n"] += 1
        return original(tapes)

    qn.device.execute = counting
    out = layer(torch.tensor(x))
    assert calls["n"] == 1  # the batch of 5 is one broadcast execution, not a loop
    ref = _reference(x, layer.weights.detach().numpy(), layer.bias.detach().numpy())
    assert out.shape == (5, 5) and out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), ref, atol=1e-12)
    single = layer(torch.tensor(x[0]))
    assert single.shape == (5,)
    np.testing.assert_allclose(single.detach().numpy(), ref[0], atol=1e-12)


@pytest.mark.torch
def test_torch_layer_takes_extra_leading_axes():
    """Inputs (2, 3, features) like nn.Linear: one broadcast run of the 6 samples, output
    (2, 3, 5), each entry equal to the per-sample reference."""
    import torch

    layer = kt.qnn.TorchLayer(_qnode(), SHAPES).double()
    x = np.random.default_rng(7).uniform(-1, 1, (2, 3, N_WIRES))
    out = layer(torch.tensor(x))
    assert out.shape == (2, 3, 5)
    ref = _reference(x.reshape(6, N_WIRES), layer.weights.detach().numpy(),
                     layer.bias.detach().numpy())
    np.testing.assert_allclose(out.detach().numpy().reshape(6, 5), ref, atol=1e-12)
    out.sum().backward()
    assert layer.weights.grad is not None and layer.weights.grad.shape == SHAPES["weights"]


@pytest.mark.torch
def test_torch_layer_gradients_match_backprop_and_finite_differences():
    import torch

    torch.manual_seed(3)
    grads = {}
    for method in ["backprop", "parameter-shift"]:
        layer = kt.qnn.TorchLayer(_qnode(method), SHAPES).double()
        with torch.no_grad():
            layer.weights.copy_(torch.linspace(0.1, 1.7, 18).reshape(2, 3, 3))
            layer.bias.fill_(0.4)
        x = torch.tensor(np.random.default_rng(1).uniform(-1, 1, (4, N_WIRES)))
        loss = (layer(x) * torch.arange(1.0, 6.0, dtype=torch.float64)).sum()
        loss.backward()
        grads[method] = layer.weights.grad.clone()
    np.testing.assert_allclose(grads["parameter-shift"], grads["backprop"], atol=1e-10)
    # central differences of the forward pass for one weight entry
    layer = kt.qnn.TorchLayer(_qnode("backprop"), SHAPES).double()
    with torch.no_grad():
        layer.weights.copy_(torch.linspace(0.1, 1.7, 18).reshape(2, 3, 3))
        layer.bias.fill_(0.4)

    def f():
        with torch.no_grad():
            return float((layer(x) * torch.arange(1.0, 6.0, dtype=torch.float64)).sum())

    h = 1e-6
    with torch.no_grad():
        layer.weights[1, 2, 0] += h
    up = f()
    with torch.no_grad():
        layer.weights[1, 2, 0] -= 2 * h
    down = f()
    assert abs((up - down) / (2 * h) - float(grads["backprop"][1, 2, 0])) < 1e-7


@pytest.mark.torch
def test_torch_layer_in_sequential_and_state_dict_round_trip(tmp_path):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, N_WIRES), kt.qnn.TorchLayer(_qnode(), SHAPES),
                                torch.nn.Linear(5, 2))
    x = torch.randn(7, 2)
    out = model(x)
    assert out.shape == (7, 2) and out.dtype == torch.float32
    torch.save(model.state_dict(), tmp_path / "m.pt")
    clone = torch.nn.Sequential(torch.nn.Linear(2, N_WIRES), kt.qnn.TorchLayer(_qnode(), SHAPES),
                                torch.nn.Linear(5, 2))
    assert not torch.allclose(clone(x), out)
    clone.load_state_dict(torch.load(tmp_path / "m.pt"))
    torch.testing.assert_close(clone(x), out)
    assert {"1.weights", "1.bias"} <= set(model.state_dict())


@pytest.mark.torch
def test_torch_layer_init_method():
    import torch

    layer = kt.qnn.TorchLayer(_qnode(), SHAPES, init_method={
        "weights": lambda w: torch.nn.init.constant_(w, 0.25), "bias": torch.nn.init.zeros_})
    assert torch.all(layer.weights == 0.25) and float(layer.bias.detach()) == 0.0
    default = kt.qnn.TorchLayer(_qnode(), SHAPES)
    w = default.weights.detach()
    assert float(w.min()) >= 0 and float(w.max()) < 2 * np.pi


@pytest.mark.tf
def test_keras_layer_matches_the_qnode_and_round_trips_weights(tmp_path):
    import keras

    layer = kt.qnn.KerasLayer(_qnode(), SHAPES, output_dim=5)
    model = keras.Sequential([keras.Input((N_WIRES,)), layer])
    x = np.random.default_rng(2).uniform(-1, 1, (6, N_WIRES)).astype("float32")
    out = np.asarray(model(x))
    weights = {w.name: np.asarray(w.value) for w in layer.weights}
    ref = _reference(x.astype("float64"), weights["weights"], weights["bias"])
    assert out.shape == (6, 5)
    np.testing.assert_allclose(out, ref, atol=1e-5)
    assert layer.compute_output_shape((None, N_WIRES)) == (None, 5)
    model.save_weights(tmp_path / "q.weights.h5")
    clone = keras.Sequential([keras.Input((N_WIRES,)), kt.qnn.KerasLayer(_qnode(), SHAPES, output_dim=5)])
    clone.load_weights(tmp_path / "q.weights.h5")
    np.testing.assert_allclose(np.asarray(clone(x)), out, atol=1e-6)


@pytest.mark.tf
def test_keras_layer_weight_specs():
    import keras

    layer = kt.qnn.KerasLayer(_qnode(), SHAPES, output_dim=5, weight_specs={
        "weights": {"initializer": keras.initializers.Constant(0.5)}})
    keras.Sequential([keras.Input((N_WIRES,)), layer])
    values = {w.name: np.asarray(w.value) for w in layer.weights}
    assert np.all(values["weights"] == 0.5)
    assert 0 <= float(values["bias"]) < 2 * np.pi


@pytest.mark.tf
@pytest.mark.parametrize("method", ["parameter-shift", "adjoint", "finite-diff"])
def test_tf_function_with_an_unknown_batch_size(method):
    """Keras traces layers with a (None, features) batch: non-backprop methods must size their
    results when the graph runs. RX(x_b): ⟨Z⟩_b = cos x_b, P(1)_b = sin²(x_b/2); the loss
    Σ⟨Z⟩ + Σ P(1) has ∂/∂x_b = −sin x_b + ½ sin x_b."""
    import tensorflow as tf

    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev, diff_method=method)
    def circuit(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=0)

    f = tf.function(circuit, input_signature=[tf.TensorSpec((None,), tf.float64)])
    for values in ([0.1, 0.2, 0.7], [0.4]):  # one trace, two batch sizes
        x = tf.Variable(values, dtype=tf.float64)
        with tf.GradientTape() as tape:
            ev, probs = f(x)
            loss = tf.reduce_sum(ev) + tf.reduce_sum(probs[:, 1])
        xs = np.array(values)
        np.testing.assert_allclose(ev.numpy(), np.cos(xs), atol=1e-12)
        np.testing.assert_allclose(tape.gradient(loss, x).numpy(), -0.5 * np.sin(xs), atol=1e-6)


@pytest.mark.tf
def test_keras_fit_with_parameter_shift():
    """model.fit traces with an unknown batch (20 samples in batches of 8: the last has 4)."""
    import keras

    layer = kt.qnn.KerasLayer(_qnode("parameter-shift"), SHAPES, output_dim=5)
    model = keras.Sequential([keras.Input((N_WIRES,)), layer])
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
    x = np.random.default_rng(4).uniform(-1, 1, (20, N_WIRES)).astype("float32")
    losses = model.fit(x, np.zeros((20, 5), "float32"), epochs=3, batch_size=8, verbose=0)
    losses = losses.history["loss"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    weights = {w.name: np.asarray(w.value) for w in layer.weights}
    np.testing.assert_allclose(np.asarray(model(x)),
                               _reference(x.astype("float64"), weights["weights"], weights["bias"]),
                               atol=1e-5)
