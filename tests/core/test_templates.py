"""Templates: their gate lists and circuit matrices against references written with NumPy."""
from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

import kettle as kt
from kettle.errors import OperatorError, StatePrepError

I2 = np.eye(2, dtype=complex)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.array([[1, 0], [0, -1]], dtype=complex)
CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=complex)


def pauli_rot(pauli, t):
    return np.cos(t / 2) * I2 - 1j * np.sin(t / 2) * pauli


ROT_REF = {"X": lambda t: pauli_rot(X, t), "Y": lambda t: pauli_rot(Y, t), "Z": lambda t: pauli_rot(Z, t)}


def rot(phi, theta, omega):
    return ROT_REF["Z"](omega) @ ROT_REF["Y"](theta) @ ROT_REF["Z"](phi)


def embed(u, targets, n):
    """The n-qubit matrix of ``u`` acting on qubit positions ``targets`` (qubit 0 is the leftmost bit)."""
    k = len(targets)
    full = np.zeros((2 ** n, 2 ** n), dtype=complex)
    for col in range(2 ** n):
        bits = [(col >> (n - 1 - q)) & 1 for q in range(n)]
        sub_in = sum(bits[t] << (k - 1 - j) for j, t in enumerate(targets))
        for sub_out in range(2 ** k):
            out = list(bits)
            for j, t in enumerate(targets):
                out[t] = (sub_out >> (k - 1 - j)) & 1
            full[int("".join(map(str, out)), 2), col] += u[sub_out, sub_in]
    return full


def circuit(gates, n):
    """Product of (matrix, qubit positions) in circuit order: later gates multiply from the left."""
    return reduce(lambda acc, g: embed(g[0], g[1], n) @ acc, gates, np.eye(2 ** n, dtype=complex))


def template_matrix(template):
    ops = template.decomposition()
    return reduce(lambda acc, op: np.asarray(op.matrix(wire_order=template.wires)) @ acc, ops,
                  np.eye(2 ** len(template.wires), dtype=complex))


def summary(ops):
    """(name, wires, parameters) of each op, parameters as floats."""
    return [(op.name, list(op.wires), [float(p) for p in op.data]) for op in ops]


def test_embed_reference_places_cnot_correctly():
    # sanity check of the test's own helper: CNOT controlled by qubit 1, target qubit 0
    np.testing.assert_allclose(embed(CNOT, [1, 0], 2), np.eye(4)[[0, 3, 2, 1]])


# ---------------------------------------------------------------------------- AngleEmbedding
@pytest.mark.parametrize("rotation", ["X", "Y", "Z"])
def test_angle_embedding(rotation):
    features = [0.4, -1.3]
    op = kt.AngleEmbedding(features, wires=["a", "b", "c"], rotation=rotation)
    assert summary(op.decomposition()) == [(f"R{rotation}", ["a"], [0.4]), (f"R{rotation}", ["b"], [-1.3])]
    ref = circuit([(ROT_REF[rotation](0.4), [0]), (ROT_REF[rotation](-1.3), [1])], 3)
    np.testing.assert_allclose(template_matrix(op), ref, atol=1e-12)


def test_angle_embedding_batched():
    features = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    op = kt.AngleEmbedding(features, wires=[0, 1])
    assert op.batch_size == 3
    first, second = op.decomposition()
    assert first.batch_size == 3
    for i in range(3):
        np.testing.assert_allclose(first.matrix()[i], ROT_REF["X"](features[i, 0]), atol=1e-12)
        np.testing.assert_allclose(second.matrix()[i], ROT_REF["X"](features[i, 1]), atol=1e-12)


def test_angle_embedding_too_many_features():
    with pytest.raises(OperatorError, match=r"AngleEmbedding got 3 features but only 2 wires; use at "
                                            "most one feature per wire"):
        kt.AngleEmbedding([0.1, 0.2, 0.3], wires=[0, 1])


def test_angle_embedding_unknown_rotation():
    with pytest.raises(OperatorError, match="AngleEmbedding rotation must be 'X', 'Y' or 'Z', got 'W'"):
        kt.AngleEmbedding([0.1], wires=0, rotation="W")


# ---------------------------------------------------------------------------- AmplitudeEmbedding
def test_amplitude_embedding_of_normalized_vector():
    vec = np.array([0.5, 0.5j, -0.5, 0.5])
    (prep,) = kt.AmplitudeEmbedding(vec, wires=[0, 1]).decomposition()
    assert prep.name == "StatePrep" and list(prep.wires) == [0, 1]
    np.testing.assert_allclose(prep.data[0], vec)


@pytest.mark.parametrize("pad_with, expected", [
    (0.0, np.array([1, 2, 3, 0, 0, 0, 0, 0]) / np.sqrt(14)),
    (1.0, np.array([1, 2, 3, 1, 1, 1, 1, 1]) / np.sqrt(19)),
])
def test_amplitude_embedding_pads_then_normalizes(pad_with, expected):
    op = kt.AmplitudeEmbedding([1.0, 2.0, 3.0], wires=[0, 1, 2], pad_with=pad_with, normalize=True)
    (prep,) = op.decomposition()
    np.testing.assert_allclose(prep.data[0], expected, atol=1e-12)


def test_amplitude_embedding_pad_without_normalize_needs_unit_norm():
    (prep,) = kt.AmplitudeEmbedding([0.6, 0.8], wires=[0, 1], pad_with=0.0).decomposition()
    np.testing.assert_allclose(prep.data[0], [0.6, 0.8, 0.0, 0.0])
    with pytest.raises(StatePrepError, match=r"StatePrep needs a normalized vector \(norm 3\.74166\)"):
        kt.AmplitudeEmbedding([1.0, 2.0, 3.0], wires=[0, 1], pad_with=0.0).decomposition()


def test_amplitude_embedding_batched_padding():
    feats = np.array([[3.0, 4.0], [0.0, 2.0]])
    (prep,) = kt.AmplitudeEmbedding(feats, wires=[0, 1], pad_with=0.0, normalize=True).decomposition()
    np.testing.assert_allclose(prep.data[0], [[0.6, 0.8, 0, 0], [0, 1, 0, 0]], atol=1e-12)


@pytest.mark.parametrize("framework", [pytest.param("torch", marks=pytest.mark.torch),
                                       pytest.param("tf", marks=pytest.mark.tf),
                                       pytest.param("jax", marks=pytest.mark.jax)])
def test_amplitude_embedding_pads_framework_tensors(framework):
    module = {"torch": "torch", "tf": "tensorflow", "jax": "jax.numpy"}[framework]
    lib = pytest.importorskip(module)
    feats = {"torch": lambda x: lib.tensor(x), "tf": lambda x: lib.constant(x),
             "jax": lambda x: lib.asarray(x)}[framework]([3.0, 4.0, 0.0])
    (prep,) = kt.AmplitudeEmbedding(feats, wires=[0, 1], pad_with=0.0, normalize=True).decomposition()
    assert type(prep.data[0]).__module__.split(".")[0] == type(feats).__module__.split(".")[0]
    np.testing.assert_allclose(np.asarray(prep.data[0]), [0.6, 0.8, 0.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("n_features, match", [
    (3, r"AmplitudeEmbedding on 2 wire\(s\) needs 4 features, got 3; pass pad_with=0.0 to pad"),
    (5, r"AmplitudeEmbedding on 2 wire\(s\) needs 4 features, got 5$"),
])
def test_amplitude_embedding_wrong_number_of_features(n_features, match):
    with pytest.raises(StatePrepError, match=match):
        kt.AmplitudeEmbedding(np.ones(n_features) / np.sqrt(n_features), wires=[0, 1])


# ---------------------------------------------------------------------------- BasicEntanglerLayers
def test_basic_entangler_layers_ring_of_cnots():
    w = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    op = kt.BasicEntanglerLayers(w, wires=[0, 1, 2])
    ring = [("CNOT", [0, 1], []), ("CNOT", [1, 2], []), ("CNOT", [2, 0], [])]
    expected = []
    for layer in w:
        expected += [("RX", [i], [layer[i]]) for i in range(3)] + ring
    assert summary(op.decomposition()) == expected

    gates = []
    for layer in w:
        gates += [(ROT_REF["X"](layer[i]), [i]) for i in range(3)]
        gates += [(CNOT, [0, 1]), (CNOT, [1, 2]), (CNOT, [2, 0])]
    np.testing.assert_allclose(template_matrix(op), circuit(gates, 3), atol=1e-12)


@pytest.mark.parametrize("wires, cnots", [([0], []), ([0, 1], [("CNOT", [0, 1], [])])])
def test_basic_entangler_layers_small_registers(wires, cnots):
    w = np.full((1, len(wires)), 0.3)
    op = kt.BasicEntanglerLayers(w, wires=wires, rotation=kt.RY)
    assert summary(op.decomposition()) == [("RY", [i], [0.3]) for i in wires] + cnots


def test_basic_entangler_layers_shape():
    assert kt.BasicEntanglerLayers.shape(3, 5) == (3, 5)
    with pytest.raises(OperatorError, match=r"BasicEntanglerLayers weights need shape \(n_layers, 2\), "
                                            r"got \(2, 3\)"):
        kt.BasicEntanglerLayers(np.ones((2, 3)), wires=[0, 1])


# ---------------------------------------------------------------------------- StronglyEntanglingLayers
def test_strongly_entangling_layers_default_ranges():
    n_layers, n_wires = 4, 4
    w = np.arange(n_layers * n_wires * 3).reshape(n_layers, n_wires, 3) / 10
    op = kt.StronglyEntanglingLayers(w, wires=[0, 1, 2, 3])
    expected = []
    for layer, r in enumerate([1, 2, 3, 1]):  # layer l uses range (l % (n - 1)) + 1
        expected += [("Rot", [i], list(w[layer, i])) for i in range(n_wires)]
        expected += [("CNOT", [i, (i + r) % n_wires], []) for i in range(n_wires)]
    assert summary(op.decomposition()) == expected
    assert op.hyperparameters["ranges"] == (1, 2, 3, 1)


def test_strongly_entangling_layers_matrix():
    rng = np.random.default_rng(7)
    w = rng.uniform(-np.pi, np.pi, size=kt.StronglyEntanglingLayers.shape(2, 3))
    assert w.shape == (2, 3, 3)
    op = kt.StronglyEntanglingLayers(w, wires=["x", "y", "z"])
    gates = []
    for layer, r in enumerate([1, 2]):
        gates += [(rot(*w[layer, i]), [i]) for i in range(3)]
        gates += [(CNOT, [i, (i + r) % 3]) for i in range(3)]
    np.testing.assert_allclose(template_matrix(op), circuit(gates, 3), atol=1e-10)


def test_strongly_entangling_layers_custom_ranges_and_imprimitive():
    w = np.zeros((2, 3, 3))
    op = kt.StronglyEntanglingLayers(w, wires=[0, 1, 2], ranges=[2, 2], imprimitive=kt.CZ)
    entanglers = [(o.name, list(o.wires)) for o in op.decomposition() if o.name != "Rot"]
    assert entanglers == [("CZ", [0, 2]), ("CZ", [1, 0]), ("CZ", [2, 1])] * 2


def test_strongly_entangling_layers_single_wire_has_no_entanglers():
    op = kt.StronglyEntanglingLayers(np.zeros((2, 1, 3)), wires=[5])
    assert [o.name for o in op.decomposition()] == ["Rot", "Rot"]


@pytest.mark.parametrize("kwargs, match", [
    ({"weights": np.ones((2, 3, 3))}, r"StronglyEntanglingLayers weights need shape \(n_layers, 2, 3\), "
                                      r"got \(2, 3, 3\)"),
    ({"weights": np.ones((2, 2, 3)), "ranges": [1]}, r"StronglyEntanglingLayers needs one range per "
                                                     r"layer \(2\), got 1"),
])
def test_strongly_entangling_layers_bad_inputs(kwargs, match):
    with pytest.raises(OperatorError, match=match):
        kt.StronglyEntanglingLayers(wires=[0, 1], **kwargs)


def test_adjoint_of_template_reverses_its_gates():
    w = np.array([[0.3, -0.9, 1.4]])
    adj = kt.adjoint(kt.BasicEntanglerLayers(w, wires=[0, 1, 2], rotation=kt.RZ))
    ops = adj.decomposition()
    assert [(o.name, list(o.wires)) for o in ops] == [
        ("CNOT", [2, 0]), ("CNOT", [1, 2]), ("CNOT", [0, 1]), ("RZ", [2]), ("RZ", [1]), ("RZ", [0])]
    gates = [(ROT_REF["Z"](w[0, i]), [i]) for i in range(3)] + [(CNOT, [0, 1]), (CNOT, [1, 2]), (CNOT, [2, 0])]
    np.testing.assert_allclose(template_matrix(adj), circuit(gates, 3).conj().T, atol=1e-12)
