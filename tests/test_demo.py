"""``python -m kettle demo`` runs in a fresh process and its printed cross-checks hold."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.torch
@pytest.mark.tf
@pytest.mark.jax
def test_demo_runs_and_its_cross_checks_agree():
    out = subprocess.run([sys.executable, "-m", "kettle", "demo"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    agree = re.search(r"all (\d+) frameworks agree to ([0-9.e+-]+)", out.stdout)
    assert agree and int(agree.group(1)) >= 4 and float(agree.group(2)) < 1e-6
    compiled = re.search(r"differs from the eager autograd gradient by ([0-9.e+-]+)", out.stdout)
    assert compiled and float(compiled.group(1)) < 1e-10
    assert "default.qubit" in out.stdout and "example.qubit" in out.stdout
