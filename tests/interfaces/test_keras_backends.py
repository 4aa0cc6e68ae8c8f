"""KerasLayer on Keras 3's JAX and torch backends (Keras picks its backend at import, so each runs
in a fresh interpreter with KERAS_BACKEND set)."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import numpy as np
    import keras
    import kettle as kt

    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(inputs, weights):
        kt.AngleEmbedding(inputs, wires=range(2))
        kt.BasicEntanglerLayers(weights, wires=range(2))
        return [kt.expval(kt.PauliZ(i)) for i in range(2)]

    keras.utils.set_random_seed(0)
    layer = kt.qnn.KerasLayer(circuit, {"weights": (2, 2)}, output_dim=2)
    model = keras.Sequential([keras.Input((2,)), layer, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
    x = np.random.default_rng(0).uniform(-1, 1, (32, 2)).astype("float32")
    y = np.sin(x[:, :1])
    before = keras.ops.convert_to_numpy(layer.weights[0].value).copy()
    history = model.fit(x, y, epochs=5, verbose=0)
    after = keras.ops.convert_to_numpy(layer.weights[0].value)
    print(keras.backend.backend(), history.history["loss"][0], history.history["loss"][-1],
          float(np.abs(after - before).max()))
""")


@pytest.mark.slow
@pytest.mark.parametrize("backend", [pytest.param("jax", marks=pytest.mark.jax),
                                     pytest.param("torch", marks=pytest.mark.torch)])
def test_keras_layer_trains_on_other_backends(backend):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    name, first, last, moved = out.stdout.split()[-4:]
    assert name == backend
    assert float(last) < 0.5 * float(first)  # the quantum weights get gradients and training works
    assert float(moved) > 1e-3
