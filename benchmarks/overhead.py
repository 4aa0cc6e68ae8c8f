"""Per-call overhead of the execute boundary: 4 qubits, forward and parameter-shift gradient.

Small circuits spend their time in QNode bookkeeping, not in simulation, so this is the number the
differentiation pipeline (tape recording, config resolution, adapters) must keep low.
Prints median milliseconds per call. Run: python benchmarks/overhead.py [--quick]
"""
from __future__ import annotations

import argparse

import numpy as np

import kettle as kt
from forward import median_ms  # the benchmarks' one timing rule (script folder on sys.path)
from kettle import numpy as knp


def make(diff_method, interface="auto"):
    dev = kt.device("default.qubit", wires=4)

    @kt.qnode(dev, diff_method=diff_method, interface=interface)
    def circuit(w):
        kt.StronglyEntanglingLayers(w, wires=range(4))
        return kt.expval(kt.PauliZ(0))

    return circuit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    reps = 20 if args.quick else 200
    shape = kt.StronglyEntanglingLayers.shape(2, 4)
    w = np.random.default_rng(0).uniform(0, 2 * np.pi, shape)
    wt = knp.array(w, requires_grad=True)
    rows = []
    c = make("parameter-shift")
    rows.append(("forward numpy", median_ms(lambda: c(w), reps)))
    rows.append(("param-shift grad autograd", median_ms(lambda: kt.grad(c)(wt), reps // 4)))
    c = make("adjoint")
    rows.append(("adjoint grad autograd", median_ms(lambda: kt.grad(c)(wt), reps // 2)))
    try:
        import torch

        c = make("parameter-shift")
        tw = torch.tensor(w, requires_grad=True)

        def torch_grad():
            c(tw).backward()

        rows.append(("param-shift grad torch", median_ms(torch_grad, reps // 4)))
        rows.append(("forward torch (no grad)",
                     median_ms(lambda: c(torch.tensor(w)), reps)))
    except ImportError:
        pass
    for name, ms in rows:
        print(f"4 qubits SEL(2)  {name:<28} {ms:8.3f} ms/call")


if __name__ == "__main__":
    main()
