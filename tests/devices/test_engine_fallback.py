"""Without a working numba, default.qubit runs on its NumPy kernels after one warning."""
from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import pytest

import kettle


def test_broken_numba_falls_back_with_one_warning(tmp_path):
    # a real interpreter whose `import numba` fails, as on a platform numba does not support
    (tmp_path / "numba").mkdir()
    (tmp_path / "numba" / "__init__.py").write_text("raise ImportError('no numba on this platform')\n")
    script = textwrap.dedent("""
        import warnings
        import numpy as np
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import kettle as kt
            for _ in range(2):
                dev = kt.device("default.qubit", wires=3)

                @kt.qnode(dev)
                def circuit(x):
                    kt.RX(x, wires=1)
                    kt.CNOT(wires=[1, 2])
                    return kt.expval(kt.PauliZ(2))

                value = float(circuit(0.3))
        engine = [w for w in caught if "compiled state-vector engine" in str(w.message)]
        from kettle.devices.engine import config
        print(len(engine), config.available(), abs(value - np.cos(0.3)) < 1e-12)
    """)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(kettle.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), package_parent]))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "False", "True"]


def test_jax_programs_without_numba_run_on_the_numpy_kernels(tmp_path):
    """jax.jit and jax.grad of an adjoint QNode (the bound-circuit path, which would import the
    engine) work without numba, with the derivative cos/sin values."""
    pytest.importorskip("jax")
    (tmp_path / "numba").mkdir()
    (tmp_path / "numba" / "__init__.py").write_text("raise ImportError('no numba here')\n")
    script = textwrap.dedent("""
        import warnings
        warnings.simplefilter("ignore")
        import jax, jax.numpy as jnp
        import kettle as kt
        dev = kt.device("default.qubit", wires=2)

        @kt.qnode(dev, interface="jax", diff_method="adjoint")
        def circuit(x):
            kt.RX(x, wires=0)
            kt.CNOT(wires=[0, 1])
            return kt.expval(kt.PauliZ(1))

        with jax.enable_x64(True):
            x = jnp.array(0.3)
            print(float(jax.jit(circuit)(x)), float(jax.grad(circuit)(x)),
                  float(jax.jit(jax.grad(circuit))(x)))
    """)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(kettle.__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), package_parent]))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    value, grad, jit_grad = (float(v) for v in out.stdout.split())
    assert abs(value - math.cos(0.3)) < 1e-12
    assert abs(grad + math.sin(0.3)) < 1e-12 and abs(jit_grad + math.sin(0.3)) < 1e-12
