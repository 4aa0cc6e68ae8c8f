"""Noise channels: their Kraus operators, their action on default.mixed, validation and gradients.

Every value is checked against a dense reference written here: textbook Kraus matrices (Nielsen &
Chuang, ch. 8), embedded into the full space with Kronecker products and a permutation of the
basis, and applied as ρ → Σ K ρ K†. Nothing in the reference calls kettle.
"""
from __future__ import annotations

import functools
import warnings

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.core import qmath
from kettle.errors import DeviceError, MatrixError, OperatorError

I2 = onp.eye(2, dtype=complex)
X = onp.array([[0, 1], [1, 0]], dtype=complex)
Y = onp.array([[0, -1j], [1j, 0]], dtype=complex)
Z = onp.diag([1.0 + 0j, -1.0])


def ket_bra(i, j):
    out = onp.zeros((2, 2), dtype=complex)
    out[i, j] = 1
    return out


def textbook_kraus(name, *params):
    """The Kraus operators of each channel, as printed in the textbooks."""
    s = onp.sqrt
    if name == "BitFlip":
        (p,) = params
        return [s(1 - p) * I2, s(p) * X]
    if name == "PhaseFlip":
        (p,) = params
        return [s(1 - p) * I2, s(p) * Z]
    if name == "DepolarizingChannel":
        (p,) = params
        return [s(1 - p) * I2, s(p / 3) * X, s(p / 3) * Y, s(p / 3) * Z]
    if name == "AmplitudeDamping":
        (g,) = params
        return [onp.array([[1, 0], [0, s(1 - g)]]), onp.array([[0, s(g)], [0, 0]])]
    if name == "GeneralizedAmplitudeDamping":
        g, p = params
        return [s(p) * onp.array([[1, 0], [0, s(1 - g)]]), s(p) * onp.array([[0, s(g)], [0, 0]]),
                s(1 - p) * onp.array([[s(1 - g), 0], [0, 1]]),
                s(1 - p) * onp.array([[0, 0], [s(g), 0]])]
    if name == "PhaseDamping":
        (g,) = params
        return [onp.array([[1, 0], [0, s(1 - g)]]), onp.array([[0, 0], [0, s(g)]])]
    if name == "ResetError":
        p0, p1 = params
        return [s(1 - p0 - p1) * I2, s(p0) * ket_bra(0, 0), s(p0) * ket_bra(0, 1),
                s(p1) * ket_bra(1, 0), s(p1) * ket_bra(1, 1)]
    raise KeyError(name)


CASES = [("BitFlip", (0.2,)), ("PhaseFlip", (0.35,)), ("DepolarizingChannel", (0.6,)),
         ("AmplitudeDamping", (0.3,)), ("GeneralizedAmplitudeDamping", (0.3, 0.7)),
         ("PhaseDamping", (0.45,)), ("ResetError", (0.2, 0.3))]
EDGES = [("BitFlip", (0.0,)), ("BitFlip", (1.0,)), ("AmplitudeDamping", (1.0,)),
         ("GeneralizedAmplitudeDamping", (0.0, 1.0)), ("ResetError", (0.0, 1.0)),
         ("DepolarizingChannel", (1.0,)), ("PhaseDamping", (0.0,))]


def permutation(wires, n):
    """P with P|b_0 … b_{n-1}⟩ = |b_{wires} b_{others}⟩ (the target wires moved to the front)."""
    order = list(wires) + [w for w in range(n) if w not in wires]
    dim = 2 ** n
    P = onp.zeros((dim, dim))
    for i in range(dim):
        bits = [(i >> (n - 1 - q)) & 1 for q in range(n)]
        j = int("".join(str(bits[q]) for q in order), 2)
        P[j, i] = 1
    return P


def embed(K, wires, n):
    """K on ``wires`` as a 2**n matrix: Pᵀ (K ⊗ I) P."""
    P = permutation(wires, n)
    return P.T @ onp.kron(K, onp.eye(2 ** (n - len(wires)))) @ P


def apply_kraus(rho, kraus, wires, n):
    return sum(embed(K, wires, n) @ rho @ embed(K, wires, n).conj().T for K in kraus)


def random_unitary(rng, d):
    q, r = onp.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
    return q * (onp.diag(r) / onp.abs(onp.diag(r)))


def random_kraus(rng, d, m):
    """m Kraus operators of a random channel: blocks of a random isometry (m·d × d)."""
    V = random_unitary(rng, m * d)[:, :d]
    return [V[i * d:(i + 1) * d] for i in range(m)]


def superoperator(kraus):
    return sum(onp.kron(K, K.conj()) for K in kraus)


def channel(name):
    return getattr(kt, name)


# ---------------------------------------------------------------------------- Kraus operators
@pytest.mark.parametrize("name, params", CASES + EDGES)
def test_kraus_matrices_are_the_textbook_ones(name, params):
    op = channel(name)(*params, wires=0)
    got = [onp.asarray(K) for K in op.kraus_matrices()]
    ref = textbook_kraus(name, *params)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        onp.testing.assert_allclose(g, r, atol=1e-12)
    eye = sum(K.conj().T @ K for K in got)
    onp.testing.assert_allclose(eye, I2, atol=1e-12)


@pytest.mark.parametrize("name, params", CASES)
def test_batched_parameters_give_batched_kraus_matrices(name, params):
    batch = [tuple(v * f for v in params) for f in (0.0, 0.5, 1.0)]
    cols = [onp.array(c) for c in zip(*batch)]
    got = channel(name)(*cols, wires=0).kraus_matrices()
    for K in got:
        assert onp.shape(K) == (3, 2, 2)
    for b, single in enumerate(batch):
        for g, r in zip(got, textbook_kraus(name, *single)):
            onp.testing.assert_allclose(onp.asarray(g)[b], r, atol=1e-12)


def test_qubit_channel_keeps_the_given_operators(rng):
    K = random_kraus(rng, 4, 3)
    op = kt.QubitChannel(K, wires=[1, 0])
    assert op.batch_size is None
    for g, r in zip(op.kraus_matrices(), K):
        onp.testing.assert_allclose(g, r, atol=1e-14)
    stacked = kt.QubitChannel(onp.stack(K), wires=[1, 0])
    onp.testing.assert_allclose(stacked.kraus_matrices()[2], K[2], atol=1e-14)


def test_batched_qubit_channel_equals_a_loop(rng):
    batch = onp.stack([onp.stack(random_kraus(rng, 2, 2)) for _ in range(3)])  # (3, 2, 2, 2)
    dev = kt.device("default.mixed", wires=2)

    @kt.qnode(dev)
    def circuit(K):
        kt.Hadamard(wires=0)
        kt.CNOT(wires=[0, 1])
        kt.QubitChannel(K, wires=1)
        return kt.density_matrix(wires=[0, 1])

    together = circuit(batch)
    assert together.shape == (3, 4, 4)
    bell = onp.array([1, 0, 0, 1]) / onp.sqrt(2)
    for b in range(3):
        ref = apply_kraus(onp.outer(bell, bell), list(batch[b]), [1], 2)
        onp.testing.assert_allclose(together[b], ref, atol=1e-12)
        onp.testing.assert_allclose(circuit(batch[b]), ref, atol=1e-12)


# ---------------------------------------------------------------------------- action on a state
def mixed_start(rng, n):
    """A random unitary on all wires followed by a bit flip on wire 0: a mixed starting state."""
    U = random_unitary(rng, 2 ** n)
    psi = U[:, 0]
    rho = onp.outer(psi, psi.conj())
    return U, apply_kraus(rho, textbook_kraus("BitFlip", 0.3), [0], n)


@pytest.mark.parametrize("wire", [0, 1])
@pytest.mark.parametrize("name, params", CASES + EDGES)
def test_channel_on_default_mixed_matches_dense_kraus(rng, name, params, wire):
    U, rho = mixed_start(rng, 2)
    dev = kt.device("default.mixed", wires=2)

    @kt.qnode(dev)
    def circuit():
        kt.QubitUnitary(U, wires=[0, 1])
        kt.BitFlip(0.3, wires=0)
        channel(name)(*params, wires=wire)
        return kt.density_matrix(wires=[0, 1])

    ref = apply_kraus(rho, textbook_kraus(name, *params), [wire], 2)
    onp.testing.assert_allclose(circuit(), ref, atol=1e-12)


def test_qubit_channel_on_reversed_distant_wires(rng):
    U, rho = mixed_start(rng, 3)
    K = random_kraus(rng, 4, 3)
    dev = kt.device("default.mixed", wires=3)

    @kt.qnode(dev)
    def circuit():
        kt.QubitUnitary(U, wires=[0, 1, 2])
        kt.BitFlip(0.3, wires=0)
        kt.QubitChannel(K, wires=[2, 0])
        return kt.density_matrix(wires=[0, 1, 2]), kt.purity(wires=[0, 1, 2])

    ref = apply_kraus(rho, K, [2, 0], 3)
    got, purity = circuit()
    onp.testing.assert_allclose(got, ref, atol=1e-12)
    onp.testing.assert_allclose(purity, onp.trace(ref @ ref).real, atol=1e-12)
    assert purity < 0.99  # the reference is genuinely mixed, so the check above means something


@pytest.mark.parametrize("name, params", CASES)
def test_channel_superoperator_is_the_textbook_one(name, params):
    """Kraus sets are not unique; the map ρ ↦ Σ K ρ K† is: compare it as a matrix."""
    got = superoperator([onp.asarray(K) for K in channel(name)(*params, wires=0).kraus_matrices()])
    onp.testing.assert_allclose(got, superoperator(textbook_kraus(name, *params)), atol=1e-12)


def test_channel_is_drawn_with_its_parameter():
    dev = kt.device("default.mixed", wires=1)

    @kt.qnode(dev)
    def circuit(p):
        kt.Hadamard(wires=0)
        kt.DepolarizingChannel(p, wires=0)
        return kt.expval(kt.PauliX(0))

    assert "DepolarizingChannel(0.25)" in kt.draw(circuit)(0.25)


# ---------------------------------------------------------------------------- validation
BAD = [
    (lambda: kt.BitFlip(1.2, wires=0), OperatorError,
     "BitFlip needs probability p in [0, 1], got 1.2"),
    (lambda: kt.PhaseFlip(-0.1, wires=0), OperatorError,
     "PhaseFlip needs probability p in [0, 1], got -0.1"),
    (lambda: kt.DepolarizingChannel(onp.array([0.1, 1.5]), wires=0), OperatorError,
     "DepolarizingChannel needs probability p in [0, 1], got 1.5"),
    (lambda: kt.AmplitudeDamping(2.0, wires=0), OperatorError,
     "AmplitudeDamping needs damping γ in [0, 1], got 2"),
    (lambda: kt.GeneralizedAmplitudeDamping(0.2, 1.1, wires=0), OperatorError,
     "GeneralizedAmplitudeDamping needs probability p in [0, 1], got 1.1"),
    (lambda: kt.GeneralizedAmplitudeDamping(-3.0, 0.5, wires=0), OperatorError,
     "GeneralizedAmplitudeDamping needs damping γ in [0, 1], got -3"),
    (lambda: kt.PhaseDamping(float("nan"), wires=0), OperatorError,
     "PhaseDamping needs damping γ in [0, 1], got nan"),
    (lambda: kt.ResetError(0.7, 0.6, wires=0), OperatorError,
     "ResetError needs p0 + p1 <= 1, got 1.3"),
    (lambda: kt.ResetError(0.1, 1.6, wires=0), OperatorError,
     "ResetError needs reset probability p1 in [0, 1], got 1.6"),
    (lambda: kt.QubitChannel([onp.sqrt(0.9) * I2, onp.sqrt(0.2) * X], wires=0), MatrixError,
     "QubitChannel needs trace-preserving Kraus operators: Σ K†K differs from the identity by 0.1"),
    (lambda: kt.QubitChannel([onp.eye(4)], wires=0), MatrixError,
     "QubitChannel on 1 wire(s) needs a 2x2 matrix, got 4x4"),
    (lambda: kt.QubitChannel([onp.ones((2, 3))], wires=0), MatrixError,
     "QubitChannel needs a square matrix, got shape (1, 2, 3)"),
    (lambda: kt.QubitChannel(I2, wires=0), MatrixError,
     "QubitChannel takes a list of Kraus matrices or an array of shape (m, d, d), got one array of "
     "shape (2, 2); wrap a single matrix in a list"),
    (lambda: kt.BitFlip(0.1, wires=[0, 1]), OperatorError,
     "BitFlip acts on 1 wire(s), got 2: [0, 1]"),
    (lambda: kt.ResetError(0.1, wires=0), OperatorError, "ResetError takes 2 parameter(s), got 1"),
    (lambda: kt.BitFlip(wires=0), OperatorError, "BitFlip takes 1 parameter(s), got 0"),
    (lambda: kt.adjoint(kt.BitFlip(0.1, wires=0)), OperatorError,
     "BitFlip is a noise channel and has no adjoint: channels are not invertible in general"),
]


@pytest.mark.parametrize("make, error, message", BAD)
def test_bad_channels_raise_with_a_clear_message(make, error, message):
    with pytest.raises(error) as info:
        make()
    assert message in str(info.value)
    assert info.value.operator in message


def test_default_qubit_points_noise_to_default_mixed():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(p):
        kt.Hadamard(wires=0)
        kt.PhaseDamping(p, wires=1)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(DeviceError) as info:
        circuit(0.1)
    assert str(info.value) == (
        "PhaseDamping on wires [1] is a noise channel, but device 'default.qubit' simulates pure "
        "states only; use kt.device('default.mixed', wires=...) for noisy circuits")
    assert info.value.device == "default.qubit"


# ---------------------------------------------------------------------------- gradients
def test_gradients_stay_finite_where_the_kraus_square_roots_are_singular():
    """At p = 0 the Kraus operator √p·M has an infinite derivative; ρ itself is linear in p."""
    dev = kt.device("default.mixed", wires=1)

    @kt.qnode(dev, diff_method="backprop")
    def circuit(p, g):
        kt.PauliX(wires=0)
        kt.BitFlip(p, wires=0)
        kt.AmplitudeDamping(g, wires=0)
        return kt.expval(kt.PauliZ(0))

    # ⟨Z⟩ = 2γ − 1 + 2p(1 − γ) ⇒ ∂p = 2(1 − γ), ∂γ = 2 − 2p
    for p, g in [(0.0, 0.0), (0.0, 0.4), (0.3, 0.0)]:
        grads = kt.grad(circuit)(np.array(p, requires_grad=True), np.array(g, requires_grad=True))
        onp.testing.assert_allclose(grads, [2 * (1 - g), 2 - 2 * p], atol=1e-12)


def test_parameter_shift_falls_back_to_finite_differences_for_channels():
    dev = kt.device("default.mixed", wires=1)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x, g):
        kt.RX(x, wires=0)
        kt.AmplitudeDamping(g, wires=0)
        return kt.expval(kt.PauliZ(0))

    x, g = np.array(0.7, requires_grad=True), np.array(0.2, requires_grad=True)
    with pytest.warns(UserWarning, match="no parameter-shift rule for parameters of "
                                         "AmplitudeDamping; falling back to finite differences"):
        dx, dg = kt.grad(circuit)(x, g)
    # ⟨Z⟩ = γ + (1 − γ) cos x
    onp.testing.assert_allclose(dx, -(1 - 0.2) * onp.sin(0.7), atol=1e-9)
    onp.testing.assert_allclose(dg, 1 - onp.cos(0.7), atol=1e-5)


def test_parameter_shift_on_gates_alone_is_exact_and_silent():
    dev = kt.device("default.mixed", wires=1)

    @kt.qnode(dev, diff_method="parameter-shift")
    def circuit(x, g):
        kt.RX(x, wires=0)
        kt.AmplitudeDamping(g, wires=0)
        return kt.expval(kt.PauliZ(0))

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dx = kt.grad(circuit, argnum=0)(np.array(0.7, requires_grad=True),
                                        np.array(0.2, requires_grad=False))
    onp.testing.assert_allclose(dx, -(1 - 0.2) * onp.sin(0.7), atol=1e-12)


def _framework(name):
    if name == "torch":
        torch = pytest.importorskip("torch")
        return lambda v, dt: torch.tensor(v, dtype=getattr(torch, dt))
    if name == "tf":
        tf = pytest.importorskip("tensorflow")
        return lambda v, dt: tf.constant(v, dtype=getattr(tf, dt))
    jnp = pytest.importorskip("jax.numpy")
    return lambda v, dt: jnp.asarray(v, dtype=dt)


FRAMEWORKS = [pytest.param("torch", marks=pytest.mark.torch),
              pytest.param("tf", marks=pytest.mark.tf),
              pytest.param("jax", marks=pytest.mark.jax)]


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, params", CASES)
def test_kraus_matrices_in_every_framework(framework, dtype, name, params):
    make = _framework(framework)
    got = channel(name)(*[make(p, dtype) for p in params], wires=0).kraus_matrices()
    expected_dtype = "complex64" if dtype == "float32" else "complex128"
    for g, r in zip(got, textbook_kraus(name, *params)):
        assert qmath.backend_of(g) == framework
        assert qmath.dtype_name(g) == expected_dtype
        onp.testing.assert_allclose(qmath.to_numpy(g), r,
                                    atol=1e-6 if dtype == "float32" else 1e-12)


@pytest.mark.torch
def test_qubit_channel_from_torch_tensors_is_differentiable():
    torch = pytest.importorskip("torch")
    p = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    eye, x = torch.eye(2, dtype=torch.complex128), torch.tensor(X)
    dev = kt.device("default.mixed", wires=1)

    @kt.qnode(dev, diff_method="backprop")
    def circuit(p):
        kt.QubitChannel([torch.sqrt(1 - p) * eye, torch.sqrt(p) * x], wires=0)
        return kt.expval(kt.PauliZ(0))

    value = circuit(p)
    value.backward()
    onp.testing.assert_allclose(value.detach().numpy(), 1 - 2 * 0.3, atol=1e-12)
    onp.testing.assert_allclose(p.grad.numpy(), -2.0, atol=1e-12)


def test_every_channel_is_public():
    names = {n for n, _ in CASES} | {"QubitChannel"}
    for n in names:
        assert issubclass(getattr(kt, n), kt.Operation)
    dev = kt.device("default.mixed", wires=1)
    assert names <= dev.capabilities.operations
    # the reference helpers agree with themselves: every textbook set is trace-preserving
    for n, params in CASES:
        total = functools.reduce(onp.add, (K.conj().T @ K for K in textbook_kraus(n, *params)))
        onp.testing.assert_allclose(total, I2, atol=1e-12)
