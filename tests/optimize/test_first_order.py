"""First-order optimizers against their update rules written out by hand.

The cost f(x, y) = Σ sin(x) + Σ w ⊙ y² + x₀ y₀₁ has two arguments of different shapes and the gradient
∂f/∂x = cos(x) + x-independent coupling, ∂f/∂y = 2 w ⊙ y (+ x₀ at entry (0, 1)). Each reference below
keeps its own state per argument, so several steps agree only if the optimizer keeps the moments of x
and y apart and counts steps correctly.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np

W = onp.array([[0.5, 1.5], [2.0, 0.25]])
X0 = onp.array([0.3, -0.7, 1.2])
Y0 = onp.array([[0.4, -1.0], [0.8, 0.1]])


def cost(x, y):
    return np.sum(np.sin(x)) + np.sum(W * y ** 2) + x[0] * y[0, 1]


def grad(x, y):
    gx = onp.cos(x)
    gx[0] += y[0, 1]
    gy = 2 * W * y
    gy[0, 1] += x[0]
    return gx, gy


def reference(kind, steps, **h):
    """The trajectory of (x, y) under the textbook rule ``kind``."""
    xs = [X0.copy(), Y0.copy()]
    state = [dict(a=onp.zeros_like(v), m=onp.zeros_like(v), v=onp.zeros_like(v)) for v in xs]
    eta = h["stepsize"]
    for t in range(1, steps + 1):
        if kind == "nesterov":
            look = [v - h["momentum"] * s["a"] for v, s in zip(xs, state)]
            gs = grad(*look)
        else:
            gs = grad(*xs)
        for k, (g, s) in enumerate(zip(gs, state)):
            if kind == "gd":
                xs[k] = xs[k] - eta * g
            elif kind in ("momentum", "nesterov"):
                s["a"] = h["momentum"] * s["a"] + eta * g
                xs[k] = xs[k] - s["a"]
            elif kind == "adagrad":
                s["v"] = s["v"] + g ** 2
                xs[k] = xs[k] - eta * g / onp.sqrt(s["v"] + h["eps"])
            elif kind == "rmsprop":
                s["v"] = h["decay"] * s["v"] + (1 - h["decay"]) * g ** 2
                xs[k] = xs[k] - eta * g / onp.sqrt(s["v"] + h["eps"])
            elif kind == "adam":
                s["m"] = h["beta1"] * s["m"] + (1 - h["beta1"]) * g
                s["v"] = h["beta2"] * s["v"] + (1 - h["beta2"]) * g ** 2
                eta_t = eta * onp.sqrt(1 - h["beta2"] ** t) / (1 - h["beta1"] ** t)
                xs[k] = xs[k] - eta_t * s["m"] / (onp.sqrt(s["v"]) + h["eps"])
    return xs


CASES = [
    ("gd", kt.GradientDescentOptimizer, dict(stepsize=0.2)),
    ("momentum", kt.MomentumOptimizer, dict(stepsize=0.1, momentum=0.8)),
    ("nesterov", kt.NesterovMomentumOptimizer, dict(stepsize=0.1, momentum=0.7)),
    ("adagrad", kt.AdagradOptimizer, dict(stepsize=0.3, eps=1e-3)),
    ("rmsprop", kt.RMSPropOptimizer, dict(stepsize=0.05, decay=0.6, eps=1e-3)),
    ("adam", kt.AdamOptimizer, dict(stepsize=0.1, beta1=0.8, beta2=0.95, eps=1e-3)),
]
IDS = [c[0] for c in CASES]


def fresh_args():
    return np.array(X0), np.array(Y0)


@pytest.mark.parametrize("kind, cls, hyper", CASES, ids=IDS)
def test_one_step_is_the_rule(kind, cls, hyper):
    opt = cls(**hyper)
    (x1, y1), before = opt.step_and_cost(cost, *fresh_args())
    ex, ey = reference(kind, 1, **hyper)
    onp.testing.assert_allclose(x1, ex, rtol=1e-12, atol=1e-14)
    onp.testing.assert_allclose(y1, ey, rtol=1e-12, atol=1e-14)
    assert before == pytest.approx(float(cost(np.array(X0), np.array(Y0))), abs=1e-14)
    assert x1.requires_grad and y1.requires_grad


@pytest.mark.parametrize("kind, cls, hyper", CASES, ids=IDS)
def test_several_steps_keep_state_per_argument(kind, cls, hyper):
    opt = cls(**hyper)
    x, y = fresh_args()
    for _ in range(5):
        x, y = opt.step(cost, x, y)
    ex, ey = reference(kind, 5, **hyper)
    onp.testing.assert_allclose(x, ex, rtol=1e-11, atol=1e-13)
    onp.testing.assert_allclose(y, ey, rtol=1e-11, atol=1e-13)
    if kind != "gd":
        assert sorted(opt.state) == [0, 1]
        assert opt.state[0]["t"] == 5 and opt.state[1]["t"] == 5
        shapes = {k: v.shape for k, v in opt.state[1].items() if isinstance(v, onp.ndarray)}
        assert set(shapes.values()) == {(2, 2)}


@pytest.mark.parametrize("kind, cls, hyper", CASES, ids=IDS)
def test_reset_starts_the_state_afresh(kind, cls, hyper):
    opt = cls(**hyper)
    x, y = fresh_args()
    for _ in range(3):
        x, y = opt.step(cost, x, y)
    opt.reset()
    assert opt.state == {}
    x1, y1 = opt.step(cost, *fresh_args())
    ex, ey = reference(kind, 1, **hyper)
    onp.testing.assert_allclose(x1, ex, rtol=1e-12)
    onp.testing.assert_allclose(y1, ey, rtol=1e-12)


def test_nesterov_cost_is_taken_at_the_current_point_not_the_look_ahead():
    opt = kt.NesterovMomentumOptimizer(0.1, momentum=0.9)
    x, y = fresh_args()
    (x, y), _ = opt.step_and_cost(cost, x, y)
    (_, _), before = opt.step_and_cost(cost, x, y)
    assert before == pytest.approx(float(cost(x, y)), abs=1e-14)


def test_only_trainable_arguments_change():
    def f(x, shift, scale=1.0):
        return scale * np.sum((x - shift) ** 2)

    x = np.array([1.0, 2.0])
    shift = np.array([0.5, 0.5], requires_grad=False)
    new_x, new_shift = kt.GradientDescentOptimizer(0.25).step(f, x, shift, scale=2.0)
    # ∂f/∂x = 2·scale·(x − shift) = 4 (x − shift)
    onp.testing.assert_allclose(new_x, [1.0 - 0.25 * 2.0, 2.0 - 0.25 * 6.0])
    assert new_shift is shift
    onp.testing.assert_allclose(x, [1.0, 2.0])  # the caller's array is not modified


def test_argnum_selects_plain_arguments_and_leaves_the_others():
    def f(a, b):
        return a ** 2 + 3 * np.sum(b ** 2)  # b arrives as a tensor: argnum selects it

    opt = kt.GradientDescentOptimizer(0.1, argnum=1)
    a, b = opt.step(f, 2.0, [1.0, -1.0])
    assert a == 2.0
    onp.testing.assert_allclose(b, [1.0 - 0.1 * 6.0, -1.0 + 0.1 * 6.0])
    a2, b2 = opt.step(f, 2.0, [1.0, -1.0], argnum=[0, 1])  # the step's argnum wins
    assert float(a2) == pytest.approx(2.0 - 0.1 * 4.0)
    onp.testing.assert_allclose(b2, b)


def test_single_argument_returns_the_argument_itself():
    x = kt.AdamOptimizer(0.1).step(lambda x: np.sum(x ** 2), np.array([1.0, -1.0]))
    assert isinstance(x, kt.numpy.tensor) and x.shape == (2,)
    onp.testing.assert_allclose(x, [0.9, -0.9], rtol=1e-6)  # Adam's first step is η·sign(g)


def test_user_grad_fn_is_used_and_a_kt_grad_supplies_the_cost():
    calls = []

    def half_gradient(x, y):
        calls.append(1)
        gx, gy = grad(x, y)
        return 0.5 * gx, 0.5 * gy

    (x1, y1), before = kt.GradientDescentOptimizer(0.2).step_and_cost(
        cost, *fresh_args(), grad_fn=half_gradient)
    ex, ey = reference("gd", 1, stepsize=0.1)
    onp.testing.assert_allclose(x1, ex, rtol=1e-12)
    onp.testing.assert_allclose(y1, ey, rtol=1e-12)
    assert calls == [1]
    assert before == pytest.approx(float(cost(*fresh_args())))

    g = kt.grad(cost)
    (x2, _), before2 = kt.GradientDescentOptimizer(0.2).step_and_cost(cost, *fresh_args(), grad_fn=g)
    onp.testing.assert_allclose(x2, reference("gd", 1, stepsize=0.2)[0], rtol=1e-12)
    assert before2 == pytest.approx(float(cost(*fresh_args())))


def test_qnode_cost_with_parameter_shift():
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=0)
        return kt.expval(kt.PauliZ(0))

    x = np.array([0.3, 0.4])
    new, before = kt.MomentumOptimizer(0.5, momentum=0.5).step_and_cost(circuit, x)
    # <Z> = cos x0 cos x1
    g = onp.array([-onp.sin(0.3) * onp.cos(0.4), -onp.cos(0.3) * onp.sin(0.4)])
    onp.testing.assert_allclose(new, x - 0.5 * g, rtol=1e-10)
    assert before == pytest.approx(onp.cos(0.3) * onp.cos(0.4), abs=1e-12)


def test_usual_default_hyper_parameters():
    assert kt.GradientDescentOptimizer().stepsize == 0.01
    m = kt.NesterovMomentumOptimizer()
    assert (m.stepsize, m.momentum) == (0.01, 0.9)
    assert (kt.AdagradOptimizer().stepsize, kt.AdagradOptimizer().eps) == (0.01, 1e-8)
    r = kt.RMSPropOptimizer()
    assert (r.stepsize, r.decay, r.eps) == (0.01, 0.9, 1e-8)
    a = kt.AdamOptimizer()
    assert (a.stepsize, a.beta1, a.beta2, a.eps) == (0.01, 0.9, 0.99, 1e-8)  # PennyLane: beta2=0.99
