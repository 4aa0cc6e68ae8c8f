"""The minimize loop: history bookkeeping, tol, callback, several arguments, the progress bar."""
from __future__ import annotations

import os
import pty
import struct
import subprocess
import sys

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np

C = onp.array([1.0, 3.0, 0.5])
T = onp.array([0.2, -0.4, 1.0])


def quadratic(x):
    """Convex, minimum 0.5 at T."""
    return np.sum(C * (x - T) ** 2) + 0.5


def test_gd_on_a_convex_function_descends_monotonically_and_stops_at_tol():
    res = kt.GradientDescentOptimizer(0.1).minimize(quadratic, np.zeros(3), steps=500, tol=1e-9)
    assert res.converged and "tol" in res.message
    assert res.n_steps < 500
    assert len(res.history) == res.n_steps + 1
    assert all(b < a for a, b in zip(res.history, res.history[1:]))
    assert abs(res.history[-1] - res.history[-2]) < 1e-9
    assert res.cost == res.history[-1] == pytest.approx(float(quadratic(res.x)), abs=1e-15)
    onp.testing.assert_allclose(res.x, T, atol=1e-4)
    # the step before the last one still changed the cost by more than tol
    assert abs(res.history[-2] - res.history[-3]) >= 1e-9


def test_without_tol_all_steps_run_and_the_final_cost_is_recorded():
    x0 = np.zeros(3)
    res = kt.GradientDescentOptimizer(0.05).minimize(quadratic, x0, steps=7)
    assert not res.converged and res.n_steps == 7 and len(res.history) == 8
    assert res.history[0] == pytest.approx(float(quadratic(x0)))
    # gradient descent on a separable quadratic: x_k − T = (1 − 2ηC)^k (x0 − T)
    onp.testing.assert_allclose(res.x, T + (1 - 2 * 0.05 * C) ** 7 * (0 - T), rtol=1e-12)
    assert res.cost == pytest.approx(float(quadratic(res.x)), abs=1e-15)


def test_callback_sees_every_iterate_and_can_stop_the_loop():
    seen = []

    def callback(k, x, c):
        seen.append((k, c, float(quadratic(x))))
        return k == 3

    res = kt.AdamOptimizer(0.1).minimize(quadratic, np.zeros(3), steps=50, callback=callback)
    assert [k for k, _, _ in seen] == [0, 1, 2, 3]
    assert all(c == pytest.approx(direct) for _, c, direct in seen)
    assert res.n_steps == 3 and res.message == "stopped by the callback" and not res.converged


def test_several_arguments_are_given_as_a_tuple():
    def f(x, y):
        return np.sum((x - 1.0) ** 2) + np.sum((y + 2.0) ** 2)

    res = kt.MomentumOptimizer(0.1).minimize(f, (np.zeros(2), np.zeros((2, 2))), steps=300)
    x, y = res.x
    onp.testing.assert_allclose(x, 1.0, atol=1e-5)
    onp.testing.assert_allclose(y, -2.0, atol=1e-5)


def test_cost_keyword_arguments_are_passed_through():
    def f(x, target):
        return np.sum((x - target) ** 2)

    res = kt.GradientDescentOptimizer(0.25).minimize(f, np.zeros(2), steps=40,
                                                     kwargs={"target": onp.array([3.0, -1.0])})
    onp.testing.assert_allclose(res.x, [3.0, -1.0], atol=1e-6)


def test_no_progress_bar_when_output_is_not_a_terminal(capfd):
    kt.GradientDescentOptimizer(0.1).minimize(quadratic, np.zeros(3), steps=5, progress=True)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


SCRIPT = """
import kettle as kt
from kettle import numpy as np
res = kt.GradientDescentOptimizer(0.1).minimize(lambda x: np.sum((x - 1) ** 2), np.zeros(2),
                                                steps=20, progress={progress})
print("n_steps", res.n_steps)
"""


def run_in_terminal(progress: bool) -> str:
    """Output of a Python process whose stdout and stderr are a pseudo-terminal."""
    import fcntl
    import termios

    master, slave = pty.openpty()
    # a fresh pseudo-terminal is 0 columns wide, where tqdm draws nothing: size it like a window
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT.format(progress=progress)],
                            stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # the terminal closes when the process exits
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode(errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_progress_bar_in_a_terminal_shows_the_cost():
    shown = run_in_terminal(True)
    assert "n_steps 20" in shown
    assert "GradientDescentOptimizer" in shown and "20/20" in shown
    # the final cost of x_k − 1 = 0.8^k (−1) after 20 steps: 2 · 0.8^40
    assert f"cost={2 * 0.8 ** 40:.8g}" in shown
    hidden = run_in_terminal(False)
    assert "n_steps 20" in hidden and "cost=" not in hidden
