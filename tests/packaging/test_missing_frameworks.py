"""A missing optional framework is a clear error that names the extra to install.

The frameworks are hidden in a fresh interpreter the way Python documents it (``sys.modules[name] =
None`` makes ``import name`` fail), so the test runs whether or not they are installed here.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

import kettle as kt
from kettle.core.qmath import require_framework
from kettle.errors import FrameworkNotInstalledError

SCRIPT = """
import sys
for name in ("torch", "tensorflow", "jax", "keras", "matplotlib"):
    sys.modules[name] = None
import kettle as kt
from kettle.errors import FrameworkNotInstalledError

dev = kt.device("default.qubit", wires=1)
def circuit(x):
    kt.RX(x, wires=0)
    return kt.expval(kt.PauliZ(0))

attempts = {
    "interface=torch": lambda: kt.qnode(dev, interface="torch")(circuit),
    "interface=tf": lambda: kt.qnode(dev, interface="tensorflow")(circuit),
    "interface=jax": lambda: kt.qnode(dev, interface="jax")(circuit),
    "TorchLayer": lambda: kt.qnn.TorchLayer,
    "KerasLayer": lambda: kt.qnn.KerasLayer,
    "qjit": lambda: kt.qjit(lambda x: x),
    "draw_mpl": lambda: kt.draw_mpl(kt.qnode(dev)(circuit)),
    "plot": lambda: kt.GradientDescentOptimizer(0.1).minimize(lambda x: x ** 2, kt.numpy.array(1.0),
                                                              steps=1).plot(),
}
for what, attempt in attempts.items():
    try:
        attempt()
    except FrameworkNotInstalledError as err:
        print(f"{what}|{type(err).__name__}|{err}|{err.extra}|{err.name}")
    else:
        print(f"{what}|no error")
print("autograd", float(kt.qnode(dev)(circuit)(0.0)))
"""


@pytest.fixture(scope="module")
def attempts():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    return dict(line.split("|", 1) for line in lines if "|" in line), lines[-1]


@pytest.mark.parametrize("what, message, extra, module", [
    ("interface=torch", "PyTorch is not installed: pip install kettle[torch]", "torch", "torch"),
    ("interface=tf", "TensorFlow is not installed: pip install kettle[tensorflow]", "tensorflow",
     "tensorflow"),
    ("interface=jax", "JAX is not installed: pip install kettle[jax]", "jax", "jax"),
    ("TorchLayer", "PyTorch is not installed (kt.qnn.TorchLayer needs it): pip install kettle[torch]",
     "torch", "torch"),
    ("KerasLayer", "Keras is not installed (kt.qnn.KerasLayer needs it): pip install kettle[keras]",
     "keras", "keras"),
    ("qjit", "JAX is not installed (kt.qjit needs it): pip install kettle[jax]", "jax", "jax"),
    ("draw_mpl", "matplotlib is not installed (kt.draw_mpl needs it): pip install kettle[draw]",
     "draw", "matplotlib"),
    ("plot", "matplotlib is not installed (OptimizeResult.plot needs it): pip install "
     "kettle[draw]", "draw", "matplotlib"),
])
def test_each_entry_point_names_the_extra(attempts, what, message, extra, module):
    results, _ = attempts
    assert results[what] == f"FrameworkNotInstalledError|{message}|{extra}|{module}"


def test_the_base_install_still_runs_circuits(attempts):
    _, last = attempts
    assert last == "autograd 1.0"


def test_installed_and_non_optional_names_pass_through():
    assert require_framework("autograd") == "autograd"
    assert require_framework(None) is None
    assert require_framework("numpy") == "numpy"


def test_the_error_is_an_import_error_and_a_kettle_error():
    assert issubclass(FrameworkNotInstalledError, ImportError)
    assert issubclass(FrameworkNotInstalledError, kt.errors.KettleError)
