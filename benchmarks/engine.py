"""kettle's default.qubit against lightning.qubit and qsim on the same circuits (not a test).

Each library runs in its own subprocess, one workload at a time, the libraries alternating in
rounds; the table gives medians over all rounds and kettle's time as a ratio of each peer's.

    python benchmarks/engine.py [--rounds 3] [--only sel20,adjoint20] [--quick] [--load]
                                [--peer-python /work/benchvenv/bin/python]

Peers come from a separate environment (``pip install pennylane pennylane-lightning qsimcirq`` —
never kettle dependencies): ``--peer-python`` or ``KETTLE_BENCH_PEER_PYTHON``; a peer that is not
installed there is skipped. ``--load`` runs a CPU-bound process beside the benchmark (the loaded
run the issue asks for). Circuits, written out gate by gate in each library:

- SEL: Rot on every wire, then CNOT(i, i + r mod n), r = l mod (n − 1) + 1, per layer; expval(Z0).
- random: 200 gates (RX, RY, RZ, H; CNOT, CZ) on seeded random wires; expval(Z0).
- QFT ladder: H on each wire, controlled phases π/2^(j−i) for every j > i; expval(Z0).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np

#: name -> (kind, qubits, extra); kinds are interpreted by each library's worker below
WORKLOADS = {
    "sel4": ("sel", 4, 2), "sel12": ("sel", 12, 2), "sel16": ("sel", 16, 2),
    "sel20": ("sel", 20, 2), "sel22": ("sel", 22, 2), "sel24": ("sel", 24, 2),
    "random20": ("random", 20, 200), "qft20": ("qft", 20, 0),
    "adjoint12": ("adjoint", 12, 2), "adjoint16": ("adjoint", 16, 2),
    "adjoint20": ("adjoint", 20, 2),
    "shift4": ("shift", 4, 2), "shift12": ("shift", 12, 2),
    "counts1e6": ("counts", 10, 10 ** 6),
}
QUICK = ["sel4", "sel12", "sel20", "random20", "qft20", "adjoint12", "adjoint20", "shift4",
         "counts1e6"]
REPEATS = {4: 50, 10: 5, 12: 10, 16: 5, 20: 5, 22: 3, 24: 2}
#: calls after the first, not timed: a process's first calls at 20+ qubits also pay for the
#: operating system's first touch of fresh memory (on the benchmark VM, up to 100 ms for a 64 MB
#: state at 22 qubits, falling to a few ms over the next calls), for every library alike
WARMUP = 2
PEERS = {"kettle": None, "lightning": "pennylane_lightning", "qsim": "qsimcirq"}


def sel_weights(n, layers):
    return np.random.default_rng(0).uniform(0, 2 * np.pi, (layers, n, 3))


def sel_ranges(n, layers):
    return [(l % (n - 1) + 1) if n > 1 else 0 for l in range(layers)]


def random_spec(n, count):
    rng = np.random.default_rng(42)
    spec = []
    for _ in range(count):
        if rng.random() < 0.6:
            spec.append((["RX", "RY", "RZ", "H"][rng.integers(4)], [int(rng.integers(n))],
                         float(rng.uniform(0, 2 * np.pi))))
        else:
            a, b = rng.choice(n, 2, replace=False)
            spec.append((["CNOT", "CZ"][rng.integers(2)], [int(a), int(b)], 0.0))
    return spec


# ------------------------------------------------------------------------------ kettle worker
def kettle_workload(kind, n, extra):
    import kettle as kt
    from kettle import numpy as knp

    shots = extra if kind == "counts" else None
    dev = kt.device("default.qubit", wires=n, shots=shots, seed=1)

    def sel(w):
        for layer, r in enumerate(sel_ranges(n, w.shape[0])):
            for i in range(n):
                kt.Rot(w[layer, i, 0], w[layer, i, 1], w[layer, i, 2], wires=i)
            for i in range(n):
                kt.CNOT(wires=[i, (i + r) % n])

    if kind in ("sel", "adjoint", "shift"):
        method = {"sel": None, "adjoint": "adjoint", "shift": "parameter-shift"}[kind]

        @kt.qnode(dev, diff_method=method)
        def circuit(w):
            sel(w)
            return kt.expval(kt.PauliZ(0))

        w = sel_weights(n, extra)
        if kind == "sel":
            return lambda: circuit(w)
        wt = knp.array(w, requires_grad=True)
        g = kt.grad(circuit)
        return lambda: g(wt)
    if kind == "random":
        spec = random_spec(n, extra)
        gates = {"RX": kt.RX, "RY": kt.RY, "RZ": kt.RZ}

        @kt.qnode(dev)
        def circuit():
            for name, wires, x in spec:
                if name in gates:
                    gates[name](x, wires=wires)
                else:
                    {"H": kt.Hadamard, "CNOT": kt.CNOT, "CZ": kt.CZ}[name](wires=wires)
            return kt.expval(kt.PauliZ(0))
        return circuit
    if kind == "qft":
        @kt.qnode(dev)
        def circuit():
            for i in range(n):
                kt.Hadamard(wires=i)
                for j in range(i + 1, n):
                    kt.ControlledPhaseShift(math.pi / 2 ** (j - i), wires=[j, i])
            return kt.expval(kt.PauliZ(0))
        return circuit

    @kt.qnode(dev)
    def counts():
        for i in range(n):
            kt.Hadamard(wires=i)
            kt.RY(0.1 * i, wires=i)
        return kt.counts()
    return counts


# --------------------------------------------------------------------------- lightning worker
def lightning_workload(kind, n, extra):
    import pennylane as qml
    from pennylane import numpy as pnp

    shots = extra if kind == "counts" else None
    dev = qml.device("lightning.qubit", wires=n, shots=shots, seed=1) if shots else \
        qml.device("lightning.qubit", wires=n)

    def sel(w):
        for layer, r in enumerate(sel_ranges(n, w.shape[0])):
            for i in range(n):
                qml.Rot(w[layer, i, 0], w[layer, i, 1], w[layer, i, 2], wires=i)
            for i in range(n):
                qml.CNOT(wires=[i, (i + r) % n])

    if kind in ("sel", "adjoint", "shift"):
        method = {"sel": None, "adjoint": "adjoint", "shift": "parameter-shift"}[kind]

        @qml.qnode(dev, diff_method=method)
        def circuit(w):
            sel(w)
            return qml.expval(qml.PauliZ(0))

        w = sel_weights(n, extra)
        if kind == "sel":
            return lambda: circuit(w)
        wt = pnp.array(w, requires_grad=True)
        g = qml.grad(circuit)
        return lambda: g(wt)
    if kind == "random":
        spec = random_spec(n, extra)

        @qml.qnode(dev)
        def circuit():
            for name, wires, x in spec:
                if name in ("RX", "RY", "RZ"):
                    getattr(qml, name)(x, wires=wires)
                else:
                    {"H": qml.Hadamard, "CNOT": qml.CNOT, "CZ": qml.CZ}[name](wires=wires)
            return qml.expval(qml.PauliZ(0))
        return circuit
    if kind == "qft":
        @qml.qnode(dev)
        def circuit():
            for i in range(n):
                qml.Hadamard(wires=i)
                for j in range(i + 1, n):
                    qml.ControlledPhaseShift(math.pi / 2 ** (j - i), wires=[j, i])
            return qml.expval(qml.PauliZ(0))
        return circuit

    @qml.qnode(dev)
    def counts():
        for i in range(n):
            qml.Hadamard(wires=i)
            qml.RY(0.1 * i, wires=i)
        return qml.counts()
    return counts


# -------------------------------------------------------------------------------- qsim worker
def qsim_workload(kind, n, extra):
    if kind not in ("sel", "random", "qft"):
        return None
    import cirq
    import qsimcirq

    q = cirq.LineQubit.range(n)
    sim = qsimcirq.QSimSimulator(qsim_options={"t": os.cpu_count() or 1})
    z0 = [cirq.Z(q[0])]

    def run(build):
        return lambda: sim.simulate_expectation_values(cirq.Circuit(build()), observables=z0)

    if kind == "sel":
        w = sel_weights(n, extra)

        def build():
            for layer, r in enumerate(sel_ranges(n, w.shape[0])):
                for i in range(n):
                    phi, theta, omega = w[layer, i]
                    yield cirq.rz(phi)(q[i])
                    yield cirq.ry(theta)(q[i])
                    yield cirq.rz(omega)(q[i])
                for i in range(n):
                    yield cirq.CNOT(q[i], q[(i + r) % n])
        return run(build)
    if kind == "random":
        spec = random_spec(n, extra)
        one = {"RX": cirq.rx, "RY": cirq.ry, "RZ": cirq.rz}

        def build():
            for name, wires, x in spec:
                if name in one:
                    yield one[name](x)(q[wires[0]])
                elif name == "H":
                    yield cirq.H(q[wires[0]])
                else:
                    yield {"CNOT": cirq.CNOT, "CZ": cirq.CZ}[name](q[wires[0]], q[wires[1]])
        return run(build)

    def build():
        for i in range(n):
            yield cirq.H(q[i])
            for j in range(i + 1, n):
                yield cirq.CZPowGate(exponent=1 / 2 ** (j - i))(q[j], q[i])
    return run(build)


def worker(lib: str, name: str, repeats: int) -> None:
    kind, n, extra = WORKLOADS[name]
    make = {"kettle": kettle_workload, "lightning": lightning_workload, "qsim": qsim_workload}[lib]
    t0 = time.perf_counter()
    fn = make(kind, n, extra)
    if fn is None:
        print(json.dumps(None))
        return
    fn()  # first call: compilation and caches, reported apart
    first = time.perf_counter() - t0
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    print(json.dumps({"first": first, "times": times}))


# ------------------------------------------------------------------------------------ driver
def _available(python: str, module: str) -> bool:
    probe = [python, "-c", f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"]
    return subprocess.run(probe, capture_output=True).returncode == 0


def _run_worker(python, lib, name, repeats, env):
    cmd = [python, os.path.abspath(__file__), "--worker", lib, name, "--repeats", str(repeats)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600)
    if out.returncode != 0:
        print(f"  {lib} {name} failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def _burn() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", nargs=2, metavar=("LIB", "WORKLOAD"))
    ap.add_argument("--repeats", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--load", action="store_true", help="run a CPU-bound process alongside")
    ap.add_argument("--peer-python", default=os.environ.get("KETTLE_BENCH_PEER_PYTHON", ""))
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], args.repeats)
        return
    names = args.only.split(",") if args.only else (QUICK if args.quick else list(WORKLOADS))
    pythons = {"kettle": sys.executable}
    for lib, module in PEERS.items():
        if module and args.peer_python and _available(args.peer_python, module):
            pythons[lib] = args.peer_python
        elif module:
            print(f"# {lib}: not installed in the peer environment ({args.peer_python or 'none given'}); skipped")
    env = dict(os.environ)
    burner = _burn() if args.load else None
    try:
        results = {name: {lib: [] for lib in pythons} for name in names}
        firsts = {name: {} for name in names}
        for rnd in range(args.rounds):
            for name in names:
                n = WORKLOADS[name][1]
                reps = args.repeats or REPEATS.get(n, 3)
                order = list(pythons) if rnd % 2 == 0 else list(reversed(list(pythons)))
                for lib in order:
                    res = _run_worker(pythons[lib], lib, name, reps, env)
                    if res:
                        results[name][lib].extend(res["times"])
                        firsts[name].setdefault(lib, res["first"])
    finally:
        if burner is not None:
            burner.kill()
    libs = list(pythons)
    print(f"\n| workload | {' | '.join(libs)} | " + " | ".join(f"kettle/{p}" for p in libs[1:]) + " |")
    print("|---" * (1 + len(libs) + len(libs) - 1) + "|")
    for name in names:
        med = {lib: statistics.median(t) if t else None for lib, t in results[name].items()}
        cells = [_fmt(med[lib]) for lib in libs]
        ratios = [f"{med['kettle'] / med[p]:.2f}" if med.get(p) and med.get("kettle") else "—"
                  for p in libs[1:]]
        print(f"| {name} | {' | '.join(cells)} | {' | '.join(ratios)} |")
    print("\nfirst call (s, includes imports and compilation): " + "; ".join(
        f"{name}: " + ", ".join(f"{lib} {t:.2f}" for lib, t in firsts[name].items()) for name in names))


def _fmt(seconds):
    if seconds is None:
        return "—"
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


if __name__ == "__main__":
    main()
