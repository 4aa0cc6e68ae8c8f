"""Forward-pass timing: StronglyEntanglingLayers (2 layers), expval(PauliZ(0)), default.qubit.

Prints the median wall time per call in milliseconds. Run: python benchmarks/forward.py [--quick]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import kettle as kt


def median_ms(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def sel_circuit(n_wires: int, diff_method=None):
    """StronglyEntanglingLayers (2 layers) → expval(PauliZ(0)), and random weights for it."""
    dev = kt.device("default.qubit", wires=n_wires)

    @kt.qnode(dev, diff_method=diff_method)
    def circuit(w):
        kt.StronglyEntanglingLayers(w, wires=range(n_wires))
        return kt.expval(kt.PauliZ(0))

    shape = kt.StronglyEntanglingLayers.shape(2, n_wires)
    weights = np.random.default_rng(0).uniform(0, 2 * np.pi, shape)
    return circuit, weights


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    for n, reps in [(4, 200), (20, 5)]:
        if args.quick:
            reps = max(3, reps // 10)
        circuit, w = sel_circuit(n)
        ms = median_ms(lambda: circuit(w), reps)
        print(f"forward  SEL(2 layers) {n:2d} qubits  numpy  {ms:9.2f} ms/call (median of {reps})")


if __name__ == "__main__":
    main()
