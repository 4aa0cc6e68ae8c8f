"""The adapter skeleton: what every framework adapter does around its custom-gradient registration.

An adapter (interfaces/torch.py, tensorflow.py, autograd.py, jax.py) only says how its framework
registers a custom gradient and how its arrays become NumPy. Everything else is here, once:
running tapes (on the config's executor), flattening results into one real vector and back, the
first-order gradient (the device's ``compute_vjp`` where it has one, else the method's Jacobian
contracted with the cotangent), nested execution for higher orders, and the errors.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from kettle.core import batching, qmath
from kettle.core.config import ExecutionConfig
from kettle.core.tape import QuantumTape
from kettle.errors import DiffMethodError, NonDifferentiableError
from kettle.interfaces import flatten


def run(device, tapes: Sequence[QuantumTape], config: ExecutionConfig | None = None) -> list:
    """Execute tapes on the device: every execution of the boundary passes through here.

    Tapes of one structure (a gradient's shifted tapes) run as one broadcast simulation where the
    device broadcasts (core/batching.py); batches go to the config's or device's executor.
    """
    executor = config.executor if config is not None else None
    return batching.execute(device, list(tapes), lambda ts: _dispatch(device, ts, executor))


def _dispatch(device, tapes: list[QuantumTape], executor) -> list:
    if executor is None and getattr(device, "executor", None) is None:
        return device.execute(tapes)
    from kettle.devices import dispatch

    return dispatch.execute(device, tapes, executor=executor)


def second_derivative_error(what: str = "a second derivative was requested") -> DiffMethodError:
    """The error for differentiating a result whose QNode allows first derivatives only."""
    return DiffMethodError(
        f"{what}, but the QNode was created with max_diff=1; pass max_diff=2 (parameter-shift) "
        "or use diff_method='backprop'", diff_method="max_diff")


def check_scalar_parameters(tape: QuantumTape, method) -> None:
    """The Jacobian layout has one column per trainable parameter: array-valued parameters
    (a Hermitian or QubitUnitary matrix, a StatePrep vector) are differentiated by backprop only."""
    for t in range(len(tape.trainable_params)):
        op, k = tape.get_operation(t)
        if op.ndim_params and op.ndim_params[k] > 0:
            name = getattr(method, "name", method)
            name = name if isinstance(name, str) else getattr(method, "__name__", method)
            raise NonDifferentiableError(
                f"diff_method={name!r} differentiates scalar parameters, but the parameter of "
                f"{op.name} on wires {list(op.wires)} is an array (shape "
                f"{tuple(qmath.shape(op.data[k]))}); use diff_method='backprop' for it, or pass it "
                "as a constant (requires_grad=False, or outside the differentiated arguments)",
                argnum=t)


def jacobian_fn(config: ExecutionConfig, device) -> Callable:
    """``jacobians(tapes, execute_fn)`` of the config's method, checking parameters first."""
    rule = config.rule(device)
    method = config.method

    def jacobians(tapes: Sequence[QuantumTape], execute_fn: Callable) -> list:
        for tape in tapes:
            check_scalar_parameters(tape, method)
        return rule(tapes, execute_fn)

    jacobians.method = method.name
    return jacobians


def nested(execute: Callable, trainable_fn: Callable, device, config: ExecutionConfig) -> Callable:
    """``execute_fn`` for the gradient tapes of a differentiable gradient: the adapter itself, one
    derivative order lower, with the tapes' framework parameters as their trainable ones."""
    lower = config.lower()

    def run_nested(tapes: Sequence[QuantumTape]) -> list:
        return execute(flatten.with_trainable(tapes, trainable_fn), device, lower)

    return run_nested


def _own_vjp(device) -> bool:
    """Whether the device computes VJPs itself (rather than the default over its Jacobian)."""
    from kettle.devices.device import Device

    return type(device).compute_vjp is not Device.compute_vjp


class Execution:
    """One differentiable execution of tapes, as the adapters see it.

    Args:
        tapes: tapes whose ``trainable_params`` are the parameters the framework differentiates.
        device: the device running them.
        config: the execution config (method, options, derivative order, executor).
        templates: result shapes when known before running (graph modes); else set by
            :meth:`forward`.
    """

    def __init__(self, tapes: Sequence[QuantumTape], device, config: ExecutionConfig,
                 templates: list | None = None):
        self.tapes = tuple(tapes)
        self.device = device
        self.config = config
        self.templates = templates
        self.jacobians = jacobian_fn(config, device)
        self._cache: dict = {}

    @property
    def params(self) -> list:
        """The trainable parameters of every tape, in order."""
        return [p for t in self.tapes for p in t.get_parameters()]

    @property
    def higher_order(self) -> bool:
        return self.config.max_diff > 1

    def run(self, tapes: Sequence[QuantumTape]) -> list:
        return run(self.device, tapes, self.config)

    # ------------------------------------------------------------ forward
    def forward(self, values: Sequence, dtype) -> np.ndarray:
        """Results at NumPy ``values`` of the trainable parameters, as one flat real vector."""
        results = self.run(flatten.bind(self.tapes, list(values)))
        if self.templates is None:
            self.templates = [flatten.shapes(r) for r in results]
        return flatten.flat_numpy(results, dtype)

    def unflatten(self, flat, batch=None) -> list:
        return flatten.unflatten(flat, self.templates, batch)

    # ------------------------------------------------------------ first-order gradient
    def vjp_numpy(self, g, values: Sequence, templates: list | None = None) -> list:
        """⟨g, ∂results/∂θ⟩ per trainable parameter at NumPy ``values`` (first order).

        The device's own ``compute_vjp`` serves it where the device has one (and the tapes are
        neither broadcast nor shot vectors); otherwise the method's Jacobian — computed once per
        execution, as a Jacobian request calls this once per output element — is contracted.
        """
        templates = templates if templates is not None else self.templates
        bound = flatten.bind(self.tapes, list(values))
        method = self.config.method
        if method.device_kind is not None and _own_vjp(self.device) and not any(
                t.batch_size or t.shots.has_vector for t in bound):
            for tape in bound:
                check_scalar_parameters(tape, method)
            method.warn_about_shots(bound)
            cotangents = cotangents_per_tape(np.asarray(g), templates)
            vjps = self.device.compute_vjp(bound, cotangents, method.device_kind)
            return [np.asarray(v) for per_tape in vjps for v in per_tape]
        if "jacs" not in self._cache:  # one execution: the same parameter values every time
            self._cache.update(jacs=self.jacobians(bound, self.run), bound=bound)
        return flatten.vjp(g, self._cache["bound"], self._cache["jacs"], templates)

    # ------------------------------------------------------------ higher order
    def vjp_nested(self, g, values: Sequence, execute_fn: Callable) -> list:
        """⟨g, ∂results/∂θ⟩ with framework ``values``: the gradient tapes run through
        ``execute_fn`` (the adapter again, one order lower), so the result is differentiable."""
        if "nested" not in self._cache:
            bound = flatten.bind(self.tapes, list(values))
            self._cache["nested"] = (bound, self.jacobians(bound, execute_fn))
        bound, jacs = self._cache["nested"]
        return flatten.vjp(g, bound, jacs, self.templates)

    def forward_and_jacobians(self, values: Sequence) -> tuple[list, list]:
        """Results and Jacobians at NumPy ``values`` in one go: a device computing derivatives
        itself gets one ``execute_and_compute_derivatives`` call."""
        bound = flatten.bind(self.tapes, list(values))
        method = self.config.method
        if method.device_kind is not None and self.config.executor is None:
            for tape in bound:
                check_scalar_parameters(tape, method)
            method.warn_about_shots(bound)
            results, jacs = self.device.execute_and_compute_derivatives(bound, method.device_kind)
            from kettle.core.diff_methods import replicate_per_shot_entry

            return results, [replicate_per_shot_entry(t, j, method) for t, j in zip(bound, jacs)]
        return self.run(bound), self.jacobians(bound, self.run)


def cotangents_per_tape(g: np.ndarray, templates: list) -> list:
    """The flat real cotangent as, per tape, one cotangent per measurement shaped like its result
    (complex results: ``re − i·im``, so that the VJP is ``Re Σ dy·∂r``)."""
    out, start = [], 0
    for tmpl in templates:
        per_mp = []
        for shape in flatten.leaves(tmpl):
            size = int(np.prod(shape))
            dy = g[start:start + size].reshape(tuple(shape))
            start += size
            if shape.is_complex:
                dy = dy - 1j * g[start:start + size].reshape(tuple(shape))
                start += size
            per_mp.append(dy)
        out.append(tuple(per_mp))
    return out
