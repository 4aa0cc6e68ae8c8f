"""QNGOptimizer: the update rule by hand, sums of QNodes, errors (the VQE is in test_vqe.py)."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import OptimizerError

dev = kt.device("default.qubit", wires=2)


@kt.qnode(dev)
def product(x):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=1)
    return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))


def product_grad(x):
    """⟨Z0 Z1⟩ = cos x0 cos x1."""
    return onp.array([-onp.sin(x[0]) * onp.cos(x[1]), -onp.cos(x[0]) * onp.sin(x[1])])


@pytest.mark.parametrize("approx", ["block-diag", "diag", None])
@pytest.mark.parametrize("lam", [0.0, 0.05])
def test_one_step_is_the_natural_gradient_rule(approx, lam):
    # on |00⟩ both rotations form one layer with generators X/2, Y/2: g = diag(1/4, 1/4)
    x0 = onp.array([0.4, -0.8])
    opt = kt.QNGOptimizer(0.1, approx=approx, lam=lam)
    x1, before = opt.step_and_cost(product, np.array(x0))
    onp.testing.assert_allclose(x1, x0 - 0.1 * product_grad(x0) / (0.25 + lam), rtol=1e-10)
    assert before == pytest.approx(onp.cos(0.4) * onp.cos(-0.8), abs=1e-12)


def test_singular_metric_uses_the_pseudo_inverse():
    @kt.qnode(dev)
    def circuit(x):
        kt.RZ(x[0], wires=0)  # a phase on |0⟩: does not move the state, metric row 0 is zero
        kt.RX(x[1], wires=0)
        return kt.expval(kt.PauliZ(0))

    x1 = kt.QNGOptimizer(0.1).step(circuit, np.array([0.3, 0.5]))
    onp.testing.assert_allclose(x1, [0.3, 0.5 + 0.1 * onp.sin(0.5) / 0.25], rtol=1e-10)


def test_sum_of_qnodes_on_one_device_steps_like_the_single_qnode():
    @kt.qnode(dev)
    def zz(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    @kt.qnode(dev)
    def xx(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(0.5 * kt.PauliX(1))

    @kt.qnode(dev)
    def both(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1) + 0.5 * kt.PauliX(1))

    x = np.array([0.7, 0.2])
    (summed, c1) = kt.QNGOptimizer(0.1).step_and_cost([zz, xx], x)
    (single, c2) = kt.QNGOptimizer(0.1).step_and_cost(both, x)
    onp.testing.assert_allclose(summed, single, rtol=1e-10)
    assert c1 == pytest.approx(c2, abs=1e-12)
    assert not onp.allclose(summed, x)
    # minimize takes the list too, through the last step and its final cost
    res_sum = kt.QNGOptimizer(0.1).minimize([zz, xx], x, steps=3, progress=False)
    res_one = kt.QNGOptimizer(0.1).minimize(both, x, steps=3, progress=False)
    onp.testing.assert_allclose(res_sum.x, res_one.x, rtol=1e-10)
    onp.testing.assert_allclose(res_sum.history, res_one.history, atol=1e-12)
    assert res_sum.n_steps == 3 and res_sum.cost == pytest.approx(float(both(res_one.x)), abs=1e-12)


def test_metric_tensor_fn_serves_any_cost():
    def cost(x):
        return np.cos(x[0]) * np.cos(x[1])

    x0 = onp.array([0.4, -0.8])
    x1 = kt.QNGOptimizer(0.1).step(cost, np.array(x0), metric_tensor_fn=lambda x: 0.25 * onp.eye(2))
    onp.testing.assert_allclose(x1, x0 - 0.4 * product_grad(x0), rtol=1e-10)


def test_qng_errors():
    with pytest.raises(OptimizerError, match="QNGOptimizer needs the circuit behind the cost to "
                                             "compute the metric tensor, but the cost 'plain' is not a "
                                             "QNode; supported: a QNode, or a list of QNodes on one "
                                             "device"):
        def plain(x):
            return product(x) * 2.0

        kt.QNGOptimizer(0.1).step(plain, np.array([0.1, 0.2]))
    other = kt.device("default.qubit", wires=2)

    @kt.qnode(other)
    def elsewhere(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(OptimizerError, match="the QNodes of a summed cost must run on one device"):
        kt.QNGOptimizer(0.1).step([product, elsewhere], np.array([0.1, 0.2]))

    @kt.qnode(dev)
    def different(x):
        kt.RY(x[0], wires=0)
        kt.RY(x[1], wires=1)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(OptimizerError, match="the summed QNodes product and different apply "
                                             "different gates"):
        kt.QNGOptimizer(0.1).step([product, different], np.array([0.1, 0.2]))
    with pytest.raises(OptimizerError, match="a list cost must hold QNodes"):
        kt.QNGOptimizer(0.1).step([product, lambda x: 1.0], np.array([0.1, 0.2]))
    with pytest.raises(OptimizerError, match="lam must be a non-negative number, got -1"):
        kt.QNGOptimizer(0.1, lam=-1)
    with pytest.raises(OptimizerError, match=r"metric_tensor_fn returned 9 entries; the trainable "
                                             r"arguments have 2 entries"):
        kt.QNGOptimizer(0.1).step(product, np.array([0.1, 0.2]),
                                  metric_tensor_fn=lambda x: onp.eye(3))
