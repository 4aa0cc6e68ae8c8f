"""Loops and conditionals recorded as single operations of a QNode's tape in compiled programs.

When ``kt.for_loop``, ``kt.while_loop`` or ``kt.cond`` runs while a QNode records its gates inside
``kt.qjit`` (see compiler/control_flow.py for when), the tape gets one :class:`ControlFlowOp`
standing for the whole construct, acting on all the device's wires. A device with
``capabilities.control_flow`` simulates it by calling :meth:`ControlFlowOp.evolve` with its state
and a function that applies a list of gates: the operation builds the same ``jax.lax`` loop or
switch as the classical case, with the state as one more carried value, and records the body's
gates afresh inside the traced body, where the loop index (and so any wire computed from it) is a
traced value. The body is therefore traced once, however many times it runs.
"""
from __future__ import annotations

from typing import Any, Callable

from kettle.compiler.context import FlowScope, flow_scope_set
from kettle.compiler.control_flow import _as_carry
from kettle.core import queuing
from kettle.core.operator import Operation
from kettle.core.tape import split_recorded
from kettle.errors import ControlFlowError

#: ``run_ops(view, ops) -> view``: the device applies gates (decomposing them as needed).
RunOps = Callable[[Any, list], Any]


class ControlFlowOp(Operation):
    """A loop or conditional of a compiled QNode; parameters live in its body's closure.

    Args:
        flow: the ``kt.for_loop`` / ``kt.while_loop`` / ``kt.cond`` object (body and bounds).
        values: the initial carried values (loops) or the branches' arguments (cond).
        wires: the device's wires (the body may act on any of them).
    """

    num_params = 0
    control_flow = True
    who = "control flow"

    def __init__(self, flow: Any, values: tuple, *, wires: Any):
        self.flow = flow
        self.values = tuple(values)
        super().__init__(wires=wires)

    def evolve(self, view: Any, run_ops: RunOps) -> Any:
        """The state view after the construct (traced ``jax.lax`` control flow)."""
        raise NotImplementedError

    def _gates(self, fn: Callable, args: tuple) -> tuple[list, Any]:
        """Record the gates ``fn(*args)`` applies; nested constructs become operations too."""
        with flow_scope_set(FlowScope(wires=self.wires)), queuing.recording() as rec:
            out = fn(*args)
        ops, measurements = split_recorded(rec.items)
        if measurements:
            raise ControlFlowError(
                f"the body of {self.who} inside a QNode records the measurement "
                f"{measurements[0]!r}; measurements belong at the end of the quantum function, "
                "returned by it (carry values out of the loop instead)", value=measurements[0])
        return ops, out

    def _advance(self, view: Any, state: Any, ops: list, run_ops: RunOps) -> Any:
        """The state after ``ops``, with the dtype and shape the loop carries."""
        import jax.numpy as jnp

        new = run_ops(_with_state(view, state), ops)
        if new.batched != view.batched:
            raise ControlFlowError(
                f"gates inside {self.who} broadcast the state over a batch axis that it did not "
                "have before; broadcast a gate before the construct, or keep parameters inside it "
                "unbatched", value=ops)
        return jnp.asarray(new.state).astype(state.dtype)


def _with_state(view: Any, state: Any) -> Any:
    return type(view)(state, view.wire_order, view.batched, view.kernel)


def _initial(view: Any):
    import jax.numpy as jnp

    return jnp.asarray(view.state)


class ForLoopOp(ControlFlowOp):
    """``kt.for_loop`` inside a compiled QNode."""

    who = "kt.for_loop"

    def evolve(self, view: Any, run_ops: RunOps) -> Any:
        n = len(self.values)

        def body(i, state, *carry):
            ops, out = self._gates(self.flow.body, (i, *carry))
            return (self._advance(view, state, ops, run_ops), *_as_carry(out, n, self.who))

        final = self.flow.compiled(body, (_initial(view), *self.values))
        return _with_state(view, final[0])


class WhileLoopOp(ControlFlowOp):
    """``kt.while_loop`` inside a compiled QNode."""

    who = "kt.while_loop"

    def evolve(self, view: Any, run_ops: RunOps) -> Any:
        n = len(self.values)

        def body(state, *carry):
            ops, out = self._gates(self.flow.body, carry)
            return (self._advance(view, state, ops, run_ops), *_as_carry(out, n, self.who))

        final = self.flow.compiled(body, (_initial(view), *self.values), skip=1)
        return _with_state(view, final[0])


class CondOp(ControlFlowOp):
    """``kt.cond`` inside a compiled QNode."""

    who = "kt.cond"

    def evolve(self, view: Any, run_ops: RunOps) -> Any:
        def branch_with_state(branch):
            def run(state, *args):
                ops, out = self._gates(branch, args)
                return self._advance(view, state, ops, run_ops), out
            return run

        branches = [branch_with_state(b) for b in self.flow.branches]
        state, _ = self.flow.compiled(branches, (_initial(view), *self.values))
        return _with_state(view, state)
