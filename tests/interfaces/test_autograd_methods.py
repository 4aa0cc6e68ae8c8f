"""Jacobians of every supported (diff_method, measurement) pair agree with central differences.

The circuits are seeded random circuits on 1-4 wires: every parameterized gate that fits, in random
order on random wires, interleaved with non-parameterized gates, and every gate angle a classical
function of the QNode argument (``2 * x[i] ** 2``, ``x[i] * x[j]``, ...). The reference is computed
here: the forward pass of the same circuit on plain NumPy arrays at x ± h e_i.
"""
from __future__ import annotations

import warnings
from typing import Callable, NamedTuple

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.core import measurements as mp
from kettle.core import diff_methods

N_INPUTS = 3
FD_STEP = 1e-6

#: (gate, number of wires (None: any number), number of parameters)
PARAMETRIC = [
    (kt.RX, 1, 1), (kt.RY, 1, 1), (kt.RZ, 1, 1), (kt.PhaseShift, 1, 1), (kt.Rot, 1, 3),
    (kt.CRX, 2, 1), (kt.CRY, 2, 1), (kt.CRZ, 2, 1), (kt.CRot, 2, 3),
    (kt.ControlledPhaseShift, 2, 1), (kt.IsingXX, 2, 1), (kt.IsingYY, 2, 1), (kt.IsingZZ, 2, 1),
    (kt.MultiRZ, None, 1),
]
FIXED = [
    (kt.Hadamard, 1), (kt.PauliX, 1), (kt.PauliY, 1), (kt.S, 1), (kt.T, 1), (kt.SX, 1),
    (kt.CNOT, 2), (kt.CZ, 2), (kt.CY, 2), (kt.SWAP, 2), (kt.ISWAP, 2), (kt.Toffoli, 3),
    (kt.CSWAP, 3),
]
#: classical processing of the QNode argument into a gate angle
ANGLES = [
    lambda x, i, j: 2 * x[i] ** 2,
    lambda x, i, j: np.sin(x[i]) + 0.3,
    lambda x, i, j: x[i] * x[j],
    lambda x, i, j: 0.5 * x[i] - x[j],
    lambda x, i, j: np.exp(0.4 * x[i]),
    lambda x, i, j: x[i],
]


def random_circuit(n_wires: int, seed: int) -> list:
    """[(gate, wires, [(angle recipe, i, j), ...]), ...] using every gate that fits, in random order."""
    rng = onp.random.default_rng(seed)
    spec = []
    for gate, k, n_par in PARAMETRIC:
        k = int(rng.integers(1, n_wires + 1)) if k is None else k
        if k <= n_wires:
            angles = [(int(rng.integers(len(ANGLES))), *map(int, rng.integers(N_INPUTS, size=2)))
                      for _ in range(n_par)]
            spec.append((gate, [int(w) for w in rng.permutation(n_wires)[:k]], angles))
    fitting = [(g, k) for g, k in FIXED if k <= n_wires]
    extra = [fitting[i] for i in rng.integers(len(fitting), size=n_wires)]
    for gate, k in fitting + extra:
        spec.append((gate, [int(w) for w in rng.permutation(n_wires)[:k]], []))
    order = rng.permutation(len(spec))
    # a first layer of Hadamards so that gates diagonal in Z act nontrivially from the start
    return [(kt.Hadamard, [w], []) for w in range(n_wires)] + [spec[i] for i in order]


def apply_circuit(spec: list, x) -> None:
    for gate, wires, angles in spec:
        gate(*[ANGLES[r](x, i, j) for r, i, j in angles], wires=wires)


def hermitian(n_wires: int, seed: int) -> onp.ndarray:
    rng = onp.random.default_rng(seed)
    a = rng.normal(size=(2 ** n_wires,) * 2) + 1j * rng.normal(size=(2 ** n_wires,) * 2)
    return a + a.conj().T


def pauli_word(wires: list):
    paulis = [kt.PauliX, kt.PauliY, kt.PauliZ]
    obs = paulis[wires[0] % 3](wires[0])
    for k, w in enumerate(wires[1:]):
        obs = obs @ paulis[(w + k + 1) % 3](w)
    return obs


# ---------------------------------------------------------------------------------- return types

class ReturnType(NamedTuple):
    measure: Callable  # wires -> what the quantum function returns
    post: Callable | None  # result -> real array(s) to differentiate (None: the result itself)
    min_wires: int
    kinds: tuple  # measurement classes it uses


def _expval_hamiltonian(w):
    ops = [pauli_word(w[:2]), kt.PauliY(w[0]), kt.PauliX(w[-1])]
    return kt.expval(kt.Hamiltonian([0.3, -1.2, 0.7], ops))


def _expvals(w):
    return (kt.expval(kt.PauliZ(w[0])), kt.expval(kt.Hermitian(hermitian(1, 7), wires=w[-1])),
            kt.expval(kt.Projector([1] * len(w[:2]), wires=w[:2])), _expval_hamiltonian(w))


def _vars(w):
    return kt.var(pauli_word(w[:2])), kt.var(kt.Hermitian(hermitian(1, 2), wires=w[-1]))


def _mixed(w):
    return kt.expval(kt.PauliZ(w[0])), kt.var(kt.PauliX(w[-1])), kt.probs(wires=w[-1])


_STATE_WEIGHTS = onp.random.default_rng(3).normal(size=16)
_STATE_VECTOR = onp.array([1, 1j]) @ onp.random.default_rng(4).normal(size=(2, 16))


def _state_fn(psi):
    """Weighted probabilities plus an overlap that is sensitive to phases."""
    n = psi.shape[0]
    return np.sum(_STATE_WEIGHTS[:n] * np.abs(psi) ** 2) + np.real(np.sum(_STATE_VECTOR[:n] * psi))


def _dm_fn(rho):
    """A linear function Tr(M ρ) plus the nonlinear Σ|ρ_ij|²."""
    m = hermitian(int(onp.log2(rho.shape[0])), 5)
    return np.real(np.trace(np.dot(m, rho))) + np.sum(np.abs(rho) ** 2)


EXP = (mp.ExpectationMP,)
# ``w`` is a seeded permutation of the device wires
RETURN_TYPES = {
    "expval-pauli": ReturnType(lambda w: kt.expval(pauli_word(w[:3])), None, 1, EXP),
    "expval-hermitian": ReturnType(
        lambda w: kt.expval(kt.Hermitian(hermitian(len(w[:2]), 1), wires=w[:2])), None, 1, EXP),
    "expval-projector": ReturnType(
        lambda w: kt.expval(kt.Projector([0, 1][:len(w[:2])], wires=w[:2])), None, 1, EXP),
    "expval-hamiltonian": ReturnType(_expval_hamiltonian, None, 1, EXP),
    "expvals": ReturnType(_expvals, None, 1, EXP),
    "var": ReturnType(_vars, None, 1, (mp.VarianceMP,)),
    "probs": ReturnType(lambda w: kt.probs(wires=w[:2]), None, 1, (mp.ProbabilityMP,)),
    "mixed": ReturnType(_mixed, None, 1, (mp.ExpectationMP, mp.VarianceMP, mp.ProbabilityMP)),
    "vn_entropy": ReturnType(lambda w: kt.vn_entropy(wires=[w[0]]), None, 2, (mp.VnEntropyMP,)),
    "mutual_info": ReturnType(lambda w: kt.mutual_info(wires0=[w[0]], wires1=[w[1]]), None, 2,
                              (mp.MutualInfoMP,)),
    "purity": ReturnType(lambda w: kt.purity(wires=[w[0]]), None, 2, (mp.PurityMP,)),
    "state-fn": ReturnType(lambda w: kt.state(), _state_fn, 1, (mp.StateMP,)),
    "density-matrix-fn": ReturnType(lambda w: kt.density_matrix(wires=w[:2]), _dm_fn, 1,
                                    (mp.DensityMatrixMP,)),
}
_EXPVALS = ["expval-pauli", "expval-hermitian", "expval-projector", "expval-hamiltonian", "expvals"]
_SHIFTABLE = _EXPVALS + ["var", "probs", "mixed"]
#: what each method must differentiate at least; the library's support table may claim more
REQUIRED = {
    "backprop": list(RETURN_TYPES),
    "parameter-shift": _SHIFTABLE,
    "finite-diff": _SHIFTABLE + ["vn_entropy", "mutual_info", "purity"],
    "adjoint": _EXPVALS,
}


def claimed(method: str, rtype: str) -> bool:
    """Whether the library's support table says ``method`` differentiates ``rtype``."""
    entry = diff_methods.get(method)
    return all(entry.supports(k) for k in RETURN_TYPES[rtype].kinds)


CIRCUITS = [(1, 101), (2, 202), (3, 303), (4, 404)]
#: finite-diff (forward differences, h=1e-7) is itself an approximation
TOLERANCE = {"backprop": 1e-6, "parameter-shift": 1e-6, "adjoint": 1e-6, "finite-diff": 1e-5}

def test_the_circuits_use_the_whole_gate_set():
    used = {g for n, seed in CIRCUITS for g, _, _ in random_circuit(n, seed)}
    assert used == {g for g, _, _ in PARAMETRIC} | {g for g, _ in FIXED}
    multi_rz_wires = {len(w) for n, seed in CIRCUITS for g, w, _ in random_circuit(n, seed)
                      if g is kt.MultiRZ}
    assert max(multi_rz_wires) > 2


#: every (method, return type) pair the support table claims gets its values checked
CASES = [pytest.param(method, rtype, n, seed, id=f"{method}-{rtype}-{n}wires")
         for method in REQUIRED for rtype in RETURN_TYPES if claimed(method, rtype)
         for n, seed in CIRCUITS if n >= RETURN_TYPES[rtype].min_wires]


@pytest.mark.parametrize("method", REQUIRED)
def test_support_table_covers_the_required_pairs(method):
    assert [r for r in REQUIRED[method] if not claimed(method, r)] == []


def make_function(n_wires: int, seed: int, rtype: str, diff_method, **options):
    """The hybrid function x -> post(qnode(x)) of a random circuit, and its wire permutation."""
    measure, post = RETURN_TYPES[rtype].measure, RETURN_TYPES[rtype].post
    wires = [int(w) for w in onp.random.default_rng(seed + 1).permutation(n_wires)]
    spec = random_circuit(n_wires, seed)
    dev = kt.device("default.qubit", wires=n_wires)

    def circuit(x):
        apply_circuit(spec, x)
        return measure(wires)

    qnode = kt.QNode(circuit, dev, diff_method=diff_method, **options)
    return (qnode if post is None else lambda x: post(qnode(x))), qnode


def central_differences(f, x, h=FD_STEP):
    """(f(x + h e_i) − f(x − h e_i)) / 2h on plain NumPy values; shape output + input shape."""
    x = onp.asarray(x, dtype=float)

    def value(v):
        out = f(v)
        return tuple(onp.asarray(o) for o in out) if isinstance(out, tuple) else onp.asarray(out)

    cols = []
    for i in range(x.size):
        e = onp.zeros(x.size)
        e[i] = h
        plus, minus = value(x + e.reshape(x.shape)), value(x - e.reshape(x.shape))
        if isinstance(plus, tuple):
            cols.append(tuple((p - m) / (2 * h) for p, m in zip(plus, minus)))
        else:
            cols.append((plus - minus) / (2 * h))
    if isinstance(cols[0], tuple):
        return tuple(onp.stack([c[k] for c in cols], axis=-1) for k in range(len(cols[0])))
    return onp.stack(cols, axis=-1)


def assert_jacobians_close(actual, expected, atol):
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_jacobians_close(a, e, atol)
        return
    assert onp.shape(actual) == onp.shape(expected)
    onp.testing.assert_allclose(actual, expected, atol=atol, rtol=0)


def inputs(seed: int):
    return np.array(onp.random.default_rng(seed + 2).uniform(-1.2, 1.2, size=N_INPUTS))


@pytest.mark.parametrize("method, rtype, n_wires, seed", CASES)
def test_jacobian_matches_central_differences(method, rtype, n_wires, seed):
    f, _ = make_function(n_wires, seed, rtype, method)
    reference, _ = make_function(n_wires, seed, rtype, None)
    x = inputs(seed)
    expected = central_differences(reference, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no method falls back silently (or noisily)
        jac = kt.jacobian(f)(x)
    assert_jacobians_close(jac, expected, TOLERANCE[method])
    # the reference is not trivially zero: the circuits depend on every input
    leaves = expected if isinstance(expected, tuple) else (expected,)
    assert max(onp.abs(leaf).max() for leaf in leaves) > 1e-2


@pytest.mark.parametrize("n_wires, seed", CIRCUITS[1:])
def test_entropies_are_away_from_the_singular_pure_case(n_wires, seed):
    """The entropy gradients above are only well defined when the reduced state is mixed."""
    f, _ = make_function(n_wires, seed, "purity", None)
    assert f(onp.asarray(inputs(seed))) < 0.98


@pytest.mark.parametrize("n_wires, seed", CIRCUITS)
def test_exact_methods_agree_with_each_other(n_wires, seed):
    x = inputs(seed)
    jacs = {m: kt.jacobian(make_function(n_wires, seed, "expvals", m)[0])(x)
            for m in ("backprop", "parameter-shift", "adjoint")}
    for method in ("parameter-shift", "adjoint"):
        assert_jacobians_close(jacs[method], jacs["backprop"], 1e-10)
    mixed = {m: kt.jacobian(make_function(n_wires, seed, "mixed", m)[0])(x)
             for m in ("backprop", "parameter-shift")}
    assert_jacobians_close(mixed["parameter-shift"], mixed["backprop"], 1e-10)


def test_jacobian_layout_of_tuple_outputs():
    f, _ = make_function(3, 303, "mixed", "parameter-shift")
    jac = kt.jacobian(f)(inputs(303))
    assert [j.shape for j in jac] == [(N_INPUTS,), (N_INPUTS,), (2, N_INPUTS)]


@pytest.mark.parametrize("options, atol", [
    ({"h": 1e-3}, None),  # forward differences: O(h) error, visibly inexact
    ({"h": 1e-3, "strategy": "center"}, 2e-6),
    ({"h": 1e-3, "approx_order": 2}, 2e-6),
    ({"h": 1e-3, "strategy": "backward"}, None),
])
def test_finite_diff_options_are_used(options, atol):
    x = inputs(202)
    exact_f, _ = make_function(2, 202, "expval-hamiltonian", "backprop")
    approx_f, _ = make_function(2, 202, "expval-hamiltonian", "finite-diff", **options)
    exact, approx = kt.jacobian(exact_f)(x), kt.jacobian(approx_f)(x)
    error = onp.abs(approx - exact).max()
    if atol is None:
        assert 1e-5 < error < 1e-2  # first order in h = 1e-3
    else:
        assert error < atol


# ------------------------------------------------------------------------------------ with shots

def test_parameter_shift_with_shots_is_within_statistical_bound():
    """Each derivative of a Pauli expval by the two-term rule is (f(θ+π/2) − f(θ−π/2)) / 2, with two
    estimates of standard deviation ≤ 1/√N each: σ ≤ 1/√(2N); the bound allows 5σ."""
    shots = 20000
    dev = kt.device("default.qubit", wires=2, shots=shots, seed=11)
    exact_dev = kt.device("default.qubit", wires=2)

    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.RY(x[1], wires=1)
        kt.CNOT(wires=[0, 1])
        kt.IsingXX(x[2], wires=[0, 1])
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1)), kt.expval(kt.PauliY(1))

    x = np.array([0.4, -0.8, 1.1])
    sampled = kt.jacobian(kt.QNode(circuit, dev, diff_method="parameter-shift"))(x)
    exact = kt.jacobian(kt.QNode(circuit, exact_dev, diff_method="parameter-shift"))(x)
    bound = 5 / onp.sqrt(2 * shots)
    for s, e in zip(sampled, exact):
        assert onp.abs(s - e).max() < bound
        assert not onp.allclose(s, e, atol=1e-6, rtol=0)  # really estimated from samples


def test_best_is_backprop_without_shots():
    x = inputs(303)
    best_f, best = make_function(3, 303, "mixed", "best")
    backprop_f, _ = make_function(3, 303, "mixed", "backprop")
    assert_jacobians_close(kt.jacobian(best_f)(x), kt.jacobian(backprop_f)(x), 1e-14)
    # only backprop differentiates functions of the state
    state_best, _ = make_function(3, 303, "state-fn", "best")
    state_ref, _ = make_function(3, 303, "state-fn", None)
    assert_jacobians_close(kt.jacobian(state_best)(x), central_differences(state_ref, x), 1e-6)


def test_best_falls_back_to_parameter_shift_with_shots():
    """With shots, "best" runs exactly the parameter-shift tapes: same seed, same samples."""
    def circuit(x):
        kt.RX(2 * x[0] ** 2, wires=0)
        kt.CRY(x[1], wires=[0, 1])
        return kt.expval(kt.PauliZ(1)), kt.probs(wires=[0])

    x = np.array([0.3, 1.2])
    best = kt.QNode(circuit, kt.device("default.qubit", wires=2, shots=5000, seed=5))
    shift = kt.QNode(circuit, kt.device("default.qubit", wires=2, shots=5000, seed=5),
                     diff_method="parameter-shift")
    jac_best, jac_shift = kt.jacobian(best)(x), kt.jacobian(shift)(x)
    assert_jacobians_close(jac_best, jac_shift, 0.0)
    exact = kt.jacobian(kt.QNode(circuit, kt.device("default.qubit", wires=2)))(x)
    assert_jacobians_close(jac_best, exact, 0.1)


@pytest.mark.parametrize("method", ["backprop", "finite-diff"])
def test_entanglement_entropy_gradient_is_analytic(method):
    """Regression (backprop): autograd has no derivative of eigvalsh, and the entropy's where()
    dispatched to NumPy on a boolean mask, so differentiating vn_entropy raised.

    RY(θ) then CNOT gives Schmidt weights c = cos²(θ/2), s = sin²(θ/2): S = −c log c − s log s,
    dS/dθ = (sin θ / 2) log(c / s), and the mutual information of the pure pair is 2S."""
    @kt.qnode(kt.device("default.qubit", wires=2), diff_method=method)
    def circuit(theta):
        kt.RY(theta, wires=0)
        kt.CNOT(wires=[0, 1])
        return kt.vn_entropy(wires=[0]), kt.mutual_info(wires0=[0], wires1=[1])

    theta = 1.1
    c, s = onp.cos(theta / 2) ** 2, onp.sin(theta / 2) ** 2
    d_entropy = onp.sin(theta) / 2 * onp.log(c / s)
    entropy, info = kt.jacobian(circuit)(np.array(theta))
    tol = TOLERANCE[method]
    assert float(entropy) == pytest.approx(d_entropy, abs=tol)
    assert float(info) == pytest.approx(2 * d_entropy, abs=2 * tol)
