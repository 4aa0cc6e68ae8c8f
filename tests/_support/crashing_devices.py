"""Devices that end their worker process, for the fault tests of devices/dispatch.py.

They live here, on the tests' import path, so that worker processes started with ``spawn`` can
import them when they rebuild the device from its spec.
"""
from __future__ import annotations

import os

from kettle.devices.default_qubit import DefaultQubit

#: the environment variable naming the marker file of :class:`CrashOnce`
MARKER_ENV = "KETTLE_TEST_CRASH_MARKER"


class CrashOnce(DefaultQubit):
    """Ends its process on its first run anywhere (the marker file records that it happened)."""

    name = "crash.once"

    def execute(self, tapes):
        path = os.environ.get(MARKER_ENV)
        if path and not os.path.exists(path):
            open(path, "w").close()
            os._exit(1)
        return super().execute(tapes)


class CrashAlways(DefaultQubit):
    """Ends its process whenever it runs."""

    name = "crash.always"

    def execute(self, tapes):
        os._exit(1)
