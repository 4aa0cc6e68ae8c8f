"""Each first-order optimizer takes the steps of PennyLane's optimizer of the same name.

Cost f(x) = ½ (x₀² + 3 x₁²) from x = (1, −2): the gradient is g = (x₀, 3 x₁). The expected iterates
were computed by hand (30-digit arithmetic) from the rules in docs/optimize.md with PennyLane's
documented defaults; the first step of each is worked out in the comments.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np

C = onp.array([1.0, 3.0])


def cost(x):
    return 0.5 * np.sum(C * x ** 2)


EXPECTED = {
    # x ← x − η g: step 1 is (1 − 0.1, −2 + 0.1·6)
    "GradientDescentOptimizer": [[0.9, -1.4], [0.81, -0.98], [0.729, -0.686]],
    # a ← 0.9 a + η g, x ← x − a: step 1 a = (0.1, −0.6)
    "MomentumOptimizer": [[0.9, -1.4], [0.72, -0.44], [0.486, 0.556]],
    # g taken at x − 0.9 a; step 1 equals momentum's (a = 0), step 2 differs
    "NesterovMomentumOptimizer": [[0.9, -1.4], [0.729, -0.602], [0.51759, 0.08134]],
    # a ← a + g², x ← x − η g / √(a + ε): step 1 x₀ = 1 − 0.1 / √(1 + 1e−8) = 0.9000000005
    "AdagradOptimizer": [[0.9000000005, -1.9000000000138889],
                         [0.83310352750201893, -1.831125053827183],
                         [0.78045618209660986, -1.7758215150297778]],
    # a ← 0.9 a + 0.1 g², x ← x − η g / √(a + ε): step 1 x₀ = 1 − 0.1 / √(0.1 + 1e−8)
    "RMSPropOptimizer": [[0.68377224979454918, -1.6837722344223673],
                         [0.49887062665476281, -1.4738753140883695],
                         [0.36918057387599252, -1.3087178676206631]],
    # m = 0.1 g, v = 0.01 g², ηₜ = 0.1·√0.01/0.1 = 0.1, x₀ = 1 − 0.1·0.1/(0.1 + 1e−8) = 0.90000001
    # (with β₂ = 0.999 or ε on the corrected moment the digits after the 8th would differ)
    "AdamOptimizer": [[0.900000009999999, -1.9000000016666666],
                      [0.8003885839234408, -1.8001549108545058],
                      [0.70149719082866897, -1.7005803100639459]],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_three_steps_with_the_documented_defaults(name):
    opt = getattr(kt, name)(0.1)  # only the stepsize given: every other setting is the default
    x = np.array([1.0, -2.0])
    for expected in EXPECTED[name]:
        x = opt.step(cost, x)
        onp.testing.assert_allclose(x, expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name, defaults", [
    ("GradientDescentOptimizer", dict(stepsize=0.01)),
    ("MomentumOptimizer", dict(stepsize=0.01, momentum=0.9)),
    ("NesterovMomentumOptimizer", dict(stepsize=0.01, momentum=0.9)),
    ("AdagradOptimizer", dict(stepsize=0.01, eps=1e-8)),
    ("RMSPropOptimizer", dict(stepsize=0.01, decay=0.9, eps=1e-8)),
    ("AdamOptimizer", dict(stepsize=0.01, beta1=0.9, beta2=0.99, eps=1e-8)),
])
def test_defaults_are_pennylanes(name, defaults):
    opt = getattr(kt, name)()
    assert {k: getattr(opt, k) for k in defaults} == defaults
