"""The one execute boundary between QNodes and devices.

Every QNode execution passes through :func:`execute` with an :class:`ExecutionConfig`. Backprop
runs the device directly on the framework's arrays; every other method goes through the framework
adapter of the interface, which registers the method's derivative (core/diff_methods.py) with the
framework's autodiff using the shared skeleton of interfaces/boundary.py.
"""
from __future__ import annotations

import importlib
from typing import Any, Sequence

from kettle.core import config as _config
from kettle.core import measurements as m
from kettle.core import qmath
from kettle.core.config import ExecutionConfig
from kettle.core.tape import QuantumTape
from kettle.errors import InterfaceError, NonDifferentiableError
from kettle.interfaces import boundary, flatten

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
        return qmath.require_framework(INTERFACE_NAMES[name])  # a missing framework: what to install
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in INTERFACE_NAMES)
        raise InterfaceError(f"unknown interface {name!r}; valid interfaces are {valid}",
                             interfaces=[name]) from None


def adapter(interface: str):
    """The adapter module of a framework interface."""
    return importlib.import_module(ADAPTERS[interface])


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


def execute(tapes: Sequence[QuantumTape], device, diff_method: Any = "best",
            interface: str | None = "autograd", gradient_kwargs: dict | None = None,
            max_diff: int = 1, *, config: ExecutionConfig | None = None) -> list:
    """Run tapes on a device, with derivatives registered for ``interface`` where needed.

    Args:
        tapes: preprocessed tapes.
        device: the device that runs them.
        diff_method, interface, gradient_kwargs, max_diff: how to differentiate (ignored when a
            ready ``config`` is given).
        config: the resolved execution config (QNodes build one per call).

    Returns:
        One result per tape, in the interface's arrays where something is differentiated.
    """
    tapes = list(tapes)
    if config is None:
        config = _config.build(device, tapes, diff_method=diff_method, interface=interface,
                               options=gradient_kwargs, max_diff=max_diff)
    if config.compiled:
        from kettle.compiler.traced import check_exact

        check_exact(tapes, device)  # before any differentiability check: the shots are the problem
    if config.interface is None:
        return boundary.run(device, [_detached(t) for t in tapes], config)
    if config.interface == "numpy" or config.method is None:
        return boundary.run(device, tapes, config)
    framework = adapter(config.interface) if config.interface in ADAPTERS else None
    if framework is None:
        return boundary.run(device, tapes, config)
    tapes = flatten.with_trainable(tapes, framework.trainable_indices)
    if not any(t.trainable_params for t in tapes):
        return boundary.run(device, tapes, config)  # nothing to differentiate: plain forward pass
    if not getattr(framework, "PRECISE_TRAINABILITY", True) and any(
            isinstance(mp, (m.SampleMP, m.CountsMP)) for t in tapes for mp in t.measurements):
        return boundary.run(device, tapes, config)
    method = config.method
    expanded = [method.expand(t) for t in tapes]
    if any(e is not t for e, t in zip(expanded, tapes)):  # new gates: find their parameters again
        tapes = flatten.with_trainable(expanded, framework.trainable_indices)
    method.check_tapes(tapes)
    if method.traces_simulation:
        if config.compiled:  # runs of gates as one lax.scan: compile time sublinear in depth
            from kettle.compiler.gate_scan import compress

            tapes = [compress(t, device) for t in tapes]
        return boundary.run(device, tapes, config)
    # inside kt.qjit too (config.compiled): one host call per execution, any derivative order
    return framework.execute(tapes, device, config)
