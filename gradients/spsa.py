"""SPSA gradients: simultaneous random perturbation of all parameters (two circuits per sample)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from kettle.core.tape import QuantumTape
from kettle.gradients import rules
from kettle.gradients.transform import check_differentiable, gradient_transform, per_shot_entry


@gradient_transform
def spsa_grad(tape: QuantumTape, argnum: Sequence[int] | None = None, h: float = 1e-5,
              num_directions: int = 1, sampler_rng=None):
    """Stochastic estimate of the Jacobian from random ±1 directions Δ:
    ∂f/∂θ_t ≈ mean over directions of [f(θ + hΔ) − f(θ − hΔ)] / (2h) · Δ_t.

    Args:
        h: perturbation size. num_directions: number of random directions averaged.
        sampler_rng: seed or ``numpy.random.Generator`` for the directions.
    """
    check_differentiable(tape, "spsa", {})
    rng = sampler_rng if isinstance(sampler_rng, np.random.Generator) else np.random.default_rng(sampler_rng)
    n = len(tape.trainable_params)
    selected = list(range(n)) if argnum is None else [int(a) for a in argnum]
    params = tape.get_parameters()
    idx = [tape.trainable_params[t] for t in selected]
    directions = []
    tapes = []
    for _ in range(num_directions):
        delta = rng.choice([-1.0, 1.0], size=len(selected))
        directions.append(delta)
        for sign in (1, -1):
            new = [params[t] + sign * h * d for t, d in zip(selected, delta)]
            tapes.append(tape.bind_new_parameters(new, idx))

    def processing(results):
        out = []
        for k in range(len(tape.measurements)):
            diffs = [rules.combine([0.5 / h, -0.5 / h], [results[2 * j][k], results[2 * j + 1][k]])
                     for j in range(num_directions)]
            row = []
            for t in range(n):
                if t not in selected:
                    row.append(0 * diffs[0])
                    continue
                pos = selected.index(t)
                row.append(rules.combine([d[pos] / num_directions for d in directions], diffs))
            out.append(tuple(row))
        return tuple(out)

    return tapes, per_shot_entry(tape, processing)
