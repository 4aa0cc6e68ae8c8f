"""A 6-qubit VQE loop of 10 Adam steps (optax): compiled whole with ``kt.qjit`` against eager JAX.

The circuit is StronglyEntanglingLayers (2 layers, 36 parameters) on 6 qubits; the cost is the
expectation of a transverse-field Ising Hamiltonian (5 ZZ and 6 X terms). The compiled program
holds the whole optimization (``kt.for_loop`` over ``kt.value_and_grad`` and optax's update);
the eager loop runs the same Python code op by op. Prints, per diff method, the compile time (first
call minus a compiled run), the median time per compiled run of the 10 steps, the median time of
the eager loop, and their ratio; and checks the two loops reach the same energies.

With ``--loops`` it instead compares a layered 8-qubit circuit written with ``kt.for_loop`` inside
the QNode against the same circuit unrolled by a Python loop: compile time and time per compiled
value-and-gradient call, for several layer counts.

Run: python benchmarks/qjit.py [--quick] [--methods backprop adjoint parameter-shift] [--loops]
"""
from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import kettle as kt
from forward import median_ms

jax.config.update("jax_enable_x64", True)

N_WIRES, LAYERS, STEPS = 6, 2, 10


def hamiltonian():
    coeffs = [1.0] * (N_WIRES - 1) + [0.5] * N_WIRES
    obs = [kt.PauliZ(i) @ kt.PauliZ(i + 1) for i in range(N_WIRES - 1)]
    obs += [kt.PauliX(i) for i in range(N_WIRES)]
    return kt.Hamiltonian(coeffs, obs)


def make_train(method: str):
    """(the training loop as a Python function of the initial weights, the initial weights)."""
    dev = kt.device("default.qubit", wires=N_WIRES)
    H = hamiltonian()

    @kt.qnode(dev, diff_method=method)
    def cost(w):
        kt.StronglyEntanglingLayers(w, wires=range(N_WIRES))
        return kt.expval(H)

    opt = optax.adam(0.1)

    def train(w):
        @kt.for_loop(0, STEPS, 1)
        def step(i, w, state, energies):
            energy, g = kt.value_and_grad(cost)(w)
            updates, state = opt.update(g, state)
            return optax.apply_updates(w, updates), state, energies.at[i].set(energy)

        w, _, energies = step(w, opt.init(w), jnp.zeros(STEPS))
        return w, energies

    shape = kt.StronglyEntanglingLayers.shape(LAYERS, N_WIRES)
    w0 = jnp.asarray(np.random.default_rng(0).uniform(0, 2 * np.pi, shape))
    return train, w0


def run(method: str, repeats: int) -> dict:
    train, w0 = make_train(method)
    compiled = kt.qjit(train)
    t0 = time.perf_counter()
    jax.block_until_ready(compiled(w0))
    first = time.perf_counter() - t0
    compiled_ms = median_ms(lambda: jax.block_until_ready(compiled(w0)), repeats, warmup=1)
    eager_ms = median_ms(lambda: jax.block_until_ready(train(w0)), max(1, repeats // 5), warmup=1)
    _, e_compiled = compiled(w0)
    _, e_eager = train(w0)
    np.testing.assert_allclose(e_compiled, e_eager, atol=1e-8)
    return {"compile_s": first - compiled_ms / 1e3, "compiled_ms": compiled_ms,
            "eager_ms": eager_ms, "traces": compiled.compiled_count,
            "energies": (float(e_compiled[0]), float(e_compiled[-1]))}


LOOP_WIRES = 8


def layered(structured: bool, layers: int):
    """value_and_grad of a layered circuit (one RY and one CNOT per wire and layer)."""
    dev = kt.device("default.qubit", wires=LOOP_WIRES)

    @kt.qnode(dev, diff_method="backprop")
    def circuit(w):
        def layer(i):
            for q in range(LOOP_WIRES):
                kt.RY(w[i, q], wires=q)
            for q in range(LOOP_WIRES):
                kt.CNOT(wires=[q, (q + 1) % LOOP_WIRES])

        if structured:
            kt.for_loop(0, layers, 1)(layer)()
        else:
            for i in range(layers):
                layer(i)
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(LOOP_WIRES - 1))

    return kt.qjit(kt.value_and_grad(circuit))


def loops(repeats: int) -> None:
    print(f"layered circuit, {LOOP_WIRES} qubits, value and gradient by backprop "
          f"({jax.default_backend()})")
    print(f"{'layers':>7} {'form':>10} {'compile s':>10} {'run ms':>8} {'program kB':>11}")
    for layers in (10, 50, 200):
        w = jnp.asarray(np.random.default_rng(1).uniform(0, 2 * np.pi, (layers, LOOP_WIRES)))
        results = []
        for structured in ((True, False) if layers <= 50 else (True,)):  # 200 unrolled: minutes
            f = layered(structured, layers)
            size = len(f.lower(w).as_text()) / 1e3
            t0 = time.perf_counter()
            jax.block_until_ready(f(w))
            first = time.perf_counter() - t0
            ms = median_ms(lambda: jax.block_until_ready(f(w)), repeats, warmup=1)
            results.append(f(w))
            form = "for_loop" if structured else "unrolled"
            print(f"{layers:7d} {form:>10} {first - ms / 1e3:10.2f} {ms:8.2f} {size:11.0f}")
        for other in results[1:]:
            np.testing.assert_allclose(results[0][0], other[0], atol=1e-10)
            np.testing.assert_allclose(results[0][1], other[1], atol=1e-10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--methods", nargs="+", default=["backprop", "adjoint", "parameter-shift"])
    parser.add_argument("--loops", action="store_true",
                        help="kt.for_loop inside a QNode against the unrolled circuit")
    args = parser.parse_args()
    repeats = 5 if args.quick else 20
    if args.loops:
        loops(repeats)
        return
    print(f"VQE: {N_WIRES} qubits, StronglyEntanglingLayers x{LAYERS}, {STEPS} Adam steps "
          f"({jax.default_backend()})")
    print(f"{'method':>16} {'compile s':>10} {'compiled ms':>12} {'eager ms':>10} {'speed-up':>9}"
          f"   energy first -> last")
    for method in args.methods:
        r = run(method, repeats)
        print(f"{method:>16} {r['compile_s']:10.2f} {r['compiled_ms']:12.2f} {r['eager_ms']:10.1f} "
              f"{r['eager_ms'] / r['compiled_ms']:8.1f}x   {r['energies'][0]:.4f} -> "
              f"{r['energies'][1]:.4f}")


if __name__ == "__main__":
    main()
