"""param_shift against central differences of the same circuit and against closed-form derivatives.

The central-difference reference reruns the circuit at θ ± h (h = 1e-6): truncation error ~h² and
round-off ~1e-16/h, both far below the 1e-7 tolerance. Closed forms are derived in the comments.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

import kettle as kt
from kettle.errors import NonDifferentiableError

A = np.array([[1.0, 2.0 - 1.0j], [2.0 + 1.0j, -3.0]])  # Hermitian with A² ≠ I
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])


def rx(t):
    return np.cos(t / 2) * np.eye(2) - 1j * np.sin(t / 2) * X


def ry(t):
    return np.cos(t / 2) * np.eye(2) - 1j * np.sin(t / 2) * Y


def run(dev, tape):
    return dev.execute([tape])[0]


def flat(results):
    return np.concatenate([np.ravel(r) for r in results])


def flat_jacobian(jac):
    """Tuple over measurements of tuples over parameters → (outputs, parameters) matrix."""
    n_params = len(jac[0])
    return np.stack([flat([per_param[t] for per_param in jac]) for t in range(n_params)], axis=-1)


def central_diff(make_tape, params, dev, h=1e-6):
    cols = []
    for i in range(len(params)):
        plus, minus = list(params), list(params)
        plus[i] += h
        minus[i] -= h
        cols.append((flat(run(dev, make_tape(plus))) - flat(run(dev, make_tape(minus)))) / (2 * h))
    return np.stack(cols, axis=-1)


def param_shift_jacobian(tape, dev, **kwargs):
    tapes, fn = kt.gradients.param_shift(tape, **kwargs)
    return fn(dev.execute(tapes))


# ---------------------------------------------------------------------------- every gate
GATES = [  # (gate, number of parameters, wires)
    (kt.RX, 1, [0]), (kt.RY, 1, [1]), (kt.RZ, 1, [0]), (kt.PhaseShift, 1, [1]), (kt.Rot, 3, [2]),
    (kt.CRX, 1, [0, 1]), (kt.CRY, 1, [1, 2]), (kt.CRZ, 1, [2, 0]), (kt.CRot, 3, [0, 1]),
    (kt.ControlledPhaseShift, 1, [0, 2]), (kt.IsingXX, 1, [0, 1]), (kt.IsingYY, 1, [1, 2]),
    (kt.IsingZZ, 1, [2, 0]), (kt.MultiRZ, 1, [0, 1, 2]),
]


def gate_tape(gate, wires, params):
    """Fixed layers around ``gate`` so that no derivative vanishes by symmetry."""
    with kt.QuantumTape() as tape:
        kt.RY(0.4, wires=0)
        kt.RX(0.9, wires=1)
        kt.RY(-0.7, wires=2)
        kt.CNOT(wires=[0, 1])
        kt.RX(1.3, wires=2)
        gate(*params, wires=wires)
        kt.CNOT(wires=[0, 1])
        kt.CNOT(wires=[1, 2])
        kt.RY(0.6, wires=0)
        kt.SX(wires=1)
        kt.T(wires=2)
        kt.Hadamard(wires=2)
        kt.expval(kt.PauliZ(0))
        kt.probs(wires=[1, 2])
        kt.var(kt.PauliX(1))
        kt.var(kt.Hermitian(A, wires=2))
    tape.trainable_params = range(4, 4 + len(params))  # the gate's parameters only
    return tape


@pytest.mark.parametrize("gate, n_params, wires", GATES, ids=[g[0].__name__ for g in GATES])
def test_every_gate_matches_central_differences(gate, n_params, wires, rng):
    dev = kt.device("default.qubit", wires=3)
    params = list(rng.uniform(-np.pi, np.pi, size=n_params))
    make = functools.partial(gate_tape, gate, wires)
    jac = flat_jacobian(param_shift_jacobian(make(params), dev))
    expected = central_diff(make, params, dev)
    assert jac.shape == (1 + 4 + 1 + 1, n_params)
    np.testing.assert_allclose(jac, expected, atol=1e-7)
    assert np.all(np.abs(expected).max(axis=0) > 1e-2)  # every parameter really is tested


def test_tape_count_is_two_per_single_frequency_and_four_per_controlled_rotation():
    ops = [
        kt.RX(0.1, wires=0),  # 2
        kt.CRX(0.2, wires=[0, 1]),  # 4: generator |1⟩⟨1|⊗X/2 has frequencies (1/2, 1)
        kt.CRot(0.3, 0.4, 0.5, wires=[1, 0]),  # 3 × 4
        kt.IsingXX(0.6, wires=[0, 1]),  # 2
        kt.ControlledPhaseShift(0.7, wires=[0, 1]),  # 2: generator −|11⟩⟨11| has one frequency
        kt.MultiRZ(0.8, wires=[0, 1]),  # 2
    ]
    tapes, _ = kt.gradients.param_shift(kt.QuantumTape(ops, [kt.expval(kt.PauliZ(0))]))
    assert len(tapes) == 2 + 4 + 12 + 2 + 2 + 2
    tapes, _ = kt.gradients.param_shift(kt.QuantumTape(ops, [kt.var(kt.PauliX(1))]))
    assert len(tapes) == 24 + 1  # var needs ⟨O⟩ at θ: one unshifted run


# ---------------------------------------------------------------------------- closed forms
def rx_ry_tape(a, b, *measurements):
    return kt.QuantumTape([kt.RX(a, wires=0), kt.RY(b, wires=0)], list(measurements))


def test_expval_probs_var_of_rx_ry_match_closed_forms():
    # RY(b)RX(a)|0⟩ has ⟨Z⟩ = cos a cos b; p(0) = (1 + ⟨Z⟩)/2; var Z = 1 − ⟨Z⟩².
    a, b = 0.4, -1.1
    dev = kt.device("default.qubit", wires=1)
    tape = rx_ry_tape(a, b, kt.expval(kt.PauliZ(0)), kt.probs(wires=0), kt.var(kt.PauliZ(0)))
    jac = param_shift_jacobian(tape, dev)
    dz = np.array([-np.sin(a) * np.cos(b), -np.cos(a) * np.sin(b)])
    z = np.cos(a) * np.cos(b)
    np.testing.assert_allclose(jac[0], dz, atol=1e-12)
    np.testing.assert_allclose(np.stack(jac[1], axis=-1), [dz / 2, -dz / 2], atol=1e-12)
    np.testing.assert_allclose(jac[2], -2 * z * dz, atol=1e-12)


def test_var_of_non_involutory_hermitian_matches_state_vector_derivative():
    # d var = 2 Re⟨ψ|A²|∂ψ⟩ − 2⟨A⟩·2 Re⟨ψ|A|∂ψ⟩ with ψ = RY(b)RX(a)|0⟩ built in NumPy.
    a, b = 0.7, 0.3
    psi = ry(b) @ rx(a) @ np.array([1, 0])
    dpsi = [ry(b) @ (-0.5j * X) @ rx(a) @ np.array([1, 0]), -0.5j * Y @ psi]
    mean = np.real(psi.conj() @ A @ psi)
    expected = [2 * np.real(psi.conj() @ A @ A @ d) - 4 * mean * np.real(psi.conj() @ A @ d)
                for d in dpsi]
    dev = kt.device("default.qubit", wires=1)
    tape = rx_ry_tape(a, b, kt.var(kt.Hermitian(A, wires=0)))
    tape.trainable_params = [0, 1]
    tapes, fn = kt.gradients.param_shift(tape)
    np.testing.assert_allclose(fn(dev.execute(tapes))[0], expected, atol=1e-10)
    assert len(tapes) == 1 + 2 * 2  # A² ≠ I is measured in the same shifted runs as A


def test_var_of_tensor_product_matches_closed_form():
    # RX(a) on wire 0, RY(b) on wire 1: ⟨Z₀X₁⟩ = cos a sin b, var = 1 − cos²a sin²b.
    a, b = 0.5, 1.2
    dev = kt.device("default.qubit", wires=2)
    tape = kt.QuantumTape([kt.RX(a, wires=0), kt.RY(b, wires=1)],
                          [kt.var(kt.PauliZ(0) @ kt.PauliX(1))])
    jac = param_shift_jacobian(tape, dev)[0]
    expected = [2 * np.cos(a) * np.sin(a) * np.sin(b) ** 2,
                -2 * np.cos(a) ** 2 * np.sin(b) * np.cos(b)]
    np.testing.assert_allclose(jac, expected, atol=1e-12)


def test_var_of_tensor_with_hermitian_factor_matches_central_differences():
    def make(p):
        tape = kt.QuantumTape(
            [kt.RX(p[0], wires=0), kt.CRY(p[1], wires=[0, 1]), kt.IsingYY(p[2], wires=[0, 1])],
            [kt.var(kt.Hermitian(A, wires=0) @ kt.PauliX(1))])
        tape.trainable_params = [0, 1, 2]
        return tape

    dev = kt.device("default.qubit", wires=2)
    params = [0.3, -0.8, 1.4]
    jac = flat_jacobian(param_shift_jacobian(make(params), dev))
    np.testing.assert_allclose(jac, central_diff(make, params, dev), atol=1e-7)


# ---------------------------------------------------------------------------- selection
def three_param_tape():
    return kt.QuantumTape([kt.RX(0.3, wires=0), kt.CRY(0.9, wires=[0, 1]), kt.RZ(-0.4, wires=1),
                           kt.Hadamard(wires=1)],
                          [kt.expval(kt.PauliZ(1)), kt.probs(wires=[0])])


def test_argnum_computes_only_the_selected_parameters():
    dev = kt.device("default.qubit", wires=2)
    full = flat_jacobian(param_shift_jacobian(three_param_tape(), dev))
    tapes, fn = kt.gradients.param_shift(three_param_tape(), argnum=[1])
    assert len(tapes) == 4
    jac = flat_jacobian(fn(dev.execute(tapes)))
    np.testing.assert_allclose(jac[:, 1], full[:, 1], atol=1e-12)
    assert np.all(jac[:, [0, 2]] == 0)
    assert np.abs(full[:, [0, 2]]).max() > 0.1


def test_empty_argnum_gives_zeros_of_the_right_shapes():
    # Regression: with nothing selected no tape ran and the zeros had no shape to copy (TypeError).
    dev = kt.device("default.qubit", wires=2)
    jac = param_shift_jacobian(three_param_tape(), dev, argnum=[])
    assert [np.shape(j) for j in jac[0]] == [()] * 3
    assert [np.shape(j) for j in jac[1]] == [(2,)] * 3
    assert all(np.all(j == 0) for per_meas in jac for j in per_meas)


def test_trainable_params_subset():
    dev = kt.device("default.qubit", wires=2)
    full = flat_jacobian(param_shift_jacobian(three_param_tape(), dev))
    tape = three_param_tape()
    tape.trainable_params = [0, 2]
    tapes, fn = kt.gradients.param_shift(tape)
    assert len(tapes) == 4
    np.testing.assert_allclose(flat_jacobian(fn(dev.execute(tapes))), full[:, [0, 2]], atol=1e-12)


def test_custom_shifts_give_the_same_exact_gradient():
    dev = kt.device("default.qubit", wires=2)
    full = flat_jacobian(param_shift_jacobian(three_param_tape(), dev))
    jac = param_shift_jacobian(three_param_tape(), dev, shifts=[(0.9,), (0.4, 2.0), None])
    np.testing.assert_allclose(flat_jacobian(jac), full, atol=1e-10)


def test_qnode_probs_of_one_wire_with_three_parameters_is_2_by_3():
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(x, y, z):
        kt.RX(x, wires=0)
        kt.CRY(y, wires=[0, 1])
        kt.IsingZZ(z, wires=[0, 1])
        kt.Hadamard(wires=1)
        return kt.probs(wires=1)

    params = [0.3, 1.1, -0.6]
    jac = np.stack(kt.gradients.param_shift(circuit)(*params), axis=-1)  # one entry per argument
    assert np.shape(jac) == (2, 3)
    h = 1e-6
    expected = np.stack([(circuit(*(params[:i] + [params[i] + h] + params[i + 1:]))
                          - circuit(*(params[:i] + [params[i] - h] + params[i + 1:]))) / (2 * h)
                         for i in range(3)], axis=-1)
    np.testing.assert_allclose(jac, expected, atol=1e-7)


def test_qnode_differentiates_only_arguments_marked_trainable():
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def circuit(a, b):
        kt.RX(a, wires=0)
        kt.RY(b, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=0)

    a, b = kt.numpy.array(0.4), kt.numpy.array(-1.1, requires_grad=False)
    dz, dprobs = kt.gradients.param_shift(circuit)(a, b)
    assert np.shape(dz) == () and np.shape(dprobs) == (2,)  # by a only
    assert dz == pytest.approx(-np.sin(0.4) * np.cos(-1.1), abs=1e-12)
    np.testing.assert_allclose(dprobs, [dz / 2, -dz / 2], atol=1e-12)

    dz, _ = kt.gradients.param_shift(circuit)(0.4, -1.1)  # no flags at all: every gate parameter
    np.testing.assert_allclose(dz, [-np.sin(0.4) * np.cos(1.1), np.cos(0.4) * np.sin(1.1)],
                               atol=1e-12)


def test_qnode_argnum():
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def circuit(a, b):
        kt.RX(a, wires=0)
        kt.RY(b, wires=0)
        return kt.expval(kt.PauliZ(0))

    jac = kt.gradients.param_shift(circuit, argnum=[1])(0.4, -1.1)
    np.testing.assert_allclose(jac, [0.0, np.cos(0.4) * np.sin(1.1)], atol=1e-12)


# ---------------------------------------------------------------------------- fallback
U = ry(0.7)


def unitary_tape(a, u, *measurements):
    return kt.QuantumTape([kt.RX(a, wires=0), kt.QubitUnitary(u, wires=0), kt.RY(0.5, wires=0)],
                          list(measurements))


def test_qubit_unitary_parameter_falls_back_to_finite_differences_with_a_warning():
    dev = kt.device("default.qubit", wires=1)
    tape = unitary_tape(0.3, U, kt.expval(kt.PauliZ(0)))
    tape.trainable_params = [0, 1]
    with pytest.warns(UserWarning, match="no parameter-shift rule for parameters of QubitUnitary"):
        tapes, fn = kt.gradients.param_shift(tape)
    jac = fn(dev.execute(tapes))[0]
    h = 1e-7  # finite differences move every matrix entry: U → U + t·(all ones); U + h must
    # still pass QubitUnitary's unitarity check, hence the small step
    f = lambda a, u: run(dev, unitary_tape(a, u, kt.expval(kt.PauliZ(0))))[0]  # noqa: E731
    assert jac[0] == pytest.approx((f(0.3 + h, U) - f(0.3 - h, U)) / (2 * h), abs=1e-7)
    assert jac[1] == pytest.approx((f(0.3, U + h) - f(0.3, U - h)) / (2 * h), abs=1e-6)


def test_custom_fallback_is_used_without_a_warning():
    dev = kt.device("default.qubit", wires=1)
    tape = unitary_tape(0.3, U, kt.expval(kt.PauliZ(0)))
    calls = []

    def fallback(t, argnum):
        calls.append(argnum)
        return kt.gradients.finite_diff(t, argnum=argnum, strategy="center", h=1e-6)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tapes, fn = kt.gradients.param_shift(tape, fallback_fn=fallback)
    assert calls == [[1]]
    assert np.isfinite(fn(dev.execute(tapes))[0][1])


def test_fallback_for_an_observable_parameter_of_a_variance():
    # Regression: the fallback ran on the linearized tape, where ⟨A²⟩ was measured through a fixed
    # copy of A², so d var/dt for A → A + t·(all ones) came out as ∂⟨A⟩ alone (−1.54, not 4.0).
    dev = kt.device("default.qubit", wires=2)

    def make(a, obs_matrix):
        return kt.QuantumTape([kt.RX(a, wires=0), kt.RY(0.5, wires=1), kt.CNOT(wires=[0, 1])],
                              [kt.var(kt.Hermitian(obs_matrix, wires=0))])

    with pytest.warns(UserWarning, match="Hermitian"):
        jac = param_shift_jacobian(make(0.3, A), dev)[0]  # tape default: every parameter trainable
    h = 1e-6
    f = lambda a, m: run(dev, make(a, m))[0]  # noqa: E731
    assert len(jac) == 3  # RX, RY, then the Hermitian's matrix
    assert jac[0] == pytest.approx((f(0.3 + h, A) - f(0.3 - h, A)) / (2 * h), abs=1e-7)
    assert jac[2] == pytest.approx((f(0.3, A + h) - f(0.3, A - h)) / (2 * h), abs=1e-5)


def test_fallback_with_a_shot_vector():
    # Regression: the fallback's post-processing split the shot-vector entries a second time
    # (IndexError: too many indices for array).
    dev = kt.device("default.qubit", wires=1, shots=[(1000, 2)], seed=3)

    @kt.qnode(dev)
    def circuit(a, u):
        kt.RX(a, wires=0)
        kt.QubitUnitary(u, wires=0)
        return kt.expval(kt.PauliZ(0))

    tape, _ = circuit.construct((0.3, U), {})  # the tape: both gate parameters trainable
    with pytest.warns(UserWarning, match="QubitUnitary"):
        tapes, fn = kt.gradients.param_shift(tape)
    jac = fn(dev.execute([dev.preprocess(t) for t in tapes]))
    assert len(jac) == 2
    exact = -np.sin(0.3) * np.cos(0.7)  # U = RY(0.7): ⟨Z⟩ = cos a cos 0.7
    for entry in jac:  # per shot-vector entry: measurements, then parameters
        assert len(entry) == 1 and len(entry[0]) == 2
        assert entry[0][0] == pytest.approx(exact, abs=5 * np.sqrt(0.5 / 1000))


# ---------------------------------------------------------------------------- shots
def shift_sigma(f_plus, f_minus, shots):
    """σ of ½[f(θ+π/2) − f(θ−π/2)] when each ⟨Z⟩ is a mean of ``shots`` ±1 outcomes."""
    return 0.5 * np.sqrt((1 - f_plus ** 2 + 1 - f_minus ** 2) / shots)


def rx_ry_grad_and_sigma(a, b, shots):
    z = lambda a, b: np.cos(a) * np.cos(b)  # noqa: E731
    grad = np.array([-np.sin(a) * np.cos(b), -np.cos(a) * np.sin(b)])
    sigma = np.array([shift_sigma(z(a + np.pi / 2, b), z(a - np.pi / 2, b), shots),
                      shift_sigma(z(a, b + np.pi / 2), z(a, b - np.pi / 2), shots)])
    return grad, sigma


def test_finite_shots_gradient_is_within_five_sigma():
    dev = kt.device("default.qubit", wires=1, shots=20000, seed=11)

    @kt.qnode(dev)
    def circuit(a, b):
        kt.RX(a, wires=0)
        kt.RY(b, wires=0)
        return kt.expval(kt.PauliZ(0))

    jac = kt.gradients.param_shift(circuit)(0.4, -1.1)
    grad, sigma = rx_ry_grad_and_sigma(0.4, -1.1, 20000)
    assert np.all(np.abs(jac - grad) < 5 * sigma)
    assert not np.allclose(jac, grad, atol=1e-9)  # it really was sampled


def test_shot_vector_gives_one_jacobian_per_entry():
    dev = kt.device("default.qubit", wires=1, shots=[(20000, 2)], seed=5)

    @kt.qnode(dev)
    def circuit(a, b):
        kt.RX(a, wires=0)
        kt.RY(b, wires=0)
        return kt.expval(kt.PauliZ(0))

    jacs = kt.gradients.param_shift(circuit)(0.4, -1.1)
    grad, sigma = rx_ry_grad_and_sigma(0.4, -1.1, 20000)
    assert isinstance(jacs, tuple) and len(jacs) == 2
    for jac in jacs:
        assert np.shape(jac) == (2,)
        assert np.all(np.abs(jac - grad) < 5 * sigma)
    assert not np.allclose(jacs[0], jacs[1])  # independent samples


def test_shot_vector_on_a_tape_nests_entries_outside_measurements():
    dev = kt.device("default.qubit", wires=1, seed=2)
    tape = kt.QuantumTape([kt.RX(0.4, wires=0), kt.RY(-1.1, wires=0)],
                          [kt.expval(kt.PauliZ(0)), kt.probs(wires=0)], shots=[20000, 20000, 20000])
    out = param_shift_jacobian(tape, dev)
    grad, sigma = rx_ry_grad_and_sigma(0.4, -1.1, 20000)
    assert len(out) == 3
    for entry in out:
        assert len(entry) == 2 and len(entry[0]) == 2 and np.shape(entry[1][0]) == (2,)
        assert np.all(np.abs(np.array(entry[0]) - grad) < 5 * sigma)


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("measure", [lambda: kt.sample(kt.PauliZ(0)), lambda: kt.counts(wires=0)])
def test_samples_are_not_differentiable(measure):
    dev = kt.device("default.qubit", wires=1, shots=100)

    @kt.qnode(dev)
    def circuit(a):
        kt.RX(a, wires=0)
        return measure()

    with pytest.raises(NonDifferentiableError, match="not differentiable"):
        kt.gradients.param_shift(circuit)(0.3)


def test_state_amplitudes_are_refused():
    tape = kt.QuantumTape([kt.RX(0.3, wires=0), kt.CNOT(wires=[0, 1])], [kt.state()])
    with pytest.raises(NonDifferentiableError, match="amplitudes are not expectation values"):
        kt.gradients.param_shift(tape)


@pytest.mark.parametrize("measure, closed_form", [
    # S(a) = −Σ p log p with p = cos²(a/2), sin²(a/2); dS/da = (sin a / 2)·log(p0/p1)
    (lambda: kt.vn_entropy(wires=0),
     lambda a: 0.5 * np.sin(a) * np.log(np.cos(a / 2) ** 2 / np.sin(a / 2) ** 2)),
    # I = 2 S(a)
    (lambda: kt.mutual_info(wires0=[0], wires1=[1]),
     lambda a: np.sin(a) * np.log(np.cos(a / 2) ** 2 / np.sin(a / 2) ** 2)),
    # purity of one qubit: p0² + p1² = 1 − sin²(a)/2; derivative −sin a cos a
    (lambda: kt.purity(wires=[1]), lambda a: -np.sin(a) * np.cos(a)),
])
def test_density_matrix_functions_by_chain_rule(measure, closed_form):
    a = 0.7
    dev = kt.device("default.qubit", wires=2)
    tape = kt.QuantumTape([kt.RY(a, wires=0), kt.CNOT(wires=[0, 1])], [measure()])
    tapes, fn = kt.gradients.param_shift(tape)
    jac = fn(dev.execute(tapes))
    np.testing.assert_allclose(jac[0][0], closed_form(a), atol=1e-10)


def test_transform_rejects_other_targets():
    with pytest.raises(TypeError, match="takes a QuantumTape or a QNode"):
        kt.gradients.param_shift(lambda x: x)
