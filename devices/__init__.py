"""Devices and the plugin API: subclass :class:`Device`, declare :class:`Capabilities`, and return
the class from a ``kettle_devices`` hook marked with :data:`hookimpl` (entry-point group
``kettle.devices``). Devices are created with ``kt.device(name, ...)``."""
from kettle.devices.device import Capabilities as Capabilities
from kettle.devices.device import Device as Device
from kettle.devices.hookspecs import DeviceSpec as DeviceSpec
from kettle.devices.hookspecs import hookimpl as hookimpl
from kettle.devices.registry import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
from kettle.devices.registry import DeviceEntry as DeviceEntry
from kettle.devices.registry import available_devices as available_devices

__all__ = ["Capabilities", "Device", "DeviceEntry", "DeviceSpec", "ENTRY_POINT_GROUP",
           "available_devices", "hookimpl"]
