"""End-to-end training: hybrid classifiers with TorchLayer and KerasLayer, and an optax VQE loop.

Each test asserts a quality reached by training (accuracy, energy error) that broken gradients or
broken layers could not reach.
"""
from __future__ import annotations

import numpy as np
import pytest

import kettle as kt

pytestmark = pytest.mark.slow


def two_moons(n: int, seed: int, noise: float = 0.1):
    """Two interleaved half circles, labels 0/1 (made here, no dataset download)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    labels = rng.integers(0, 2, n)
    upper = np.c_[np.cos(t), np.sin(t)]
    lower = np.c_[1 - np.cos(t), 0.5 - np.sin(t)]
    x = np.where(labels[:, None] == 0, upper, lower)
    return x + rng.normal(0, noise, x.shape), labels


def _classifier_qnode(n_wires: int):
    dev = kt.device("default.qubit", wires=n_wires)

    @kt.qnode(dev)
    def circuit(inputs, weights):
        kt.AngleEmbedding(inputs, wires=range(n_wires))
        kt.StronglyEntanglingLayers(weights, wires=range(n_wires))
        return [kt.expval(kt.PauliZ(i)) for i in range(n_wires)]

    return circuit


@pytest.mark.torch
def test_torch_hybrid_classifier_learns_two_moons():
    import torch

    x, y = two_moons(200, seed=0)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    torch.manual_seed(0)
    n = 2
    model = torch.nn.Sequential(torch.nn.Linear(2, n),
                                kt.qnn.TorchLayer(_classifier_qnode(n), {"weights": (3, n, 3)}),
                                torch.nn.Linear(n, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    order = torch.Generator().manual_seed(0)
    for _ in range(30):
        for idx in torch.randperm(len(xt), generator=order).split(32):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
    accuracy = (model(xt).argmax(1) == yt).float().mean().item()
    assert accuracy >= 0.9


@pytest.mark.tf
def test_keras_hybrid_classifier_learns_two_moons():
    import keras

    x, y = two_moons(200, seed=0)
    keras.utils.set_random_seed(0)
    n = 2
    model = keras.Sequential([
        keras.Input((2,)), keras.layers.Dense(n),
        kt.qnn.KerasLayer(_classifier_qnode(n), {"weights": (3, n, 3)}, output_dim=n),
        keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x.astype("float32"), y, epochs=40, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] >= 0.9


@pytest.mark.jax
@pytest.mark.parametrize("diff_method", ["backprop", "parameter-shift"])
def test_optax_vqe_reaches_the_ground_energy(diff_method):
    import jax
    import jax.numpy as jnp
    import optax

    # transverse-field Ising chain on 3 qubits: H = −Σ Z_i Z_{i+1} − 0.8 Σ X_i
    n = 3
    coeffs = [-1.0] * (n - 1) + [-0.8] * n
    ops = [kt.PauliZ(i) @ kt.PauliZ(i + 1) for i in range(n - 1)] + [kt.PauliX(i) for i in range(n)]
    H = kt.Hamiltonian(coeffs, ops)
    exact = float(np.linalg.eigvalsh(np.asarray(H.matrix(wire_order=range(n))))[0])

    dev = kt.device("default.qubit", wires=n)

    @jax.jit
    @kt.qnode(dev, diff_method=diff_method)
    def energy(w):
        kt.StronglyEntanglingLayers(w, wires=range(n))
        return kt.expval(H)

    w = jnp.asarray(np.random.default_rng(0).uniform(0, 0.3, (2, n, 3)))
    opt = optax.adam(0.1)
    state = opt.init(w)
    step_fn = jax.jit(jax.value_and_grad(energy))
    for _ in range(150):
        value, grad = step_fn(w)
        updates, state = opt.update(grad, state)
        w = optax.apply_updates(w, updates)
    assert float(energy(w)) - exact < 1e-3
    assert float(energy(w)) >= exact - 1e-9  # variational: never below the ground energy
