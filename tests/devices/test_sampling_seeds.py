"""Device seeds: seed="global" (the default) follows NumPy's global state with one draw at creation;
None is fresh entropy; ints, SeedSequences and Generators reproduce; one child stream per tape."""
from __future__ import annotations

import numpy as np
import pytest

import kettle as kt
from kettle.devices import seeding
from kettle.errors import DeviceError


def _coin(dev, shots=None):
    @kt.qnode(dev)
    def f():
        kt.Hadamard(0)
        kt.RY(0.9, wires=1)
        return kt.sample(wires=[0, 1])

    return f() if shots is None else f(shots=shots)


def test_global_seed_consumes_exactly_one_draw_of_numpy_s_global_stream():
    np.random.seed(123)
    kt.device("default.qubit", wires=2, shots=10)
    after_device = np.random.random(5)
    np.random.seed(123)
    np.random.randint(0, high=seeding.GLOBAL_DRAW_HIGH)  # the one draw a device takes
    np.testing.assert_array_equal(after_device, np.random.random(5))


def test_global_seed_makes_a_script_reproducible():
    def script():
        np.random.seed(7)
        dev = kt.device("default.qubit", wires=2, shots=100)
        weights = np.random.uniform(0, np.pi, 2)  # the script's own draws after the device
        return weights, _coin(dev), _coin(dev)

    (w1, a1, b1), (w2, a2, b2) = script(), script()
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(a1, b1)  # each execution takes the next child stream
    np.random.seed(8)
    assert not np.array_equal(_coin(kt.device("default.qubit", wires=2, shots=100)), a1)


def test_seed_none_is_fresh_entropy_and_leaves_the_global_state_alone():
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    a = _coin(kt.device("default.qubit", wires=2, shots=200, seed=None))
    b = _coin(kt.device("default.qubit", wires=2, shots=200, seed=None))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize("make", [lambda: 11, lambda: np.random.SeedSequence(11),
                                  lambda: np.random.default_rng(11)],
                         ids=["int", "SeedSequence", "Generator"])
def test_explicit_seeds_reproduce(make):
    a = _coin(kt.device("default.qubit", wires=2, shots=200, seed=make()))
    b = _coin(kt.device("default.qubit", wires=2, shots=200, seed=make()))
    np.testing.assert_array_equal(a, b)


def test_each_tape_with_shots_samples_from_the_next_child_of_the_seed():
    """The tape-level contract executors rely on: tape k of a batch draws from child k."""
    with kt.QuantumTape(shots=50) as t:
        kt.Hadamard(0)
        kt.sample(wires=[0])
    with kt.QuantumTape() as analytic:
        kt.Hadamard(0)
        kt.expval(kt.PauliZ(0))
    dev = kt.device("default.qubit", wires=1, seed=2)
    res = dev.execute([t, analytic, t])
    children = np.random.SeedSequence(2).spawn(2)  # analytic tapes take no child
    for r, child in zip((res[0], res[2]), children):
        expected = np.random.default_rng(child).choice(2, size=50, p=[0.5, 0.5])
        np.testing.assert_array_equal(r[0], expected)
    assert res[1][0] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("seed", [-1, 1.5, "abc", True])
def test_bad_seeds_are_device_errors(seed):
    with pytest.raises(DeviceError, match=rf"got seed={seed!r}; a seed is None \(fresh entropy\), "
                                          r"'global'"):
        kt.device("default.qubit", wires=1, seed=seed)


def test_a_pickled_device_continues_its_seed_and_leaves_its_executor_behind():
    import concurrent.futures as cf
    import pickle

    with cf.ThreadPoolExecutor(1) as pool:
        dev = kt.device("default.qubit", wires=2, shots=100, seed=3, executor=pool)
        _coin(dev)
        copy = pickle.loads(pickle.dumps(dev))
        assert copy.executor is None and dev.executor is pool
        np.testing.assert_array_equal(_coin(copy), _coin(dev))  # both take child 2 of seed 3
