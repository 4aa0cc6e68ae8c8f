"""Device discovery with real installed distributions: a second package claiming a device name, and
a package whose plugins fail, next to the working ones.

The test packages under tests/plugins/ are installed with ``pip install --target`` into a temporary
directory (never into the project's environment), which is put on ``sys.path`` for one test; the
registry then finds their entry points in the real ``.dist-info`` metadata.
"""
from __future__ import annotations

import importlib
import importlib.metadata as md
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.devices.about import describe_devices
from kettle.devices.registry import available_devices, device_conflicts
from kettle.errors import DeviceError

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
TEST_PACKAGES = ("duplicate", "broken")


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """A directory holding the test packages, installed by pip (once per test module)."""
    work = tmp_path_factory.mktemp("plugins")
    sources = []
    for name in TEST_PACKAGES:  # build copies: setuptools writes build files into the source tree
        sources.append(shutil.copytree(PLUGINS / name, work / "src" / name))
    site = work / "site"
    run = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(site), *map(str, sources)],
        capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"pip could not install the test plugins:\n{run.stderr}"
    return site


@pytest.fixture
def test_plugins_on_path(plugin_site):
    """The test packages importable and discoverable for one test; the registry is restored
    afterwards."""
    sys.path.insert(0, str(plugin_site))
    importlib.invalidate_caches()
    try:
        yield plugin_site
    finally:
        sys.path.remove(str(plugin_site))
        for mod in [m for m in sys.modules if m.startswith(("kettle_plugin_duplicate",
                                                            "kettle_plugin_broken"))]:
            del sys.modules[mod]
        importlib.invalidate_caches()
        available_devices(refresh=True)


def _discover() -> tuple[dict, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        devices = available_devices(refresh=True)
    return devices, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def _check_default_qubit_gradient():
    @kt.qnode(kt.device("default.qubit", wires=1))
    def f(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    onp.testing.assert_allclose(kt.grad(f)(np.array(0.5, requires_grad=True)), -onp.sin(0.5))


def test_entry_points_come_from_the_installed_metadata(test_plugins_on_path):
    found = {ep.name: ep for ep in md.entry_points(group="kettle.devices")}
    assert found["duplicate"].dist.name == "kettle-plugin-duplicate"
    assert found["duplicate"].value == "kettle_plugin_duplicate"
    assert {found["import_error"].dist.name, found["hook_error"].dist.name} == {
        "kettle-plugin-broken"}
    dist_info = Path(str(found["duplicate"].dist.locate_file("")))
    assert dist_info.resolve() == test_plugins_on_path.resolve()


def test_two_packages_claiming_one_name_is_an_error_naming_both(test_plugins_on_path):
    devices, messages = _discover()
    claim = "the device name 'example.qubit' is claimed by more than one package: "
    conflict = [m for m in messages if m.startswith(claim)]
    assert len(conflict) == 1 and conflict[0].endswith("; every other device still works")
    for owner in ("'kettle-plugin-example' 0.1.0", "'kettle-plugin-duplicate' 0.2.0"):
        assert owner in conflict[0]
    assert "example.qubit" not in devices and "default.qubit" in devices
    assert {e.distribution for e in device_conflicts()["example.qubit"]} == {
        "kettle-plugin-example", "kettle-plugin-duplicate"}

    with pytest.raises(DeviceError) as info:
        kt.device("example.qubit", wires=1)
    message = str(info.value)
    assert message.startswith(claim)
    assert message.endswith("; uninstall all but one of them to use it")
    for owner in ("'kettle-plugin-example' 0.1.0", "'kettle-plugin-duplicate' 0.2.0"):
        assert owner in message
    assert info.value.device == "example.qubit"
    _check_default_qubit_gradient()
    assert any(line.split()[:2] == ["example.qubit", "UNUSABLE:"] for line in describe_devices())


def test_kettle_s_own_device_names_cannot_be_taken_over(test_plugins_on_path):
    """The test package also registers 'default.qubit': kettle's device stays, with a warning."""
    devices, messages = _discover()
    assert ("package 'kettle-plugin-duplicate' 0.2.0 registers a device named 'default.qubit', the "
            "name of one of kettle's own devices; kettle's is kept and the plugin's is skipped "
            "(give it a name of its own)") in messages
    assert devices["default.qubit"].distribution == "kettle"
    assert "default.qubit" not in device_conflicts()
    _check_default_qubit_gradient()  # the shadow device would return 0.0


def test_broken_plugins_warn_and_every_other_device_keeps_working(test_plugins_on_path):
    devices, messages = _discover()
    assert ("kettle device plugin 'import_error' from package 'kettle-plugin-broken' 0.3.0 failed "
            "to load and is skipped: ModuleNotFoundError: No module named "
            "'kettle_plugin_broken_vendor_sdk'") in messages
    assert ("kettle device plugin 'hook_error' from package 'kettle-plugin-broken' 0.3.0 failed "
            "while listing its devices and is skipped: RuntimeError: vendor licence file not "
            "found") in messages
    assert {"default.qubit", "default.mixed"} <= set(devices)
    assert all(e.distribution != "kettle-plugin-broken" for e in devices.values())
    _check_default_qubit_gradient()


def test_removing_the_packages_restores_the_example_device(test_plugins_on_path):
    _discover()
    sys.path.remove(str(test_plugins_on_path))
    try:
        devices, messages = _discover()
    finally:
        sys.path.insert(0, str(test_plugins_on_path))
    assert messages == []
    assert devices["example.qubit"].distribution == "kettle-plugin-example"
    assert device_conflicts() == {}


def test_unknown_name_lists_installed_devices_and_close_matches():
    with pytest.raises(DeviceError) as info:
        kt.device("example.qbit", wires=1)
    message = str(info.value)
    assert message.startswith("no device named 'example.qbit'. Installed devices: ")
    listed = message.split("Installed devices: ")[1].split(";")[0].split(", ")
    assert listed == sorted(available_devices())
    assert message.endswith("; did you mean 'example.qubit', 'default.qubit'?")  # closest first
