"""kt.set_shots (function and decorator forms) and pickling QNodes made either way."""
from __future__ import annotations

import pickle
from concurrent.futures import ProcessPoolExecutor

import numpy as onp
import pytest

import kettle as kt
import pickle_targets
from kettle.errors import QuantumFunctionError, ShotsError


def _circuit(x):
    kt.RX(x, wires=0)
    return kt.expval(kt.PauliZ(0))


def test_set_shots_returns_a_new_qnode_and_leaves_the_old_one():
    dev = kt.device("default.qubit", wires=1, seed=7)
    exact = kt.QNode(_circuit, dev)
    sampled = kt.set_shots(exact, shots=40)
    assert exact(0.9) == pytest.approx(onp.cos(0.9), abs=1e-12)  # unchanged
    value = float(sampled(0.9))
    assert value != pytest.approx(onp.cos(0.9), abs=1e-9)
    assert value * 20 == pytest.approx(round(value * 20), abs=1e-9)  # (n0 - n1) / 40
    assert sampled.construct((0.9,), {})[0].shots == kt.Shots(40)
    assert kt.set_shots(sampled, None)(0.9) == pytest.approx(onp.cos(0.9), abs=1e-12)


def test_set_shots_as_a_decorator_and_the_call_time_override():
    dev = kt.device("default.qubit", wires=1, seed=3)

    @kt.set_shots(shots=25)
    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires=0)
        return kt.sample(kt.PauliZ(0))

    assert onp.shape(f(0.4)) == (25,)
    assert onp.shape(f(0.4, shots=5)) == (5,)
    assert onp.shape(kt.set_shots(10)(f)(0.4)) == (10,)


def test_set_shots_errors():
    dev = kt.device("default.qubit", wires=1)
    qn = kt.QNode(_circuit, dev)
    with pytest.raises(QuantumFunctionError, match=r"above @kt.qnode"):
        kt.set_shots(shots=5)(_circuit)
    with pytest.raises(QuantumFunctionError, match=r"needs the shots"):
        kt.set_shots(qn)
    with pytest.raises(ShotsError):
        kt.set_shots(shots=-3)


def test_a_decorated_qnode_pickles_by_name():
    again = pickle.loads(pickle.dumps(pickle_targets.decorated))
    assert again is pickle_targets.decorated
    variant = kt.set_shots(pickle_targets.decorated, shots=100)
    back = pickle.loads(pickle.dumps(variant))
    assert back is not pickle_targets.decorated and back.shots == kt.Shots(100)
    assert back.func is pickle_targets.decorated.func


def test_a_qnode_of_a_module_function_pickles_by_value():
    qn = kt.QNode(pickle_targets.plain, kt.device("default.qubit", wires=1))
    back = pickle.loads(pickle.dumps(qn))
    assert back is not qn and back(0.3) == pytest.approx(onp.cos(0.3), abs=1e-12)


def _run(x):
    return float(pickle_targets.decorated(x))


def test_qnodes_travel_to_a_process_pool():
    with ProcessPoolExecutor(max_workers=1) as pool:
        got = list(pool.map(pickle_targets.decorated, [0.2, 1.1]))
    onp.testing.assert_allclose(got, onp.cos([0.2, 1.1]), atol=1e-12)


@pytest.mark.torch
def test_torch_save_of_a_module_holding_a_torch_layer(tmp_path):
    torch = pytest.importorskip("torch")

    layer = kt.qnn.TorchLayer(pickle_targets.layer_circuit, {"w": ()})
    model = torch.nn.Sequential(layer)
    torch.save(model, tmp_path / "model.pt")
    loaded = torch.load(tmp_path / "model.pt", weights_only=False)
    x = torch.tensor([[0.3], [1.2]], dtype=torch.float64)
    w = float(next(model.parameters()))
    want = onp.cos([0.3, 1.2]) * onp.cos(w)  # RY(w) after RX(x): <Z> = cos x cos w
    # the layer's weight is float32 (torch's default): single-precision agreement
    onp.testing.assert_allclose(loaded(x).detach().numpy().ravel(), want, atol=1e-6)
