"""Parameter-shift gradients: exact derivatives from circuits run at shifted parameter values."""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np

from kettle.core import measurements as m
from kettle.core import queuing
from kettle.core.ops.observables import Hamiltonian, Hermitian, Tensor
from kettle.core.tape import QuantumTape
from kettle.errors import GeneratorUndefinedError
from kettle.gradients import rules
from kettle.gradients.transform import check_differentiable, gradient_transform, per_shot_entry

#: measurements whose derivative is not linear in the state and not built here.
_UNSUPPORTED = {
    m.StateMP: "the state is complex; use backprop, or differentiate a real function of it",
    m.VnEntropyMP: "use diff_method='finite-diff' or 'backprop'",
    m.MutualInfoMP: "use diff_method='finite-diff' or 'backprop'",
    m.PurityMP: "use diff_method='finite-diff' or 'backprop'",
}
_INVOLUTORY = {"PauliX", "PauliY", "PauliZ", "Hadamard", "Identity"}


def frequencies_of(tape: QuantumTape, index: int) -> tuple[float, ...] | None:
    """Frequencies of trainable parameter ``index``, or None when it has no shift rule."""
    op, k = tape.get_operation(index)
    if any(op is mp.obs for mp in tape.measurements):
        return None  # observable parameters enter linearly: no shift rule
    try:
        return tuple(op.parameter_frequencies[k])
    except (GeneratorUndefinedError, NotImplementedError, AttributeError, IndexError):
        return None


def _squared(obs):
    with queuing.stop_recording():
        mat = obs.matrix()
        return Hermitian(mat @ mat, wires=obs.wires)


def _is_involutory(obs) -> bool:
    if isinstance(obs, Tensor):
        return all(o.name in _INVOLUTORY for o in obs.obs)
    return obs.name in _INVOLUTORY


def _linearize(tape: QuantumTape):
    """var(O) → expval(O) plus expval(O²) where O² ≠ I. Returns the tape and per-var bookkeeping."""
    meas, extra, plan = [], [], []
    with queuing.stop_recording():
        for mp in tape.measurements:
            if isinstance(mp, m.VarianceMP):
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


@gradient_transform
def param_shift(tape: QuantumTape, argnum: Sequence[int] | None = None, shifts=None,
                fallback_fn=None, f0=None):
    """Parameter-shift Jacobian of a tape.

    Args:
        tape: the circuit; its ``trainable_params`` are differentiated.
        argnum: indices (into the trainable parameters) to differentiate; others get zeros.
        shifts: optional custom shift values per trainable parameter (sequences of R positive
            shifts for a parameter with R frequencies).
        fallback_fn: transform for parameters without a shift rule (default: finite differences,
            with a warning).
        f0: results of the unshifted tape, if already known (saves a circuit run).

    Returns:
        ``(tapes, fn)``: run the tapes (one batch) and pass the results to ``fn``.
    """
    check_differentiable(tape, "parameter-shift", _UNSUPPORTED)
    has_var = any(isinstance(mp, m.VarianceMP) for mp in tape.measurements)
    work, plan = _linearize(tape) if has_var else (tape, None)
    n = len(tape.trainable_params)
    selected = range(n) if argnum is None else [int(a) for a in argnum]
    recipes: dict[int, tuple] = {}
    fallback: list[int] = []
    for t in selected:
        freqs = frequencies_of(work, t)
        if freqs is None:
            fallback.append(t)
            continue
        custom = tuple(shifts[t]) if shifts is not None and shifts[t] is not None else None
        recipes[t] = rules.shift_rule(freqs, custom)
    if fallback:
        op_names = sorted({work.get_operation(t)[0].name for t in fallback})
        if fallback_fn is None:
            from kettle.gradients.finite_diff import finite_diff as fallback_fn

            warnings.warn(f"no parameter-shift rule for parameters of {', '.join(op_names)}; "
                          "falling back to finite differences for them", UserWarning, stacklevel=3)
    tapes: list[QuantumTape] = []
    need_f0 = has_var and f0 is None
    if need_f0:
        tapes.append(work)
    slots: dict[int, tuple[int, int, tuple]] = {}
    for t, (coeffs, xs) in recipes.items():
        start = len(tapes)
        p = work.get_parameters()[t]
        for x in xs:
            tapes.append(work.bind_new_parameters([p + x], [work.trainable_params[t]]))
        slots[t] = (start, len(xs), coeffs)
    fb_fn = None
    if fallback:
        fb_tapes, fb_fn = fallback_fn(work, argnum=fallback)
        fb_start = len(tapes)
        tapes.extend(fb_tapes)

    def processing(results):
        results = list(results)
        base = results[0] if need_f0 else f0
        fb_jac = fb_fn(results[fb_start:]) if fb_fn is not None else None
        zero_like = results[-1] if results else None
        per_meas = []
        n_meas = len(work.measurements)
        for k in range(n_meas):
            row = []
            for t in range(n):
                if t in slots:
                    start, count, coeffs = slots[t]
                    row.append(rules.combine(coeffs, [results[start + i][k] for i in range(count)]))
                elif fb_jac is not None and t in fallback:
                    row.append(fb_jac[k][t])
                else:
                    row.append(0 * zero_like[k])
            per_meas.append(tuple(row))
        if plan is None:
            return tuple(per_meas)
        out = []
        for k, (kind, sq) in enumerate(plan):
            if kind == "lin":
                out.append(per_meas[k])
                continue
            mean = base[k]
            row = []
            for t in range(n):
                d = -2 * mean * per_meas[k][t]
                row.append(d + per_meas[sq][t] if sq is not None else d)
            out.append(tuple(row))
        return tuple(out)

    return tapes, per_shot_entry(tape, processing)
