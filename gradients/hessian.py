"""Second derivatives by applying the parameter-shift rule twice."""
from __future__ import annotations

from typing import Sequence

import autoray as ar

from kettle.core.tape import QuantumTape
from kettle.errors import NonDifferentiableError
from kettle.gradients import rules
from kettle.gradients.param_shift import _UNSUPPORTED, frequencies_of
from kettle.gradients.transform import check_differentiable, gradient_transform, per_shot_entry
from kettle.core import measurements as m


@gradient_transform
def param_shift_hessian(tape: QuantumTape, argnum: Sequence[int] | None = None):
    """Hessian of expval/probs measurements: ∂²f/∂θ_i∂θ_j = Σ_μ Σ_ν c_μ c_ν f(θ + x_μ e_i + x_ν e_j).

    Returns ``(tapes, fn)``; ``fn`` gives, per measurement, an array of shape
    ``measurement shape + (P, P)``.
    """
    check_differentiable(tape, "param_shift_hessian", _UNSUPPORTED)
    for mp in tape.measurements:
        if not isinstance(mp, (m.ExpectationMP, m.ProbabilityMP, m.DensityMatrixMP)):
            raise NonDifferentiableError(
                f"param_shift_hessian supports expval, probs and density_matrix (linear in the "
                f"state); {mp.return_type}() is not")
    n = len(tape.trainable_params)
    selected = list(range(n)) if argnum is None else [int(a) for a in argnum]
    recipes = {}
    for t in selected:
        freqs = frequencies_of(tape, t)
        if freqs is None:
            op = tape.get_operation(t)[0]
            raise NonDifferentiableError(f"param_shift_hessian needs shift rules; {op.name} has none")
        recipes[t] = rules.shift_rule(freqs)
    params = tape.get_parameters()
    tapes, blocks = [], {}
    for a, i in enumerate(selected):
        for j in selected[a:]:
            ci, xi = recipes[i]
            cj, xj = recipes[j]
            start, coeffs = len(tapes), []
            for c1, x1 in zip(ci, xi):
                for c2, x2 in zip(cj, xj):
                    if i == j:
                        new = tape.bind_new_parameters([params[i] + x1 + x2], [tape.trainable_params[i]])
                    else:
                        new = tape.bind_new_parameters([params[i] + x1, params[j] + x2],
                                                       [tape.trainable_params[i], tape.trainable_params[j]])
                    tapes.append(new)
                    coeffs.append(c1 * c2)
            blocks[(i, j)] = (start, coeffs)

    def processing(results):
        out = []
        for k in range(len(tape.measurements)):
            ref = results[0][k]
            rows = []
            for i in range(n):
                row = []
                for j in range(n):
                    key = (min(i, j), max(i, j)) if (min(i, j), max(i, j)) in blocks else None
                    if key is None:
                        row.append(0 * ref)
                        continue
                    start, coeffs = blocks[key]
                    row.append(rules.combine(coeffs, [results[start + q][k] for q in range(len(coeffs))]))
                rows.append(ar.do("stack", row, axis=-1, like=ref))
            out.append(ar.do("stack", rows, axis=-1, like=ref))
        return out[0] if len(out) == 1 else tuple(out)

    return tapes, per_shot_entry(tape, processing)


#: applied to a QNode, the chain rule to its arguments is the second-order one
param_shift_hessian.derivative_order = 2
