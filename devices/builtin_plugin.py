"""The built-in devices, registered through the same hook as third-party plugins."""
from __future__ import annotations

from kettle.devices.hookspecs import hookimpl


@hookimpl
def kettle_devices() -> dict:
    from kettle.devices.default_mixed import DefaultMixed
    from kettle.devices.default_qubit import DefaultQubit

    return {DefaultQubit.name: DefaultQubit, DefaultMixed.name: DefaultMixed}
