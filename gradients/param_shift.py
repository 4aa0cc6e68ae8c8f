"""Parameter-shift gradients: exact derivatives from circuits run at shifted parameter values."""
from __future__ import annotations

import functools
import warnings
from typing import Sequence


from kettle.core import measurements as m
from kettle.core import queuing
from kettle.core.diff_methods import DiffMethod, register
from kettle.core.ops.observables import Hermitian, Tensor
from kettle.core.tape import QuantumTape
from kettle.errors import GeneratorUndefinedError
from kettle.gradients import chain, rules
from kettle.gradients.transform import check_differentiable, gradient_transform

#: measurements without a shift rule: amplitudes are not expectation values.
_UNSUPPORTED = {
    m.StateMP: "amplitudes are not expectation values; use diff_method='backprop' or 'finite-diff'",
}
#: measurements computed from a reduced density matrix ρ: measured as ρ, then the chain rule.
_FROM_RHO = (m.PurityMP, m.VnEntropyMP, m.MutualInfoMP)


def frequencies_of(tape: QuantumTape, index: int) -> tuple[float, ...] | None:
    """Frequencies of trainable parameter ``index``, or None when it has no shift rule."""
    op, k = tape.get_operation(index)
    if any(op is mp.obs for mp in tape.measurements):
        return None  # observable parameters enter linearly: no shift rule
    try:
        return tuple(op.parameter_frequencies[k])
    except (GeneratorUndefinedError, NotImplementedError, AttributeError, IndexError):
        return None


def recipe_of(tape: QuantumTape, index: int, shifts=None) -> tuple | None:
    """``(coefficients, shifts)`` of trainable parameter ``index``'s shift rule, or None when it
    has none (``shifts``: the method's option, custom shifts per trainable parameter)."""
    freqs = frequencies_of(tape, index)
    if freqs is None:
        return None
    custom = tuple(shifts[index]) if shifts is not None and shifts[index] is not None else None
    return rules.shift_rule(freqs, custom)


def _squared(obs):
    with queuing.stop_recording():
        mat = obs.matrix()
        return Hermitian(mat @ mat, wires=obs.wires)


def _is_involutory(obs) -> bool:
    if isinstance(obs, Tensor):
        return all(o.is_involutory for o in obs.obs)
    return obs.is_involutory


def _linearize(tape: QuantumTape):
    """Rewrite nonlinear measurements as linear ones: var(O) → expval(O) plus expval(O²) where
    O² ≠ I; purity, vn_entropy and mutual_info → density_matrix. Returns the tape and a plan
    entry per original measurement."""
    meas, extra, plan = [], [], []
    with queuing.stop_recording():
        for mp in tape.measurements:
            if isinstance(mp, _FROM_RHO):
                meas.append(m.DensityMatrixMP(wires=mp.wires))
                plan.append(("rho", mp))
            elif isinstance(mp, m.VarianceMP):
                meas.append(m.ExpectationMP(mp.obs))
                if _is_involutory(mp.obs):
                    plan.append(("var", None))
                else:
                    extra.append(m.ExpectationMP(_squared(mp.obs)))
                    plan.append(("var", len(tape.measurements) + len(extra) - 1))
            else:
                meas.append(mp)
                plan.append(("lin", None))
    new = tape.copy(measurements=meas + extra)
    new.trainable_params = tape.trainable_params
    return new, plan


def _from_rho(mp, rho, drho):
    """Derivative of a ρ-derived measurement from ρ and ∂ρ."""
    if isinstance(mp, m.PurityMP):
        return chain.purity_derivative(rho, drho)
    if isinstance(mp, m.VnEntropyMP):
        return chain.entropy_derivative(rho, drho, mp.log_base)
    return chain.mutual_info_derivative(rho, drho, 2 ** len(mp.wires0), 2 ** len(mp.wires1),
                                        mp.log_base)


@gradient_transform
def param_shift(tape: QuantumTape, argnum: Sequence[int] | None = None, shifts=None,
                fallback_fn=None):
    """Parameter-shift Jacobian of a tape.

    Args:
        tape: the circuit; its ``trainable_params`` are differentiated.
        argnum: indices (into the trainable parameters) to differentiate; others get zeros.
        shifts: optional custom shift values per trainable parameter (sequences of R positive
            shifts for a parameter with R frequencies).
        fallback_fn: transform for parameters without a shift rule (default: finite differences,
            with a warning).

    Returns:
        ``(tapes, fn)``: run the tapes (one batch) and pass the results to ``fn``.
    """
    check_differentiable(tape, "parameter-shift", _UNSUPPORTED)
    nonlinear = any(isinstance(mp, (m.VarianceMP,) + _FROM_RHO) for mp in tape.measurements)
    work, plan = _linearize(tape) if nonlinear else (tape, None)
    n = len(tape.trainable_params)
    selected = range(n) if argnum is None else [int(a) for a in argnum]
    recipes: dict[int, tuple] = {}
    fallback: list[int] = []
    for t in selected:
        recipe = recipe_of(work, t, shifts)
        if recipe is None:
            fallback.append(t)
        else:
            recipes[t] = recipe
    if fallback:
        op_names = sorted({work.get_operation(t)[0].name for t in fallback})
        if fallback_fn is None:
            from kettle.gradients.finite_diff import finite_diff as fallback_fn

            warnings.warn(f"no parameter-shift rule for parameters of {', '.join(op_names)}; "
                          "falling back to finite differences for them", UserWarning, stacklevel=3)
    tapes: list[QuantumTape] = []
    # var needs ⟨O⟩ at θ and the chain rules need ρ at θ: the tape's own results give neither
    need_f0 = nonlinear
    if need_f0:
        tapes.append(work)
    slots: dict[int, tuple[int, int, tuple]] = {}
    for t, (coeffs, xs) in recipes.items():
        start = len(tapes)
        p = work.get_parameters()[t]
        for x in xs:
            tapes.append(work.bind_new_parameters([p + x], [work.trainable_params[t]]))
        slots[t] = (start, len(xs), coeffs)
    if not tapes and not fallback and n:  # nothing selected: one run gives the zeros' shapes
        tapes.append(work)
    fb_start, fb_fn = len(tapes), None
    if fallback:
        # the fallback differentiates the original tape: var stays var (work's O² is a constant)
        fb_tapes, fb_fn = fallback_fn(tape, argnum=fallback)
        tapes.extend(fb_tapes)

    def processing(results, fb_jac):
        base = results[0] if need_f0 else None

        def shifted(k, t):  # derivative of work's measurement k by the shift rule
            start, count, coeffs = slots[t]
            return rules.combine(coeffs, [results[start + i][k] for i in range(count)])

        out = []
        for k in range(len(tape.measurements)):
            kind, sq = plan[k] if plan is not None else ("lin", None)
            row = []
            for t in range(n):
                if t in slots:
                    d = shifted(k, t)
                    if kind == "var":  # ∂var = ∂⟨O²⟩ − 2⟨O⟩∂⟨O⟩, with ⟨O²⟩ = 1 for involutory O
                        d = -2 * base[k] * d
                        if sq is not None:
                            d = d + shifted(sq, t)
                    elif kind == "rho":
                        d = _from_rho(sq, base[k], d)
                    row.append(d)
                elif t in fallback:
                    row.append(fb_jac[k][t])
                elif kind == "rho":
                    row.append(_from_rho(sq, base[k], 0 * base[k]))
                else:
                    row.append(0 * results[-1][k])
            out.append(tuple(row))
        return tuple(out)

    def fn(results):
        results = list(results)
        # the fallback's own post-processing splits shot-vector entries: call it on all results
        fb_jac = fb_fn(results[fb_start:]) if fb_fn is not None else None
        if not tape.shots.has_vector:
            return processing(results, fb_jac)
        return tuple(processing([r[s] for r in results], None if fb_jac is None else fb_jac[s])
                     for s in range(len(tape.shots.vector)))

    return tapes, fn


def _has_shift_rule(op) -> bool:
    try:
        op.parameter_frequencies
    except Exception:  # no generator, no frequencies: no shift rule
        return False
    return True


def _expand_stop(op) -> bool:
    """Gates without a shift rule are decomposed (e.g. into ones with a generator)."""
    return not op.data or op.prepares_state or _has_shift_rule(op)


def _configure(options: dict, max_diff: int) -> dict:
    if max_diff > 1:  # gates without a shift rule fall back to nested differences: wider step
        from kettle.gradients.finite_diff import SECOND_ORDER_H, finite_diff

        options = {**options, "fallback_fn": functools.partial(finite_diff, h=SECOND_ORDER_H)}
    return options


register(DiffMethod(
    name="parameter-shift", rank=3, transform=param_shift, options=frozenset({"shifts"}),
    expand_stop=_expand_stop,
    measurements=(m.ExpectationMP, m.ProbabilityMP, m.VarianceMP, m.DensityMatrixMP, m.PurityMP,
                  m.VnEntropyMP, m.MutualInfoMP),
    promised=frozenset({"probs", "expval(Pauli)", "expval(Hermitian)", "expval(Projector)",
                        "var"}),
    configure=_configure, summary="exact derivatives from circuits at shifted parameters"))
