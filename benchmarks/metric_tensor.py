"""Full metric tensor timing: StronglyEntanglingLayers (2 layers), kt.metric_tensor(approx=None).

Prints the median wall time per call of the full metric in milliseconds for each strategy: "adjoint"
(one sweep with the device's kernel), "state" (autograd Jacobian of the simulated state) and
"circuits" (layer covariances plus compute-uncompute fidelity circuits; not run at 10 qubits, where
it takes minutes per call). Run: python benchmarks/metric_tensor.py [--quick]
"""
from __future__ import annotations

import argparse

import numpy as onp

import kettle as kt
from kettle import numpy as np

from forward import median_ms


def sel_metric(n_wires: int, strategy: str):
    dev = kt.device("default.qubit", wires=n_wires)

    @kt.qnode(dev)
    def circuit(w):
        kt.StronglyEntanglingLayers(w, wires=range(n_wires))
        return kt.expval(kt.PauliZ(0))

    shape = kt.StronglyEntanglingLayers.shape(2, n_wires)
    weights = np.array(onp.random.default_rng(0).uniform(0, 2 * onp.pi, shape))
    return kt.metric_tensor(circuit, approx=None, strategy=strategy), weights


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats; only the strategies that take under a few seconds")
    args = parser.parse_args()
    # "circuits" at 10 qubits needs ~7000 fidelity circuits of ~200 gates each: minutes per call
    cases = [(6, "adjoint", 20), (6, "state", 5), (6, "circuits", 1),
             (10, "adjoint", 10), (10, "state", 1)]
    if args.quick:
        cases = [(n, s, max(1, r // 5)) for n, s, r in cases
                 if s == "adjoint" or (n, s) == (6, "state")]
    reference = {}
    for n, strategy, reps in cases:
        metric, w = sel_metric(n, strategy)
        g = metric(w)  # also the warm-up call
        reference.setdefault(n, g)
        err = float(onp.max(onp.abs(g - reference[n])))
        ms = median_ms(lambda: metric(w), reps, warmup=0)
        print(f"metric  SEL(2 layers) {n:2d} qubits ({w.size:3d} params)  {strategy:<9} "
              f"{ms:10.1f} ms (median of {reps}; max |g - g_adjoint| = {err:.1e})")


if __name__ == "__main__":
    main()
