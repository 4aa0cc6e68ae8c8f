"""finite_diff: stencils on circuits, error order in h, nonlinear measurements, option checks.

Reference: RY(b)RX(a)|0⟩ has ⟨Z⟩ = cos a cos b. For RY(a) then CNOT, the state is
cos(a/2)|00⟩ + sin(a/2)|11⟩; each wire's reduced state is diag(p, 1 − p) with p = cos²(a/2), so
purity = p² + (1 − p)² = 1 − sin²(a)/2, S = −p ln p − (1 − p) ln(1 − p), mutual information = 2S,
and dS/da = (dp/da)·ln((1 − p)/p) with dp/da = −sin(a)/2.
"""
from __future__ import annotations

import numpy as np
import pytest

import kettle as kt

A, B = 0.4, -1.1
GRAD = np.array([-np.sin(A) * np.cos(B), -np.cos(A) * np.sin(B)])


def rx_ry_tape(a=A, b=B):
    return kt.QuantumTape([kt.RX(a, wires=0), kt.RY(b, wires=0)], [kt.expval(kt.PauliZ(0))])


def fd_gradient(tape, dev=None, **kwargs):
    dev = dev or kt.device("default.qubit", wires=1)
    tapes, fn = kt.gradients.finite_diff(tape, **kwargs)
    return np.array(fn(dev.execute(tapes))[0]), len(tapes)


STRATEGIES = [  # (strategy, approx_order, observed error order, tapes for 2 parameters)
    ("forward", 1, 1, 1 + 2), ("backward", 1, 1, 1 + 2), ("center", 1, 2, 2 * 2),
    ("forward", 2, 2, 1 + 2 * 2), ("backward", 2, 2, 1 + 2 * 2), ("center", 2, 2, 2 * 2),
]


@pytest.mark.parametrize("strategy, order, error_order, n_tapes", STRATEGIES)
def test_stencils_approximate_the_exact_gradient(strategy, order, error_order, n_tapes):
    h = 1e-4
    grad, count = fd_gradient(rx_ry_tape(), h=h, approx_order=order, strategy=strategy)
    assert count == n_tapes
    # truncation error ≲ h^p (the circuit's derivatives are all bounded by 1) plus round-off
    np.testing.assert_allclose(grad, GRAD, atol=h ** error_order + 1e-10 / h)


@pytest.mark.parametrize("strategy, order, error_order, n_tapes", STRATEGIES)
def test_error_shrinks_as_h_to_the_order(strategy, order, error_order, n_tapes):
    errors = [
        np.abs(fd_gradient(rx_ry_tape(), h=h, approx_order=order, strategy=strategy)[0] - GRAD)
        for h in (1e-2, 5e-3)]
    np.testing.assert_allclose(np.log2(errors[0] / errors[1]), error_order, atol=0.15)


def test_forward_and_backward_errors_have_opposite_signs():
    # f(θ ± h) − f(θ) = ±h f′ + h²/2 f″: the first-order errors are ∓h f″/2
    fwd = fd_gradient(rx_ry_tape(), h=1e-3, strategy="forward")[0] - GRAD
    bwd = fd_gradient(rx_ry_tape(), h=1e-3, strategy="backward")[0] - GRAD
    f2 = -np.cos(A) * np.cos(B)  # ∂²⟨Z⟩/∂a² = ∂²⟨Z⟩/∂b²
    np.testing.assert_allclose(fwd, [1e-3 * f2 / 2] * 2, rtol=1e-2)
    np.testing.assert_allclose(bwd, -fwd, rtol=1e-2)


def test_f0_saves_the_unshifted_run():
    dev = kt.device("default.qubit", wires=1)
    tape = rx_ry_tape()
    f0 = dev.execute([tape])[0]
    tapes, fn = kt.gradients.finite_diff(tape, h=1e-6, f0=f0)
    assert len(tapes) == 2
    np.testing.assert_allclose(fn(dev.execute(tapes))[0], GRAD, atol=1e-5)


def test_argnum_leaves_other_parameters_zero():
    grad, count = fd_gradient(rx_ry_tape(), h=1e-6, strategy="center", argnum=[1])
    assert count == 2
    assert grad[0] == 0
    assert grad[1] == pytest.approx(GRAD[1], abs=1e-8)


def test_probs_and_var_on_a_qnode():
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def circuit(a, b):
        kt.RX(a, wires=0)
        kt.RY(b, wires=0)
        return kt.probs(wires=0), kt.var(kt.PauliZ(0))

    dprobs, dvar = kt.gradients.finite_diff(circuit, h=1e-6, strategy="center")(A, B)
    assert len(dprobs) == 2 and np.shape(dprobs[0]) == (2,)  # per argument, shaped like probs
    np.testing.assert_allclose(np.stack(dprobs, axis=-1), [GRAD / 2, -GRAD / 2], atol=1e-8)
    np.testing.assert_allclose(dvar, -2 * np.cos(A) * np.cos(B) * GRAD, atol=1e-8)


# ---------------------------------------------------------------------------- nonlinear outputs
def bell_like(a):
    return [kt.RY(a, wires=0), kt.CNOT(wires=[0, 1])]


def entropy_derivative(a):
    p = np.cos(a / 2) ** 2
    return -np.sin(a) / 2 * np.log((1 - p) / p)


NONLINEAR = [  # (measurement, value, derivative)
    (lambda: kt.purity(wires=[0]), lambda a: 1 - np.sin(a) ** 2 / 2,
     lambda a: -np.sin(a) * np.cos(a)),
    (lambda: kt.vn_entropy(wires=0), None, entropy_derivative),
    (lambda: kt.mutual_info(wires0=[0], wires1=[1]), None, lambda a: 2 * entropy_derivative(a)),
]


@pytest.mark.parametrize("measure, value, derivative", NONLINEAR,
                         ids=["purity", "vn_entropy", "mutual_info"])
def test_nonlinear_measurements_match_closed_forms_and_central_differences(measure, value,
                                                                             derivative):
    a, h = 0.9, 1e-5
    dev = kt.device("default.qubit", wires=2)
    run = lambda a: dev.execute([kt.QuantumTape(bell_like(a), [measure()])])[0][0]  # noqa: E731
    if value is not None:
        assert run(a) == pytest.approx(value(a), abs=1e-12)
    tapes, fn = kt.gradients.finite_diff(kt.QuantumTape(bell_like(a), [measure()]), h=1e-6,
                                         strategy="center")
    grad = fn(dev.execute(tapes))[0][0]
    assert grad == pytest.approx((run(a + h) - run(a - h)) / (2 * h), abs=1e-7)
    assert grad == pytest.approx(derivative(a), abs=1e-7)


def test_nonlinear_measurement_through_a_qnode():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(a):
        kt.RY(a, wires=0)
        kt.CNOT(wires=[0, 1])
        return kt.vn_entropy(wires=0)

    jac = kt.gradients.finite_diff(circuit, h=1e-6, strategy="center")(0.9)
    assert np.shape(jac) == ()  # d/da of a scalar, by one scalar argument
    assert jac == pytest.approx(entropy_derivative(0.9), abs=1e-7)


# ---------------------------------------------------------------------------- options
@pytest.mark.parametrize("h", [0, -1, 0.0, "1e-3"])
def test_bad_step_raises(h):
    with pytest.raises(ValueError, match=f"step h must be a positive number, got {h!r}"):
        kt.gradients.finite_diff(rx_ry_tape(), h=h)


@pytest.mark.parametrize("order, strategy, h", [(1, "forward", (2 / 10_000) ** 0.25),
                                                (2, "center", (2 / 10_000) ** (1 / 6))])
def test_default_step_with_shots_balances_shot_noise(order, strategy, h):
    """With shots the default step is (2/N)^(1/(2(k+1))), not 1e-7 (whose quotient would be shot
    noise ×1e5): the shifted tapes sit that far away, and the estimate is within bias + 5σ.

    ⟨Z⟩ = cos x after RX(x); forward bias h/2·|cos x|, noise √2/(h√N); central bias h²/6, noise
    1/(√(2N)·h).
    """
    x, shots = 0.5, 10_000
    tape = kt.QuantumTape([kt.RX.unqueued(x, wires=0)], [kt.expval(kt.PauliZ.unqueued(0))],
                          shots=shots)
    tapes, fn = kt.gradients.finite_diff(tape, approx_order=order, strategy=strategy)
    shifted = [float(t.get_parameters(False)[0]) for t in tapes]
    assert max(abs(s - x) for s in shifted) == pytest.approx(h, rel=1e-12)
    dev = kt.device("default.qubit", wires=1, shots=shots, seed=11)
    estimate = float(np.squeeze(fn(dev.execute(tapes))[0][0]))
    if order == 1:
        bound = h / 2 + 5 * np.sqrt(2) / (h * np.sqrt(shots))
    else:
        bound = h ** 2 / 6 + 5 / (np.sqrt(2 * shots) * h)
    assert abs(estimate + np.sin(x)) < bound


def test_bad_strategy_raises():
    with pytest.raises(ValueError, match="strategy must be 'forward', 'backward' or 'center'"):
        kt.gradients.finite_diff(rx_ry_tape(), strategy="sideways")


def test_bad_order_raises():
    with pytest.raises(ValueError, match="approx_order must be a positive integer, got 0"):
        kt.gradients.finite_diff(rx_ry_tape(), approx_order=0)


def test_samples_are_not_differentiable():
    tape = kt.QuantumTape([kt.RX(0.3, wires=0)], [kt.sample(kt.PauliZ(0))], shots=10)
    with pytest.raises(kt.errors.NonDifferentiableError, match="sample"):
        kt.gradients.finite_diff(tape)
