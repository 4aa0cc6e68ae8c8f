"""Value-and-gradient step time per interface: StronglyEntanglingLayers (2 layers, 4 qubits,
24 parameters), expval(PauliZ(0)). Prints the median milliseconds per step.

Run: python benchmarks/interfaces.py [--quick]
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

import kettle as kt
from forward import median_ms

N, LAYERS = 4, 2
W0 = np.random.default_rng(0).uniform(0, 2 * np.pi, (LAYERS, N, 3))


def qnode(method):
    dev = kt.device("default.qubit", wires=N)

    @kt.qnode(dev, diff_method=method)
    def circuit(w):
        kt.StronglyEntanglingLayers(w, wires=range(N))
        return kt.expval(kt.PauliZ(0))

    return circuit


def torch_step(method):
    import torch

    c = qnode(method)
    w = torch.tensor(W0, requires_grad=True)

    def step():
        w.grad = None
        y = c(w)
        y.backward()
        return y

    return step


def tf_step(method, graph=False):
    """Eager GradientTape steps; with ``graph`` the step is a tf.function (traced once)."""
    import tensorflow as tf

    c = qnode(method)
    w = tf.Variable(W0)

    def step():
        with tf.GradientTape() as tape:
            y = c(w)
        return y, tape.gradient(y, w)

    return tf.function(step) if graph else step


def tf_function_step(method):
    return tf_step(method, graph=True)


def jax_step(method):
    import jax

    jax.config.update("jax_enable_x64", True)
    f = jax.jit(jax.value_and_grad(qnode(method)))
    w = jax.numpy.asarray(W0)

    def step():
        value, grad = f(w)
        return grad.block_until_ready()

    return step


def autograd_step(method):
    from kettle import numpy as pnp

    g = kt.grad(qnode(method))
    w = pnp.array(W0)
    return lambda: g(w)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    reps = 10 if parser.parse_args().quick else 100
    cases = [("autograd", "backprop", autograd_step), ("autograd", "adjoint", autograd_step),
             ("torch", "backprop", torch_step), ("torch", "adjoint", torch_step),
             ("tf", "backprop", tf_step), ("tf", "adjoint", tf_step),
             ("tf.func", "backprop", tf_function_step), ("tf.func", "adjoint", tf_function_step),
             ("jax.jit", "backprop", jax_step), ("jax.jit", "adjoint", jax_step)]
    for name, method, make in cases:
        ms = median_ms(make(method), reps, warmup=3)
        print(f"value+grad  SEL({LAYERS} layers) {N} qubits  {name:<9} {method:<9} {ms:8.2f} ms/step")


if __name__ == "__main__":
    main()
