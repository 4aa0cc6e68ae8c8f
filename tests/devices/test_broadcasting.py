"""Parameter broadcasting on default.qubit: a leading batch axis on gate parameters runs as one
execution whose results, for every measurement type, equal a Python loop over the batch."""
from __future__ import annotations

import numpy as np
import pytest

import kettle as kt
from kettle.devices.default_qubit import DefaultQubit

B = 3
COMPLEX = {"float32": "complex64", "float64": "complex128"}
TOL = {"float32": 1e-5, "float64": 1e-10}


def random_unitaries(rng, batch, d):
    q, r = np.linalg.qr(rng.normal(size=(batch, d, d)) + 1j * rng.normal(size=(batch, d, d)))
    diag = np.diagonal(r, axis1=-2, axis2=-1)
    return q * (diag / np.abs(diag))[:, None, :]


def random_states(rng, batch, d):
    v = rng.normal(size=(batch, d)) + 1j * rng.normal(size=(batch, d))
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


# ---------------------------------------------------------------------------- circuits
# Each case: (number of wires, batched inputs, circuit body). ``x`` holds the batched inputs, or one
# slice of each when the loop runs; unbatched parameters are written inline.
def case_rotation(rng):
    def body(x):
        kt.RX(x["theta"], wires=0)
        kt.CNOT(wires=[0, 1])
        kt.RY(0.3, wires=1)

    return 2, {"theta": rng.uniform(-np.pi, np.pi, B)}, body


def case_parametric_gates(rng):
    """Every parametric gate batched (diagonal ones too), mixed with unbatched gates."""

    def body(x):
        a = [x["a"][..., k] for k in range(18)]
        kt.Hadamard(wires=0)
        kt.RX(a[0], wires=0)
        kt.RY(a[1], wires=1)
        kt.RZ(a[2], wires=2)
        kt.PhaseShift(a[3], wires=1)
        kt.Rot(a[4], 0.2, a[5], wires=2)  # some parameters batched, one not
        kt.CNOT(wires=[0, 2])
        kt.CRX(a[6], wires=[0, 1])
        kt.CRY(a[7], wires=[2, 0])
        kt.CRZ(a[8], wires=[1, 2])
        kt.CRot(a[9], a[10], a[11], wires=[2, 1])
        kt.ControlledPhaseShift(a[12], wires=[0, 2])
        kt.IsingXX(a[13], wires=[1, 0])
        kt.IsingYY(a[14], wires=[0, 2])
        kt.IsingZZ(a[15], wires=[2, 1])
        kt.MultiRZ(a[16], wires=[0, 1, 2])
        kt.adjoint(kt.RX(a[17], wires=1))
        kt.Toffoli(wires=[0, 1, 2])
        kt.T(wires=1)

    return 3, {"a": rng.uniform(-np.pi, np.pi, (B, 18))}, body


def case_state_prep(rng):
    def body(x):
        kt.StatePrep(x["psi"], wires=[0, 1, 2])
        kt.RX(0.4, wires=1)
        kt.CZ(wires=[1, 2])

    return 3, {"psi": random_states(rng, B, 8)}, body


def case_state_prep_on_some_wires(rng):
    def body(x):
        kt.StatePrep(x["psi"], wires=[2, 0])
        kt.Hadamard(wires=1)
        kt.CNOT(wires=[1, 2])

    return 3, {"psi": random_states(rng, B, 4)}, body


def case_qubit_unitary(rng):
    def body(x):
        kt.Hadamard(wires=0)
        kt.RY(0.7, wires=1)
        kt.QubitUnitary(x["u"], wires=[1, 0])
        kt.adjoint(kt.QubitUnitary(x["v"], wires=[0]))

    return 2, {"u": random_unitaries(rng, B, 4), "v": random_unitaries(rng, B, 2)}, body


def case_basis_state(rng):
    def body(x):
        kt.BasisState(x["bits"], wires=[0, 2])
        kt.RY(x["theta"], wires=1)
        kt.CNOT(wires=[1, 0])

    bits = np.array([[0, 1], [1, 1], [1, 0]])
    return 3, {"bits": bits, "theta": rng.uniform(-np.pi, np.pi, B)}, body


def case_batch_of_one(rng):
    def body(x):
        kt.RX(x["theta"], wires=0)
        kt.IsingXX(0.5, wires=[0, 1])

    return 2, {"theta": rng.uniform(-np.pi, np.pi, 1)}, body


CASES = [case_rotation, case_parametric_gates, case_state_prep, case_state_prep_on_some_wires,
         case_qubit_unitary, case_basis_state, case_batch_of_one]


def every_measurement(n, herm):
    last = n - 1
    ham = 0.4 * kt.PauliZ(0) @ kt.PauliZ(last) + 0.7 * kt.PauliY(last)
    return (kt.expval(kt.PauliZ(0) @ kt.PauliX(last)), kt.expval(kt.Hermitian(herm, wires=[last])),
            kt.expval(ham), kt.var(kt.PauliY(0)), kt.var(0.5 * kt.PauliX(0) + kt.Hadamard(last)),
            kt.probs(wires=[last, 0]), kt.probs(op=kt.PauliX(0)), kt.state(),
            kt.density_matrix([last, 0]), kt.vn_entropy([0], log_base=2),
            kt.mutual_info([0], [last]), kt.purity([last]))


# ---------------------------------------------------------------------------- frameworks
FRAMEWORKS = [
    pytest.param("numpy", "float64", id="numpy-float64"),
    pytest.param("numpy", "float32", id="numpy-float32"),
    pytest.param("torch", "float64", marks=pytest.mark.torch, id="torch-float64"),
    pytest.param("torch", "float32", marks=pytest.mark.torch, id="torch-float32"),
    pytest.param("tf", "float64", marks=pytest.mark.tf, id="tf-float64"),
    pytest.param("tf", "float32", marks=pytest.mark.tf, id="tf-float32"),
    pytest.param("jax", "float64", marks=pytest.mark.jax, id="jax-float64"),
    pytest.param("jax", "float32", marks=pytest.mark.jax, id="jax-float32"),
]


def framework(fw):
    """(NumPy array -> framework array, the framework's array types)."""
    if fw == "torch":
        torch = pytest.importorskip("torch")
        return torch.from_numpy, (torch.Tensor,)
    if fw == "tf":
        tf = pytest.importorskip("tensorflow")
        return tf.constant, (tf.Tensor,)
    if fw == "jax":
        jax = pytest.importorskip("jax")
        return jax.numpy.asarray, (jax.Array,)
    return (lambda a: a), (np.ndarray, np.generic)


def converter(fw, precision):
    make, _ = framework(fw)

    def conv(x):
        x = np.asarray(x)
        if x.dtype.kind in "iub":  # basis-state bits stay NumPy integers
            return x
        return make(x.astype(COMPLEX[precision] if np.iscomplexobj(x) else precision))

    return conv


def dtype_of(x):
    return getattr(x.dtype, "name", None) or str(x.dtype).replace("torch.", "")


# ---------------------------------------------------------------------------- tests
#: eager JAX compiles every new primitive shape (~30 ms each), so it runs a few cases only
JAX_CASES = {"float64": (case_rotation, case_state_prep_on_some_wires, case_qubit_unitary),
             "float32": (case_qubit_unitary,)}


def _loop_cases():
    for fw in FRAMEWORKS:
        name, precision = fw.values
        for case in CASES:
            if name != "jax" or case in JAX_CASES[precision]:
                yield pytest.param(name, precision, case, marks=fw.marks,
                                   id=f"{fw.id}-{case.__name__[5:]}")


@pytest.mark.parametrize("fw, precision, case", list(_loop_cases()))
def test_broadcast_execution_equals_loop_over_batch(fw, precision, case):
    rng = np.random.default_rng(7)
    n, inputs, body = case(rng)
    batch = len(next(iter(inputs.values())))
    conv = converter(fw, precision)
    herm = conv(np.array([[0.3, 1 - 0.5j], [1 + 0.5j, -0.8]]))
    dev = kt.device("default.qubit", wires=n)

    @kt.qnode(dev)
    def circuit(x, h):
        body(x)
        return every_measurement(n, h)

    x = {k: conv(v) for k, v in inputs.items()}
    batched = circuit(x, herm)
    slices = [{k: v[i] for k, v in x.items()} for i in range(batch)]
    looped = [circuit(s, herm) for s in slices]

    _, types = framework(fw)
    assert isinstance(batched, tuple) and len(batched) == len(looped[0])
    for k, res in enumerate(batched):
        singles = [r[k] for r in looped]
        assert isinstance(res, types)
        assert dtype_of(res) == dtype_of(singles[0])
        expected = np.stack([np.asarray(s) for s in singles])
        got = np.asarray(res)
        assert got.shape == expected.shape, f"measurement {k}: {got.shape} != {expected.shape}"
        tol = TOL[precision]
        np.testing.assert_allclose(got, expected, atol=tol, rtol=tol, err_msg=f"measurement {k}")


@pytest.mark.parametrize("fw, precision", FRAMEWORKS)
def test_broadcast_rx_matches_closed_form(fw, precision):
    """RX(θ)|0⟩ = cos(θ/2)|0⟩ − i sin(θ/2)|1⟩ for each θ of the batch."""
    theta = np.array([0.0, 1.9, -2.5])
    conv = converter(fw, precision)
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(t):
        kt.RX(t, wires=0)
        kt.CNOT(wires=[0, 1])  # entangles: S(ρ₀) = binary entropy of sin²(θ/2)
        return (kt.expval(kt.PauliZ(1)), kt.var(kt.PauliZ(0)), kt.probs(wires=[1]), kt.state(),
                kt.density_matrix([0]), kt.purity([0]), kt.vn_entropy([1]),
                kt.mutual_info([0], [1]))

    ez, vz, p, psi, rho, pur, s, mi = circuit(conv(theta))
    assert isinstance(ez, framework(fw)[1])
    assert (dtype_of(ez), dtype_of(psi)) == (precision, COMPLEX[precision])
    c2, s2 = np.cos(theta / 2) ** 2, np.sin(theta / 2) ** 2
    ent = -sum(np.where(q > 0, q * np.log(np.where(q > 0, q, 1)), 0) for q in (c2, s2))
    state = np.zeros((3, 4), dtype=complex)
    state[:, 0], state[:, 3] = np.cos(theta / 2), -1j * np.sin(theta / 2)
    tol = TOL[precision]
    for got, want in [(ez, np.cos(theta)), (vz, np.sin(theta) ** 2), (p, np.stack([c2, s2], -1)),
                      (psi, state), (rho, np.stack([np.diag([a, b]) for a, b in zip(c2, s2)])),
                      (pur, c2 ** 2 + s2 ** 2), (s, ent), (mi, 2 * ent)]:
        np.testing.assert_allclose(np.asarray(got), want, atol=tol, rtol=tol)


class _CountingQubit(DefaultQubit):
    """default.qubit that counts how many circuits it simulates."""

    simulated = 0

    def simulate(self, tape):
        self.simulated += 1
        return super().simulate(tape)


def test_broadcast_runs_as_one_execution():
    dev = _CountingQubit(wires=2)

    @kt.qnode(dev)
    def circuit(t, u):
        kt.RX(t, wires=0)
        kt.QubitUnitary(u, wires=[0, 1])
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=[1])

    u = random_unitaries(np.random.default_rng(3), 5, 4)
    ez, p = circuit(np.linspace(0.1, 0.5, 5), u)
    assert dev.simulated == 1
    assert np.shape(ez) == (5,) and np.shape(p) == (5, 2)
    assert circuit.construct((np.linspace(0.1, 0.5, 5), u), {})[0].batch_size == 5
