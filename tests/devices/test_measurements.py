"""Analytic measurements of default.qubit against a dense NumPy reference written in this file.

The reference builds every gate from its textbook matrix, embeds it into the full space with a
Kronecker product and an axis permutation, and measures with plain linear algebra (partial traces,
eigenvalues). Nothing in it calls kettle.
"""
from __future__ import annotations

import functools
import operator
from dataclasses import dataclass

import numpy as np
import pytest

import kettle as kt
from kettle.errors import MeasurementError

# ---------------------------------------------------------------------------- textbook matrices
I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.diag([1.0 + 0j, -1.0])
H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
SWAP = np.eye(4, dtype=complex)[[0, 2, 1, 3]]
PAULI = {"X": X, "Y": Y, "Z": Z, "H": H, "I": I2}
OBS_CLASS = {"X": kt.PauliX, "Y": kt.PauliY, "Z": kt.PauliZ, "H": kt.Hadamard, "I": kt.Identity}


def rx(t):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -1j * s], [-1j * s, c]])


def ry(t):
    c, s = np.cos(t / 2), np.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def rz(t):
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def phase(p):
    return np.diag([1, np.exp(1j * p)])


def rot(phi, theta, omega):
    return rz(omega) @ ry(theta) @ rz(phi)


def ctrl(u):
    d = len(u)
    out = np.eye(2 * d, dtype=complex)
    out[d:, d:] = u
    return out


def exp_pauli(t, pauli_string):
    """exp(-i t/2 P) = cos(t/2) I - i sin(t/2) P for a Pauli string P (P² = I)."""
    p = functools.reduce(np.kron, pauli_string)
    return np.cos(t / 2) * np.eye(len(p)) - 1j * np.sin(t / 2) * p


#: name -> (number of wires, number of parameters, reference matrix of the parameters)
GATES = {
    "Identity": (1, 0, lambda: I2),
    "PauliX": (1, 0, lambda: X),
    "PauliY": (1, 0, lambda: Y),
    "PauliZ": (1, 0, lambda: Z),
    "Hadamard": (1, 0, lambda: H),
    "S": (1, 0, lambda: np.diag([1, 1j])),
    "T": (1, 0, lambda: np.diag([1, np.exp(1j * np.pi / 4)])),
    "SX": (1, 0, lambda: 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])),
    "RX": (1, 1, rx),
    "RY": (1, 1, ry),
    "RZ": (1, 1, rz),
    "PhaseShift": (1, 1, phase),
    "Rot": (1, 3, rot),
    "CNOT": (2, 0, lambda: ctrl(X)),
    "CZ": (2, 0, lambda: ctrl(Z)),
    "CY": (2, 0, lambda: ctrl(Y)),
    "SWAP": (2, 0, lambda: SWAP),
    "ISWAP": (2, 0, lambda: np.array([[1, 0, 0, 0], [0, 0, 1j, 0], [0, 1j, 0, 0], [0, 0, 0, 1]])),
    "CRX": (2, 1, lambda t: ctrl(rx(t))),
    "CRY": (2, 1, lambda t: ctrl(ry(t))),
    "CRZ": (2, 1, lambda t: ctrl(rz(t))),
    "CRot": (2, 3, lambda a, b, c: ctrl(rot(a, b, c))),
    "ControlledPhaseShift": (2, 1, lambda p: ctrl(phase(p))),
    "IsingXX": (2, 1, lambda t: exp_pauli(t, [X, X])),
    "IsingYY": (2, 1, lambda t: exp_pauli(t, [Y, Y])),
    "IsingZZ": (2, 1, lambda t: exp_pauli(t, [Z, Z])),
    "Toffoli": (3, 0, lambda: ctrl(ctrl(X))),
    "CSWAP": (3, 0, lambda: ctrl(SWAP)),
    # any number of wires; the reference matrix is built from the wire count
    "MultiRZ": (None, 1, None),
    "QubitUnitary": (None, 0, None),
}


def embed(u, wires, n):
    """The n-qubit matrix of ``u`` acting on ``wires`` (wire 0 is the most significant bit)."""
    k = len(wires)
    rest = [w for w in range(n) if w not in wires]
    order = list(wires) + rest
    full = np.kron(u, np.eye(2 ** (n - k))).reshape((2,) * (2 * n))
    perm = [order.index(w) for w in range(n)]
    return full.transpose(perm + [n + p for p in perm]).reshape(2 ** n, 2 ** n)


def place(vec, wires, n):
    """The n-qubit state with ``vec`` on ``wires`` and |0⟩ on every other wire."""
    rest = [w for w in range(n) if w not in wires]
    order = list(wires) + rest
    full = np.kron(vec, np.eye(2 ** len(rest))[0]).reshape((2,) * n)
    return full.transpose([order.index(w) for w in range(n)]).reshape(-1)


def reduced_rho(psi, wires, n):
    """Partial trace of |ψ⟩⟨ψ| over every wire not in ``wires``, indices in ``wires`` order."""
    rho = np.outer(psi, psi.conj()).reshape((2,) * (2 * n))
    kept = list(range(n))
    for w in reversed(range(n)):
        if w not in wires:
            pos = kept.index(w)
            rho = np.trace(rho, axis1=pos, axis2=pos + len(kept))
            kept.remove(w)
    perm = [kept.index(w) for w in wires]
    k = len(wires)
    return rho.transpose(perm + [k + p for p in perm]).reshape(2 ** k, 2 ** k)


def entropy(rho, base):
    lam = np.linalg.eigvalsh(rho)
    lam = lam[lam > 1e-14]
    s = -np.sum(lam * np.log(lam))
    return s / np.log(base) if base else s


# ---------------------------------------------------------------------------- random circuits
@dataclass
class Gate:
    name: str
    wires: tuple
    pidx: tuple = ()      # indices into the flat parameter vector
    cidx: int | None = None  # index into the constant arrays (matrices, vectors, bits)
    adjoint: str | None = None  # None, "op" (kt.adjoint(op)) or "fn" (kt.adjoint(cls)(...))


def random_unitary(rng, d):
    q, r = np.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def random_hermitian(rng, d):
    a = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    return (a + a.conj().T) / 2


def random_vector(rng, d):
    v = rng.normal(size=d) + 1j * rng.normal(size=d)
    return v / np.linalg.norm(v)


def random_circuit(rng, n):
    """Maybe a state prep, then every gate that fits on n wires (shuffled), then a few more."""
    params, consts, gates = [], [], []

    def const(x):
        consts.append(x)
        return len(consts) - 1

    prep = rng.integers(3)
    if prep:
        k = int(rng.integers(1, n + 1))
        w = tuple(int(i) for i in rng.permutation(n)[:k])
        if prep == 1:
            gates.append(Gate("StatePrep", w, cidx=const(random_vector(rng, 2 ** k))))
        else:
            gates.append(Gate("BasisState", w, cidx=const(rng.integers(0, 2, size=k))))
    fits = [g for g, (nw, _, _) in GATES.items() if nw is None or nw <= n]
    names = list(rng.permutation(fits)) + list(rng.choice(fits, size=2 * n))
    for name in names:
        nw, npar, _ = GATES[name]
        if nw is None:
            nw = int(rng.integers(1, n + 1))
        w = tuple(int(i) for i in rng.permutation(n)[:nw])
        pidx = tuple(range(len(params), len(params) + npar))
        params.extend(rng.uniform(-np.pi, np.pi, size=npar))
        cidx = const(random_unitary(rng, 2 ** nw)) if name == "QubitUnitary" else None
        adj = [None, None, "op", "fn"][rng.integers(4)]
        gates.append(Gate(str(name), w, pidx, cidx, adj))
    return gates, np.array(params), consts


def apply_kettle(gates, params, consts, labels):
    for g in gates:
        args = [params[i] for i in g.pidx] + ([consts[g.cidx]] if g.cidx is not None else [])
        wires = [labels[w] for w in g.wires]
        cls = getattr(kt, g.name)
        if g.adjoint == "fn":
            kt.adjoint(cls)(*args, wires=wires)
        elif g.adjoint == "op":
            kt.adjoint(cls(*args, wires=wires))
        else:
            cls(*args, wires=wires)


def reference_state(gates, params, consts, n):
    psi = np.zeros(2 ** n, dtype=complex)
    psi[0] = 1
    for g in gates:
        k = len(g.wires)
        if g.name in ("StatePrep", "BasisState"):
            vec = consts[g.cidx]
            if g.name == "BasisState":
                vec = np.eye(2 ** k)[int("".join(str(b) for b in vec), 2)]
            psi = place(vec, g.wires, n)  # only ever the first operation
            continue
        if g.name == "QubitUnitary":
            u = consts[g.cidx]
        elif g.name == "MultiRZ":
            u = exp_pauli(params[g.pidx[0]], [Z] * k)
        else:
            u = GATES[g.name][2](*[params[i] for i in g.pidx])
        if g.adjoint:
            u = u.conj().T
        psi = embed(u, g.wires, n) @ psi
    return psi


# ---------------------------------------------------------------------------- observables
#: columns: the +1 eigenvector, then the -1 eigenvector (the order of probs(op=...))
EIGVECS = {
    "X": np.array([[1, 1], [1, -1]]) / np.sqrt(2),
    "Y": np.array([[1, 1], [1j, -1j]]) / np.sqrt(2),
    "Z": np.eye(2),
    "H": np.array([[np.cos(np.pi / 8), -np.sin(np.pi / 8)],
                   [np.sin(np.pi / 8), np.cos(np.pi / 8)]]),
}


def random_measurements(rng, n, consts):
    """One or more measurements of every type, on random (and randomly ordered) wires."""

    def const(x):
        consts.append(x)
        return len(consts) - 1

    def wires(at_most=None):
        k = int(rng.integers(1, (at_most or n) + 1))
        return tuple(int(w) for w in rng.permutation(n)[:k])

    def word(letters="XYZHI"):
        return ("word", tuple((str(rng.choice(list(letters))), w) for w in wires()))

    def herm():
        w = wires(at_most=min(n, 2))
        return ("herm", const(random_hermitian(rng, 2 ** len(w))), w)

    def proj_bits():
        w = wires()
        return ("proj", const(rng.integers(0, 2, size=len(w))), w)

    def proj_vec():
        w = wires(at_most=min(n, 2))
        return ("proj", const(random_vector(rng, 2 ** len(w))), w)

    def ham():
        terms = (word(), herm(), word())
        style = str(rng.choice(["arith", "class"]))
        return ("ham", tuple(rng.uniform(-1, 1, size=3)), terms, style)

    base = [None, 2, np.e, 10][rng.integers(4)]
    ms = [("expval", word()), ("expval", herm()), ("expval", proj_bits()), ("expval", proj_vec()),
          ("expval", ham()), ("var", word()), ("var", herm()), ("var", proj_vec()), ("var", ham()),
          ("probs", wires()), ("probs", None), ("probs_op", word("XYZH")), ("probs_op", herm()),
          ("state",), ("dm", wires()), ("vn", wires(), base), ("purity", wires())]
    if n >= 2:
        a = wires(at_most=n - 1)
        rest = [w for w in rng.permutation(n) if w not in a]
        b = tuple(int(w) for w in rest[:rng.integers(1, len(rest) + 1)])
        h = ("herm", const(random_hermitian(rng, 2)), b[:1])
        ms += [("expval", ("tensor", ("word", tuple(("XYZ"[w % 3], w) for w in a)), h)),
               ("mi", a, b, base)]
    return ms


def kettle_obs(d, consts, labels):
    kind = d[0]
    if kind == "word":
        return functools.reduce(operator.matmul, [OBS_CLASS[p](wires=labels[w]) for p, w in d[1]])
    if kind == "herm":
        return kt.Hermitian(consts[d[1]], wires=[labels[w] for w in d[2]])
    if kind == "proj":
        return kt.Projector(consts[d[1]], wires=[labels[w] for w in d[2]])
    if kind == "tensor":
        return kettle_obs(d[1], consts, labels) @ kettle_obs(d[2], consts, labels)
    coeffs, terms = list(d[1]), [kettle_obs(t, consts, labels) for t in d[2]]
    if d[3] == "class":
        return kt.Hamiltonian(coeffs, terms)
    return functools.reduce(operator.add, [c * t for c, t in zip(coeffs, terms)])


def reference_obs(d, consts, n):
    kind = d[0]
    if kind == "word":
        return functools.reduce(operator.matmul, [embed(PAULI[p], (w,), n) for p, w in d[1]])
    if kind == "herm":
        return embed(consts[d[1]], d[2], n)
    if kind == "proj":
        v = consts[d[1]]
        if v.dtype.kind == "i":
            v = np.eye(2 ** len(v))[int("".join(str(b) for b in v), 2)]
        return embed(np.outer(v, v.conj()), d[2], n)
    if kind == "tensor":
        return reference_obs(d[1], consts, n) @ reference_obs(d[2], consts, n)
    return sum(c * reference_obs(t, consts, n) for c, t in zip(d[1], d[2]))


def kettle_measure(m, consts, labels):
    kind, args = m[0], m[1:]

    def lab(ws):
        return [labels[w] for w in ws]

    if kind in ("expval", "var"):
        return getattr(kt, kind)(kettle_obs(args[0], consts, labels))
    if kind == "probs":
        return kt.probs() if args[0] is None else kt.probs(wires=lab(args[0]))
    if kind == "probs_op":
        return kt.probs(op=kettle_obs(args[0], consts, labels))
    if kind == "state":
        return kt.state()
    if kind == "dm":
        return kt.density_matrix(lab(args[0]))
    if kind == "vn":
        return kt.vn_entropy(lab(args[0]), log_base=args[1])
    if kind == "mi":
        return kt.mutual_info(lab(args[0]), lab(args[1]), log_base=args[2])
    return kt.purity(lab(args[0]))


def reference_measure(m, psi, consts, n):
    kind, args = m[0], m[1:]
    if kind in ("expval", "var"):
        o = reference_obs(args[0], consts, n)
        mean = np.vdot(psi, o @ psi).real
        return mean if kind == "expval" else np.vdot(psi, o @ o @ psi).real - mean ** 2
    if kind == "probs":
        return np.diag(reduced_rho(psi, args[0] or range(n), n)).real
    if kind == "probs_op":
        d = args[0]
        if d[0] == "word":
            wires = [w for _, w in d[1]]
            vecs = functools.reduce(np.kron, [EIGVECS[p] for p, _ in d[1]])
        else:  # Hermitian: eigenvectors by ascending eigenvalue
            wires, vecs = d[2], np.linalg.eigh(consts[d[1]])[1]
        return np.diag(vecs.conj().T @ reduced_rho(psi, wires, n) @ vecs).real
    if kind == "state":
        return psi
    if kind == "dm":
        return reduced_rho(psi, args[0], n)
    if kind == "vn":
        return entropy(reduced_rho(psi, args[0], n), args[1])
    if kind == "mi":
        a, b, base = args
        s = [entropy(reduced_rho(psi, w, n), base) for w in (a, b, a + b)]
        return s[0] + s[1] - s[2]
    rho = reduced_rho(psi, args[0], n)
    return np.trace(rho @ rho).real


# ---------------------------------------------------------------------------- frameworks
FRAMEWORKS = [
    pytest.param("numpy"),
    pytest.param("torch", marks=pytest.mark.torch),
    pytest.param("tf", marks=pytest.mark.tf),
    pytest.param("jax", marks=pytest.mark.jax),
]
COMPLEX = {"float32": "complex64", "float64": "complex128"}
TOL = {"float32": 1e-5, "float64": 1e-10}


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


def rounded(x, precision):
    """What the reference sees: the input rounded to the precision kettle was given."""
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        return x
    return x.astype(COMPLEX[precision] if np.iscomplexobj(x) else precision).astype(x.dtype)


def dtype_of(x):
    return getattr(x.dtype, "name", None) or str(x.dtype).replace("torch.", "")


def assert_result(result, expected, fw, precision, what):
    assert isinstance(result, framework(fw)[1]), f"{what}: got {type(result).__name__}"
    want = COMPLEX[precision] if np.iscomplexobj(expected) else precision
    assert dtype_of(result) == want, f"{what}: dtype {dtype_of(result)}, expected {want}"
    got = np.asarray(result)
    assert got.shape == np.shape(expected), what
    tol = TOL[precision]
    np.testing.assert_allclose(got, expected, atol=tol, rtol=tol, err_msg=what)


def run_random(seed, fw, precision, labels):
    rng = np.random.default_rng(seed)
    n = len(labels)
    gates, params, consts = random_circuit(rng, n)
    ms = random_measurements(rng, n, consts)
    conv = converter(fw, precision)
    dev = kt.device("default.qubit", wires=labels)

    @kt.qnode(dev)
    def circuit(p, c):
        apply_kettle(gates, p, c, labels)
        return tuple(kettle_measure(m, c, labels) for m in ms)

    results = circuit(conv(params), [conv(c) for c in consts])
    ref_consts = [rounded(c, precision) for c in consts]
    psi = reference_state(gates, rounded(params, precision), ref_consts, n)
    assert isinstance(results, tuple) and len(results) == len(ms)
    for m, res in zip(ms, results):
        expected = reference_measure(m, psi, ref_consts, n)
        assert_result(res, expected, fw, precision, f"{m[0]} {m[1:]}")


# ---------------------------------------------------------------------------- tests
def _random_cases():
    # eager JAX compiles every new primitive shape (~30 ms each), so it gets fewer circuits
    seeds = {"numpy": range(16), "torch": range(8), "tf": range(8), "jax": (1, 3)}
    for fw in FRAMEWORKS:
        name = fw.values[0]
        for precision in ("float64", "float32"):
            chosen = seeds[name][:1] if (name, precision) == ("jax", "float32") else seeds[name]
            for seed in chosen:
                yield pytest.param(name, precision, seed, marks=fw.marks,
                                   id=f"{name}-{precision}-{seed}")


@pytest.mark.parametrize("fw, precision, seed", list(_random_cases()))
def test_random_circuit_matches_dense_reference(fw, precision, seed):
    """1–4 qubits, every gate that fits (some as adjoints), every measurement type."""
    run_random(seed, fw, precision, labels=list(range(seed % 4 + 1)))


@pytest.mark.parametrize("labels", [["a", "b", 3], [2, 0, 1], ["q", "r"], [10, "x", 0.5, -1]])
@pytest.mark.parametrize("seed", [100, 101])
def test_random_circuit_on_labelled_wires_follows_device_order(labels, seed):
    run_random(seed, "numpy", "float64", labels)


def test_state_and_probs_are_in_device_wire_order():
    dev = kt.device("default.qubit", wires=["a", "b", 3])

    @kt.qnode(dev)
    def circuit():
        kt.PauliX(wires=3)
        kt.Hadamard(wires="a")
        return kt.state(), kt.probs(wires=[3, "a"]), kt.probs(), kt.expval(kt.PauliZ(3))

    state, p_3a, p_all, z3 = circuit()
    expected = np.zeros(8)
    expected[[0b001, 0b101]] = 1 / np.sqrt(2)  # |a b 3⟩ = (|001⟩ + |101⟩)/√2
    np.testing.assert_allclose(state, expected, atol=1e-12)
    np.testing.assert_allclose(p_3a, [0, 0, 0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(p_all, expected ** 2, atol=1e-12)
    assert z3 == pytest.approx(-1.0, abs=1e-12)


def _bell_circuit(theta, container):
    """cos(θ/2)|00⟩ + sin(θ/2)|11⟩, measured as probs(1), ⟨Z0⟩, Var[X1], ⟨Z0 Z1⟩."""
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(t):
        kt.RY(t, wires=0)
        kt.CNOT(wires=[0, 1])
        return container([kt.probs(wires=[1]), kt.expval(kt.PauliZ(0)), kt.var(kt.PauliX(1)),
                          kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))])

    return circuit(theta)


@pytest.mark.parametrize("container", [tuple, list])
def test_several_measurements_come_back_in_written_order(container):
    theta = 0.83
    res = _bell_circuit(theta, container)
    assert type(res) is container and len(res) == 4
    np.testing.assert_allclose(res[0], [np.cos(theta / 2) ** 2, np.sin(theta / 2) ** 2], atol=1e-12)
    assert res[1] == pytest.approx(np.cos(theta), abs=1e-12)
    assert res[2] == pytest.approx(1.0, abs=1e-12)  # ⟨X1⟩ = 0 on this state
    assert res[3] == pytest.approx(1.0, abs=1e-12)


def test_single_measurement_is_returned_bare():
    dev = kt.device("default.qubit", wires=1)

    @kt.qnode(dev)
    def circuit(t):
        kt.RX(t, wires=0)
        return kt.expval(kt.PauliZ(0))

    res = circuit(0.4)
    assert np.ndim(res) == 0 and res == pytest.approx(np.cos(0.4), abs=1e-12)


@pytest.mark.parametrize("theta", [0.0, 0.7, 2.1, -1.3])
def test_probs_of_an_observable_are_in_its_eigenbasis(theta):
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(t):
        kt.RY(t, wires=0)  # (cos t/2, sin t/2): P(X=+1) = (1 + sin t)/2
        kt.RX(t, wires=1)  # (cos t/2, -i sin t/2): P(Y=+1) = (1 - sin t)/2
        return kt.probs(op=kt.PauliX(0)), kt.probs(op=kt.PauliY(1)), kt.probs(op=kt.PauliZ(0))

    px, py, pz = circuit(theta)
    s = np.sin(theta)
    np.testing.assert_allclose(px, [(1 + s) / 2, (1 - s) / 2], atol=1e-12)
    np.testing.assert_allclose(py, [(1 - s) / 2, (1 + s) / 2], atol=1e-12)
    np.testing.assert_allclose(pz, [np.cos(theta / 2) ** 2, np.sin(theta / 2) ** 2], atol=1e-12)


@pytest.mark.parametrize("fw", FRAMEWORKS)
def test_float32_stays_float32_with_numpy_float64_constants(fw):
    """Regression: NumPy float64 Hamiltonian coefficients and np.log(log_base) promoted float32
    results of NumPy and JAX to float64."""
    conv = converter(fw, "float32")
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit(t):
        kt.RY(t, wires=0)
        kt.CNOT(wires=[0, 1])
        ham = kt.Hamiltonian(np.array([0.5, -0.25]), [kt.PauliZ(0), kt.PauliX(1)])
        return (kt.expval(ham), kt.var(ham), kt.vn_entropy([0], log_base=2),
                kt.mutual_info([0], [1], log_base=2))

    theta = 1.1
    c2, s2 = np.cos(theta / 2) ** 2, np.sin(theta / 2) ** 2
    bits = -(c2 * np.log2(c2) + s2 * np.log2(s2))
    # ⟨X1⟩ = 0 and ⟨Z0 X1⟩ = 0 on cos|00⟩ + sin|11⟩, so Var = 0.25 ⟨Z0²⟩ + 0.0625 ⟨X1²⟩ − mean²
    expected = [0.5 * np.cos(theta), 0.25 + 0.0625 - (0.5 * np.cos(theta)) ** 2, bits, 2 * bits]
    for res, want in zip(circuit(conv(np.array(theta))), expected):
        assert_result(res, np.float64(want), fw, "float32", "float32 circuit")


@pytest.mark.parametrize("make, match", [
    (lambda: kt.vn_entropy(wires=[0], log_base=1), r"^vn_entropy got log_base=1; use None"),
    (lambda: kt.vn_entropy(wires=[0], log_base=-2), r"^vn_entropy got log_base=-2"),
    (lambda: kt.vn_entropy(wires=[0], log_base=0), r"^vn_entropy got log_base=0"),
    (lambda: kt.mutual_info([0], [1], log_base=1), r"^mutual_info got log_base=1"),
    (lambda: kt.mutual_info([0], [], log_base=2), r"^mutual_info needs two non-empty subsystems"),
    (lambda: kt.density_matrix(wires=[]), r"^density_matrix\(\) needs the wires of the subsystem"),
    (lambda: kt.purity(wires=[]), r"^purity\(\) needs the wires of the subsystem"),
])
def test_reduced_state_measurements_check_their_arguments(make, match):
    """log base 1 gave inf, −2 NaN and 0 silently the natural log; no wires gave [[1]] and 1.0."""
    with pytest.raises(MeasurementError, match=match):
        make()


def test_projector_onto_a_vector_has_exact_eigenvalues():
    """H|0⟩ = |+⟩: the projector onto |+⟩ gives outcome 1 every time, keyed 1.0 (eigh gave keys like
    5.55e-17 for the 0 eigenvalue)."""
    dev = kt.device("default.qubit", wires=1, shots=50, seed=2)
    plus = np.array([1.0, 1.0]) / np.sqrt(2)

    @kt.qnode(dev)
    def circuit():
        kt.Hadamard(wires=0)
        return kt.counts(kt.Projector(plus, wires=0)), kt.counts(kt.Projector(np.array([0.0, 1.0]),
                                                                            wires=0))

    on_plus, on_one = circuit()
    assert on_plus == {1.0: 50}
    assert set(on_one) <= {0.0, 1.0} and sum(on_one.values()) == 50
    np.testing.assert_array_equal(kt.Projector(plus, wires=0).eigvals(), [0.0, 1.0])
