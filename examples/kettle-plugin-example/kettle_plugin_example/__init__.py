"""kettle-plugin-example: the device ``example.qubit``, found by kettle through an entry point."""
from kettle_plugin_example.device import ExampleQubit as ExampleQubit

__version__ = "0.1.0"
