"""Shared fixtures: framework availability and markers."""
from __future__ import annotations

import importlib.util
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

HAS = {name: importlib.util.find_spec(mod) is not None
       for name, mod in [("torch", "torch"), ("tf", "tensorflow"), ("jax", "jax")]}


def pytest_configure(config):
    if HAS["jax"]:
        import jax

        jax.config.update("jax_enable_x64", True)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
