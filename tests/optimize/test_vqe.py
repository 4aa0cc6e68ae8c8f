"""Every optimizer drives the small VQE of conftest.py (3-qubit transverse-field Ising chain) to the
ground energy found by exact diagonalization, within the tolerance stated per optimizer."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np


def test_the_reference_energy_and_the_circuit_agree(tfim):
    assert tfim.E0 == pytest.approx(-3.4939592074349, abs=1e-9)
    onp.testing.assert_allclose(onp.asarray(tfim.H.matrix()), tfim.matrix, atol=1e-12)
    assert float(tfim.energy(np.array(tfim.W0))) > tfim.E0 + 1.0  # the start is far from it


# (optimizer, steps, tolerance on E − E0)
CASES = [
    (lambda: kt.GradientDescentOptimizer(0.1), 100, 1e-3),
    (lambda: kt.MomentumOptimizer(0.05, momentum=0.9), 100, 1e-3),
    (lambda: kt.NesterovMomentumOptimizer(0.05, momentum=0.9), 100, 1e-3),
    (lambda: kt.AdagradOptimizer(0.3), 100, 1e-3),
    (lambda: kt.RMSPropOptimizer(0.02), 100, 1e-2),
    (lambda: kt.AdamOptimizer(0.1), 100, 1e-3),
    (lambda: kt.QNGOptimizer(0.1, lam=1e-3), 30, 1e-3),
    (lambda: kt.SPSAOptimizer(maxiter=300, seed=3), 300, 5e-2),
    (lambda: kt.RotosolveOptimizer(), 6, 1e-3),
]
IDS = ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "qng", "spsa", "rotosolve"]


@pytest.mark.parametrize("make, steps, tol", CASES, ids=IDS)
def test_vqe_reaches_the_ground_energy(tfim, make, steps, tol):
    res = make().minimize(tfim.energy, np.array(tfim.W0), steps=steps)
    assert tfim.E0 - 1e-9 <= res.cost < tfim.E0 + tol
    assert res.cost == pytest.approx(float(tfim.energy(res.x)), abs=1e-12)
    assert res.history[0] > tfim.E0 + 1.0


def test_rotoselect_vqe_reaches_the_ground_energy(tfim):
    opt = kt.RotoselectOptimizer()
    x0 = np.array(tfim.W0.ravel())
    res = opt.minimize(tfim.energy_with_generators, (x0, [kt.RX] * 6), steps=6)
    x, generators = res.x
    assert tfim.E0 - 1e-9 <= res.cost < tfim.E0 + 2e-3
    assert len(generators) == 6 and set(generators) <= {kt.RX, kt.RY, kt.RZ}
    assert res.cost == pytest.approx(float(tfim.energy_with_generators(x, generators)), abs=1e-12)


@pytest.mark.slow
def test_qng_needs_fewer_steps_than_gradient_descent(tfim):
    def steps_to_reach(opt, tol=1e-3):
        res = opt.minimize(tfim.energy, np.array(tfim.W0), steps=200,
                           callback=lambda k, x, c: c < tfim.E0 + tol)
        assert res.cost < tfim.E0 + tol, f"{opt.name} did not reach the ground energy"
        return res.n_steps

    gd = steps_to_reach(kt.GradientDescentOptimizer(0.05))
    qng = steps_to_reach(kt.QNGOptimizer(0.05))
    assert qng < gd / 2, (qng, gd)
