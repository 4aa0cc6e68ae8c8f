"""The frequencies with which each argument entry of a QNode enters its cost.

A gate angle φ_j with frequencies {ω} contributes terms e^{±iωφ_j}. When the angles depend linearly
on an argument entry x, φ_j = c_j x + const, the cost is a trigonometric polynomial in x whose
frequencies are the positive values of Σ_j c_j s_j with each s_j in {0} ∪ {±ω of gate j}. The
coefficients c_j are the classical Jacobian ∂φ_j/∂x, computed by tracing the circuit construction with
autograd (no circuit is simulated); it is computed at two points to check that it is constant.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as onp

from kettle.errors import GeneratorUndefinedError, OptimizerError
from kettle.optimize.circuit_params import flatten_args, gate_parameters

_HINT = "pass spectra= or nums_frequency= to the optimizer"


def _frequencies(op) -> list[tuple[float, ...]] | None:
    if op.num_params == 0:
        return []
    try:
        return [tuple(f) for f in op.parameter_frequencies]
    except (GeneratorUndefinedError, NotImplementedError, AttributeError):
        return None


def _has_frequencies(op) -> bool:
    return _frequencies(op) is not None


def sum_spectrum(terms: Sequence[tuple[float, Sequence[float]]]) -> tuple[float, ...]:
    """Positive frequencies of Π_j (terms with frequencies c_j·ω, ω in ``freqs_j``), sorted.

    Args:
        terms: ``(c_j, freqs_j)`` pairs: a gate with frequencies ``freqs_j`` whose angle moves by
            ``c_j`` per unit of the argument entry.
    """
    sums = {0.0}
    for c, freqs in terms:
        steps = [0.0] + [s * abs(float(c)) * float(w) for w in freqs for s in (1.0, -1.0)]
        sums = {round(float(v + d), 10) for v in sums for d in steps}
    return tuple(sorted(v for v in sums if v > 1e-9))


def qnode_spectra(qnode, args: Sequence[Any], kwargs: dict, argnums: Sequence[int]) -> dict[int, onp.ndarray]:
    """The frequencies of each entry of the trainable arguments of a QNode.

    Args:
        qnode: the QNode.
        args: its positional arguments; kwargs: its keyword arguments.
        argnums: the positions of the trainable arguments.

    Returns:
        ``{position: object array of the argument's shape holding a tuple of frequencies per entry}``;
        an empty tuple means the entry does not affect the circuit.

    Raises:
        OptimizerError: an argument enters something other than gate angles, or not linearly.
    """
    args = tuple(args)
    argnums = list(argnums)
    flat = flatten_args(args, argnums)
    found = gate_parameters(qnode, args, kwargs, argnums, stop_at=_has_frequencies,
                            purpose="the frequencies", hint=_HINT, flat=flat)
    probe = flat + onp.random.default_rng(0).uniform(0.2, 0.7, flat.shape)
    moved = gate_parameters(qnode, args, kwargs, argnums, stop_at=_has_frequencies,
                            purpose="the frequencies", hint=_HINT, flat=probe)
    jac = found.jacobian
    if jac.shape != moved.jacobian.shape or not onp.allclose(jac, moved.jacobian, atol=1e-9):
        raise OptimizerError(
            f"cannot infer the frequencies of {qnode.func.__name__}: its gate angles are not linear "
            f"functions of the trainable arguments; {_HINT}",
            value=qnode)
    freqs = [_frequencies(found.tape.operations[n])[k] for n, k in found.positions]
    out = {}
    start = 0
    for i in argnums:
        shape = onp.shape(args[i])
        size = int(onp.prod(shape))
        spec = onp.empty(size, dtype=object)
        for e in range(size):
            col = jac[:, start + e] if jac.size else onp.zeros(0)
            spec[e] = sum_spectrum([(c, f) for c, f in zip(col, freqs) if abs(c) > 1e-12])
        out[i] = spec.reshape(shape)
        start += size
    return out
