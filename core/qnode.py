"""QNode: a quantum function bound to a device, callable like an ordinary function."""
from __future__ import annotations

import copy
import copyreg
import functools
import inspect
import sys
from typing import Any, Callable

from kettle.core import broadcast, diff_methods, qmath, queuing
from kettle.core.config import ExecutionConfig
from kettle.core.config import build as build_config
from kettle.core.measurements import MeasurementProcess
from kettle.core.shots import Shots
from kettle.core.tape import QuantumTape, split_recorded
from kettle.errors import InterfaceError, QuantumFunctionError

class QNode:
    """A quantum function bound to a device.

    Args:
        func: a function that applies gates and returns measurement(s).
        device: the device that runs the circuit.
        interface: "auto" (from the arguments), "autograd"/"numpy", "torch", "tf", "jax" or None.
        diff_method: "best", a registered method ("backprop", "adjoint", "parameter-shift",
            "finite-diff", "spsa", "device"; see ``kettle.core.diff_methods``), a gradient
            transform, or None.
        executor: where batches of circuits run (a ``concurrent.futures.Executor`` or a
            ``dask.distributed.Client``); overrides the device's executor for this QNode.
        **gradient_kwargs: options of the gradient method (``h``, ``approx_order``, ``strategy``,
            ``max_diff``, …); unknown names raise an error.

    Calling the QNode with ``shots=`` overrides the device's shots for that call (unless the
    function itself takes a ``shots`` argument). A QNode keeps nothing about its calls: one QNode
    may be called from several threads at once.
    """

    # TF's autograph leaves objects carrying this marker unconverted: a QNode is plain Python that
    # records a tape, and runs as written inside tf.function.
    autograph_info__ = frozenset()

    def __init__(self, func: Callable, device, interface: Any = "auto", diff_method: Any = "best",
                 *, executor: Any = None, **gradient_kwargs: Any):
        from kettle.interfaces.execute import canonical_interface

        if not callable(func):
            raise QuantumFunctionError(f"QNode needs a callable quantum function, got {func!r}",
                                       value=func)
        self.func = func
        self.device = device
        self.interface = canonical_interface(interface)
        method = None if diff_method in (None, "best") else diff_methods.get(diff_method)
        self.diff_method = diff_method
        if method is not None:
            method.check_options(gradient_kwargs, strict=not callable(diff_method))
            if not callable(diff_method):
                method.check_device(device, self.interface, gradient_kwargs)
        else:
            diff_methods.check_option_values(gradient_kwargs, diff_method)
        self.gradient_kwargs = dict(gradient_kwargs)
        self.executor = executor
        self._takes_shots = "shots" in inspect.signature(func).parameters
        #: shots of this QNode's circuits (None: the device's); see :func:`set_shots`
        self.shots: Shots | None = None
        functools.update_wrapper(self, func)

    def __reduce__(self):
        # ``@kt.qnode`` replaces the function by the QNode under its name: pickle it by that name
        # (as pickle does with functions), since the function itself cannot be found by its own
        module = sys.modules.get(getattr(self, "__module__", None) or "")
        found = module
        for part in getattr(self, "__qualname__", "").split("."):
            found = getattr(found, part, None)
        if found is self:
            return self.__qualname__
        if isinstance(found, QNode) and found.func is self.func:  # e.g. set_shots of one
            return _variant_of, (found, {k: v for k, v in vars(self).items()
                                         if k not in ("func", "__wrapped__")})
        return copyreg.__newobj__, (type(self),), dict(vars(self))

    def __copy__(self) -> "QNode":
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def __repr__(self) -> str:
        return (f"<QNode: device='{self.device.name}', interface={self.interface!r}, "
                f"diff_method={self.diff_method!r}>")

    # ---------------------------------------------------------------- construction
    def construct(self, args: tuple, kwargs: dict) -> tuple[QuantumTape, Any]:
        """Record the quantum function into a tape.

        Returns:
            ``(tape, structure)``: the tape and what the function returned (a measurement, or a
            tuple/list of them), which decides the shape of the QNode's result.
        """
        shots = self.shots if self.shots is not None else self.device.shots
        if not self._takes_shots and "shots" in kwargs:
            kwargs = dict(kwargs)
            shots = Shots(kwargs.pop("shots"))
        with queuing.recording() as rec, self._flow_scope(shots):
            result = self.func(*args, **kwargs)
        ops, _ = split_recorded(rec.items)
        measurements = _returned_measurements(result, self.func)
        return QuantumTape(ops, measurements, shots=shots), result

    def _flow_scope(self, shots: Shots):
        """Inside kt.qjit: whether kettle loops and conditionals in the quantum function become
        single structured operations (simulated by the device with jax.lax) or are unrolled."""
        from kettle.compiler.context import FlowScope, compiling, flow_scope_set

        if not compiling():
            return flow_scope_set(None)
        caps, method = self.device.capabilities, self.diff_method
        if not caps.control_flow:
            reason = f"device '{self.device.name}' does not simulate compiled control flow"
        elif not shots.analytic:
            reason = f"the QNode runs with shots={shots}"
        elif method == "best" and "device" in caps.derivatives:
            reason = f"device '{self.device.name}' differentiates the unrolled gates itself"
        # compiled programs are JAX programs: the simulation must run on JAX tracers
        elif method not in ("backprop", "best", None) or "jax" not in caps.backprop_interfaces:
            reason = (f"diff_method={method!r} differentiates the gates one by one; use "
                      "diff_method='backprop' for loops compiled as loops")
        else:
            return flow_scope_set(FlowScope(wires=self.device.wires))
        return flow_scope_set(FlowScope(reason=reason))

    def __call__(self, *args: Any, **kwargs: Any):
        # mixing frameworks is an error before anything is recorded
        values = leaf_values(args) + leaf_values(tuple(kwargs.values()))
        detected = qmath.get_interface(*values)
        tape, structure = self.construct(args, kwargs)
        split = broadcast.needs_split(self.device, tape)
        tapes = [self.device.preprocess(t) for t in (broadcast.split(tape) if split else [tape])]
        interface = self.call_interface(detected, tape)
        results = self.execute(tapes, interface)
        res = broadcast.stack(results) if split else results[0]
        # NumPy results in the caller's framework: interface="torch" called with NumPy values, or
        # framework arguments no gate depends on (nothing in the circuit was a framework tensor)
        target = self.interface if interface == "numpy" else interface
        if target in qmath.FRAMEWORKS:
            res = _to_interface(res, target)
        return _unpack(res, tape, structure)

    def call_interface(self, detected: str, tape: QuantumTape) -> str | None:
        """The interface of a call whose arguments are ``detected`` arrays and that recorded
        ``tape`` (gates may hold framework tensors captured from outside the arguments)."""
        captured = qmath.get_interface(*tape.get_parameters(trainable_only=False))
        return self._resolve_interface(qmath.merge_interfaces(detected, captured))

    def config(self, tapes: list[QuantumTape], interface: str | None) -> ExecutionConfig:
        """The execution config of one call (diff method resolved, options, executor)."""
        return build_config(self.device, tapes, diff_method=self.diff_method, interface=interface,
                            options=self.gradient_kwargs, executor=self.executor)

    def execute(self, tapes: list[QuantumTape], interface: str | None) -> list:
        """Run preprocessed tapes through the execute boundary with this QNode's diff method, so
        their results are differentiable in ``interface``."""
        from kettle.interfaces.execute import execute

        return execute(tapes, self.device, config=self.config(tapes, interface))

    def _resolve_interface(self, detected: str) -> str | None:
        """The interface of this call: the declared one, checked against the arrays given."""
        declared = self.interface
        if declared in ("auto", None):
            return detected if declared == "auto" else None
        if detected in ("numpy", declared):
            return detected
        raise InterfaceError(
            f"this QNode was created with interface={declared!r} but was called with {detected} "
            f"arrays; pass {declared} arrays or create the QNode with interface='auto'",
            interfaces=[declared, detected])



def _unpack(res, tape: QuantumTape, structure: Any):
    """Results in the shape the quantum function returned its measurements."""
    def shape_one(r):
        if isinstance(structure, MeasurementProcess):
            return r[0]
        return list(r) if isinstance(structure, list) else tuple(r)

    if tape.shots.has_vector:
        return tuple(shape_one(r) for r in res)
    return shape_one(res)


_UNSET = object()


def _variant_of(base: QNode, state: dict) -> QNode:
    """Unpickling: a QNode sharing ``base``'s (named) function with other settings."""
    new = copy.copy(base)
    new.__dict__.update(state)
    return new


def set_shots(*args: Any, shots: Any = _UNSET):
    """A QNode with new shots: ``set_shots(qnode, shots=100)``, or as a decorator above
    ``@kt.qnode``: ``@kt.set_shots(shots=100)`` (also ``set_shots(100)``).

    The QNode given is left as it is; ``shots=None`` means exact results. A ``shots=`` keyword at
    call time still overrides both.

    Raises:
        QuantumFunctionError: neither a QNode nor shots given, or shots given twice.
    """
    if args and isinstance(args[0], QNode):
        target, rest = args[0], args[1:]
        if len(rest) > 1 or (rest and shots is not _UNSET):
            raise QuantumFunctionError("set_shots(qnode, shots) takes the shots once",
                                       value=args)
        value = rest[0] if rest else shots
        if value is _UNSET:
            raise QuantumFunctionError("set_shots(qnode) needs the shots: set_shots(qnode, "
                                       "shots=100), or shots=None for exact results", value=target)
        new = copy.copy(target)
        new.shots = Shots(value)
        target.device._check_shots(new.shots)
        return new
    if len(args) > 1 or (args and shots is not _UNSET):
        raise QuantumFunctionError(f"set_shots got {args!r}; use set_shots(qnode, shots=100) or "
                                   "@kt.set_shots(shots=100) above @kt.qnode", value=args)
    value = args[0] if args else shots
    if value is _UNSET:
        raise QuantumFunctionError("set_shots() needs shots: @kt.set_shots(shots=100)", value=None)
    Shots(value)  # a bad shots value is an error here, not at the first call

    def decorate(target):
        if not isinstance(target, QNode):
            raise QuantumFunctionError(
                f"@kt.set_shots decorates a QNode, got {target!r}; put it above @kt.qnode(...)",
                value=target)
        return set_shots(target, shots=value)

    return decorate


def qnode(device, interface: Any = "auto", diff_method: Any = "best", *, executor: Any = None,
          **gradient_kwargs: Any):
    """Decorator form of :class:`QNode`: ``@kt.qnode(dev)``."""

    def wrap(func: Callable) -> QNode:
        return QNode(func, device, interface=interface, diff_method=diff_method,
                     executor=executor, **gradient_kwargs)

    return wrap


def _returned_measurements(result: Any, func: Callable) -> list[MeasurementProcess]:
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    for item in items:
        if not isinstance(item, MeasurementProcess):
            name = getattr(func, "__name__", "the quantum function")
            raise QuantumFunctionError(
                f"{name} returned {item!r} ({type(item).__name__}); a quantum function must return "
                "measurements such as kt.expval(kt.PauliZ(0)), or a tuple/list of them", value=item)
    if not items:
        raise QuantumFunctionError("the quantum function returned no measurement", value=result)
    return items


def _to_interface(res, interface: str):
    if isinstance(res, (tuple, list)):
        return type(res)(_to_interface(r, interface) for r in res)
    if isinstance(res, dict):  # counts stay a dictionary
        return res
    if qmath.backend_of(res) != "numpy":  # already the framework's (or autograd's) array
        return res
    return qmath.asarray(res, interface)


def leaf_values(values: tuple) -> list:
    """Every leaf of nested tuples, lists and dicts of arguments."""
    out = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(leaf_values(tuple(v)))
        elif isinstance(v, dict):
            out.extend(leaf_values(tuple(v.values())))
        else:
            out.append(v)
    return out
