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

With ``--catalyst`` it runs ``qjit(value_and_grad(circuit))`` side by side with Catalyst
(``pennylane-catalyst`` on lightning.qubit, installed in its own venv, default ``/work/catvenv``:
it pins its own jax and is never a kettle dependency), each library in its own process, for
StronglyEntanglingLayers circuits measured in ⟨Z0 Z1⟩; both sides compute in float64 (kettle by
kt.qjit's default, with JAX's default configuration). Prints compile time (first call minus a
compiled call) and median time per call, and their ratios, and apart from them each library's load
time (Catalyst's imports; kettle's compiled engine's first load, numba included).

Run: python benchmarks/qjit.py [--quick] [--methods backprop adjoint parameter-shift] [--loops]
     python benchmarks/qjit.py --catalyst [--catalyst-python /work/catvenv/bin/python] [--quick]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np

try:  # the Catalyst worker runs in Catalyst's venv, without kettle or optax
    import optax

    import kettle as kt
except ImportError:
    kt = optax = None


def median_ms(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)

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


# ------------------------------------------------------------------ side by side with Catalyst

#: (qubits, StronglyEntanglingLayers layers, diff method) of the side-by-side comparison.
CASES = [(6, 2, "adjoint"), (6, 2, "parameter-shift"), (6, 2, "backprop"), (12, 2, "adjoint"),
         (12, 2, "parameter-shift"), (16, 2, "adjoint"), (6, 20, "adjoint"), (6, 20, "backprop")]


def _weights(n_wires: int, layers: int):
    return np.random.default_rng(7).uniform(0, 2 * np.pi, (layers, n_wires, 3))


def _kettle_case(n_wires: int, layers: int, method: str):
    dev = kt.device("default.qubit", wires=n_wires)

    @kt.qnode(dev, diff_method=method)
    def circuit(w):
        kt.StronglyEntanglingLayers(w, wires=range(n_wires))
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    return kt.qjit(kt.value_and_grad(circuit)), _weights(n_wires, layers)


def _catalyst_case(n_wires: int, layers: int, method: str):
    import catalyst
    import pennylane as qml

    dev = qml.device("lightning.qubit", wires=n_wires)

    @qml.qnode(dev, diff_method=method)
    def circuit(w):
        qml.StronglyEntanglingLayers(w, wires=range(n_wires))
        return qml.expval(qml.PauliZ(0) @ qml.PauliZ(1))

    return qml.qjit(catalyst.value_and_grad(circuit)), jnp.asarray(_weights(n_wires, layers))


def worker(side: str, n_wires: int, layers: int, method: str, repeats: int) -> dict:
    """Compile and time one case in this process; the result as a dict (printed as JSON)."""
    make = _kettle_case if side == "kettle" else _catalyst_case
    # loading the libraries is not compile time, and is reported apart: for Catalyst its imports
    # (its runtime comes with them), for kettle (imported at this module's top) the compiled
    # engine's first load (numba's import and a first cached kernel), which a program that never
    # reaches the engine (backprop) skips
    t = time.perf_counter()
    if side == "catalyst":
        import catalyst  # noqa: F401
        import pennylane  # noqa: F401
    elif method != "backprop":
        from kettle.devices.engine import config

        config.available()
    load = time.perf_counter() - t
    t0 = time.perf_counter()
    f, w = make(n_wires, layers, method)
    value, grad = jax.block_until_ready(f(w))
    first = time.perf_counter() - t0
    call_ms = median_ms(lambda: jax.block_until_ready(f(w)), repeats, warmup=1)
    return {"compile_s": first - call_ms / 1e3, "call_ms": call_ms, "load_s": load,
            "value": float(value),
            "grad_norm": float(np.linalg.norm(np.asarray(grad))),
            "dtype": str(np.asarray(value).dtype)}


def _run_worker(python: str, side: str, case: tuple, repeats: int) -> dict | None:
    env = dict(os.environ)
    if side == "catalyst":
        env.pop("PYTHONPATH", None)  # Catalyst's venv never sees kettle
    cmd = [python, os.path.abspath(__file__), "--worker", side, json.dumps(list(case)),
           "--repeats", str(repeats)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    if done.returncode != 0:
        print(f"  {side} {case}: failed: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def side_by_side(python: str, repeats: int, cases=CASES) -> None:
    print("qjit(value_and_grad(circuit)), StronglyEntanglingLayers -> expval(Z0 Z1), float64; "
          f"Catalyst on lightning.qubit ({python})")
    print(f"{'case':>26} {'kettle compile':>15} {'Catalyst':>9} {'ratio':>6} "
          f"{'kettle call':>12} {'Catalyst':>9} {'ratio':>6} {'load: kettle':>13} {'Catalyst':>9}")
    for case in cases:
        n_wires, layers, method = case
        ours = _run_worker(sys.executable, "kettle", case, repeats)
        if ours is None:
            continue
        theirs = (_run_worker(python, "catalyst", case, repeats) if method != "backprop"
                  else None)  # Catalyst differentiates QNodes by adjoint or parameter-shift
        label = f"{n_wires}q {layers}L {method}"
        if theirs is None:
            print(f"{label:>26} {ours['compile_s']:14.2f}s {'—':>9} {'':>6} "
                  f"{ours['call_ms']:10.2f}ms {'—':>9} {'':>6} {ours['load_s']:12.2f}s")
            continue
        if abs(ours["value"] - theirs["value"]) > 1e-8 or \
                abs(ours["grad_norm"] - theirs["grad_norm"]) > 1e-8:
            print(f"  {label}: results differ: {ours} vs {theirs}")
        print(f"{label:>26} {ours['compile_s']:14.2f}s {theirs['compile_s']:8.2f}s "
              f"{ours['compile_s'] / theirs['compile_s']:5.2f}x {ours['call_ms']:10.2f}ms "
              f"{theirs['call_ms']:7.2f}ms {ours['call_ms'] / theirs['call_ms']:5.2f}x "
              f"{ours['load_s']:12.2f}s {theirs['load_s']:8.2f}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--methods", nargs="+", default=["backprop", "adjoint", "parameter-shift"])
    parser.add_argument("--loops", action="store_true",
                        help="kt.for_loop inside a QNode against the unrolled circuit")
    parser.add_argument("--catalyst", action="store_true",
                        help="side by side with Catalyst, each library in its own process")
    parser.add_argument("--catalyst-python", default="/work/catvenv/bin/python",
                        help="the Python of a venv with pennylane-catalyst")
    parser.add_argument("--worker", nargs=2, metavar=("SIDE", "CASE"), help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cases", type=json.loads, default=None,
                        help='side-by-side cases as JSON, e.g. \'[[6, 2, "adjoint"]]\'')
    args = parser.parse_args()
    repeats = args.repeats or (5 if args.quick else 20)
    if args.worker:
        side, case = args.worker[0], json.loads(args.worker[1])
        print(json.dumps(worker(side, *case, repeats)))
        return
    if args.catalyst:
        side_by_side(args.catalyst_python, repeats,
                     [tuple(c) for c in args.cases] if args.cases else CASES)
        return
    jax.config.update("jax_enable_x64", True)  # the eager loops below compare in float64
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
