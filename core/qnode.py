"""QNode: a quantum function bound to a device, callable like an ordinary function."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from kettle.core import broadcast, qmath, queuing
from kettle.core.measurements import MeasurementProcess
from kettle.core.shots import Shots
from kettle.core.tape import QuantumTape, split_recorded
from kettle.errors import DiffMethodError, InterfaceError, QuantumFunctionError

#: valid diff_method strings; a gradient transform (e.g. ``kt.gradients.param_shift``, or one of
#: the user's own ``transform(tape) -> (tapes, fn)``) is accepted too.
DIFF_METHODS = ("best", "backprop", "adjoint", "parameter-shift", "finite-diff", "device", "spsa")

#: options QNodes pass to gradient methods; anything else is a misspelling and an error.
GRADIENT_OPTIONS = frozenset({"h", "approx_order", "strategy", "max_diff", "num_directions",
                              "sampler_rng", "shifts"})


class QNode:
    """A quantum function bound to a device.

    Args:
        func: a function that applies gates and returns measurement(s).
        device: the device that runs the circuit.
        interface: "auto" (from the arguments), "autograd"/"numpy", "torch", "tf", "jax" or None.
        diff_method: "best", "backprop", "adjoint", "parameter-shift", "finite-diff", "device" or None.
        **gradient_kwargs: options of the gradient method (``h``, ``approx_order``, ``strategy``,
            ``max_diff``, …); unknown names raise an error.

    Calling the QNode with ``shots=`` overrides the device's shots for that call (unless the
    function itself takes a ``shots`` argument).
    """

    # TF's autograph leaves objects carrying this marker unconverted: a QNode is plain Python that
    # records a tape, and runs as written inside tf.function.
    autograph_info__ = frozenset()

    def __init__(self, func: Callable, device, interface: Any = "auto", diff_method: Any = "best",
                 **gradient_kwargs: Any):
        from kettle.interfaces.execute import canonical_interface, validate_method

        if not callable(func):
            raise QuantumFunctionError(f"QNode needs a callable quantum function, got {func!r}",
                                       value=func)
        self.func = func
        self.device = device
        self.interface = canonical_interface(interface)
        if diff_method is not None and not callable(diff_method) and diff_method not in DIFF_METHODS:
            raise DiffMethodError(
                f"unknown diff_method {diff_method!r}; valid methods are "
                f"{', '.join(repr(d) for d in DIFF_METHODS)}, None, or a gradient transform such as "
                "kt.gradients.param_shift", diff_method=diff_method)
        self.diff_method = diff_method
        unknown = set(gradient_kwargs) - GRADIENT_OPTIONS
        if unknown:
            raise DiffMethodError(
                f"unknown QNode option(s) {sorted(unknown)}; valid options are "
                f"{', '.join(sorted(GRADIENT_OPTIONS))}", diff_method=diff_method)
        _check_option_values(gradient_kwargs, diff_method)
        self.gradient_kwargs = gradient_kwargs
        if diff_method is not None and not callable(diff_method):
            validate_method(device, diff_method, self.interface)
        if diff_method == "device" and gradient_kwargs.get("max_diff", 1) > 1:
            # a device's own Jacobian is computed on the device, not by a framework: it cannot be
            # differentiated again
            raise DiffMethodError(
                f"diff_method='device' gives first derivatives only (device '{device.name}' "
                "computes them itself); use diff_method='parameter-shift' with max_diff=2 for "
                "second derivatives", diff_method=diff_method)
        self._takes_shots = "shots" in inspect.signature(func).parameters
        self.tape: QuantumTape | None = None
        functools.update_wrapper(self, func)

    def __repr__(self) -> str:
        return (f"<QNode: device='{self.device.name}', interface={self.interface!r}, "
                f"diff_method={self.diff_method!r}>")

    # ---------------------------------------------------------------- construction
    def construct(self, args: tuple, kwargs: dict) -> QuantumTape:
        """Record the quantum function into a tape (validated against the device)."""
        shots = self.device.shots
        if not self._takes_shots and "shots" in kwargs:
            kwargs = dict(kwargs)
            shots = Shots(kwargs.pop("shots"))
        with queuing.recording() as rec, self._flow_scope(shots):
            result = self.func(*args, **kwargs)
        ops, _ = split_recorded(rec.items)
        measurements = _returned_measurements(result, self.func)
        tape = QuantumTape(ops, measurements, shots=shots)
        self._structure = result
        self.tape = tape
        return tape

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
        elif method not in ("backprop", "best", None) or "jax" not in caps.backprop_interfaces:
            reason = (f"diff_method={method!r} differentiates the gates one by one; use "
                      "diff_method='backprop' for loops compiled as loops")
        else:
            return flow_scope_set(FlowScope(wires=self.device.wires))
        return flow_scope_set(FlowScope(reason=reason))

    def __call__(self, *args: Any, **kwargs: Any):
        # mixing frameworks is an error before anything is recorded
        qmath.get_interface(*_flatten(args), *_flatten(tuple(kwargs.values())))
        tape = self.construct(args, kwargs)
        split = broadcast.needs_split(self.device, tape)
        tapes = [self.device.preprocess(t) for t in (broadcast.split(tape) if split else [tape])]
        interface = self.call_interface(args, kwargs, tape)
        results = self.execute(tapes, interface)
        res = broadcast.stack(results) if split else results[0]
        # NumPy results in the caller's framework: interface="torch" called with NumPy values, or
        # framework arguments no gate depends on (nothing in the circuit was a framework tensor)
        target = self.interface if interface == "numpy" else interface
        if target in ("torch", "tf", "jax"):
            res = _to_interface(res, target)
        return self._unpack(res, tape)

    def call_interface(self, args: tuple, kwargs: dict, tape: QuantumTape) -> str | None:
        """The interface of a call with ``args``/``kwargs`` that recorded ``tape``."""
        values = _flatten(args) + _flatten(tuple(kwargs.values()))
        detected = qmath.get_interface(*values, *tape.get_parameters(trainable_only=False))
        return self._resolve_interface(detected)

    def execute(self, tapes: list[QuantumTape], interface: str | None) -> list:
        """Run preprocessed tapes through the execute boundary with this QNode's diff method, so
        their results are differentiable in ``interface``."""
        from kettle.interfaces.execute import execute

        return execute(tapes, self.device, diff_method=self.diff_method, interface=interface,
                       gradient_kwargs=self.gradient_kwargs,
                       max_diff=self.gradient_kwargs.get("max_diff", 1))

    def _resolve_interface(self, detected: str) -> str | None:
        """The interface of this call: the declared one, checked against the arrays given."""
        declared = self.interface
        if declared in ("auto", None):
            return detected if declared == "auto" else None
        if detected in ("numpy", declared) or (declared == "autograd" and detected == "autograd"):
            return detected
        raise InterfaceError(
            f"this QNode was created with interface={declared!r} but was called with {detected} "
            f"arrays; pass {declared} arrays or create the QNode with interface='auto'",
            interfaces=[declared, detected])

    def _unpack(self, res, tape: QuantumTape):
        def shape_one(r):
            if isinstance(self._structure, MeasurementProcess):
                return r[0]
            return list(r) if isinstance(self._structure, list) else tuple(r)

        if tape.shots.has_vector:
            return tuple(shape_one(r) for r in res)
        return shape_one(res)


#: which options each method reads ("best" may resolve to any of them)
METHOD_OPTIONS = {"finite-diff": {"h", "approx_order", "strategy"},
               "spsa": {"h", "num_directions", "sampler_rng"},
               "parameter-shift": {"shifts"}}


def _check_option_values(options: dict, diff_method: Any) -> None:
    """Option values are checked when the QNode is made, not at the first gradient."""
    def positive_int(name):
        value = options[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DiffMethodError(f"QNode option {name} must be a positive integer, got {value!r}",
                                  diff_method=diff_method)

    if "h" in options:
        h = options["h"]
        if isinstance(h, bool) or not isinstance(h, (int, float)) or not h > 0:
            raise DiffMethodError(f"QNode option h (the finite-difference step) must be a positive "
                                  f"number, got {h!r}", diff_method=diff_method)
    for name in ("approx_order", "num_directions", "max_diff"):
        if name in options:
            positive_int(name)
    if options.get("strategy", "forward") not in ("forward", "backward", "center"):
        raise DiffMethodError(f"QNode option strategy must be 'forward', 'backward' or 'center', "
                              f"got {options['strategy']!r}", diff_method=diff_method)
    if isinstance(diff_method, str) and diff_method != "best":
        read = METHOD_OPTIONS.get(diff_method, set()) | {"max_diff"}
        unused = sorted(set(options) - read)
        if unused:
            users = sorted(m for m, names in METHOD_OPTIONS.items() if set(unused) & names)
            raise DiffMethodError(
                f"QNode option(s) {unused} do nothing with diff_method={diff_method!r}; they "
                f"belong to {', '.join(repr(u) for u in users)}", diff_method=diff_method)


def qnode(device, interface: Any = "auto", diff_method: Any = "best", **gradient_kwargs: Any):
    """Decorator form of :class:`QNode`: ``@kt.qnode(dev)``."""

    def wrap(func: Callable) -> QNode:
        return QNode(func, device, interface=interface, diff_method=diff_method, **gradient_kwargs)

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


def _flatten(values: tuple) -> list:
    out = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out.extend(_flatten(tuple(v)))
        elif isinstance(v, dict):
            out.extend(_flatten(tuple(v.values())))
        else:
            out.append(v)
    return out
