"""pluggy hook specifications through which packages contribute devices."""
from __future__ import annotations

import pluggy

PROJECT = "kettle"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class DeviceSpec:
    @hookspec
    def kettle_devices(self) -> dict:
        """Return a mapping ``{device name: Device subclass}`` contributed by this plugin."""
