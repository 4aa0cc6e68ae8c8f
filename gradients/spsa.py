"""SPSA gradients: simultaneous random perturbation of all parameters (two circuits per sample)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from kettle.core import measurements as m
from kettle.core.diff_methods import DiffMethod, register
from kettle.core.tape import QuantumTape
from kettle.gradients import rules
from kettle.gradients.finite_diff import shot_step
from kettle.gradients.transform import check_differentiable, gradient_transform, per_shot_entry


@gradient_transform
def spsa_grad(tape: QuantumTape, argnum: Sequence[int] | None = None, h: float | None = None,
              num_directions: int = 1, sampler_rng=None):
    """Stochastic estimate of the Jacobian from random ±1 directions Δ:
    ∂f/∂θ_t ≈ mean over directions of [f(θ + hΔ) − f(θ − hΔ)] / (2h) · Δ_t.

    Args:
        h: perturbation size; default 1e-5 for exact simulation and, with finite shots, the
            central-difference step that balances shot noise (see ``finite_diff.shot_step``).
        num_directions: number of random directions averaged (a positive integer).
        sampler_rng: seed or ``numpy.random.Generator`` for the directions.
    """
    if h is None:
        h = 1e-5 if tape.shots.analytic else shot_step(min(tape.shots.vector), 2)
    if not (isinstance(h, (int, float)) and not isinstance(h, bool) and h > 0):
        raise ValueError(f"SPSA step h must be a positive number, got {h!r}")
    if isinstance(num_directions, bool) or not isinstance(num_directions, int) or num_directions < 1:
        raise ValueError(f"num_directions must be a positive integer, got {num_directions!r}")
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


register(DiffMethod(
    name="spsa", rank=5, transform=spsa_grad, options=frozenset({"h", "num_directions",
                                                                 "sampler_rng"}),
    measurements=(m.ExpectationMP, m.ProbabilityMP, m.VarianceMP, m.VnEntropyMP, m.MutualInfoMP,
                  m.PurityMP, m.StateMP, m.DensityMatrixMP),
    stochastic=True, summary="simultaneous perturbation stochastic approximation"))
