"""Gradient timing: StronglyEntanglingLayers (2 layers), expval(PauliZ(0)), kt.grad per method.

Prints the median wall time per gradient in milliseconds. Run: python benchmarks/gradients.py [--quick]
"""
from __future__ import annotations

import argparse

import kettle as kt
from kettle import numpy as np

from forward import median_ms, sel_circuit


def sel_qnode(n_wires: int, method: str):
    circuit, weights = sel_circuit(n_wires, diff_method=method)
    return kt.grad(circuit), np.array(weights, requires_grad=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repeats, skip 20 qubits")
    args = parser.parse_args()
    cases = [(4, m, 50) for m in ("backprop", "adjoint", "parameter-shift", "finite-diff")]
    if not args.quick:
        cases.append((20, "adjoint", 3))
    for n, method, reps in cases:
        if args.quick:
            reps = max(3, reps // 10)
        g, w = sel_qnode(n, method)
        ms = median_ms(lambda: g(w), reps, warmup=1)
        print(f"grad  SEL(2 layers) {n:2d} qubits ({w.size:3d} params)  {method:<16} {ms:10.2f} ms "
              f"(median of {reps})")


if __name__ == "__main__":
    main()
