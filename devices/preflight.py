"""Checks a simulator runs on a circuit before it allocates a state or draws samples.

Two failures used to surface deep inside NumPy with messages that name neither the circuit nor the
fix: a state too large for the machine ("Unable to allocate 16.0 TiB", or NumPy's limit of 64 array
dimensions) and a NaN or infinite gate angle with shots ("probabilities contain NaN"). Both are
decided from the circuit alone, so they are raised before any work is done.
"""
from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from kettle.core import qmath
from kettle.core.tape import QuantumTape
from kettle.errors import DeviceError, OperatorError

#: NumPy's limit on array dimensions (a state has one axis per wire, a density matrix two)
MAX_ARRAY_AXES = 64


@functools.lru_cache(maxsize=1)
def physical_memory() -> int | None:
    """Bytes of physical memory of this machine, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(n: float) -> str:
    """``17592186044416`` → ``"16.0 TiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    raise AssertionError("unreachable")


def state_bytes(n_wires: int, axes_per_wire: int, params: list, batch_size: int | None) -> int:
    """Bytes of one state: 2**(axes_per_wire·n) amplitudes of the circuit's complex precision."""
    itemsize = 8 if qmath.complex_dtype(*params) == "complex64" else 16
    return (2 ** (axes_per_wire * n_wires)) * itemsize * (batch_size or 1)


def check_state_fits(device_name: str, tape: QuantumTape, n_wires: int, *,
                     axes_per_wire: int = 1, memory: int | None = None) -> None:
    """Raise before allocating a state that this machine cannot hold.

    Args:
        device_name: named in the message.
        tape: the circuit (its parameters give the precision, its batch size the batch axis).
        n_wires: the number of wires simulated.
        axes_per_wire: 1 for a state vector, 2 for a density matrix.
        memory: the bytes available (default: this machine's physical memory).

    Raises:
        DeviceError: the state needs more bytes than ``memory``, or more array axes than NumPy
            allows; the message names the wire count and the bytes.
    """
    memory = physical_memory() if memory is None else memory
    axes = axes_per_wire * n_wires
    if axes <= MAX_ARRAY_AXES and (memory is None or
                                   (2 ** axes) * 16 * (tape.batch_size or 1) <= memory):
        return  # fits even in double precision: no need to look at the parameters
    params = tape.get_parameters(trainable_only=False)
    need = state_bytes(n_wires, axes_per_wire, params, tape.batch_size)
    what = "state vector" if axes_per_wire == 1 else "density matrix"
    size = f"2**{axes_per_wire * n_wires}" if axes_per_wire * n_wires > 20 else \
        f"{2 ** (axes_per_wire * n_wires)}"
    if memory is not None and need > memory:
        raise DeviceError(
            f"device '{device_name}' cannot simulate {n_wires} wires: one {what} of {size} "
            f"amplitudes needs {format_bytes(need)}, but this machine has {format_bytes(memory)} of "
            f"memory; use fewer wires", device=device_name)
    if axes_per_wire * n_wires > MAX_ARRAY_AXES:
        raise DeviceError(
            f"device '{device_name}' cannot simulate {n_wires} wires: its {what} would need "
            f"{axes_per_wire * n_wires} array axes ({format_bytes(need)}), more than NumPy's "
            f"{MAX_ARRAY_AXES}; use fewer wires", device=device_name)


def check_finite_angles(tape: QuantumTape) -> None:
    """With shots, a NaN or infinite gate parameter is an error naming the gate and parameter.

    Analytic results simply carry the NaN; sampling from NaN probabilities cannot. Traced values
    (inside jax.jit or tf.function) are not checked.

    Raises:
        OperatorError: a gate parameter that is NaN or ±inf.
    """
    if tape.shots.analytic:
        return
    shots = list(tape.shots.vector) if tape.shots.has_vector else tape.shots.total
    for op in tape.operations:
        for i, p in enumerate(op.data):
            bad = _non_finite(p)
            if bad is not None:
                raise OperatorError(
                    f"{op.name} on wires {list(op.wires)} has parameter {i} = {bad}, and a circuit "
                    f"with shots={shots} cannot be sampled from non-finite probabilities; "
                    f"check the value passed to {op.name} (e.g. a division by zero or log(0) in "
                    f"the cost)", operator=op.name)


def _non_finite(p: Any) -> Any:
    if isinstance(p, (int, bool)):
        return None
    if isinstance(p, (float, complex)):
        return p if not np.isfinite(p) else None
    if qmath.is_abstract(p) or not qmath.dtype_name(p).startswith(("float", "complex", "bfloat")):
        return None
    values = np.atleast_1d(qmath.to_numpy(p))
    bad = values[~np.isfinite(values)]
    return bad.flat[0].item() if bad.size else None
