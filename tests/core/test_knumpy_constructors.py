"""kettle.numpy: every array constructor returns a trainable tensor; random choices over objects
return the objects (regressions: loadtxt/genfromtxt gave plain ndarrays, choice over gate classes
gave an uncallable 0-d tensor)."""
from __future__ import annotations

import io

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np


def test_choice_over_gate_classes_returns_a_class_that_can_be_called():
    np.random.seed(3)
    picks = {np.random.choice([kt.RX, kt.RY, kt.RZ]) for _ in range(30)}
    assert picks == {kt.RX, kt.RY, kt.RZ}
    gate = np.random.choice([kt.RX])
    assert gate is kt.RX
    op = gate(0.3, wires=0)
    onp.testing.assert_allclose(op.matrix(), [[onp.cos(0.15), -1j * onp.sin(0.15)],
                                              [-1j * onp.sin(0.15), onp.cos(0.15)]])


def test_choice_over_strings_is_a_plain_array_and_over_numbers_a_tensor():
    np.random.seed(0)
    words = np.random.choice(["X", "Y"], size=4)
    assert not isinstance(words, np.tensor) and set(words) <= {"X", "Y"}
    nums = np.random.choice([0.5, 1.5], size=3)
    assert isinstance(nums, np.tensor) and nums.requires_grad
    assert set(nums.tolist()) <= {0.5, 1.5}


def test_choice_follows_the_global_seed_like_numpy():
    np.random.seed(11)
    ours = [np.random.choice([kt.RX, kt.RY]) for _ in range(8)]
    onp.random.seed(11)
    theirs = [[kt.RX, kt.RY][onp.random.choice(2)] for _ in range(8)]
    assert ours == theirs


@pytest.mark.parametrize("read", [
    lambda f: np.loadtxt(f),
    lambda f: np.genfromtxt(f),
    lambda f: np.loadtxt(f, requires_grad=False),
])
def test_text_readers_return_tensors(read):
    data = read(io.StringIO("0.5 1.0\n-2.0 3.25\n"))
    assert isinstance(data, np.tensor)
    onp.testing.assert_array_equal(data, [[0.5, 1.0], [-2.0, 3.25]])


def test_requires_grad_flag_of_readers():
    assert np.loadtxt(io.StringIO("1 2")).requires_grad is True
    assert np.genfromtxt(io.StringIO("1,2"), delimiter=",", requires_grad=False).requires_grad is False


def test_loaded_data_is_differentiated_by_kt_grad():
    x = np.loadtxt(io.StringIO("0.1 0.2 0.3"))
    g = kt.grad(lambda v: np.sum(v ** 2))(x)
    onp.testing.assert_allclose(g, [0.2, 0.4, 0.6])


def test_binary_round_trip_and_other_constructors(tmp_path):
    path = tmp_path / "x.npy"
    onp.save(path, onp.arange(3.0))
    loaded = np.load(path)
    assert isinstance(loaded, np.tensor) and loaded.requires_grad
    onp.testing.assert_array_equal(loaded, [0.0, 1.0, 2.0])
    for made in [np.fromiter(iter([1.0, 2.0]), dtype=float), np.geomspace(1, 8, 4),
                 np.fromfunction(lambda i: i * 2.0, (3,)), np.copy(onp.ones(2)), np.tri(2),
                 np.frombuffer(onp.ones(2).tobytes()), np.diagflat([1.0, 2.0])]:
        assert isinstance(made, np.tensor) and made.requires_grad
    gx, gy = np.meshgrid([1.0, 2.0], [3.0])
    assert isinstance(gx, np.tensor) and isinstance(gy, np.tensor)
    onp.testing.assert_array_equal(gy, [[3.0, 3.0]])


def test_every_listed_constructor_is_wrapped():
    from kettle.core import knumpy

    plain = [n for n in knumpy.CONSTRUCTORS if not hasattr(getattr(np, n), "__wrapped__")]
    assert plain == []
