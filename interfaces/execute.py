"""The one execute boundary between QNodes and devices.

Every QNode execution passes through :func:`execute`. Forward execution lives here; the framework
files of this package register custom gradients around it.
"""
from __future__ import annotations

from typing import Sequence

from kettle.core.tape import QuantumTape
from kettle.errors import InterfaceError

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


def canonical_interface(name) -> str | None:
    """The canonical interface name, or an error listing the valid names."""
    try:
        return INTERFACE_NAMES[name]
    except (KeyError, TypeError):
        valid = ", ".join(repr(k) for k in INTERFACE_NAMES)
        raise InterfaceError(f"unknown interface {name!r}; valid interfaces are {valid}",
                             interfaces=[name]) from None


def execute(tapes: Sequence[QuantumTape], device, diff_method=None, interface=None) -> list:
    """Run tapes on a device and return one result per tape."""
    return device.execute(list(tapes))
