"""Device discovery: built-in devices and setuptools entry points of group ``kettle.devices``.

Every source of devices, kettle's own included, is a pluggy plugin implementing the
``kettle_devices`` hook (devices/hookspecs.py). A plugin that fails to import or to list its devices
is skipped with a ``RuntimeWarning``; a device name claimed by two distributions cannot be created
until one of them is uninstalled, while every other device keeps working.
"""
from __future__ import annotations

import difflib
import importlib.metadata as md
import inspect
import warnings
from dataclasses import dataclass
from typing import Any

import pluggy

from kettle.devices import builtin_plugin, dispatch, hookspecs
from kettle.devices.device import Capabilities, Device
from kettle.errors import DeviceError

ENTRY_POINT_GROUP = "kettle.devices"
BUILTIN_DISTRIBUTION = "kettle"


@dataclass(frozen=True)
class DeviceEntry:
    """One installed device.

    Attributes:
        name: the name passed to ``kt.device``.
        cls: the Device subclass.
        distribution: the installed package that provides it ("kettle" for built-in devices).
        version: that package's version.
    """

    name: str
    cls: type
    distribution: str
    version: str

    @property
    def capabilities(self) -> Capabilities:
        return self.cls.capabilities


_REGISTRY: dict[str, DeviceEntry] | None = None
_CONFLICTS: dict[str, list[DeviceEntry]] = {}


def _warn(message: str, depth: int) -> None:
    # depth: frames between the caller of available_devices() and the function warning
    warnings.warn(message, RuntimeWarning, stacklevel=depth + 3)


def _plugins(pm: pluggy.PluginManager) -> dict[int, tuple[str, str, str]]:
    """Register the built-in plugin and every loadable entry point.

    Returns:
        ``{id(plugin): (distribution, version, entry-point name)}``.
    """
    pm.register(builtin_plugin, name="kettle.builtin")
    own = (BUILTIN_DISTRIBUTION, _version(BUILTIN_DISTRIBUTION), "builtin")
    sources = {id(builtin_plugin): own}
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else ep.value
        version = ep.dist.version if ep.dist is not None else "?"
        try:
            plugin = ep.load()
            if pm.is_registered(plugin):
                continue
            pm.register(plugin, name=f"{dist}:{ep.name}")
        except Exception as exc:  # a broken plugin must not take the others down
            _warn(f"kettle device plugin '{ep.name}' from package '{dist}' {version} failed to "
                  f"load and is skipped: {type(exc).__name__}: {exc}", 2)
            continue
        if not pm.get_hookcallers(plugin):
            _warn(f"kettle device plugin '{ep.name}' from package '{dist}' {version} implements no "
                  "kettle_devices hook (decorate it with kettle.devices.hookspecs.hookimpl); it "
                  "adds no devices", 2)
        sources[id(plugin)] = (dist, version, ep.name)
    return sources


def _load() -> tuple[dict[str, DeviceEntry], dict[str, list[DeviceEntry]]]:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs.DeviceSpec)
    sources = _plugins(pm)
    claims: dict[str, list[DeviceEntry]] = {}
    for impl in pm.hook.kettle_devices.get_hookimpls():
        dist, version, ep_name = sources.get(id(impl.plugin), (impl.plugin_name, "?", "?"))
        try:
            devices = dict(impl.function() or {})
        except Exception as exc:
            _warn(f"kettle device plugin '{ep_name}' from package '{dist}' {version} failed while "
                  f"listing its devices and is skipped: {type(exc).__name__}: {exc}", 1)
            continue
        for name, cls in devices.items():
            if not (isinstance(cls, type) and issubclass(cls, Device)):
                _warn(f"package '{dist}' registers device '{name}' as {cls!r}, which is not a "
                      "subclass of kettle.Device; it is skipped", 1)
                continue
            entries = claims.setdefault(name, [])
            entries[:] = [e for e in entries if e.distribution != dist]  # one claim per package
            entries.append(DeviceEntry(name, cls, dist, version))
    for name, entries in claims.items():  # kettle's own names cannot be taken over
        own = [e for e in entries if e.distribution == BUILTIN_DISTRIBUTION]
        if own and len(entries) > 1:
            for e in entries:
                if e is not own[0]:
                    _warn(f"package '{e.distribution}' {e.version} registers a device named "
                          f"'{name}', the name of one of kettle's own devices; kettle's is kept "
                          "and the plugin's is skipped (give it a name of its own)", 1)
            entries[:] = own
    registry = {name: es[0] for name, es in claims.items() if len(es) == 1}
    conflicts = {name: es for name, es in claims.items() if len(es) > 1}
    for name, entries in conflicts.items():
        _warn(f"{_conflict_message(name, entries)}; every other device still works", 1)
    return registry, conflicts


def _conflict_message(name: str, entries: list[DeviceEntry]) -> str:
    owners = " and ".join(f"'{e.distribution}' {e.version}" for e in entries)
    return f"the device name '{name}' is claimed by more than one package: {owners}"


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "?"


def available_devices(refresh: bool = False) -> dict[str, DeviceEntry]:
    """All installed devices by name (discovered once, then cached).

    Names claimed by two packages are left out (see :func:`device_conflicts`).

    Args:
        refresh: discover again, e.g. after installing a plugin into a running interpreter.

    Returns:
        ``{name: DeviceEntry}``.
    """
    global _REGISTRY, _CONFLICTS
    if _REGISTRY is None or refresh:
        _REGISTRY, _CONFLICTS = _load()
    return dict(_REGISTRY)


def device_conflicts() -> dict[str, list[DeviceEntry]]:
    """Device names claimed by more than one installed package, with every claim."""
    available_devices()
    return {name: list(entries) for name, entries in _CONFLICTS.items()}


def device(name: str, wires: Any = None, *, shots: Any = None, seed: Any = "global", **options: Any):
    """Create a device by name.

    Args:
        name: device name, e.g. ``"default.qubit"``.
        wires: number of wires or an iterable of wire labels; None (the default) for a device that
            takes its wires from each circuit it runs (default.qubit, default.mixed).
        shots: None (analytic), a positive int, or a shot vector.
        seed: seed for sampling: "global" (the default: one draw from NumPy's global random
            state), None (fresh entropy), an int, a ``numpy.random.Generator`` or a JAX key
            (devices/seeding.py).
        **options: device-specific options, passed to the device's constructor; and the
            execution options of devices/dispatch.py: ``executor`` (a
            ``concurrent.futures.Executor`` or ``dask.distributed.Client`` that runs batches of
            tapes), ``chunk_size``, ``progress``, ``executor_timeout``, and ``shot_chunk``.

    Returns:
        The device.

    Raises:
        DeviceError: unknown name (with the installed devices and close matches), a name claimed by
            two packages (naming both), or shots the device does not allow.

    Example:
        >>> dev = kt.device("default.qubit", wires=2, shots=1000, seed=7)
        >>> dev.name, dev.shots.total
        ('default.qubit', 1000)
    """
    devices = available_devices()
    if name in _CONFLICTS:
        raise DeviceError(f"{_conflict_message(name, _CONFLICTS[name])}; uninstall all but one of "
                          "them to use it", device=name)
    if name not in devices:
        close = difflib.get_close_matches(name, devices, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise DeviceError(f"no device named '{name}'. Installed devices: "
                          f"{', '.join(sorted(devices))}{hint}", device=name)
    cls = devices[name].cls
    execution = {k: options.pop(k) for k in (*dispatch.OPTIONS, "shot_chunk") if k in options}
    if options:
        accepted = inspect.signature(cls.__init__).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
        unknown = sorted(set(options) - set(accepted)) if not takes_any else []
        if unknown:
            own = sorted(k for k, p in accepted.items() if k not in ("self", "wires", "shots", "seed")
                         and p.kind is not inspect.Parameter.VAR_POSITIONAL)
            raise DeviceError(f"device '{name}' has no option(s) {unknown}; its options are "
                              f"{own if own else 'none besides wires, shots and seed'}", device=name)
    dev = cls(wires, shots=shots, seed=seed, **options)
    dev.device_options = dict(options)  # what workers rebuild it with (dispatch.DeviceSpec)
    if "shot_chunk" in execution:
        dev.shot_chunk = execution.pop("shot_chunk")
    dispatch.configure(dev, **execution)
    return dev
