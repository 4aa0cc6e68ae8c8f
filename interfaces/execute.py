"""The one execute boundary between QNodes and devices.

Every QNode execution passes through :func:`execute`. Backprop runs the device directly on the
framework's arrays; every other method goes through the framework adapter of the interface, which
registers the quantum Jacobian (interfaces/jacobian.py) with the framework's autodiff.
"""
from __future__ import annotations

import importlib
import warnings
from typing import Sequence

from kettle.core import measurements as m
from kettle.core import qmath
from kettle.core.tape import QuantumTape
from kettle.errors import DiffMethodError, InterfaceError, NonDifferentiableError

#: accepted interface names and the canonical name each stands for.
INTERFACE_NAMES = {
    "auto": "auto",
    None: None,
    "numpy": "autograd",
    "autograd": "autograd",
    "torch": "torch",
    "pytorch": "torch",
    "tf": "tf",
    "tensorflow": "tf",
    "jax": "jax",
}

#: interface -> module of its adapter (imported only when that framework is in use).
ADAPTERS = {
    "autograd": "kettle.interfaces.autograd",
    "torch": "kettle.interfaces.torch",
    "tf": "kettle.interfaces.tensorflow",
    "jax": "kettle.interfaces.jax",
}


def canonical_interface(name) -> str | None:
    """The canonical interface name, or an error listing the valid names."""
    try:
        return INTERFACE_NAMES[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in INTERFACE_NAMES)
        raise InterfaceError(f"unknown interface {name!r}; valid interfaces are {valid}",
                             interfaces=[name]) from None


def validate_method(device, diff_method, interface) -> None:
    """Device-level checks made when a QNode is created (before anything runs)."""
    caps = device.capabilities
    if interface is None and diff_method in ("backprop", "device"):
        raise DiffMethodError(
            f"diff_method={diff_method!r} needs an autodiff framework, but interface=None; pass "
            "interface='auto' (or a framework name) or choose diff_method=None",
            diff_method=diff_method)
    if interface is None and diff_method in ("adjoint", "parameter-shift", "finite-diff", "spsa"):
        warnings.warn(f"interface=None: no autodiff framework is in use, so diff_method="
                      f"{diff_method!r} will not be used; the forward pass still works",
                      UserWarning, stacklevel=4)
    if diff_method in ("device", "adjoint") and diff_method not in caps.derivatives:
        provided = ", ".join(sorted(caps.derivatives)) or "none"
        raise DiffMethodError(
            f"device '{device.name}' provides no {diff_method!r} derivatives (it provides: "
            f"{provided}); use diff_method='backprop', 'parameter-shift' or 'finite-diff'",
            diff_method=diff_method)
    if diff_method == "backprop" and not caps.backprop_interfaces:
        raise DiffMethodError(f"device '{device.name}' does not support backprop",
                              diff_method=diff_method)
    if diff_method == "backprop" and interface not in ("auto", None) and \
            interface not in caps.backprop_interfaces:
        raise DiffMethodError(
            f"device '{device.name}' supports backprop with {sorted(caps.backprop_interfaces)}, not "
            f"interface={interface!r}", diff_method=diff_method)


def resolve_method(diff_method, device, interface: str, tapes: Sequence[QuantumTape]) -> str:
    """The concrete method for "best": device gradient, else backprop, else parameter-shift."""
    if diff_method != "best":
        return diff_method
    caps = device.capabilities
    if "device" in caps.derivatives:
        return "device"
    if interface in caps.backprop_interfaces and all(t.shots.analytic for t in tapes):
        return "backprop"
    return "parameter-shift"


_PS_TYPES = (m.ExpectationMP, m.ProbabilityMP, m.VarianceMP)
_SUPPORTED = {
    "backprop": None,  # everything but samples
    "adjoint": (m.ExpectationMP, m.VarianceMP, m.ProbabilityMP),
    "parameter-shift": _PS_TYPES + (m.DensityMatrixMP, m.PurityMP, m.VnEntropyMP, m.MutualInfoMP),
    "finite-diff": _PS_TYPES + (m.VnEntropyMP, m.MutualInfoMP, m.PurityMP, m.StateMP,
                                m.DensityMatrixMP),
    "spsa": _PS_TYPES + (m.VnEntropyMP, m.MutualInfoMP, m.PurityMP, m.StateMP, m.DensityMatrixMP),
    "device": None,
}


def validate_tapes(method: str, tapes: Sequence[QuantumTape], device) -> None:
    """Measurement-level checks of the support matrix, made when gradients are being tracked."""
    for tape in tapes:
        for mp in tape.measurements:
            if isinstance(mp, (m.SampleMP, m.CountsMP)):
                raise NonDifferentiableError(
                    f"{mp.return_type}() is not differentiable (samples are random outcomes); "
                    "differentiate expval, var or probs instead")
            allowed = _SUPPORTED.get(method)
            if allowed is not None and not isinstance(mp, allowed):
                names = ", ".join(sorted({c.return_type for c in allowed}))
                raise NonDifferentiableError(
                    f"diff_method={method!r} cannot differentiate {mp.return_type}(); it supports "
                    f"{names}. Use diff_method='backprop' (shots=None) for {mp.return_type}()")
        if method == "backprop" and not tape.shots.analytic:
            raise DiffMethodError(
                f"backprop needs shots=None (exact simulation), got shots={tape.shots}; use "
                "diff_method='parameter-shift' for gradients with shots", diff_method=method)


_STATE_PREPS = ("StatePrep", "BasisState")


def _has_shift_rule(op) -> bool:
    try:
        op.parameter_frequencies
    except Exception:  # no generator, no frequencies: no shift rule
        return False
    return True


def gradient_expand(method: str, tape: QuantumTape) -> QuantumTape:
    """Decompose gates the method cannot differentiate directly (e.g. Rot for adjoint, gates
    without a shift rule for parameter-shift); what cannot be decomposed is left for the method's
    own fallback or error."""
    if method == "adjoint":
        return tape.expand(lambda op: not op.data or op.has_generator or op.name in _STATE_PREPS)
    if method == "parameter-shift":
        return tape.expand(lambda op: not op.data or op.name in _STATE_PREPS or _has_shift_rule(op))
    return tape


def _detached(tape: QuantumTape) -> QuantumTape:
    """interface=None: plain NumPy values, so no framework records (or silently differentiates)
    the execution. Differentiating such a QNode inside kt.grad is an error, not silent zeros."""
    params = tape.get_parameters(trainable_only=False)
    if any(qmath.backend_of(p) == "autograd" for p in params):
        raise NonDifferentiableError(
            "this QNode has interface=None and cannot be differentiated; create it with "
            "interface='auto' (the default) to differentiate it")
    values = [qmath.to_numpy(p) if qmath.backend_of(p) != "numpy" else p for p in params]
    return tape.bind_new_parameters(values, range(len(params)))


def execute(tapes: Sequence[QuantumTape], device, diff_method="best", interface="autograd",
            gradient_kwargs: dict | None = None, max_diff: int = 1) -> list:
    """Run tapes on a device; with gradients registered for ``interface`` where needed."""
    tapes = list(tapes)
    compiled = interface == "jax" and "jax" in device.capabilities.backprop_interfaces
    if compiled:
        from kettle.compiler.context import compiling

        compiled = compiling()  # inside kt.qjit: the device runs on the tracers, no host callbacks
    if compiled:
        from kettle.compiler.traced import check_exact

        check_exact(tapes, device)  # before any differentiability check: the shots are the problem
    if interface is None:
        return device.execute([_detached(t) for t in tapes])
    if interface == "numpy" or diff_method is None:
        return device.execute(tapes)
    adapter = importlib.import_module(ADAPTERS[interface]) if interface in ADAPTERS else None
    if adapter is None or not any(adapter.trainable_indices(t) for t in tapes):
        return device.execute(tapes)  # nothing to differentiate: plain forward pass
    if not getattr(adapter, "PRECISE_TRAINABILITY", True) and any(
            isinstance(mp, (m.SampleMP, m.CountsMP)) for t in tapes for mp in t.measurements):
        return device.execute(tapes)
    method = resolve_method(diff_method, device, interface, tapes)
    tapes = [gradient_expand(method, t) for t in tapes]
    validate_tapes(method, tapes, device)
    if method == "backprop":
        return device.execute(tapes)
    from kettle.interfaces.jacobian import jacobian_fn

    jac_fn = jacobian_fn(method, device, gradient_kwargs or {})
    if compiled:
        from kettle.compiler.traced import execute as traced_execute

        return traced_execute(tapes, device, jac_fn, method)
    return adapter.execute(tapes, device, jac_fn, max_diff)
