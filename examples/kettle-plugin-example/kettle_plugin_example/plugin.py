"""The object named by this package's ``kettle.devices`` entry point.

kettle loads it, registers it with its pluggy plugin manager and calls the hook below to learn which
devices it contributes.
"""
from __future__ import annotations

from kettle.devices.hookspecs import hookimpl


@hookimpl
def kettle_devices() -> dict:
    """The devices of this package, by the name users pass to ``kt.device``."""
    from kettle_plugin_example.device import ExampleQubit

    return {ExampleQubit.name: ExampleQubit}
