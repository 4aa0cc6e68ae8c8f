"""ExecutionConfig: everything one execution needs to know, resolved once and handed down.

A QNode call builds one config (interface detected once, diff method resolved from the registry,
options, derivative order, executor); the execute boundary, the framework adapters and the
derivative rules read it and never look anything up again. Configs are immutable: a nested
execution for a higher derivative gets ``config.lower()``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from kettle.core import diff_methods
from kettle.core.diff_methods import MAX_DIFF, DiffMethod


@dataclass(frozen=True)
class ExecutionConfig:
    """How one batch of tapes is executed and differentiated.

    Attributes:
        interface: the call's framework: "numpy" (plain arrays), "autograd", "torch", "tf",
            "jax", or None (no autodiff: parameters are detached).
        method: the resolved diff method, or None for ``diff_method=None`` (forward only).
        options: the method's options (``h``, ``approx_order``, ``shifts``, ...).
        max_diff: how many times the results may be differentiated.
        executor: where batches of tapes run (None: in this process, serially).
        compiled: inside ``kt.qjit`` with a device that runs on JAX tracers.
    """

    interface: str | None = "numpy"
    method: DiffMethod | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    max_diff: int = 1
    executor: Any = None
    compiled: bool = False

    def lower(self) -> "ExecutionConfig":
        """The config of the gradient tapes' own execution (one derivative order less)."""
        return dataclasses.replace(self, max_diff=self.max_diff - 1)

    def rule(self, device):
        """The method's Jacobian rule ``(tapes, execute_fn) -> Jacobians`` on ``device``."""
        # options carry the QNode's own max_diff: nested executions keep its rule (e.g. the wider
        # step of nested differences) while their remaining order goes down
        return self.method.rule(device, {MAX_DIFF: self.max_diff, **self.options})


def build(device, tapes: Sequence, *, diff_method: Any, interface: str | None,
          options: Mapping[str, Any] | None = None, max_diff: int | None = None,
          executor: Any = None) -> ExecutionConfig:
    """The config of one execution of ``tapes`` on ``device``; "best" is resolved here."""
    options = dict(options or {})
    if max_diff is None:
        max_diff = options.get(MAX_DIFF, 1)
    options.setdefault(MAX_DIFF, max_diff)
    compiled = False
    # kt.qjit programs are JAX programs: only JAX executions can be part of one
    if interface == "jax" and "jax" in device.capabilities.backprop_interfaces:
        from kettle.compiler.context import compiling

        compiled = compiling()  # inside kt.qjit: the device runs on the tracers
    method = None
    if diff_method is not None and interface not in (None, "numpy"):
        method = diff_methods.resolve(diff_method, device, interface, tapes)
    return ExecutionConfig(interface=interface, method=method, options=options,
                           max_diff=max_diff, executor=executor, compiled=compiled)
