"""Second derivatives by nested finite differences (diff_method="finite-diff", max_diff=2) and by
parameter-shift whose channel parameters fall back to finite differences, in every framework,
against the analytic Hessians:

- RX(a) RY(b) on |0⟩: ⟨Z⟩ = cos a cos b, H = [[−cos a cos b, sin a sin b], [sin a sin b, −cos a cos b]];
- RX(a) then BitFlip(p) on default.mixed: ⟨Z⟩ = (1 − 2p) cos a,
  H = [[−(1 − 2p) cos a, 2 sin a], [2 sin a, 0]].
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt

A, B, P = 0.4, 0.1, 0.1


def rotations(a, b):
    kt.RX(a, wires=0)
    kt.RY(b, wires=0)
    return kt.expval(kt.PauliZ(0))


def noisy(a, p):
    kt.RX(a, wires=0)
    kt.BitFlip(p, wires=0)
    return kt.expval(kt.PauliZ(0))


def hessian_rotations():
    c, s = -onp.cos(A) * onp.cos(B), onp.sin(A) * onp.sin(B)
    return onp.array([[c, s], [s, c]])


def hessian_noisy():
    return onp.array([[-(1 - 2 * P) * onp.cos(A), 2 * onp.sin(A)], [2 * onp.sin(A), 0.0]])


# (QNode factory, point, exact Hessian, tolerance): forward differences at the default nested
# step 1e-4 are good to ~1e-4; central ones (approx_order=2) to ~1e-7; the shift rule is exact in
# the RX column and the BitFlip fallback leaves a forward-difference error in the others.
CASES = {
    "fd-forward": (lambda: kt.QNode(rotations, kt.device("default.qubit", wires=1),
                                    diff_method="finite-diff", max_diff=2),
                   (A, B), hessian_rotations, 2e-4),
    "fd-central": (lambda: kt.QNode(rotations, kt.device("default.qubit", wires=1),
                                    diff_method="finite-diff", max_diff=2, approx_order=2),
                   (A, B), hessian_rotations, 1e-6),
    "shift+channel-fallback": (lambda: kt.QNode(noisy, kt.device("default.mixed", wires=1),
                                                diff_method="parameter-shift", max_diff=2),
                               (A, P), hessian_noisy, 2e-4),
}


def _autograd(qn, point):
    from kettle import numpy as np

    args = [np.array(v, requires_grad=True) for v in point]
    rows = kt.jacobian(kt.grad(qn, argnum=[0, 1]), argnum=[0, 1])(*args)
    return onp.array(rows, dtype=float)


def _torch(qn, point):
    import torch

    args = tuple(torch.tensor(v, dtype=torch.float64) for v in point)
    rows = torch.autograd.functional.hessian(lambda a, b: qn(a, b), args)
    return onp.array([[float(h) for h in row] for row in rows])


def _tf(qn, point):
    import tensorflow as tf

    a, b = (tf.Variable(v, dtype=tf.float64) for v in point)
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            y = qn(a, b)
        ga, gb = inner.gradient(y, [a, b])
    return onp.array([[float(g) for g in outer.gradient(d, [a, b])] for d in (ga, gb)])


def _jax(qn, point, jit=False):
    import jax

    jax.config.update("jax_enable_x64", True)
    h = jax.hessian(lambda v: qn(v[0], v[1]))
    return onp.asarray((jax.jit(h) if jit else h)(jax.numpy.asarray(point)))


FRAMEWORKS = {
    "autograd": _autograd,
    "torch": pytest.param(_torch, marks=pytest.mark.torch),
    "tf": pytest.param(_tf, marks=pytest.mark.tf),
    "jax": pytest.param(_jax, marks=pytest.mark.jax),
    "jax.jit": pytest.param(lambda qn, p: _jax(qn, p, jit=True), marks=pytest.mark.jax),
}


@pytest.mark.filterwarnings("ignore:no parameter-shift rule:UserWarning")
@pytest.mark.parametrize("hessian", list(FRAMEWORKS.values()), ids=list(FRAMEWORKS))
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_hessian_matches_the_analytic_one(case, hessian):
    make, point, exact, tol = case
    onp.testing.assert_allclose(hessian(make(), point), exact(), atol=tol)


def test_first_derivatives_keep_the_fine_step():
    """max_diff=1 still uses h=1e-7: the forward-difference gradient is good to ~1e-7."""
    from kettle import numpy as np

    qn = kt.QNode(rotations, kt.device("default.qubit", wires=1), diff_method="finite-diff")
    grad = kt.grad(qn, argnum=[0, 1])(np.array(A, requires_grad=True), np.array(B, requires_grad=True))
    exact = [-onp.sin(A) * onp.cos(B), -onp.cos(A) * onp.sin(B)]
    onp.testing.assert_allclose(onp.array(grad, dtype=float), exact, atol=3e-7)
