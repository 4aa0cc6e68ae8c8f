"""The showcase behind ``python -m kettle demo`` and the device listing of ``python -m kettle devices``."""
from __future__ import annotations

import importlib.util
import os
import time

import numpy as np

import kettle as kt


def _frameworks() -> dict:
    """Converters from a NumPy float64 array to each installed framework's array."""
    conv = {"numpy": lambda a: a}
    if importlib.util.find_spec("torch"):
        import torch

        conv["torch"] = lambda a: torch.tensor(a)
    if importlib.util.find_spec("tensorflow"):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow as tf

        conv["tensorflow"] = lambda a: tf.constant(a)
    if importlib.util.find_spec("jax"):
        import jax

        jax.config.update("jax_enable_x64", True)
        conv["jax"] = lambda a: jax.numpy.asarray(a)
    return conv


def demo() -> int:
    n_wires, n_layers = 4, 2
    dev = kt.device("default.qubit", wires=n_wires)

    @kt.qnode(dev)
    def circuit(features, weights):
        kt.AngleEmbedding(features, wires=range(n_wires), rotation="Y")
        kt.StronglyEntanglingLayers(weights, wires=range(n_wires))
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1)), kt.probs(wires=[2, 3])

    rng = np.random.default_rng(7)
    features = rng.uniform(0, np.pi, n_wires)
    weights = rng.uniform(0, 2 * np.pi, kt.StronglyEntanglingLayers.shape(n_layers, n_wires))

    print("kettle demo: a 4-qubit variational circuit (AngleEmbedding + 2 StronglyEntanglingLayers)\n")
    print(kt.draw(circuit, decimals=None)(features, weights))
    print()
    print(f"{'framework':<12}{'<Z0 Z1>':>14}   probs(wires=[2, 3])                 type")
    values = {}
    for name, to in _frameworks().items():
        args = (to(features), to(weights))
        circuit(*args)  # the first call pays one-off costs (e.g. JAX compiles its eager ops)
        t0 = time.perf_counter()
        ev, pr = circuit(*args)
        ms = 1e3 * (time.perf_counter() - t0)
        values[name] = (float(np.asarray(ev)), np.asarray(pr, dtype=float))
        print(f"{name:<12}{values[name][0]:>14.10f}   {np.array2string(values[name][1], precision=5)}"
              f"   {type(ev).__module__.split('.')[0]}.{type(ev).__name__} ({ms:.1f} ms)")
    ref = values["numpy"]
    worst = max(max(abs(v[0] - ref[0]), float(np.max(np.abs(v[1] - ref[1])))) for v in values.values())
    print(f"\nall {len(values)} frameworks agree to {worst:.1e}")

    batch = np.stack([features, features[::-1], np.zeros(n_wires)])
    ev, _ = circuit(batch, weights)
    print(f"broadcast over a batch of 3 feature vectors in one run: {np.array2string(ev, precision=6)}")

    shots_dev = kt.device("default.qubit", wires=n_wires, shots=2000, seed=42)
    sampled = kt.QNode(circuit.func, shots_dev)
    print(f"with 2000 shots (seed 42): <Z0 Z1> ≈ {float(sampled(features, weights)[0]):.4f}")
    if importlib.util.find_spec("jax"):
        _compiled(dev, circuit, features, weights)
    print()
    return list_devices()


def _compiled(dev, circuit, features, weights) -> None:
    """``circuit``'s layers as a kt.for_loop inside the QNode, compiled with kt.value_and_grad
    inside kt.qjit, against the eager autograd gradient of ``circuit``."""
    import jax.numpy as jnp

    n_wires = dev.num_wires

    @kt.qnode(dev, diff_method="backprop")
    def looped(features, weights):
        kt.AngleEmbedding(features, wires=range(n_wires), rotation="Y")

        @kt.for_loop(0, weights.shape[0], 1)
        def layer(i):
            @kt.for_loop(0, n_wires, 1)
            def rotations(q):
                kt.Rot(weights[i, q, 0], weights[i, q, 1], weights[i, q, 2], wires=q)

            rotations()

            @kt.for_loop(0, n_wires, 1)
            def entangle(q):  # StronglyEntanglingLayers' ranges: 1, 2, ... (mod n_wires)
                kt.CNOT(wires=[q, (q + i % (n_wires - 1) + 1) % n_wires])

            entangle()

        layer()
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    value_and_grad = kt.qjit(kt.value_and_grad(looped, argnum=1))
    t0 = time.perf_counter()
    value, grad = value_and_grad(jnp.asarray(features), jnp.asarray(weights))
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    value, grad = value_and_grad(jnp.asarray(features), jnp.asarray(weights))
    ms = 1e3 * (time.perf_counter() - t0)
    eager = kt.grad(lambda w: circuit(features, w)[0])(kt.numpy.array(weights, requires_grad=True))
    print(f"compiled with kt.qjit (layers as kt.for_loop, wires from the loop index): <Z0 Z1> = "
          f"{float(value):.10f}, gradient by backprop in the program ({first:.1f} s to compile, "
          f"{ms:.2f} ms per call); differs from the eager autograd gradient by "
          f"{float(np.max(np.abs(np.asarray(grad) - eager))):.1e}")


def list_devices() -> int:
    from kettle.devices.about import describe_devices

    print("installed devices:")
    for line in describe_devices():
        print(line)
    return 0
