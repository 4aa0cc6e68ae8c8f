"""``kt.specs``: the resources a QNode call needs, counted without running the circuit."""
from __future__ import annotations

import functools
import math
from collections import Counter
from typing import Any, Callable

from kettle.core import broadcast, drawer, qmath
from kettle.core.tape import QuantumTape

#: bytes per amplitude of a complex128 state vector (a complex64 state needs half)
_AMPLITUDE_BYTES = 16


def depth(tape: QuantumTape) -> int:
    """Circuit depth: the longest chain of gates that share a wire (gates on disjoint wires run in
    the same time step)."""
    busy: dict = {}
    for op in tape.operations:
        step = 1 + max((busy.get(w, 0) for w in op.wires), default=0)
        for w in op.wires:
            busy[w] = step
    return max(busy.values(), default=0)


def _trainable(tape: QuantumTape, interface: str | None) -> list[int]:
    """Indices of the tape's parameters that the call's framework would differentiate."""
    params = tape.get_parameters(trainable_only=False)
    if interface not in qmath.FRAMEWORKS:  # kettle.numpy arrays say so themselves
        return [i for i, p in enumerate(params) if getattr(p, "requires_grad", False)]
    from kettle.interfaces.execute import adapter

    return list(adapter(interface).trainable_indices(tape))


def _resolved_method(qnode, tape: QuantumTape, interface: str | None):
    """The registry entry of the QNode's diff method for this call ("best" resolved), or None."""
    from kettle.core import diff_methods

    if qnode.diff_method is None:
        return None
    # NumPy values: a gradient of this call (kt.grad) would run through autograd
    framework = "autograd" if interface in (None, "numpy") else interface
    return diff_methods.resolve(qnode.diff_method, qnode.device, framework, [tape])


def gradient_tapes(method, tape: QuantumTape, options: dict) -> list[QuantumTape]:
    """The tapes one gradient of ``tape`` (its ``trainable_params`` set) executes besides the forward
    pass: those of the method's gradient transform, built with the QNode's options on the tape the
    method differentiates; none for backprop, adjoint or a device's own derivatives (computed by
    the framework or the device without executing more circuits).

    ``method`` is a diff-method registry entry (kettle.core.diff_methods).
    """
    if method is None or not tape.trainable_params or method.transform is None:
        return []
    from kettle.core.diff_methods import MAX_DIFF

    opts = {k: v for k, v in options.items() if k in method.options}
    if method.configure is not None:
        opts = method.configure(opts, options.get(MAX_DIFF, 1))
    numeric = tape.bind_new_parameters(  # plain values, as the framework adapters pass them
        [qmath.to_numpy(p) for p in tape.get_parameters(trainable_only=False)],
        range(len(tape.get_parameters(trainable_only=False))))
    numeric.trainable_params = tape.trainable_params
    tapes, _ = method.transform(method.expand(numeric), **opts)
    return list(tapes)


class _Anything:
    """Stands for a result while counting simulations: any batch entry of it is itself."""

    def __getitem__(self, index):
        return self


def simulations(device, tapes: list[QuantumTape]) -> int:
    """How many simulations the device runs for ``tapes``: tapes of one structure are merged into
    one broadcast simulation on broadcasting devices (core/batching.py), counted without running."""
    from kettle.core import batching

    runs: list[int] = []

    def count(batch):
        runs.append(len(batch))
        return [_Anything() for _ in batch]

    batching.execute(device, tapes, count)
    return sum(runs)


def _size(p: Any) -> int:
    return int(math.prod(qmath.shape(p)))


def specs(qnode, *, level: str = "device") -> Callable[..., dict]:
    """A function of the QNode's arguments that returns the resources of that call.

    Nothing is simulated: the circuit is recorded (and, at level "device", decomposed as the
    device would) and counted.

    Args:
        qnode: the QNode.
        level: "device" counts the gates the device runs (after its decompositions); "top" counts
            the circuit as written (a template is one gate).

    Returns:
        A function returning a dict with ``gate_counts`` (name → number), ``num_gates``,
        ``depth``, ``num_wires`` (wires the circuit uses), ``num_device_wires``, ``num_params``
        (scalar entries of the gate and observable parameters), ``num_trainable_params`` (those the
        call's framework differentiates), ``diff_method`` (as resolved for this call), ``shots``,
        ``device_name``, ``state_vector_bytes`` (a complex128 state over the device's wires),
        ``gradient_executions`` (circuits one gradient step evaluates, its forward pass included)
        and ``gradient_simulations`` (simulations the device runs for them: on a broadcasting
        device, shifted circuits of one structure run as one broadcast simulation).

    Example:
        >>> from kettle import numpy as np
        >>> dev = kt.device("default.qubit", wires=2)
        >>> @kt.qnode(dev, diff_method="parameter-shift")
        ... def circuit(x):
        ...     kt.RX(x[0], wires=0)
        ...     kt.CNOT(wires=[0, 1])
        ...     kt.RY(x[1], wires=1)
        ...     return kt.expval(kt.PauliZ(1))
        >>> info = kt.specs(circuit)(np.array([0.1, 0.2]))
        >>> info["gate_counts"], info["depth"], info["gradient_executions"]
        ({'RX': 1, 'CNOT': 1, 'RY': 1}, 3, 5)
    """

    @functools.wraps(qnode)
    def wrapper(*args: Any, **kwargs: Any) -> dict:
        tape = drawer.record(qnode, args, kwargs, "top")
        from kettle.core.qnode import leaf_values

        detected = qmath.get_interface(*leaf_values(args), *leaf_values(tuple(kwargs.values())))
        interface = qnode.call_interface(detected, tape)
        method = _resolved_method(qnode, tape, interface)
        params = tape.get_parameters(trainable_only=False)
        trainable = _trainable(tape, interface)
        # what the gradient sees: the device's gates, then the method's own expansion
        device_tape = qnode.device.preprocess(tape) if tape.batch_size is None else \
            qnode.device.preprocess(broadcast.split(tape)[0])
        device_tape.trainable_params = _trainable(device_tape, interface)
        runs = tape.batch_size if broadcast.needs_split(qnode.device, tape) else 1
        counted = device_tape if level == "device" else tape
        options = dict(getattr(qnode, "gradient_kwargs", None) or {})
        grad_tapes = gradient_tapes(method, device_tape, options)
        n_device = len(qnode.device.wires)
        return {
            "gate_counts": dict(Counter(op.name for op in counted.operations)),
            "num_gates": len(counted.operations),
            "depth": depth(counted),
            "num_wires": len(counted.wires),
            "num_device_wires": n_device,
            "num_params": sum(_size(p) for p in params),
            "num_trainable_params": sum(_size(params[i]) for i in trainable),
            "diff_method": None if method is None else method.name,
            "shots": tape.shots,
            "device_name": qnode.device.name,
            "state_vector_bytes": int(_AMPLITUDE_BYTES * 2 ** n_device),
            "gradient_executions": runs * (1 + len(grad_tapes)),
            "gradient_simulations": runs * (1 + simulations(qnode.device, grad_tapes)),
        }

    return wrapper

