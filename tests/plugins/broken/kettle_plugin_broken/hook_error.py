"""Imports fine but fails when kettle asks for its devices."""
from kettle.devices.hookspecs import hookimpl


@hookimpl
def kettle_devices() -> dict:
    raise RuntimeError("vendor licence file not found")
