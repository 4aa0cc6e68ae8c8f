"""What is installed: ``kt.about()`` and the device listing of ``python -m kettle devices``.

Versions come from the installed distributions' metadata, so nothing here imports a framework.
"""
from __future__ import annotations

import importlib.metadata as md
import os
import platform
import sys
from typing import TextIO

from kettle.devices.registry import available_devices, device_conflicts

#: packages kettle needs, by distribution name.
DEPENDENCIES = ("numpy", "autoray", "autograd", "pluggy")
#: optional frameworks: display name -> distributions that provide it (first installed wins).
FRAMEWORKS = {
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"),
    "jax": ("jax",),
}


def _version(dist: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return None


def _framework(name: str) -> str:
    for dist in FRAMEWORKS[name]:
        version = _version(dist)
        if version is not None:
            return f"{name} {version}" + ("" if dist == name else f" ({dist})")
    return f"{name} not installed"


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def describe_devices() -> list[str]:
    """Three lines per installed device (package, version, capabilities), one per name conflict."""
    lines = []
    pad = " " * 19
    for name, entry in sorted(available_devices().items()):
        caps = entry.capabilities
        lines.append(f"  {name:<16} from {entry.distribution} {entry.version}: "
                     f"{len(caps.operations)} operations, {len(caps.observables)} observables")
        lines.append(f"{pad}measurements: {', '.join(sorted(caps.measurements)) or 'none'}")
        lines.append(
            f"{pad}own derivatives: {', '.join(sorted(caps.derivatives)) or 'none'}; backprop "
            f"with: {', '.join(sorted(caps.backprop_interfaces)) or 'none'}; shots: "
            f"{_yes(caps.shots)}; analytic: {_yes(caps.analytic)}; broadcasting: "
            f"{_yes(caps.broadcasting)}")
    for name, entries in sorted(device_conflicts().items()):
        owners = " and ".join(f"{e.distribution} {e.version}" for e in entries)
        lines.append(f"  {name:<16} UNUSABLE: claimed by both {owners}; uninstall one of them")
    return lines


def about(*, file: TextIO | None = None) -> None:
    """Print kettle's version, Python, dependencies, installed frameworks and devices.

    Args:
        file: where to print (default: standard output).

    Example:
        >>> import kettle as kt
        >>> kt.about()  # doctest: +SKIP
        kettle 0.1.0 at /path/to/kettle
        ...
    """
    import kettle

    out = file if file is not None else sys.stdout
    deps = ", ".join(f"{d} {_version(d) or 'not installed'}" for d in DEPENDENCIES)
    print(f"kettle {kettle.__version__} at {os.path.dirname(os.path.abspath(kettle.__file__))}",
          file=out)
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on "
          f"{platform.platform()}", file=out)
    print(f"dependencies: {deps}", file=out)
    print(f"frameworks: {', '.join(_framework(f) for f in FRAMEWORKS)}", file=out)
    print("devices:", file=out)
    for line in describe_devices():
        print(line, file=out)
