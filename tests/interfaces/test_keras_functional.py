"""KerasLayer inside a Keras 3 functional model fed by Dense layers, on every Keras backend:
summary, fit, predict, and a full model.save / keras.models.load_model round trip in a fresh
process. Regression: the round trip failed with Keras' generic "could not be deserialized" TypeError.

Keras picks its backend at import, so each backend runs in fresh interpreters with KERAS_BACKEND
set; the QNode lives in a module of its own (as in a user's project), so the loading process
finds it by import.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as onp
import pytest

QMODEL = textwrap.dedent("""
    import kettle as kt

    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(inputs, weights):
        kt.AngleEmbedding(inputs, wires=range(2))
        kt.BasicEntanglerLayers(weights, wires=range(2))
        return [kt.expval(kt.PauliZ(i)) for i in range(2)]
""")

TRAIN = textwrap.dedent("""
    import io, json, sys, contextlib
    import numpy as np
    import keras
    import kettle as kt
    from qmodel import circuit

    keras.utils.set_random_seed(0)
    inp = keras.Input((3,))
    hidden = keras.layers.Dense(2, activation="tanh")(inp)
    quantum = kt.qnn.KerasLayer(circuit, {"weights": (2, 2)}, output_dim=2, name="quantum")(hidden)
    model = keras.Model(inp, keras.layers.Dense(1)(quantum))
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.summary()
    model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (32, 3)).astype("float32")
    y = np.sin(x[:, :1] + x[:, 1:2])
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0)
    pred = model.predict(x, verbose=0)
    model.save(sys.argv[1])
    np.save(sys.argv[2], x)
    print(json.dumps({"backend": keras.backend.backend(), "summary": text.getvalue(),
                      "loss": history.history["loss"], "pred": pred.tolist()}))
""")

LOAD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import keras
    import kettle as kt  # after keras: registers KerasLayer with Keras

    if sys.argv[3] == "custom_objects":
        model = keras.models.load_model(sys.argv[1],
                                        custom_objects={"kettle>KerasLayer": kt.qnn.KerasLayer})
    else:
        model = keras.models.load_model(sys.argv[1])
    x = np.load(sys.argv[2])
    layer = model.get_layer("quantum")
    print(json.dumps({"pred": model.predict(x, verbose=0).tolist(),
                      "weights": keras.ops.convert_to_numpy(layer.qweights["weights"].value).tolist(),
                      "qnode": layer.qnode.func.__module__}))
""")


def _run(script, args, backend, cwd):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3",
               PYTHONPATH=os.pathsep.join([str(cwd), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True,
                         text=True, timeout=400, cwd=cwd)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("backend", [pytest.param("tensorflow", marks=pytest.mark.tf),
                                     pytest.param("jax", marks=pytest.mark.jax),
                                     pytest.param("torch", marks=pytest.mark.torch)])
def test_functional_model_trains_predicts_and_round_trips(backend, tmp_path):
    (tmp_path / "qmodel.py").write_text(QMODEL)
    path, data = str(tmp_path / "model.keras"), str(tmp_path / "x.npy")
    trained = _run(TRAIN, [path, data], backend, tmp_path)
    assert trained["backend"] == backend
    rows = [line for line in trained["summary"].splitlines() if "quantum" in line]
    assert len(rows) == 1 and "KerasLayer" in rows[0] and "(None, 2)" in rows[0]
    assert rows[0].split("│")[-2].strip() == "4"  # a (2, 2) weight
    assert "Total params: 15" in trained["summary"]  # Dense(3→2): 8, quantum: 4, Dense(2→1): 3
    loss = trained["loss"]
    assert loss[-1] < 0.6 * loss[0]
    how = "custom_objects" if backend == "torch" else "registered"
    loaded = _run(LOAD, [path, data, how], backend, tmp_path)
    assert loaded["qnode"] == "qmodel"
    onp.testing.assert_allclose(loaded["pred"], trained["pred"], rtol=1e-5, atol=1e-6)


def test_a_qnode_that_is_not_importable_cannot_be_saved_whole(tmp_path):
    keras = pytest.importorskip("keras")
    import kettle as kt
    from kettle.errors import QuantumFunctionError

    def make():
        dev = kt.device("default.qubit", wires=1)

        @kt.qnode(dev)
        def local(inputs, w):
            kt.RX(inputs[..., 0] + w[0], wires=0)
            return kt.expval(kt.PauliZ(0))

        return local

    inp = keras.Input((1,))
    model = keras.Model(inp, kt.qnn.KerasLayer(make(), {"w": 1}, output_dim=1)(inp))
    with pytest.raises(QuantumFunctionError) as info:
        model.save(str(tmp_path / "m.keras"))
    assert "define the QNode at the top level of a module" in str(info.value)
    assert "model.save_weights(...)" in str(info.value)


def test_loading_without_the_qnode_module_says_what_is_missing():
    pytest.importorskip("keras")
    from kettle.errors import QuantumFunctionError
    from kettle.interfaces.keras_layer import resolve_qnode

    with pytest.raises(QuantumFunctionError) as info:
        resolve_qnode({"module": "no_such_module_for_kettle", "name": "circuit"})
    assert str(info.value).startswith(
        "loading a KerasLayer needs its QNode 'circuit' from module 'no_such_module_for_kettle', "
        "which cannot be imported")
    with pytest.raises(QuantumFunctionError, match="which module 'json' does not define"):
        resolve_qnode({"module": "json", "name": "circuit"})
