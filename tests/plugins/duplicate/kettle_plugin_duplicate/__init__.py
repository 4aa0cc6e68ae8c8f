"""Test plugin claiming device names that other packages already provide: another plugin's
(example.qubit) and one of kettle's own (default.qubit)."""
from __future__ import annotations

import kettle as kt
from kettle.devices.hookspecs import hookimpl


class ShadowQubit(kt.Device):
    name = "example.qubit"
    capabilities = kt.Capabilities(operations={"PauliX"}, observables={"PauliZ"},
                                   measurements={"expval"}, shots=False)

    def execute(self, tapes):
        return [tuple(0.0 for _ in tape.measurements) for tape in tapes]


@hookimpl
def kettle_devices() -> dict:
    return {"example.qubit": ShadowQubit, "default.qubit": ShadowQubit}
