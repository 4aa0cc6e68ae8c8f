"""Finite-difference gradients: forward, backward or central stencils of any order."""
from __future__ import annotations

from typing import Sequence

from kettle.core import measurements as m
from kettle.core import qmath
from kettle.core.diff_methods import DiffMethod, register
from kettle.core.tape import QuantumTape
from kettle.gradients import rules
from kettle.gradients.transform import check_differentiable, gradient_transform, per_shot_entry

DEFAULT_H = 1e-7
#: default step when finite differences are nested for second derivatives (``max_diff=2``): the
#: round-off of a nested difference grows like ε/h², so the step that balances it against the
#: truncation error is about ε^(1/4) ≈ 1e-4 in float64, not the first-order 1e-7 (which gives
#: Hessians wrong by a few percent).
SECOND_ORDER_H = 1e-4


def shot_step(shots: int, approx_order: int) -> float:
    """Default step with finite shots: (2/shots)^(1/(2(k+1))) for truncation order k.

    Shot noise in a difference quotient grows like 1/(h·√shots) while the truncation error grows
    like h^k; this step balances the two (for unit-scale derivatives). At 1e-7 the noise would be
    ~1e5 times the signal. 10⁴ shots: h = 0.12 (forward), 0.24 (central).
    """
    return (2.0 / shots) ** (1.0 / (2 * (approx_order + 1)))


#: default step when some parameter stays in single precision (JAX without ``jax_enable_x64``):
#: 1e-7 is below float32's resolution; about √ε₃₂ balances round-off against truncation.
LOW_PRECISION_H = 1e-3
_LOW = ("float16", "bfloat16", "float32")


def _widened(p):
    """Single-precision values as float64, in their own framework: a step of h ~ 1e-7 is lost in
    float32 rounding, and one float32 parameter anywhere makes the whole simulation complex64
    (adapters cast the Jacobian back to the parameters' dtype). JAX without ``jax_enable_x64``
    cannot widen: those stay, and the default step grows to :data:`LOW_PRECISION_H`."""
    return qmath.widen(p)


@gradient_transform
def finite_diff(tape: QuantumTape, argnum: Sequence[int] | None = None, h: float | None = None,
                approx_order: int = 1, strategy: str = "forward", f0=None):
    """Finite-difference Jacobian of a tape.

    Args:
        tape: the circuit; its ``trainable_params`` are differentiated.
        argnum: indices (into the trainable parameters) to differentiate; others get zeros.
        h: step size; default ``DEFAULT_H`` (1e-7) for exact simulation, and
            :func:`shot_step` of the smallest shot count when the tape has finite shots.
        approx_order: order of the truncation error (1 or 2; central differences are 2nd order).
        strategy: "forward", "backward" or "center".
        f0: results of the unshifted tape, if already known.

    Returns:
        ``(tapes, fn)``.
    """
    every = tape.get_parameters(trainable_only=False)
    wide = [_widened(p) for p in every]
    if any(w is not p for w, p in zip(wide, every)):
        tape = tape.bind_new_parameters(wide, range(len(every)))
    if h is None:
        if not tape.shots.analytic:
            h = shot_step(min(tape.shots.vector), approx_order)
        elif any(qmath.dtype_name(p) in _LOW for p in wide if not isinstance(p, (int, float))):
            h = LOW_PRECISION_H
        else:
            h = DEFAULT_H
    if not (isinstance(h, (int, float)) and h > 0):
        raise ValueError(f"finite-difference step h must be a positive number, got {h!r}")
    check_differentiable(tape, "finite-diff", {})
    coeffs, steps = rules.finite_diff_stencil(int(approx_order), strategy)
    n = len(tape.trainable_params)
    selected = list(range(n)) if argnum is None else [int(a) for a in argnum]
    needs_f0 = 0 in steps and f0 is None
    params = tape.get_parameters()
    tapes: list[QuantumTape] = [tape] if needs_f0 else []
    slots = {}
    for t in selected:
        start = len(tapes)
        for s in steps:
            if s != 0:
                tapes.append(tape.bind_new_parameters([params[t] + s * h], [tape.trainable_params[t]]))
        slots[t] = start

    def processing(results):
        results = list(results)
        base = results[0] if needs_f0 else f0
        ref = base if base is not None else results[0]
        out = []
        for k in range(len(tape.measurements)):
            row = []
            for t in range(n):
                if t not in slots:
                    row.append(0 * ref[k])
                    continue
                values, i = [], slots[t]
                for s in steps:
                    if s == 0:
                        values.append(base[k])
                    else:
                        values.append(results[i][k])
                        i += 1
                row.append(rules.combine([c / h for c in coeffs], values))
            out.append(tuple(row))
        return tuple(out)

    return tapes, per_shot_entry(tape, processing)


def _configure(options: dict, max_diff: int) -> dict:
    if max_diff > 1:  # nested differences need a wider step
        options = {"h": SECOND_ORDER_H, **options}
    return options


register(DiffMethod(
    name="finite-diff", rank=4, transform=finite_diff, options=frozenset({"h", "approx_order",
                                                                          "strategy"}),
    measurements=(m.ExpectationMP, m.ProbabilityMP, m.VarianceMP, m.VnEntropyMP, m.MutualInfoMP,
                  m.PurityMP, m.StateMP, m.DensityMatrixMP),
    promised=frozenset({"probs", "expval(Pauli)", "expval(Hermitian)", "expval(Projector)", "var",
                        "vn_entropy", "mutual_info"}),
    configure=_configure, summary="finite differences of the forward pass"))
