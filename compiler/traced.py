"""Checks made at the execute boundary for QNodes inside compiled programs.

How those QNodes run is the JAX adapter's business (interfaces/jax.py: host calls with a custom
JVP; interfaces/jax_traced.py: simulation on the tracers, for circuits fed loop indices).
"""
from __future__ import annotations

from typing import Sequence

from kettle.core.tape import QuantumTape
from kettle.errors import DeviceError


def check_exact(tapes: Sequence[QuantumTape], device) -> None:
    """Sampling is not compiled: a tape with finite shots is a DeviceError inside kt.qjit."""
    for t in tapes:
        if not t.shots.analytic:
            vec = t.shots.vector
            shots = vec[0] if len(vec) == 1 else list(vec)
            raise DeviceError(
                f"kt.qjit compiles exact simulation only, but a QNode on '{device.name}' has "
                f"shots={shots}; use shots=None inside kt.qjit", device=device.name)
