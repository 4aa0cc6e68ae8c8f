"""Finite-shot measurements of default.qubit: statistics, seeds, shapes, shot vectors, frameworks.

Statistical tests use 10**5 shots with a fixed seed and accept estimates within 5σ of the analytic
value, where σ is computed here from the exact outcome distribution of a NumPy reference state.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import kettle as kt
from kettle.errors import MeasurementError, ShotsError

N = 10**5
A, B, C, D = 0.7, -1.1, 0.4, 0.5  # angles chosen so every observable below has a non-trivial value

I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0, -1.0]).astype(complex)
H = (X + Z) / np.sqrt(2)
HERM = np.array([[1.5, 0.4 - 0.9j], [0.4 + 0.9j, -0.3]])
HERM2 = np.array([[1.0, 0.2, 0.0, 0.5j],
                  [0.2, -0.4, 0.3, 0.0],
                  [0.0, 0.3, 0.6, -0.7],
                  [-0.5j, 0.0, -0.7, -1.2]])


def _ry(t):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def _rx(t):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -1j * s], [-1j * s, c]])


CNOT = np.eye(4)[[0, 1, 3, 2]]
#: RY(A) ⊗ RX(B), CNOT(0, 1), RY(C) ⊗ RX(D); wire 0 is the most significant bit.
PSI = np.kron(_ry(C), _rx(D)) @ CNOT @ np.kron(_ry(A), _rx(B)) @ np.array([1, 0, 0, 0], dtype=complex)


def circuit():
    kt.RY(A, wires=0)
    kt.RX(B, wires=1)
    kt.CNOT(wires=[0, 1])
    kt.RY(C, wires=0)
    kt.RX(D, wires=1)


def moments(matrix: np.ndarray) -> tuple[float, float, float]:
    """Mean, variance and fourth central moment of measuring ``matrix`` (4×4) in PSI."""
    lam, vecs = np.linalg.eigh(matrix)
    p = np.abs(vecs.conj().T @ PSI) ** 2
    mean = p @ lam
    var = p @ (lam - mean) ** 2
    mu4 = p @ (lam - mean) ** 4
    return mean, var, mu4


# (kettle observable factory, its 4×4 matrix on wires [0, 1])
OBSERVABLES = {
    "X0": (lambda: kt.PauliX(0), np.kron(X, I2)),
    "Y1": (lambda: kt.PauliY(1), np.kron(I2, Y)),
    "Z0": (lambda: kt.PauliZ(0), np.kron(Z, I2)),
    "H1": (lambda: kt.Hadamard(1), np.kron(I2, H)),
    "Herm0": (lambda: kt.Hermitian(HERM, wires=0), np.kron(HERM, I2)),
    "Herm01": (lambda: kt.Hermitian(HERM2, wires=[0, 1]), HERM2),
    "X0@Z1": (lambda: kt.PauliX(0) @ kt.PauliZ(1), np.kron(X, Z)),
    "Y0@H1": (lambda: kt.PauliY(0) @ kt.Hadamard(1), np.kron(Y, H)),
    "Herm1@X0": (lambda: kt.Hermitian(HERM, wires=1) @ kt.PauliX(0), np.kron(X, HERM)),
    "Ham": (lambda: kt.Hamiltonian([0.5, -0.7, 0.2], [kt.X(0), kt.Z(0) @ kt.Z(1), kt.Y(1)]),
            0.5 * np.kron(X, I2) - 0.7 * np.kron(Z, Z) + 0.2 * np.kron(I2, Y)),
}


def test_reference_values_are_not_trivial():
    """Guards the statistics tests against observables whose value would be 0 or ±1 anyway."""
    for name, (_, mat) in OBSERVABLES.items():
        mean, var, _ = moments(mat)
        assert abs(mean) > 0.05 and var > 0.05, name


@pytest.mark.parametrize("name", list(OBSERVABLES))
def test_expval_within_5_sigma(name):
    make, mat = OBSERVABLES[name]
    mean, var, _ = moments(mat)

    @kt.qnode(kt.device("default.qubit", wires=2, shots=N, seed=11))
    def f():
        circuit()
        return kt.expval(make())

    assert abs(f() - mean) < 5 * np.sqrt(var / N)
    assert np.isclose(f(shots=None), mean, atol=1e-10)


@pytest.mark.parametrize("name", list(OBSERVABLES))
def test_var_within_5_sigma(name):
    make, mat = OBSERVABLES[name]
    _, var, mu4 = moments(mat)

    @kt.qnode(kt.device("default.qubit", wires=2, shots=N, seed=12))
    def f():
        circuit()
        return kt.var(make())

    # standard deviation of the sample variance of N draws
    sigma = np.sqrt((mu4 - var**2) / N)
    assert abs(f() - var) < 5 * sigma
    assert np.isclose(f(shots=None), var, atol=1e-10)


@pytest.mark.parametrize("wires", [[0, 1], [1, 0], [1]])
def test_probs_within_5_sigma(wires):
    full = (np.abs(PSI) ** 2).reshape(2, 2)
    if wires == [1, 0]:
        exact = full.T.reshape(-1)
    elif wires == [1]:
        exact = full.sum(axis=0)
    else:
        exact = full.reshape(-1)

    @kt.qnode(kt.device("default.qubit", wires=2, shots=N, seed=13))
    def f():
        circuit()
        return kt.probs(wires=wires)

    sigma = np.sqrt(exact * (1 - exact) / N)
    res = f()
    assert res.shape == exact.shape
    assert np.all(np.abs(res - exact) < 5 * sigma + 1e-12)
    assert np.isclose(res.sum(), 1.0)


def test_probs_of_observable_within_5_sigma():
    """probs(op=X(0) @ Z(1)) are the probabilities of X(0)'s and Z(1)'s eigenstates."""
    plus, minus = np.array([1, 1]) / np.sqrt(2), np.array([1, -1]) / np.sqrt(2)
    zero, one = np.array([1, 0]), np.array([0, 1])
    # PauliX's eigenvalues come out in the order (+1, -1), like PauliZ's
    basis = [np.kron(a, b) for a in (plus, minus) for b in (zero, one)]
    exact = np.array([abs(v @ PSI) ** 2 for v in basis])

    @kt.qnode(kt.device("default.qubit", wires=2, shots=N, seed=14))
    def f():
        circuit()
        return kt.probs(op=kt.PauliX(0) @ kt.PauliZ(1))

    assert np.all(np.abs(f() - exact) < 5 * np.sqrt(exact * (1 - exact) / N) + 1e-12)


def test_sample_mean_of_observable_within_5_sigma():
    make, mat = OBSERVABLES["Herm01"]
    mean, var, _ = moments(mat)

    @kt.qnode(kt.device("default.qubit", wires=2, shots=N, seed=15))
    def f():
        circuit()
        return kt.sample(make())

    samples = f()
    assert samples.shape == (N,)
    assert set(np.round(np.unique(samples), 10)) <= set(np.round(np.linalg.eigvalsh(HERM2), 10))
    assert abs(samples.mean() - mean) < 5 * np.sqrt(var / N)


# ---------------------------------------------------------------- seeds


def _coin_samples(dev):
    @kt.qnode(dev)
    def f():
        kt.Hadamard(0)
        kt.RY(0.9, wires=1)
        return kt.sample(wires=[0, 1])

    return f()


def test_same_seed_gives_identical_samples():
    a = _coin_samples(kt.device("default.qubit", wires=2, shots=200, seed=7))
    b = _coin_samples(kt.device("default.qubit", wires=2, shots=200, seed=7))
    np.testing.assert_array_equal(a, b)


def test_different_seed_gives_different_samples():
    a = _coin_samples(kt.device("default.qubit", wires=2, shots=200, seed=7))
    b = _coin_samples(kt.device("default.qubit", wires=2, shots=200, seed=8))
    assert not np.array_equal(a, b)


def test_repeated_calls_on_one_device_draw_fresh_samples():
    dev = kt.device("default.qubit", wires=2, shots=200, seed=7)
    assert not np.array_equal(_coin_samples(dev), _coin_samples(dev))


# ---------------------------------------------------------------- sample and counts


def test_sample_wires_gives_bits_of_the_right_shape():
    dev = kt.device("default.qubit", wires=3, shots=50, seed=1)

    @kt.qnode(dev)
    def f():
        kt.PauliX(0)
        kt.Hadamard(2)
        return kt.sample(wires=0), kt.sample(wires=[0, 1]), kt.sample(wires=[2, 0]), kt.sample()

    one, two, swapped, every = f()
    assert one.shape == (50,) and np.issubdtype(one.dtype, np.integer)
    np.testing.assert_array_equal(one, np.ones(50))
    assert two.shape == (50, 2)
    np.testing.assert_array_equal(two, np.tile([1, 0], (50, 1)))
    assert swapped.shape == (50, 2)
    np.testing.assert_array_equal(swapped[:, 1], np.ones(50))
    assert set(np.unique(swapped[:, 0])) == {0, 1}  # wire 2 is in |+⟩: both bits show up
    assert every.shape == (50, 3)
    np.testing.assert_array_equal(every[:, 2], swapped[:, 0])  # same shots, one set of samples


def test_sample_observable_gives_eigenvalues():
    dev = kt.device("default.qubit", wires=2, shots=300, seed=2)

    @kt.qnode(dev)
    def f():
        kt.PauliX(0)
        kt.Hadamard(1)
        return kt.sample(kt.PauliZ(0)), kt.sample(kt.PauliX(1)), kt.sample(kt.PauliZ(1)), \
            kt.sample(kt.Hermitian(np.diag([3.0, -2.0]), wires=0))

    z0, x1, z1, herm = f()
    np.testing.assert_array_equal(z0, -np.ones(300))
    np.testing.assert_array_equal(x1, np.ones(300))  # |+⟩ is X's +1 eigenstate
    assert set(np.unique(z1)) == {-1.0, 1.0}
    np.testing.assert_array_equal(herm, np.full(300, -2.0))


def test_correlated_samples_agree_shot_by_shot():
    dev = kt.device("default.qubit", wires=2, shots=500, seed=3)

    @kt.qnode(dev)
    def bell(basis):
        kt.Hadamard(0)
        kt.CNOT(wires=[0, 1])
        return kt.sample(basis(0)), kt.sample(basis(1))

    for basis in (kt.PauliZ, kt.PauliX):  # |Φ+⟩ is correlated in both bases
        a, b = bell(basis)
        np.testing.assert_array_equal(a, b)
        assert set(np.unique(a)) == {-1.0, 1.0}


def test_counts_without_and_with_all_outcomes():
    dev = kt.device("default.qubit", wires=2, shots=1000, seed=4)

    @kt.qnode(dev)
    def f():
        kt.PauliX(0)
        return kt.counts(wires=[0, 1]), kt.counts(wires=[0, 1], all_outcomes=True), \
            kt.counts(wires=1)

    seen, every, one = f()
    assert seen == {"10": 1000}
    assert every == {"00": 0, "01": 0, "10": 1000, "11": 0}
    assert one == {"0": 1000}


def test_counts_of_a_bell_state_are_balanced():
    dev = kt.device("default.qubit", wires=2, shots=N, seed=5)

    @kt.qnode(dev)
    def f():
        kt.Hadamard(0)
        kt.CNOT(wires=[0, 1])
        return kt.counts()

    res = f()
    assert set(res) == {"00", "11"}
    assert sum(res.values()) == N
    assert abs(res["00"] - N / 2) < 5 * np.sqrt(N * 0.25)


def test_counts_of_observables():
    dev = kt.device("default.qubit", wires=2, shots=N, seed=6)
    p_minus = np.sin(A / 2) ** 2  # P(Z(0) = -1) after RY(A)

    @kt.qnode(dev)
    def f():
        kt.RY(A, wires=0)
        return kt.counts(kt.PauliZ(0)), kt.counts(kt.PauliZ(1)), \
            kt.counts(kt.PauliZ(1), all_outcomes=True), kt.counts(kt.PauliZ(0) @ kt.PauliZ(1))

    z0, z1, z1_all, zz = f()
    assert set(z0) == {-1.0, 1.0} and sum(z0.values()) == N
    assert abs(z0[-1.0] - N * p_minus) < 5 * np.sqrt(N * p_minus * (1 - p_minus))
    assert z1 == {1.0: N}
    assert z1_all == {-1.0: 0, 1.0: N}
    assert zz == z0  # Z(1) is +1 on every shot, so Z(0)Z(1) equals Z(0)


# ---------------------------------------------------------------- shot vectors and broadcasting


def test_shot_vector_gives_one_result_per_entry():
    dev = kt.device("default.qubit", wires=2, shots=[100, 1000], seed=7)

    @kt.qnode(dev)
    def f():
        kt.PauliX(1)
        return kt.expval(kt.PauliZ(1)), kt.sample(wires=[0, 1])

    res = f()
    assert isinstance(res, tuple) and len(res) == 2
    for (ev, bits), shots in zip(res, (100, 1000)):
        assert ev == -1.0
        assert bits.shape == (shots, 2)
        np.testing.assert_array_equal(bits, np.tile([0, 1], (shots, 1)))


def test_shot_vector_with_copies():
    dev = kt.device("default.qubit", wires=1, shots=[(10, 3)], seed=8)

    @kt.qnode(dev)
    def f():
        kt.Hadamard(0)
        return kt.sample(wires=0)

    res = f()
    assert isinstance(res, tuple) and len(res) == 3
    assert [r.shape for r in res] == [(10,)] * 3
    assert not (np.array_equal(res[0], res[1]) and np.array_equal(res[1], res[2]))


def test_shot_vector_as_per_call_override():
    dev = kt.device("default.qubit", wires=1, seed=9)

    @kt.qnode(dev)
    def f():
        return kt.sample(kt.PauliZ(0))

    res = f(shots=[(5, 2), 7])
    assert [r.shape for r in res] == [(5,), (5,), (7,)]
    assert all(np.all(r == 1.0) for r in res)


def test_broadcast_parameters_with_shots_have_a_leading_batch_axis():
    dev = kt.device("default.qubit", wires=2, shots=40, seed=10)

    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=[0, 1]), kt.sample(wires=0), \
            kt.sample(wires=[0, 1]), kt.counts(wires=0)

    ev, probs, bits, both, counts = f(np.array([0.0, np.pi, np.pi / 2]))
    np.testing.assert_allclose(ev[:2], [1.0, -1.0])
    assert ev.shape == (3,) and abs(ev[2]) <= 1
    np.testing.assert_allclose(probs[:2], [[1, 0, 0, 0], [0, 0, 1, 0]], atol=1e-12)
    assert probs.shape == (3, 4)
    assert bits.shape == (3, 40)
    np.testing.assert_array_equal(bits[0], np.zeros(40))
    np.testing.assert_array_equal(bits[1], np.ones(40))
    assert both.shape == (3, 40, 2)
    assert counts[:2] == [{"0": 40}, {"1": 40}] and sum(counts[2].values()) == 40


def test_broadcast_parameters_with_a_shot_vector():
    dev = kt.device("default.qubit", wires=1, shots=[(10, 2)], seed=11)

    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires=0)
        return kt.sample(kt.PauliZ(0))

    res = f(np.array([0.0, np.pi, 0.0]))
    assert len(res) == 2
    for r in res:
        np.testing.assert_array_equal(r, np.array([[1.0] * 10, [-1.0] * 10, [1.0] * 10]))


# ---------------------------------------------------------------- frameworks


def _check_framework_results(x, is_tensor, to_numpy):
    dev = kt.device("default.qubit", wires=2, shots=N, seed=12)

    @kt.qnode(dev)
    def f(x):
        kt.RY(x, wires=0)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1)), kt.probs(wires=[1]), kt.sample(wires=[0, 1]), \
            kt.sample(kt.PauliZ(0))

    ev, probs, bits, z0 = f(x)
    for r in (ev, probs, bits, z0):
        assert is_tensor(r), type(r)
    ev, probs, bits, z0 = map(to_numpy, (ev, probs, bits, z0))
    p1 = np.sin(A / 2) ** 2
    assert abs(ev - np.cos(A)) < 5 * np.sqrt(np.sin(A) ** 2 / N)
    assert abs(probs[1] - p1) < 5 * np.sqrt(p1 * (1 - p1) / N)
    assert bits.shape == (N, 2) and np.issubdtype(bits.dtype, np.integer)
    np.testing.assert_array_equal(bits[:, 0], bits[:, 1])
    np.testing.assert_array_equal(z0, 1 - 2 * bits[:, 0])


@pytest.mark.torch
def test_torch_parameters_give_torch_results():
    torch = pytest.importorskip("torch")
    _check_framework_results(torch.tensor(A, dtype=torch.float64), torch.is_tensor,
                             lambda t: t.numpy())


@pytest.mark.tf
def test_tf_parameters_give_tf_results():
    tf = pytest.importorskip("tensorflow")
    _check_framework_results(tf.constant(A, dtype=tf.float64), tf.is_tensor, lambda t: t.numpy())


@pytest.mark.jax
def test_jax_parameters_give_jax_results():
    jax = pytest.importorskip("jax")
    _check_framework_results(jax.numpy.array(A), lambda r: isinstance(r, jax.Array), np.asarray)


@pytest.mark.torch
def test_torch_float32_parameters_give_float32_estimates():
    torch = pytest.importorskip("torch")

    @kt.qnode(kt.device("default.qubit", wires=1, shots=100, seed=13))
    def f(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.sample(wires=0)

    ev, bits = f(torch.tensor(0.0, dtype=torch.float32))
    assert ev.dtype == torch.float32 and ev.item() == 1.0
    assert bits.dtype == torch.int64 and bits.shape == (100,)


# ---------------------------------------------------------------- errors


BAD_SHOTS = [0, -5, 1.5, "many", True, [100, 0]]


@pytest.mark.parametrize("shots", BAD_SHOTS)
def test_bad_device_shots_raise(shots):
    with pytest.raises(ShotsError, match=re.escape(f"shots={shots!r} is invalid")) as info:
        kt.device("default.qubit", wires=1, shots=shots)
    assert info.value.shots == shots


@pytest.mark.parametrize("shots", BAD_SHOTS)
def test_bad_per_call_shots_raise(shots):
    @kt.qnode(kt.device("default.qubit", wires=1))
    def f():
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(ShotsError, match=r"is invalid.*positive integer"):
        f(shots=shots)


@pytest.mark.parametrize("measure", [kt.sample, kt.counts])
def test_sample_and_counts_need_shots(measure):
    @kt.qnode(kt.device("default.qubit", wires=1))
    def f():
        return measure(wires=0)

    name = measure.__name__
    with pytest.raises(MeasurementError, match=rf"{name}\(\) needs finite shots.*shots=None") as info:
        f()
    assert info.value.measurement == name
    assert f(shots=3).shape == (3,) if name == "sample" else f(shots=3) == {"0": 3}


@pytest.mark.parametrize("measure, name", [(kt.state, "state"),
                                           (lambda: kt.density_matrix([0]), "density_matrix")])
def test_state_measurements_refuse_shots(measure, name):
    @kt.qnode(kt.device("default.qubit", wires=1, shots=10))
    def f():
        return measure()

    with pytest.raises(MeasurementError, match=rf"{name}\(\) needs the exact state.*use shots=None"):
        f()
    np.testing.assert_allclose(f(shots=None).reshape(-1)[0], 1.0)
