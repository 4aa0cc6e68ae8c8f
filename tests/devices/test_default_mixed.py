"""default.mixed: noisy circuits against a dense Kraus reference, agreement with default.qubit on
pure circuits, broadcasting, shots, gradients in every framework, and its errors.

The reference here evolves a 2**n × 2**n density matrix with textbook gate and Kraus matrices
embedded by Kronecker products and a basis permutation (ρ → U ρ U†, ρ → Σ K ρ K†), and measures
it with plain linear algebra. Nothing in it calls kettle.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.devices.default_qubit import GATES
from kettle.errors import DiffMethodError, MeasurementError, StatePrepError, WireError

I2 = onp.eye(2, dtype=complex)
X = onp.array([[0, 1], [1, 0]], dtype=complex)
Y = onp.array([[0, -1j], [1j, 0]], dtype=complex)
Z = onp.diag([1.0 + 0j, -1.0])
H = onp.array([[1, 1], [1, -1]], dtype=complex) / onp.sqrt(2)
s = onp.sqrt


# ---------------------------------------------------------------------------- dense reference
def rx(t):
    return onp.cos(t / 2) * I2 - 1j * onp.sin(t / 2) * X


def ry(t):
    return onp.cos(t / 2) * I2 - 1j * onp.sin(t / 2) * Y


def cnot():
    out = onp.eye(4, dtype=complex)
    out[2:, 2:] = X
    return out


def zz(t):
    return onp.diag(onp.exp(-0.5j * t * onp.array([1, -1, -1, 1])))


def permutation(wires, n):
    """P with P|b_0 … b_{n-1}⟩ = |b_{wires} b_{others}⟩."""
    order = list(wires) + [w for w in range(n) if w not in wires]
    P = onp.zeros((2 ** n, 2 ** n))
    for i in range(2 ** n):
        bits = [(i >> (n - 1 - q)) & 1 for q in range(n)]
        P[int("".join(str(bits[q]) for q in order), 2), i] = 1
    return P


def embed(M, wires, n):
    P = permutation(wires, n)
    return P.T @ onp.kron(M, onp.eye(2 ** (n - len(wires)))) @ P


def evolve(rho, steps, n):
    """steps: [(list of Kraus matrices — one for a gate, wires), ...]."""
    for kraus, wires in steps:
        full = [embed(K, wires, n) for K in kraus]
        rho = sum(K @ rho @ K.conj().T for K in full)
    return rho


def partial_trace(rho, keep, n):
    """Reduced density matrix of ``keep`` (in that order)."""
    t = rho.reshape((2,) * (2 * n))
    rest = [w for w in range(n) if w not in keep]
    t = t.transpose(list(keep) + rest + [n + w for w in keep] + [n + w for w in rest])
    dk, dr = 2 ** len(keep), 2 ** len(rest)
    return onp.trace(t.reshape(dk, dr, dk, dr), axis1=1, axis2=3)


def entropy(rho, base=None):
    lam = onp.linalg.eigvalsh(rho)
    lam = lam[lam > 1e-14]
    out = -onp.sum(lam * onp.log(lam))
    return out / onp.log(base) if base else out


def noisy_steps(x, p):
    """The reference form of :func:`noisy_body`: three gate angles x, four noise strengths p."""
    gad = [s(p[1]) * onp.array([[1, 0], [0, s(1 - p[0])]]),
           s(p[1]) * onp.array([[0, s(p[0])], [0, 0]]),
           s(1 - p[1]) * onp.array([[s(1 - p[0]), 0], [0, 1]]),
           s(1 - p[1]) * onp.array([[0, 0], [s(p[0]), 0]])]
    return [
        ([H], [0]), ([rx(x[0])], [1]), ([cnot()], [0, 2]),
        ([s(1 - p[0]) * I2, s(p[0]) * X], [2]),
        ([ry(x[1])], [2]), ([zz(x[2])], [1, 0]),
        ([s(1 - p[2]) * I2] + [s(p[2] / 3) * P for P in (X, Y, Z)], [1]),
        ([onp.array([[1, 0], [0, s(1 - p[3])]]), onp.array([[0, s(p[3])], [0, 0]])], [0]),
        (gad, [2]),
        ([onp.array([[1, 0], [0, s(1 - p[1])]]), onp.array([[0, 0], [0, s(p[1])]])], [1]),
        ([s(1 - p[2]) * I2, s(p[2]) * Z], [0]),
        ([cnot()], [2, 1]),
    ]


def noisy_body(x, p):
    kt.Hadamard(wires=0)
    kt.RX(x[0], wires=1)
    kt.CNOT(wires=[0, 2])
    kt.BitFlip(p[0], wires=2)
    kt.RY(x[1], wires=2)
    kt.IsingZZ(x[2], wires=[1, 0])
    kt.DepolarizingChannel(p[2], wires=1)
    kt.AmplitudeDamping(p[3], wires=0)
    kt.GeneralizedAmplitudeDamping(p[0], p[1], wires=2)
    kt.PhaseDamping(p[1], wires=1)
    kt.PhaseFlip(p[2], wires=0)
    kt.CNOT(wires=[2, 1])


X0 = onp.array([0.4, -1.1, 0.7])
P0 = onp.array([0.15, 0.6, 0.3, 0.25])


def reference_rho(x=X0, p=P0):
    rho = onp.zeros((8, 8), dtype=complex)
    rho[0, 0] = 1
    return evolve(rho, noisy_steps(x, p), 3)


# ---------------------------------------------------------------------------- device basics
def test_registered_through_the_plugin_hook_with_its_capabilities():
    entry = kt.available_devices()["default.mixed"]
    assert entry.distribution == "kettle"
    dev = kt.device("default.mixed", wires=["a", "b"], shots=10, seed=3)
    assert type(dev) is entry.cls and dev.wires == kt.Wires(["a", "b"])
    caps = dev.capabilities
    assert caps.derivatives == frozenset()
    assert caps.backprop_interfaces == {"autograd", "torch", "tf", "jax"}
    assert caps.broadcasting and caps.shots and caps.analytic
    assert {"state", "density_matrix"} <= caps.measurements  # state() is the density matrix
    assert {"RX", "Adjoint(RX)", "StatePrep", "BasisState", "QubitChannel"} <= caps.operations


# ---------------------------------------------------------------------------- noisy reference
def test_every_analytic_measurement_of_a_noisy_circuit_matches_the_dense_reference(rng):
    A = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    A = A + A.conj().T
    ham = kt.Hamiltonian([0.3, -1.2], [kt.PauliX(0) @ kt.PauliZ(2), kt.PauliY(1)])
    dev = kt.device("default.mixed", wires=3)

    @kt.qnode(dev)
    def circuit(x, p):
        noisy_body(x, p)
        return (kt.expval(kt.PauliZ(0)), kt.expval(kt.PauliX(1) @ kt.PauliY(2)),
                kt.expval(kt.Hermitian(A, wires=[2, 0])), kt.expval(ham), kt.var(kt.PauliY(1)),
                kt.var(kt.Hermitian(A, wires=[2, 0])), kt.probs(wires=[0, 1, 2]),
                kt.probs(wires=[2, 0]), kt.probs(op=kt.PauliX(1)), kt.density_matrix(wires=[1]),
                kt.density_matrix(wires=[2, 0]), kt.purity(wires=[0, 1]),
                kt.vn_entropy(wires=[1], log_base=2), kt.mutual_info([0], [2]),
                kt.expval(kt.Projector([1, 0], wires=[0, 2])))

    rho = reference_rho()
    n = 3

    def ev(M, wires):
        return onp.trace(embed(M, wires, n) @ rho).real

    ham_ref = 0.3 * ev(onp.kron(X, Z), [0, 2]) - 1.2 * ev(Y, [1])
    rho_20 = partial_trace(rho, [2, 0], n)
    expected = [
        ev(Z, [0]), ev(onp.kron(X, Y), [1, 2]), ev(A, [2, 0]), ham_ref,
        1 - ev(Y, [1]) ** 2, ev(A @ A, [2, 0]) - ev(A, [2, 0]) ** 2,
        onp.diag(rho).real, onp.diag(rho_20).real,
        onp.diag(H @ partial_trace(rho, [1], n) @ H).real,
        partial_trace(rho, [1], n), rho_20,
        onp.trace(partial_trace(rho, [0, 1], n) @ partial_trace(rho, [0, 1], n)).real,
        entropy(partial_trace(rho, [1], n), 2),
        entropy(partial_trace(rho, [0], n)) + entropy(partial_trace(rho, [2], n))
        - entropy(rho_20),
        onp.diag(rho_20).real[1],  # |b_0 b_2⟩ = |1 0⟩ is |b_2 b_0⟩ = |0 1⟩
    ]
    got = circuit(X0, P0)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        onp.testing.assert_allclose(g, e, atol=1e-12, err_msg=f"measurement {i}")
    assert onp.trace(rho).real == pytest.approx(1.0)
    assert got[11] < 0.95  # mixed: the comparison is not between two pure-state answers


# ---------------------------------------------------------------------------- pure circuits
def _gate_params(name, rng):
    n_params = {"Rot": 3, "CRot": 3}.get(name, 1)
    return [float(v) for v in rng.uniform(-onp.pi, onp.pi, n_params)]


def _random_unitary(rng, d):
    q, r = onp.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
    return q * (onp.diag(r) / onp.abs(onp.diag(r)))


def _apply_gate(name, wires, params, rng):
    cls = getattr(kt, name)
    if name == "QubitUnitary":
        return cls(_random_unitary(rng, 2 ** len(wires)), wires=wires)
    if name in ("BasisState", "StatePrep"):
        raise AssertionError("state preparations are tested separately")
    takes = getattr(cls, "num_params", 0)
    return cls(*(params[:takes]), wires=wires)


_ARITY = {"CNOT": 2, "CZ": 2, "CY": 2, "SWAP": 2, "ISWAP": 2, "CRX": 2, "CRY": 2, "CRZ": 2,
          "CRot": 2, "ControlledPhaseShift": 2, "IsingXX": 2, "IsingYY": 2, "IsingZZ": 2,
          "Toffoli": 3, "CSWAP": 3, "MultiRZ": 3, "QubitUnitary": 2}


@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("name", sorted(GATES - {"BasisState", "StatePrep"}))
def test_every_gate_agrees_with_default_qubit(name, adjoint, rng):
    wires = [2, 0, 1][:_ARITY.get(name, 1)]
    params = _gate_params(name, rng)
    seed = int(rng.integers(1 << 30))

    def body():
        kt.Hadamard(wires=0)
        kt.RY(0.7, wires=1)
        kt.CNOT(wires=[1, 2])
        kt.RX(-0.4, wires=2)
        gate_rng = onp.random.default_rng(seed)  # the same random unitary on both devices
        op = _apply_gate(name, wires, params, gate_rng)
        if adjoint:
            kt.adjoint(op)

    pure = kt.QNode(lambda: (body(), kt.state())[1], kt.device("default.qubit", wires=3))
    mixed = kt.QNode(lambda: (body(), kt.density_matrix(wires=[0, 1, 2]), kt.purity([0, 1, 2]))[1:],
                     kt.device("default.mixed", wires=3))
    psi = pure()
    rho, purity = mixed()
    onp.testing.assert_allclose(rho, onp.outer(psi, psi.conj()), atol=1e-12)
    onp.testing.assert_allclose(purity, 1.0, atol=1e-12)


def _pure_body(x):
    kt.BasisState(onp.array([1]), wires=3)
    kt.StatePrep(onp.array([0.6, 0.8j]), wires=2)
    kt.Hadamard(wires=0)
    kt.CRY(x[0], wires=[0, 1])
    kt.Rot(x[1], x[2], x[0], wires=2)
    kt.IsingXX(x[2], wires=[1, 3])
    kt.CSWAP(wires=[0, 2, 3])


def _all_measurements():
    return (kt.expval(kt.PauliX(0) @ kt.PauliZ(3)), kt.var(kt.PauliY(2)),
            kt.expval(kt.Hamiltonian([0.5, 2.0], [kt.PauliZ(1), kt.PauliX(2) @ kt.PauliX(0)])),
            kt.var(kt.Hermitian(onp.array([[1, 2j], [-2j, 0.5]]), wires=1)),
            kt.probs(wires=[3, 1]), kt.probs(op=kt.PauliY(0)), kt.density_matrix(wires=[2, 1]),
            kt.purity(wires=[0]), kt.vn_entropy(wires=[0, 1]), kt.mutual_info([0, 2], [3]))


def test_pure_circuits_agree_with_default_qubit_for_every_analytic_measurement():
    x = onp.array([0.9, -0.3, 1.7])
    pure = kt.QNode(lambda x: (_pure_body(x), _all_measurements())[1],
                    kt.device("default.qubit", wires=4))
    mixed = kt.QNode(lambda x: (_pure_body(x), _all_measurements())[1],
                     kt.device("default.mixed", wires=4))
    a, b = pure(x), mixed(x)
    for u, v in zip(a, b):
        assert onp.shape(u) == onp.shape(v)
        onp.testing.assert_allclose(v, u, atol=1e-12)
    assert a[9] > 0.1  # entangled: mutual information is not trivially zero


def test_pure_circuits_draw_the_same_samples_as_default_qubit():
    """Both devices sample from the same probabilities with the same seeded generator."""
    x = onp.array([0.9, -0.3, 1.7])

    def measure():
        return (kt.sample(wires=[0, 3]), kt.sample(kt.PauliX(1)), kt.counts(kt.PauliZ(2)),
                kt.counts(wires=[1], all_outcomes=True), kt.expval(kt.PauliY(0)),
                kt.var(kt.PauliZ(1) @ kt.PauliZ(3)), kt.probs(wires=[2, 3]))

    results = []
    for name in ("default.qubit", "default.mixed"):
        dev = kt.device(name, wires=4, shots=[50, 300], seed=7)
        results.append(kt.QNode(lambda x: (_pure_body(x), measure())[1], dev)(x))
    for entry_a, entry_b in zip(*results):
        for u, v in zip(entry_a, entry_b):
            if isinstance(u, dict):
                assert u == v
            else:
                onp.testing.assert_array_equal(u, v)
    assert results[1][0][0].shape == (50, 2) and sum(results[1][1][3].values()) == 300


# ---------------------------------------------------------------------------- state preparation
def test_state_preparation_after_noise_on_other_wires():
    vec = onp.array([0.6, 0.8j, 0, 0])
    dev = kt.device("default.mixed", wires=3)

    @kt.qnode(dev)
    def circuit():
        kt.PauliX(wires=0)
        kt.AmplitudeDamping(0.3, wires=0)
        kt.StatePrep(vec, wires=[2, 1])
        return kt.density_matrix(wires=[0, 1, 2])

    rho0 = onp.diag([0.3, 0.7]).astype(complex)
    psi_12 = vec.reshape(2, 2).T.reshape(4)  # amplitude of |b_2 b_1⟩ → order (wire 1, wire 2)
    expected = onp.kron(rho0, onp.outer(psi_12, psi_12.conj()))
    onp.testing.assert_allclose(circuit(), expected, atol=1e-12)


def test_basis_state_with_broadcasting_and_noise():
    dev = kt.device("default.mixed", wires=2)

    @kt.qnode(dev)
    def circuit(bits, p):
        kt.BasisState(bits, wires=[0, 1])
        kt.BitFlip(p, wires=1)
        return kt.probs(wires=[0, 1])

    bits = onp.array([[0, 1], [1, 0]])
    got = circuit(bits, onp.array([0.1, 0.25]))
    onp.testing.assert_allclose(got, [[0.1, 0.9, 0, 0], [0, 0, 0.75, 0.25]], atol=1e-12)


def test_state_preparation_on_a_used_wire_is_an_error():
    dev = kt.device("default.mixed", wires=2)

    @kt.qnode(dev)
    def circuit():
        kt.BitFlip(0.2, wires=1)
        kt.StatePrep(onp.array([0, 1, 0, 0]), wires=[0, 1])
        return kt.purity(wires=[0])

    with pytest.raises(StatePrepError) as info:
        circuit()
    assert str(info.value) == ("StatePrep on wires [0, 1] must come before any other operation on "
                               "those wires; wire(s) [1] were already used")


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("diff_method, message", [
    ("adjoint", "device 'default.mixed' provides no 'adjoint' derivatives (it provides: none)"),
    ("device", "device 'default.mixed' provides no 'device' derivatives (it provides: none)"),
])
def test_no_device_derivatives(diff_method, message):
    with pytest.raises(DiffMethodError) as info:
        kt.QNode(lambda: kt.expval(kt.PauliZ(0)), kt.device("default.mixed", wires=1),
                 diff_method=diff_method)
    assert message in str(info.value)


def test_shots_and_wires_errors():
    dev = kt.device("default.mixed", wires=2, shots=100)

    @kt.qnode(dev)
    def needs_exact():
        kt.BitFlip(0.1, wires=0)
        return kt.vn_entropy(wires=[0])

    with pytest.raises(MeasurementError, match=r"vn_entropy\(\) needs the exact state and cannot be "
                                               r"estimated from shots"):
        needs_exact()

    @kt.qnode(kt.device("default.mixed", wires=2))
    def wrong_wire():
        kt.DepolarizingChannel(0.1, wires=5)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(WireError, match=r"DepolarizingChannel acts on wire 5, but device "
                                        r"'default.mixed' has wires \[0, 1\]"):
        wrong_wire()

    @kt.qnode(dev, diff_method="backprop")
    def backprop_with_shots(p):
        kt.BitFlip(p, wires=0)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(DiffMethodError, match="backprop needs shots=None"):
        kt.grad(backprop_with_shots)(np.array(0.1, requires_grad=True))


# ---------------------------------------------------------------------------- broadcasting
def _measurements():
    return (kt.expval(kt.PauliX(0) @ kt.PauliZ(1)), kt.var(kt.PauliY(2)), kt.probs(wires=[2, 0]),
            kt.density_matrix(wires=[1]), kt.purity(wires=[0, 2]), kt.vn_entropy(wires=[1]),
            kt.mutual_info([0], [1, 2]))


@pytest.mark.parametrize("batched", ["gates", "channels", "both"])
def test_broadcasting_equals_a_loop(batched, rng):
    B = 3
    xs = rng.uniform(-2, 2, size=(B, 3)) if batched != "channels" else onp.tile(X0, (B, 1))
    ps = rng.uniform(0, 1, size=(B, 4)) if batched != "gates" else onp.tile(P0, (B, 1))
    dev = kt.device("default.mixed", wires=3)

    @kt.qnode(dev)
    def circuit(x, p):
        noisy_body(x, p)
        return _measurements()

    # the batched run gets (parameter, batch) columns; unbatched parameters are passed as scalars
    x_in = xs.T if batched != "channels" else X0
    p_in = ps.T if batched != "gates" else P0
    together = circuit(x_in, p_in)
    for b in range(B):
        one = circuit(xs[b], ps[b])
        for t, o in zip(together, one):
            assert onp.shape(t)[0] == B
            onp.testing.assert_allclose(t[b], o, atol=1e-12)
    onp.testing.assert_allclose(circuit(xs[1], ps[1])[3], partial_trace(
        reference_rho(xs[1], ps[1]), [1], 3), atol=1e-12)


def test_broadcast_sampling_has_a_batch_axis():
    dev = kt.device("default.mixed", wires=1, shots=4000, seed=11)

    @kt.qnode(dev)
    def circuit(p):
        kt.BitFlip(p, wires=0)
        return kt.sample(wires=[0]), kt.expval(kt.PauliZ(0))

    bits, ez = circuit(onp.array([0.0, 0.5, 1.0]))
    assert bits.shape == (3, 4000)
    assert bits[0].sum() == 0 and bits[2].sum() == 4000
    assert abs(ez[1]) < 5 / onp.sqrt(4000)


# ---------------------------------------------------------------------------- shots
def test_estimates_from_shots_lie_within_five_sigma_of_the_exact_values():
    shots = 20000
    dev = kt.device("default.mixed", wires=3, shots=shots, seed=2024)

    @kt.qnode(dev)
    def circuit(x, p):
        noisy_body(x, p)
        return (kt.expval(kt.PauliZ(0)), kt.expval(kt.PauliX(1) @ kt.PauliY(2)),
                kt.var(kt.PauliX(2)), kt.probs(wires=[0, 2]))

    rho = reference_rho()
    ez = onp.trace(embed(Z, [0], 3) @ rho).real
    exy = onp.trace(embed(onp.kron(X, Y), [1, 2], 3) @ rho).real
    ex2 = onp.trace(embed(X, [2], 3) @ rho).real
    probs = onp.diag(partial_trace(rho, [0, 2], 3)).real
    got_z, got_xy, got_var, got_probs = circuit(X0, P0)
    assert abs(got_z - ez) < 5 * onp.sqrt((1 - ez ** 2) / shots)
    assert abs(got_xy - exy) < 5 * onp.sqrt((1 - exy ** 2) / shots)
    # Var = 1 − ⟨X⟩² is estimated through ⟨X⟩: its spread is 2|⟨X⟩|·σ(⟨X⟩), plus O(1/N) bias
    sigma_var = 2 * abs(ex2) * onp.sqrt((1 - ex2 ** 2) / shots) + 2 / shots
    assert abs(got_var - (1 - ex2 ** 2)) < 5 * sigma_var
    assert onp.all(onp.abs(got_probs - probs) < 5 * onp.sqrt(probs * (1 - probs) / shots) + 1e-12)
    assert abs(ez) > 0.05 and got_probs.shape == (4,)  # the estimates are not of trivial values


def test_seeds_make_samples_reproducible_and_shot_vectors_split_them():
    def run(seed):
        dev = kt.device("default.mixed", wires=2, shots=[(100, 2), 500], seed=seed)

        @kt.qnode(dev)
        def circuit():
            kt.Hadamard(wires=0)
            kt.DepolarizingChannel(0.5, wires=0)
            kt.CNOT(wires=[0, 1])
            return kt.sample(wires=[0, 1]), kt.counts(kt.PauliZ(1))

        return circuit()

    a, b, c = run(5), run(5), run(6)
    assert len(a) == 3 and [e[0].shape for e in a] == [(100, 2), (100, 2), (500, 2)]
    for ea, eb in zip(a, b):
        onp.testing.assert_array_equal(ea[0], eb[0])
        assert ea[1] == eb[1]
    assert any(not onp.array_equal(ea[0], ec[0]) for ea, ec in zip(a, c))
    for entry in a:  # CNOT copies wire 0 onto wire 1: the two bits agree on every shot
        onp.testing.assert_array_equal(entry[0][:, 0], entry[0][:, 1])
        assert sum(entry[1].values()) == len(entry[0])
