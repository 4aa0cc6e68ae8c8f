"""Device discovery: built-in devices and setuptools entry points of group ``kettle.devices``."""
from __future__ import annotations

import difflib
import importlib.metadata as md
import warnings
from dataclasses import dataclass
from typing import Any

import pluggy

from kettle.devices import builtin_plugin, hookspecs
from kettle.errors import DeviceError

ENTRY_POINT_GROUP = "kettle.devices"


@dataclass(frozen=True)
class DeviceEntry:
    name: str
    cls: type
    distribution: str
    version: str


_REGISTRY: dict[str, DeviceEntry] | None = None


def _load() -> dict[str, DeviceEntry]:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs.DeviceSpec)
    sources: dict[int, tuple[str, str]] = {}
    pm.register(builtin_plugin, name="kettle.builtin")
    sources[id(builtin_plugin)] = ("kettle", _version("kettle"))
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else ep.value
        try:
            plugin = ep.load()
            if pm.is_registered(plugin):
                continue
            pm.register(plugin, name=f"{dist}:{ep.name}")
        except Exception as exc:  # a broken plugin must not take the others down
            warnings.warn(f"kettle device plugin '{ep.name}' from package '{dist}' failed to load "
                          f"and is skipped: {type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=3)
            continue
        sources[id(plugin)] = (dist, ep.dist.version if ep.dist is not None else "?")
    registry: dict[str, DeviceEntry] = {}
    for impl in pm.hook.kettle_devices.get_hookimpls():
        dist, version = sources.get(id(impl.plugin), (impl.plugin_name, "?"))
        try:
            devices = impl.function()
        except Exception as exc:
            warnings.warn(f"kettle device plugin from package '{dist}' failed while listing its "
                          f"devices and is skipped: {type(exc).__name__}: {exc}", RuntimeWarning,
                          stacklevel=3)
            continue
        for name, cls in (devices or {}).items():
            if name in registry and registry[name].distribution != dist:
                raise DeviceError(
                    f"two plugins claim the device name '{name}': packages "
                    f"'{registry[name].distribution}' and '{dist}'; uninstall one of them",
                    device=name)
            registry[name] = DeviceEntry(name, cls, dist, version)
    return registry


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "?"


def available_devices(refresh: bool = False) -> dict[str, DeviceEntry]:
    """All installed devices by name (loaded once, then cached)."""
    global _REGISTRY
    if _REGISTRY is None or refresh:
        _REGISTRY = _load()
    return dict(_REGISTRY)


def device(name: str, wires: Any = 1, *, shots: Any = None, seed: Any = None, **options: Any):
    """Create a device by name.

    Args:
        name: device name, e.g. ``"default.qubit"``.
        wires: number of wires or an iterable of wire labels.
        shots: None (analytic), a positive int, or a shot vector.
        seed: seed for sampling.
        **options: device-specific options, passed to the device's constructor.

    Raises:
        DeviceError: unknown name (with the installed devices and close matches).
    """
    devices = available_devices()
    if name not in devices:
        close = difflib.get_close_matches(name, devices, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise DeviceError(f"no device named '{name}'. Installed devices: "
                          f"{', '.join(sorted(devices))}{hint}", device=name)
    return devices[name].cls(wires, shots=shots, seed=seed, **options)
