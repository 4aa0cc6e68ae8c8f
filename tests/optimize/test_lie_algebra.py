"""LieAlgebraOptimizer against dense-matrix references written here with NumPy.

References: Pauli words as Kronecker products (wire 0 most significant), the gradient coefficients
ω_j = i⟨ψ|[H, P_j]|ψ⟩ from the state vector, one step as expm(−iε Σ ω_j P_j)|ψ⟩ (scipy), the ground
energy by exact diagonalization.
"""
from __future__ import annotations

import itertools
from functools import reduce

import numpy as onp
import pytest
from scipy.linalg import expm

import kettle as kt
from kettle import numpy as np
from kettle.errors import OptimizerError
from kettle.core.ops.pauli_rot import PauliRot

PAULI = {"I": onp.eye(2), "X": onp.array([[0, 1], [1, 0]]), "Y": onp.array([[0, -1j], [1j, 0]]),
         "Z": onp.diag([1, -1])}


def word(letters: str) -> onp.ndarray:
    return reduce(onp.kron, [PAULI[c] for c in letters]).astype(complex)


#: H = 0.5 Z0Z1 − 0.8 X0 + 0.3 Y1 + 0.7 X0X1, as an observable and as a matrix
H = kt.Hamiltonian([0.5, -0.8, 0.3, 0.7], [kt.PauliZ(0) @ kt.PauliZ(1), kt.PauliX(0), kt.PauliY(1),
                                           kt.PauliX(0) @ kt.PauliX(1)])
H_MAT = 0.5 * word("ZZ") - 0.8 * word("XI") + 0.3 * word("IY") + 0.7 * word("XX")
E0 = onp.linalg.eigvalsh(H_MAT)[0]
dev = kt.device("default.qubit", wires=2)


def entangled():
    kt.RX(0.4, wires=0)
    kt.RY(-0.9, wires=1)
    kt.CNOT(wires=[0, 1])


def product():
    kt.RX(0.4, wires=0)
    kt.RY(-0.9, wires=1)


def energy_of(body):
    @kt.qnode(dev)
    def energy():
        body()
        return kt.expval(H)

    return energy


def state_of(circuit) -> onp.ndarray:
    """The state prepared by a QNode's gates."""
    tape, _ = circuit.construct((), {})
    state_tape = kt.QuantumTape(tape.operations, [kt.state()])
    return onp.asarray(dev.execute([dev.preprocess(state_tape)])[0][0])


def omegas(psi, basis):
    return onp.array([onp.real(1j * psi.conj() @ (H_MAT @ word(w) - word(w) @ H_MAT) @ psi)
                      for w in basis])


def test_gradient_coefficients_are_commutator_expectations():
    opt = kt.LieAlgebraOptimizer(energy_of(entangled))
    assert opt.basis == tuple("".join(w) for w in itertools.product("IXYZ", repeat=2))[1:]
    psi = state_of(energy_of(entangled))
    ref = omegas(psi, opt.basis)
    onp.testing.assert_allclose(opt.riemannian_gradient(), ref, atol=1e-12)
    assert onp.sum(onp.abs(ref) > 0.1) >= 5  # a test with teeth: many non-zero components


def test_exact_step_is_the_matrix_exponential():
    circuit = energy_of(entangled)
    psi = state_of(circuit)
    opt = kt.LieAlgebraOptimizer(circuit, stepsize=0.3, exact=True)
    ref = omegas(psi, opt.basis)
    new_circuit, before = opt.step_and_cost()
    expected = expm(-0.3j * sum(w * word(p) for w, p in zip(ref, opt.basis))) @ psi
    onp.testing.assert_allclose(state_of(new_circuit), expected, atol=1e-12)
    assert before == pytest.approx(onp.real(psi.conj() @ H_MAT @ psi), abs=1e-12)
    assert float(new_circuit()) == pytest.approx(onp.real(expected.conj() @ H_MAT @ expected),
                                                 abs=1e-12)
    (unitary,) = opt.unitaries
    assert unitary.name == "QubitUnitary" and list(unitary.wires) == [0, 1]


def test_trotterized_step_is_the_product_of_pauli_rotations():
    circuit = energy_of(entangled)
    psi = state_of(circuit)
    eps = 0.4
    exact = kt.LieAlgebraOptimizer(circuit, stepsize=eps, exact=True)
    ref = omegas(psi, exact.basis)
    exact_state = state_of(exact.step())
    distances = []
    for r in (1, 3):
        opt = kt.LieAlgebraOptimizer(circuit, stepsize=eps, trottersteps=r)
        new = state_of(opt.step())
        expected = psi
        for _ in range(r):
            for w, p in zip(ref, opt.basis):
                expected = expm(-1j * eps * w / r * word(p)) @ expected
        onp.testing.assert_allclose(new, expected, atol=1e-12)
        assert all(u.name == "PauliRot" for u in opt.unitaries)
        assert len(opt.unitaries) == r * int(onp.sum(onp.abs(ref) > 1e-9))
        distances.append(onp.linalg.norm(new - exact_state))
    # the Trotter error falls like 1/r
    assert distances[0] > 1e-2 and distances[1] < distances[0] / 2


def test_flow_decreases_the_energy_to_the_ground_energy():
    opt = kt.LieAlgebraOptimizer(energy_of(entangled), stepsize=0.1, exact=True)
    res = opt.minimize(steps=25, progress=False)
    assert res.n_steps == 25 and len(opt.unitaries) == 25
    assert onp.all(onp.diff(res.history) < 1e-12)  # monotonic
    assert res.history[0] - E0 > 1.0
    assert res.cost == pytest.approx(E0, abs=1e-7)
    assert float(res.x()) == pytest.approx(res.cost, abs=1e-12)


def test_step_and_cost_returns_the_cost_before_each_step():
    opt = kt.LieAlgebraOptimizer(energy_of(entangled), stepsize=0.1)
    circuit, first = opt.step_and_cost()
    assert first == pytest.approx(float(energy_of(entangled)()), abs=1e-12)
    after = float(circuit())
    _, second = opt.step_and_cost()
    assert second == pytest.approx(after, abs=1e-12) and after < first
    opt.reset()
    assert opt.unitaries == () and opt.cost() == pytest.approx(first, abs=1e-12)


def test_minimize_stops_at_tol_and_by_callback():
    opt = kt.LieAlgebraOptimizer(energy_of(entangled), stepsize=0.1, exact=True)
    res = opt.minimize(steps=60, tol=1e-6, progress=False)
    assert res.converged and res.n_steps < 60 and abs(res.history[-1] - res.history[-2]) < 1e-6
    opt.reset()
    seen = []
    res = opt.minimize(steps=10, callback=lambda k, c, e: seen.append(k) or k == 2, progress=False)
    assert seen == [0, 1, 2] and res.n_steps == 2 and res.message == "stopped by the callback"


@pytest.mark.parametrize("restriction", [
    [kt.PauliX(0), kt.PauliY(0), kt.PauliZ(0)],
    ["XI", "yi", "ZI"],
    kt.Hamiltonian([1.0, 2.0, 3.0], [kt.PauliX(0), kt.PauliY(0), kt.PauliZ(0)]),
])
def test_restriction_to_one_qubit_keeps_a_product_state(restriction):
    """su(2) on wire 0 only: the state stays a ⊗ b with b fixed, and the flow finds the lowest
    eigenvalue of the effective Hamiltonian ⟨b|H|b⟩ on wire 0, which lies above E0."""
    circuit = energy_of(product)
    opt = kt.LieAlgebraOptimizer(circuit, stepsize=0.1, restriction=restriction, exact=True)
    assert opt.basis == ("XI", "YI", "ZI")
    res = opt.minimize(steps=25, progress=False)
    assert all(list(u.wires) == [0] for u in opt.unitaries)
    psi = state_of(res.x).reshape(2, 2)
    assert onp.linalg.svd(psi, compute_uv=False)[1] < 1e-10  # Schmidt rank 1
    b = onp.array([onp.cos(-0.45), onp.sin(-0.45)])  # RY(−0.9)|0⟩
    h_eff = onp.einsum("j,ijkl,l->ik", b, H_MAT.reshape(2, 2, 2, 2), b)
    assert onp.linalg.norm(psi @ b) == pytest.approx(1.0, abs=1e-10)  # wire 1 still holds b
    restricted_min = onp.linalg.eigvalsh(h_eff)[0]
    assert res.cost == pytest.approx(restricted_min, abs=1e-7)
    assert restricted_min > E0 + 0.1  # the unrestricted flow would go further


def test_commuting_restriction_only_changes_phases():
    circuit = energy_of(entangled)
    opt = kt.LieAlgebraOptimizer(circuit, stepsize=0.2, restriction=["ZI", "IZ", "ZZ"],
                                 trottersteps=2)
    before = state_of(circuit)
    res = opt.minimize(steps=5, progress=False)
    after = state_of(res.x)
    onp.testing.assert_allclose(onp.abs(after), onp.abs(before), atol=1e-12)
    assert res.cost < res.history[0] - 0.05


def test_pauli_rot_matrix_and_decomposition():
    op = PauliRot.unqueued(0.37, "XYZ", [0, 1, 2])
    expected = expm(-0.5j * 0.37 * word("XYZ"))
    onp.testing.assert_allclose(op.matrix(), expected, atol=1e-12)
    three = kt.device("default.qubit", wires=3)
    columns = []
    for bits in itertools.product([0, 1], repeat=3):
        tape = kt.QuantumTape([kt.BasisState.unqueued(onp.array(bits), wires=[0, 1, 2])]
                              + op.decomposition(), [kt.state()])
        columns.append(three.execute([three.preprocess(tape)])[0][0])
    onp.testing.assert_allclose(onp.array(columns).T, expected, atol=1e-12)
    onp.testing.assert_allclose(op.adjoint().matrix(), expected.conj().T, atol=1e-12)
    assert op.label() == "R[XYZ](0.37)"


# ------------------------------------------------------------------------------ errors
def test_hyper_parameter_errors():
    circuit = energy_of(entangled)
    for bad in (0.0, -0.1):
        with pytest.raises(OptimizerError, match="stepsize must be a positive number"):
            kt.LieAlgebraOptimizer(circuit, stepsize=bad)
    with pytest.raises(OptimizerError, match="trottersteps must be a positive integer, got 0"):
        kt.LieAlgebraOptimizer(circuit, trottersteps=0)
    with pytest.raises(OptimizerError, match="needs a QNode, got"):
        kt.LieAlgebraOptimizer(lambda: 0.0)
    with pytest.raises(OptimizerError, match="steps must be a positive integer"):
        kt.LieAlgebraOptimizer(circuit).minimize(steps=0)


def test_circuit_errors():
    @kt.qnode(dev)
    def with_argument(x):
        kt.RX(x, wires=0)
        return kt.expval(H)

    with pytest.raises(OptimizerError, match=r"needs a circuit without arguments, but with_argument "
                                             r"takes \['x'\]"):
        kt.LieAlgebraOptimizer(with_argument)

    theta = np.array(0.3, requires_grad=True)

    @kt.qnode(dev)
    def trainable():
        kt.RY(theta, wires=1)
        return kt.expval(H)

    with pytest.raises(OptimizerError, match="trainable has a trainable parameter in RY on wires "
                                             r"\[1\]"):
        kt.LieAlgebraOptimizer(trainable)

    @kt.qnode(dev)
    def probabilities():
        kt.RX(0.1, wires=0)
        return kt.probs(wires=[0])

    @kt.qnode(dev)
    def two():
        return kt.expval(kt.PauliZ(0)), kt.expval(kt.PauliZ(1))

    for bad in (probabilities, two):
        with pytest.raises(OptimizerError, match="needs a circuit that returns the expectation value "
                                                 f"of one observable.*{bad.__name__} returns"):
            kt.LieAlgebraOptimizer(bad)


def test_qubit_limit_of_the_full_algebra():
    big = kt.device("default.qubit", wires=7)

    @kt.qnode(big)
    def wide():
        kt.Hadamard(wires=0)
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(6))

    with pytest.raises(OptimizerError, match=r"su\(2\^7\).* has 4\^7 − 1 = 16383 Pauli words.*at most "
                                             "6 qubits are allowed without a restriction"):
        kt.LieAlgebraOptimizer(wide)
    opt = kt.LieAlgebraOptimizer(wide, restriction=[kt.PauliY(0)])  # fine with a restriction
    assert opt.basis == ("YIIIIII",)
    # i⟨[Z0 Z6, Y0]⟩ = i⟨−2i X0 Z6⟩ = 2 on |+⟩|0…0⟩
    assert opt.riemannian_gradient() == pytest.approx([2.0], abs=1e-12)


def test_restriction_errors():
    circuit = energy_of(entangled)
    with pytest.raises(OptimizerError, match="restriction term .* is not a Pauli word"):
        kt.LieAlgebraOptimizer(circuit, restriction=[kt.Hermitian(onp.eye(2), wires=0)])
    with pytest.raises(OptimizerError, match="restriction word 'XYZ' must have one letter I, X, Y or "
                                             r"Z for each of the device's 2 wires \[0, 1\]"):
        kt.LieAlgebraOptimizer(circuit, restriction=["XYZ"])
    with pytest.raises(OptimizerError, match="acts on wire 5, but the device has wires"):
        kt.LieAlgebraOptimizer(circuit, restriction=kt.PauliX(5))
    with pytest.raises(OptimizerError, match="holds no Pauli word other than the identity"):
        kt.LieAlgebraOptimizer(circuit, restriction=["II"])
