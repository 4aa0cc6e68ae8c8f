"""OptimizeResult.plot draws the cost history it holds."""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np

pytestmark = pytest.mark.draw


def test_plot_draws_the_cost_history(tmp_path):
    import matplotlib.pyplot as plt

    # f(x) = x²: gradient descent with step η multiplies x by (1 − 2η) each step
    result = kt.GradientDescentOptimizer(stepsize=0.1).minimize(lambda x: x ** 2, np.array(1.0),
                                                                steps=5)
    fig, ax = result.plot(label="GD", log=True)
    (line,) = ax.lines
    onp.testing.assert_allclose(line.get_ydata(), [0.8 ** (2 * k) for k in range(6)])
    onp.testing.assert_array_equal(line.get_xdata(), range(6))
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "step"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["GD"]
    fig.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 1000
    _, given = plt.subplots()
    assert result.plot(given)[1] is given
    plt.close("all")
