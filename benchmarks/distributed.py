"""Distributed parameter-shift gradients: serial, a process pool, and Dask with 1 and 2 workers.

A 16-qubit circuit with 100 parameters (RY/RZ layers and CNOT ladders, expval(Z0 Z1)): its
parameter-shift gradient is 200 circuits, one batch through ``kettle.devices.dispatch.execute`` (the
path of every QNode gradient). Also measured: the overhead of one task (a 1-qubit circuit per task:
submission, pickling, the scheduler's round trip) and the payload of one tape.

Run: python benchmarks/distributed.py [--wires 16] [--params 100] [--repeats 2] [--quick]
(``--quick``: 10 wires, 40 parameters, one repeat: checks that everything runs.)
The printed figures feed the cost model in docs/distributed.md.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import pickle
import sys
import time

# this file's name is the Dask package's: keep its folder off the import path
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import numpy as np  # noqa: E402

import kettle as kt  # noqa: E402
from kettle.devices import dispatch  # noqa: E402


def circuit_tape(n_wires: int, n_params: int) -> kt.QuantumTape:
    rng = np.random.default_rng(0)
    theta = rng.uniform(0, 2 * np.pi, n_params)
    with kt.QuantumTape() as tape:
        k = 0
        while k < n_params:
            for w in range(n_wires):
                if k == n_params:
                    break
                (kt.RY if (k // n_wires) % 2 == 0 else kt.RZ)(theta[k], wires=w)
                k += 1
            for w in range(n_wires - 1):
                kt.CNOT(wires=[w, w + 1])
        kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))
    return tape


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def gradient(dev, tape):
    tapes, post = kt.gradients.param_shift(tape)
    return np.ravel(post(dispatch.execute(dev, tapes)))


def task_overhead(executor, n_tasks: int = 100) -> float:
    """Seconds per task of tiny one-tape tasks (one per task), beyond the simulation itself."""
    with kt.QuantumTape() as tiny:
        kt.RX(0.1, wires=0)
        kt.expval(kt.PauliZ(0))
    dev = kt.device("default.qubit", wires=1, executor=executor, chunk_size=1, progress=False)
    dispatch.execute(dev, [tiny] * 4)  # warm: workers import kettle and build the device
    t0 = time.perf_counter()
    dispatch.execute(dev, [tiny] * n_tasks)
    elapsed = time.perf_counter() - t0
    serial = best_of(lambda: kt.device("default.qubit", wires=1).execute([tiny] * n_tasks), 3)[0]
    return (elapsed - serial) / n_tasks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wires", type=int, default=16)
    parser.add_argument("--params", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.wires, args.params, args.repeats = 10, 40, 1
    os.environ.setdefault("KETTLE_PROGRESS", "0")
    tape = circuit_tape(args.wires, args.params)
    n_circuits = 2 * args.params
    print(f"parameter-shift gradient: {args.wires} qubits, {args.params} parameters, "
          f"{n_circuits} circuits; best of {args.repeats}")

    serial_dev = kt.device("default.qubit", wires=args.wires)
    t_serial, ref = best_of(lambda: gradient(serial_dev, tape), args.repeats)
    per_circuit = t_serial / n_circuits
    print(f"  serial                      {t_serial:8.2f} s   ({per_circuit * 1e3:.1f} ms per circuit)")

    def serial_again() -> float:
        # the machine is shared: a serial run next to each distributed one keeps ratios honest
        return best_of(lambda: gradient(serial_dev, tape), args.repeats)[0]

    rows = []
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        dev = kt.device("default.qubit", wires=args.wires, executor=pool)
        gradient(dev, circuit_tape(args.wires, 2))  # start the worker processes
        t, g = best_of(lambda: gradient(dev, tape), args.repeats)
        assert np.allclose(g, ref, atol=1e-12, rtol=0)
        rows.append(("process pool, 2 workers", t, serial_again(), task_overhead(pool)))

    from distributed import Client, LocalCluster

    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster) as client:
            dev = kt.device("default.qubit", wires=args.wires, executor=client)
            gradient(dev, circuit_tape(args.wires, 2))
            t, g = best_of(lambda: gradient(dev, tape), args.repeats)
            assert np.allclose(g, ref, atol=1e-12, rtol=0)
            t0 = time.perf_counter()
            for _ in range(20):
                client.submit(int, 1, pure=False).result()
            round_trip = (time.perf_counter() - t0) / 20
            rows.append((f"Dask, {workers} worker{'s' * (workers > 1)}", t, serial_again(),
                         task_overhead(client)))
            print(f"  (Dask scheduler round trip of one tiny task: {round_trip * 1e3:.2f} ms)")
    for name, t, t_next, overhead in rows:
        print(f"  {name:<27} {t:8.2f} s   (serial next to it {t_next:6.2f} s: speed-up "
              f"{t_next / t:4.2f}x)   overhead per task {overhead * 1e3:6.2f} ms")

    tapes, _ = kt.gradients.param_shift(tape)
    spec = dispatch.spec_of(serial_dev)
    one = len(pickle.dumps((spec, tapes[:1], [None], [0])))
    chunk = len(pickle.dumps((spec, tapes[:25], [None] * 25, list(range(25)))))
    print(f"  payload: {one} bytes for a task of one tape, {chunk} bytes for 25 tapes "
          f"({(chunk - one) / 24:.0f} bytes per extra tape); result: "
          f"{len(pickle.dumps(serial_dev.execute(tapes[:1])))} bytes per tape")


if __name__ == "__main__":
    main()
