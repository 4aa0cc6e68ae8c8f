"""Shared fixtures: framework availability, and markers that skip what is not installed.

A test marked ``torch``, ``tf``, ``jax``, ``keras``, ``numba``, ``dask`` or ``draw`` is skipped when
that optional package is missing; so is a test module that imports one at its top, and a test that
fails only because it imports one. With kettle's base dependencies alone (``pip install kettle``)
the suite then passes with the frameworks' tests skipped.
"""
from __future__ import annotations

import importlib.util
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest

#: marker -> the module it needs
MARKER_MODULES = {"torch": "torch", "tf": "tensorflow", "jax": "jax", "keras": "keras",
                  "numba": "numba", "dask": "dask", "draw": "matplotlib"}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


HAS = {marker: _installed(module) for marker, module in MARKER_MODULES.items()}
#: top-level names of the optional packages that are missing here
MISSING = {module: marker for marker, module in MARKER_MODULES.items() if not HAS[marker]}
MISSING.update({"optax": "jax"} if not HAS["jax"] else {})


def _missing_marker(module_name: str | None) -> str | None:
    """The marker of a missing optional package that ``module_name`` belongs to, if any."""
    if not module_name:
        return None
    return MISSING.get(module_name.partition(".")[0])


def pytest_configure(config):
    for marker in ("keras", "numba", "dask", "draw"):
        config.addinivalue_line("markers", f"{marker}: needs {MARKER_MODULES[marker]}")
    if HAS["jax"]:
        import jax

        jax.config.update("jax_enable_x64", True)


def pytest_collection_modifyitems(config, items):
    for item in items:
        for marker, module in MARKER_MODULES.items():
            if not HAS[marker] and item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=f"needs {module}, which is not installed"))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A test module importing a missing framework at its top is skipped, not an error."""
    report = yield
    if report.failed and isinstance(collector, pytest.Module):
        text = str(report.longrepr)
        for module in MISSING:
            if f"No module named '{module}'" in text:
                report.outcome = "skipped"
                report.longrepr = (str(collector.path), 0,
                                   f"Skipped: the module needs {module}, which is not installed")
                break
    return report


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    """A test that fails only because it imports a missing framework is skipped."""
    try:
        return (yield)
    except ImportError as err:
        marker = _missing_marker(getattr(err, "name", None))
        if marker is None:
            raise
        pytest.skip(f"needs {MARKER_MODULES[marker]}, which is not installed")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
