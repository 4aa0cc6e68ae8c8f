"""Shift rules and finite-difference stencils against derivatives worked out by hand.

A parameter-shift rule for the frequencies Ω must differentiate every trigonometric polynomial
f(x) = a₀ + Σ_l a_l cos(Ω_l x) + b_l sin(Ω_l x) exactly, whose derivative is
f′(x) = Σ_l Ω_l (b_l cos(Ω_l x) − a_l sin(Ω_l x)). A stencil of accuracy order p must differentiate
polynomials of degree ≤ p exactly, and its error on a smooth function must shrink as h^p.
"""
from __future__ import annotations

import numpy as np
import pytest

from kettle.gradients import rules


def random_trig_poly(freqs, rng):
    """(f, f′) of a trigonometric polynomial with random coefficients and the given frequencies."""
    freqs = np.asarray(freqs, dtype=float)
    a0 = rng.normal()
    a, b = rng.normal(size=len(freqs)), rng.normal(size=len(freqs))

    def f(x):
        return a0 + np.sum(a * np.cos(freqs * x) + b * np.sin(freqs * x))

    def df(x):
        return np.sum(freqs * (b * np.cos(freqs * x) - a * np.sin(freqs * x)))

    return f, df


def apply_rule(rule, f, x):
    coeffs, shifts = rule
    return sum(c * f(x + s) for c, s in zip(coeffs, shifts))


@pytest.mark.parametrize("freqs", [(1.0,), (0.5, 1.0), (1.0, 2.0, 3.0), (1.0, 2.0), (1.0, 2.5)])
def test_shift_rule_differentiates_trigonometric_polynomials(freqs, rng):
    rule = rules.shift_rule(freqs)
    for _ in range(3):
        f, df = random_trig_poly(freqs, rng)
        for x in rng.uniform(-np.pi, np.pi, size=4):
            assert apply_rule(rule, f, x) == pytest.approx(df(x), abs=1e-10)


@pytest.mark.parametrize("freqs", [(1.0,), (0.5, 1.0), (1.0, 2.0, 3.0)])
def test_shift_rule_has_2R_antisymmetric_terms(freqs):
    coeffs, shifts = rules.shift_rule(freqs)
    R = len(freqs)
    assert len(coeffs) == len(shifts) == 2 * R
    np.testing.assert_allclose(shifts[R:], -np.array(shifts[:R]))
    np.testing.assert_allclose(coeffs[R:], -np.array(coeffs[:R]))
    assert all(s > 0 for s in shifts[:R])


def test_two_term_rule_is_half_difference_at_plus_minus_pi_over_2():
    coeffs, shifts = rules.shift_rule((1.0,))
    assert dict(zip(shifts, coeffs)) == pytest.approx({np.pi / 2: 0.5, -np.pi / 2: -0.5})


def test_single_frequency_rule_scales_with_frequency():
    # f(x) = sin(Ωx): shift π/(2Ω), coefficient Ω/2
    coeffs, shifts = rules.shift_rule((3.0,))
    assert shifts[0] == pytest.approx(np.pi / 6)
    assert coeffs[0] == pytest.approx(1.5)


def test_shift_rule_ignores_frequency_order(rng):
    f, df = random_trig_poly((1.0, 2.0), rng)
    assert apply_rule(rules.shift_rule((2.0, 1.0)), f, 0.4) == pytest.approx(df(0.4), abs=1e-10)


@pytest.mark.parametrize("freqs, shifts", [((1.0,), (0.3,)), ((0.5, 1.0), (0.4, 1.9))])
def test_custom_shifts_still_differentiate_exactly(freqs, shifts, rng):
    rule = rules.shift_rule(freqs, shifts)
    assert rule[1][: len(shifts)] == pytest.approx(shifts)
    f, df = random_trig_poly(freqs, rng)
    assert apply_rule(rule, f, 0.7) == pytest.approx(df(0.7), abs=1e-9)


def test_custom_shifts_of_wrong_length_raise():
    with pytest.raises(ValueError, match="2 frequencies needs 2 positive shifts, got 1"):
        rules.shift_rule((1.0, 2.0), (0.5,))


def test_shifts_that_cannot_separate_the_frequencies_raise():
    # Regression: Ω = (1, 3) with the default shifts π/4, 3π/4 gave a singular system, and the
    # solver silently returned coefficients of size 1e15 instead of an error.
    with pytest.raises(ValueError, match="cannot separate the frequencies"):
        rules.shift_rule((1.0, 3.0))
    coeffs, shifts = rules.shift_rule((1.0, 3.0), (0.3, 1.1))  # usable with other shifts
    f = lambda x: np.sin(x) - 0.5 * np.cos(3 * x)  # noqa: E731
    assert apply_rule((coeffs, shifts), f, 0.2) == pytest.approx(np.cos(0.2) + 1.5 * np.sin(0.6))


# ---------------------------------------------------------------------------- stencils
def accuracy(order, strategy):
    """Order of the truncation error: central stencils are symmetric, hence of even order."""
    return 2 * ((order + 1) // 2) if strategy == "center" else order


def apply_stencil(stencil, f, x, h):
    coeffs, steps = stencil
    return sum(c * f(x + s * h) for c, s in zip(coeffs, steps)) / h


@pytest.mark.parametrize("strategy", ["forward", "backward", "center"])
@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_stencil_is_exact_on_polynomials_up_to_its_accuracy(order, strategy, rng):
    stencil = rules.finite_diff_stencil(order, strategy)
    p = accuracy(order, strategy)
    x0, h = 0.3, 0.25
    for degree in range(p + 2):
        c = rng.normal(size=degree + 1)
        poly, dpoly = np.polynomial.Polynomial(c), np.polynomial.Polynomial(c).deriv()
        err = abs(apply_stencil(stencil, poly, x0, h) - dpoly(x0))
        if degree <= p:
            assert err < 1e-10
        else:  # one degree more is no longer exact: the leading error term is c_{p+1}·h^p·(…)
            assert err > 1e-6


@pytest.mark.parametrize("strategy", ["forward", "backward", "center"])
@pytest.mark.parametrize("order", [1, 2, 4])
def test_stencil_error_shrinks_as_h_to_the_order(order, strategy):
    stencil = rules.finite_diff_stencil(order, strategy)
    f, df, x0 = np.sin, np.cos, 0.7
    h = 0.05
    errs = [abs(apply_stencil(stencil, f, x0, step) - df(x0)) for step in (h, h / 2)]
    assert np.log2(errs[0] / errs[1]) == pytest.approx(accuracy(order, strategy), abs=0.2)


def test_forward_and_backward_stencils_use_the_expected_points():
    for strategy, expected in [("forward", {0: -1.0, 1: 1.0}), ("backward", {0: 1.0, -1: -1.0})]:
        coeffs, steps = rules.finite_diff_stencil(1, strategy)
        assert dict(zip(steps, coeffs)) == pytest.approx(expected)
    coeffs, steps = rules.finite_diff_stencil(2, "center")
    assert dict(zip(steps, coeffs)) == pytest.approx({-1: -0.5, 1: 0.5})  # f(x) drops out


@pytest.mark.parametrize("order, strategy, match", [
    (0, "forward", "approx_order must be a positive integer, got 0"),
    (1, "sideways", "strategy must be 'forward', 'backward' or 'center', got 'sideways'"),
])
def test_stencil_rejects_bad_options(order, strategy, match):
    with pytest.raises(ValueError, match=match):
        rules.finite_diff_stencil(order, strategy)


def test_combine_sums_nested_tuples():
    values = [(np.array([1.0, 2.0]), 3.0), (np.array([10.0, 20.0]), 30.0)]
    out = rules.combine([2.0, -1.0], values)
    assert isinstance(out, tuple)
    np.testing.assert_allclose(out[0], [-8.0, -16.0])
    assert out[1] == pytest.approx(-24.0)
