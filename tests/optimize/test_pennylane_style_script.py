"""A training script written the PennyLane way (``import kettle as qml``, a device without wires,
``np.random.seed`` for the initial weights and — through ``seed="global"`` — for the shots,
``qml.set_shots``, ``argnums``, PennyLane's optimizers with their defaults) runs, reaches the
minimum, and prints the same numbers when run twice in fresh interpreters."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as onp

SCRIPT = textwrap.dedent("""
    import json
    import kettle as qml
    from kettle import numpy as np

    np.random.seed(42)
    dev = qml.device("default.qubit")

    @qml.qnode(dev)
    def circuit(weights, x):
        qml.BasisEmbedding([1, 0, 1], wires=[0, 1, 2])
        qml.AngleEmbedding(x, wires=[0, 1, 2])
        qml.StronglyEntanglingLayers(weights, wires=[0, 1, 2])
        qml.ctrl(qml.RY, control=0)(weights[0, 0, 0], wires=2)
        return qml.expval(qml.PauliZ(0) @ qml.PauliZ(2))

    shape = qml.StronglyEntanglingLayers.shape(n_layers=2, n_wires=3)
    weights = np.random.uniform(0, 2 * np.pi, size=shape, requires_grad=True)
    x = np.array([0.1, 0.2, 0.3], requires_grad=False)
    out = {}
    for name in ["AdamOptimizer", "AdagradOptimizer", "RMSPropOptimizer", "MomentumOptimizer",
                 "NesterovMomentumOptimizer", "GradientDescentOptimizer"]:
        opt = getattr(qml, name)(stepsize=0.1)
        w = weights
        costs = []
        for _ in range(15):
            w, c = opt.step_and_cost(lambda w: circuit(w, x), w)
            costs.append(c)
        out[name] = costs + [float(circuit(w, x))]

    # shots seeded from the global stream: the same script, the same samples
    sampled = qml.set_shots(circuit, shots=200)
    out["sampled"] = [float(sampled(weights, x)) for _ in range(3)]
    out["after_device"] = float(np.random.uniform())  # the global stream after one device draw

    @qml.set_shots(shots=100)
    @qml.qnode(qml.device("default.qubit"), diff_method="parameter-shift")
    def noisy(weights, x):
        qml.AngleEmbedding(x, wires=[0, 1, 2])
        qml.StronglyEntanglingLayers(weights, wires=[0, 1, 2])
        return qml.expval(qml.PauliZ(0))

    out["shot_grad"] = np.ravel(qml.grad(noisy, argnums=0)(weights, x)).tolist()
    out["exact_grad_by_argnums"] = np.ravel(
        qml.grad(lambda w, v: circuit(w, v), argnums=[0])(weights, x)[0]).tolist()
    by_argnum = np.ravel(qml.grad(lambda w, v: circuit(w, v), argnum=[0])(weights, x)[0])
    out["argnums_is_argnum"] = bool(np.allclose(by_argnum, out["exact_grad_by_argnums"],
                                                atol=1e-14))
    print(json.dumps(out))
""")


def _run():
    res = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_the_script_runs_twice_with_identical_output_and_descends():
    first, second = _run(), _run()
    assert first == second  # bit-for-bit: the seed fixes the weights, nothing else is random
    assert first["argnums_is_argnum"]
    assert len(set(first["sampled"])) > 1  # fresh samples per call, reproducible per script
    for name in ["AdamOptimizer", "AdagradOptimizer", "RMSPropOptimizer", "MomentumOptimizer",
                 "NesterovMomentumOptimizer", "GradientDescentOptimizer"]:
        costs = first[name]
        assert onp.all(onp.isfinite(costs))
        assert costs[-1] < costs[0] - 0.05, name  # every optimizer lowers the cost
