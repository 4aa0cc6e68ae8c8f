"""QNodes: return structures, classical processing, per-call shots, wire labels, the tape API,
drawings, the device registry, and the errors raised for bad input."""
from __future__ import annotations

import re

import numpy as np
import pytest

import kettle as kt
from kettle.errors import (
    DeviceError,
    DiffMethodError,
    InterfaceError,
    OperatorError,
    QuantumFunctionError,
    StatePrepError,
    WireError,
)


@pytest.fixture
def dev():
    return kt.device("default.qubit", wires=2)


# ---------------------------------------------------------------- return structures


def test_single_measurement_returns_an_array(dev):
    """Regression: analytic results were np.float64 scalars, finite-shot ones 0-d arrays."""
    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.var(kt.PauliZ(0)), kt.purity(wires=[0])

    for res in f(0.3):
        assert isinstance(res, np.ndarray) and res.shape == ()
    np.testing.assert_allclose(f(0.3), [np.cos(0.3), np.sin(0.3) ** 2, 1.0])

    @kt.qnode(dev)
    def g(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    assert isinstance(g(0.3), np.ndarray) and isinstance(g(0.3, shots=5), np.ndarray)


def test_tuple_return_gives_a_tuple(dev):
    @kt.qnode(dev)
    def f(x):
        kt.RY(x, wires=1)
        return kt.expval(kt.PauliZ(1)), kt.probs(wires=[1])

    res = f(0.8)
    assert isinstance(res, tuple) and len(res) == 2
    assert np.isclose(res[0], np.cos(0.8))
    np.testing.assert_allclose(res[1], [np.cos(0.4) ** 2, np.sin(0.4) ** 2])


def test_list_return_gives_a_list(dev):
    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires=0)
        return [kt.expval(kt.PauliZ(0)), kt.var(kt.PauliZ(0))]

    res = f(0.7)
    assert isinstance(res, list) and len(res) == 2
    np.testing.assert_allclose(res, [np.cos(0.7), np.sin(0.7) ** 2])


def test_one_element_tuple_stays_a_tuple(dev):
    @kt.qnode(dev)
    def f():
        kt.PauliX(0)
        return (kt.expval(kt.PauliZ(0)),)

    res = f()
    assert isinstance(res, tuple) and len(res) == 1 and np.isclose(res[0], -1.0)


def test_shot_vector_keeps_the_structure_of_each_entry(dev):
    @kt.qnode(dev)
    def f():
        kt.PauliX(1)
        return [kt.expval(kt.PauliZ(1)), kt.sample(wires=0)]

    res = f(shots=[10, 20])
    assert isinstance(res, tuple) and len(res) == 2
    for entry, shots in zip(res, (10, 20)):
        assert isinstance(entry, list)
        assert entry[0] == -1.0
        np.testing.assert_array_equal(entry[1], np.zeros(shots))


# ---------------------------------------------------------------- classical processing


def test_classical_processing_inside_the_function(dev):
    @kt.qnode(dev)
    def f(x, scale=1.0):
        kt.RX(2 * x[0] ** 2, wires=0)
        kt.RY(scale * np.sin(x[1]) * x[2], wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(0)), kt.expval(kt.PauliZ(1)), \
            kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    x = np.array([0.6, 0.8, -1.3])
    for scale in (1.0, 0.5):
        a, b = 2 * x[0] ** 2, scale * np.sin(x[1]) * x[2]
        # CNOT maps Z(1) to Z(0)Z(1) and Z(0)Z(1) to Z(1)
        np.testing.assert_allclose(f(x, scale=scale), [np.cos(a), np.cos(a) * np.cos(b), np.cos(b)])
    tape, _ = f.construct((x,), {"scale": 0.5})  # the QNode keeps no tape of its own
    assert np.isclose(tape.get_parameters()[0], 2 * 0.36)


# ---------------------------------------------------------------- per-call shots


def test_per_call_shots_override_an_analytic_device(dev):
    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0)), kt.sample(wires=0)

    with pytest.raises(kt.errors.MeasurementError):
        f(0.9)  # sample() needs shots, and the device has none
    n = 20000
    ev, bits = f(0.9, shots=n)
    assert bits.shape == (n,)
    assert abs(ev - np.cos(0.9)) < 5 * np.sqrt(np.sin(0.9) ** 2 / n)
    assert np.isclose(ev, 1 - 2 * bits.mean())  # both come from the same samples
    assert dev.shots == kt.Shots(None)  # the override does not stick to the device


def test_per_call_shots_none_gives_exact_results():
    dev = kt.device("default.qubit", wires=1, shots=10, seed=1)

    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    assert f(1.1, shots=None) == pytest.approx(np.cos(1.1), abs=1e-12)
    assert dev.shots == kt.Shots(10)
    # back to 10 shots: an estimate (1 - 2k/10) from k ones out of 10
    estimate = float(f(1.1))
    assert np.isclose(estimate * 5, round(estimate * 5)) and -1 <= estimate <= 1


def test_function_with_its_own_shots_argument_receives_it(dev):
    @kt.qnode(dev)
    def f(x, shots=1):
        kt.RX(x * shots, wires=0)
        return kt.expval(kt.PauliZ(0))

    assert f(0.1, shots=3) == pytest.approx(np.cos(0.3), abs=1e-12)  # analytic: not 3 shots
    assert f.construct((0.1,), {"shots": 3})[0].shots == kt.Shots(None)
    assert f(0.1) == pytest.approx(np.cos(0.1), abs=1e-12)


# ---------------------------------------------------------------- wire labels


def test_string_wire_labels():
    dev = kt.device("default.qubit", wires=["a", "b"])

    @kt.qnode(dev)
    def f(x):
        kt.RY(x, wires="a")
        kt.CNOT(wires=["a", "b"])
        return kt.probs(wires=["b"]), kt.expval(kt.PauliZ("b")), kt.state()

    probs, ev, state = f(0.5)
    np.testing.assert_allclose(probs, [np.cos(0.25) ** 2, np.sin(0.25) ** 2])
    assert np.isclose(ev, np.cos(0.5))
    # device order ["a", "b"]: amplitudes of |00⟩ and |11⟩
    np.testing.assert_allclose(state, [np.cos(0.25), 0, 0, np.sin(0.25)], atol=1e-12)


def test_wire_order_of_the_device_sets_the_state_order():
    dev = kt.device("default.qubit", wires=["b", "a"])

    @kt.qnode(dev)
    def f():
        kt.PauliX("a")
        return kt.state()

    np.testing.assert_allclose(f(), [0, 1, 0, 0])  # |b=0, a=1⟩


# ---------------------------------------------------------------- tape API


def _recorded_tape():
    with kt.QuantumTape() as tape:
        kt.RX(0.1, wires=0)
        kt.Rot(0.2, 0.3, 0.4, wires=1)
        kt.CNOT(wires=[0, 1])
        kt.expval(kt.Hamiltonian([0.5, -1.5], [kt.PauliZ(0), kt.PauliX(1)]))
    return tape


def test_tape_records_operations_measurements_and_parameters():
    tape = _recorded_tape()
    assert [op.name for op in tape.operations] == ["RX", "Rot", "CNOT"]
    assert [m.return_type for m in tape.measurements] == ["expval"]
    assert list(tape.wires) == [0, 1]
    # gate parameters in order, then the measured observable's
    assert tape.get_parameters() == [0.1, 0.2, 0.3, 0.4, 0.5, -1.5]
    assert tape.trainable_params == [0, 1, 2, 3, 4, 5]
    assert tape.batch_size is None
    assert tape.shots == kt.Shots(None)


def test_trainable_params_select_parameters():
    tape = _recorded_tape()
    tape.trainable_params = [4, 0, 2]
    assert tape.trainable_params == [0, 2, 4]
    assert tape.get_parameters() == [0.1, 0.3, 0.5]
    assert tape.get_parameters(trainable_only=False) == [0.1, 0.2, 0.3, 0.4, 0.5, -1.5]
    assert tape.num_params == 3
    with pytest.raises(OperatorError, match=r"indices \[6\] are out of range; the tape has 6"):
        tape.trainable_params = [6]


def test_bind_new_parameters_copies_and_leaves_the_original_unchanged():
    tape = _recorded_tape()
    tape.trainable_params = [0, 2, 4]
    new = tape.bind_new_parameters([1.0, 2.0, 3.0])
    assert new.get_parameters(trainable_only=False) == [1.0, 0.2, 2.0, 0.4, 3.0, -1.5]
    assert new.trainable_params == [0, 2, 4]
    assert tape.get_parameters(trainable_only=False) == [0.1, 0.2, 0.3, 0.4, 0.5, -1.5]
    assert tape.operations[0].data == (0.1,)
    assert new.operations[2] is tape.operations[2]  # unchanged operators are shared
    assert new.operations[0] is not tape.operations[0]

    only_coeff = tape.bind_new_parameters([-2.5], indices=[5])
    assert only_coeff.get_parameters(trainable_only=False)[5] == -2.5
    assert only_coeff.measurements[0].obs.coeffs == [0.5, -2.5]

    # the copy runs with its new values: <Z0> = cos(RX angle), <X1> = sin θ cos ω after Rot
    dev = kt.device("default.qubit", wires=2)
    (value,) = dev.execute([dev.preprocess(new)])[0]
    assert np.isclose(value, 3.0 * np.cos(1.0) - 1.5 * np.sin(2.0) * np.cos(0.4))


def test_bind_new_parameters_checks_the_count():
    tape = _recorded_tape()
    with pytest.raises(OperatorError, match="expected 6 parameters, got 2"):
        tape.bind_new_parameters([1.0, 2.0])


def test_tape_batch_size():
    with kt.QuantumTape() as tape:
        kt.RX(np.array([0.1, 0.2, 0.3]), wires=0)
        kt.RY(0.5, wires=1)
        kt.expval(kt.PauliZ(0))
    assert tape.batch_size == 3
    wider = tape.bind_new_parameters([np.linspace(0, 1, 4)], indices=[0])
    assert wider.batch_size == 4 and tape.batch_size == 3

    with pytest.raises(OperatorError, match=r"different batch sizes \[2, 3\]"):
        with kt.QuantumTape():
            kt.RX(np.array([0.1, 0.2, 0.3]), wires=0)
            kt.RY(np.array([0.1, 0.2]), wires=1)


def test_tape_shots_and_copy():
    tape = kt.QuantumTape([kt.RX.unqueued(0.1, wires=0)], [], shots=[(10, 2), 5])
    assert tape.shots.vector == (10, 10, 5) and tape.shots.total == 25
    short = tape.copy(shots=7)
    assert short.shots == kt.Shots(7) and tape.shots.vector == (10, 10, 5)
    assert short.operations == tape.operations


def test_a_tape_cannot_go_stale():
    """Operations and measurements are read-only: what is derived from them (parameters, wires,
    batch size) always describes them. A changed circuit is a new tape (copy)."""
    tape = kt.QuantumTape([kt.RX.unqueued(0.1, wires=0)], [kt.expval(kt.PauliZ.unqueued(0))])
    with pytest.raises(AttributeError):
        tape.operations = [kt.RY.unqueued(0.2, wires=3)]
    with pytest.raises(AttributeError):
        tape.operations.append(kt.RY.unqueued(0.2, wires=3))
    longer = tape.copy(operations=[*tape.operations, kt.RY.unqueued(0.2, wires=3)])
    assert list(longer.wires) == [0, 3] and longer.get_parameters() == [0.1, 0.2]
    assert list(tape.wires) == [0] and tape.get_parameters() == [0.1]


# ---------------------------------------------------------------- drawing


def test_draw_small_circuit():
    dev = kt.device("default.qubit", wires=3)

    @kt.qnode(dev)
    def f(x):
        kt.Hadamard(0)
        kt.RX(x, wires=1)
        kt.CNOT(wires=[0, 2])
        kt.CRZ(0.25, wires=[1, 0])
        return kt.expval(kt.PauliZ(0)), kt.probs(wires=[1, 2])

    expected = (
        "0: ──H────────╭●─╭RZ(0.25)─┤  ⟨Z⟩\n"
        "1: ──RX(0.50)─│──╰●────────┤  probs\n"
        "2: ───────────╰X───────────┤  probs"
    )
    assert kt.draw(f)(0.5) == expected


def test_draw_with_wire_labels_matches_the_documented_layout():
    """Regression: columns were separated by two dashes instead of the documented one."""
    dev = kt.device("default.qubit", wires=["a", "b"])

    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires="a")
        kt.CNOT(wires=["a", "b"])
        return kt.expval(kt.PauliZ("b"))

    assert kt.draw(f)(0.1) == "a: ──RX(0.10)─╭●─┤\nb: ───────────╰X─┤  ⟨Z⟩"
    assert kt.draw(f, decimals=None)(0.1) == "a: ──RX─╭●─┤\nb: ─────╰X─┤  ⟨Z⟩"


# ---------------------------------------------------------------- device registry


def test_default_qubit_is_registered():
    entry = kt.available_devices()["default.qubit"]
    assert entry.distribution == "kettle"
    assert isinstance(kt.device("default.qubit", wires=1), entry.cls)


def test_unknown_device_suggests_close_matches():
    with pytest.raises(DeviceError, match=r"no device named 'default\.qbit'\. Installed devices: "
                                          r".*default\.qubit.*did you mean 'default\.qubit'") as info:
        kt.device("default.qbit", wires=1)
    assert info.value.device == "default.qbit"


def test_unknown_device_without_close_match_lists_installed_devices():
    with pytest.raises(DeviceError, match=r"no device named 'lightning'.*default\.qubit") as info:
        kt.device("lightning", wires=1)
    assert "did you mean" not in str(info.value)


# ---------------------------------------------------------------- errors


def test_gate_on_a_missing_wire(dev):
    @kt.qnode(dev)
    def f(x):
        kt.RX(x, wires=5)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(WireError, match=re.escape(
            "RX acts on wire 5, but device 'default.qubit' has wires [0, 1]")) as info:
        f(0.1)
    assert info.value.wires == 5


def test_measurement_on_a_missing_string_wire():
    dev = kt.device("default.qubit", wires=["a", "b"])

    @kt.qnode(dev)
    def f():
        kt.Hadamard("a")
        return kt.expval(kt.PauliZ("c"))

    with pytest.raises(WireError, match=re.escape("acts on wire 'c', but device 'default.qubit' "
                                                  "has wires ['a', 'b']")):
        f()


@pytest.mark.parametrize("returned, pattern", [
    (1.0, r"returned 1\.0 \(float\); a quantum function must return measurements"),
    (None, r"returned None \(NoneType\)"),
    ("observable", r"returned PauliZ\(wires=\[0\]\) \(PauliZ\).*kt\.expval"),
    ("mixed", r"returned 0\.5 \(float\)"),
    ((), r"returned no measurement"),
])
def test_non_measurement_return_values(dev, returned, pattern):
    @kt.qnode(dev)
    def circuit():
        kt.RX(0.1, wires=0)
        if returned == "observable":
            return kt.PauliZ(0)
        if returned == "mixed":
            return kt.expval(kt.PauliZ(0)), 0.5
        return returned

    with pytest.raises(QuantumFunctionError, match=pattern):
        circuit()


def test_unmeasured_observable_is_an_error(dev):
    @kt.qnode(dev)
    def f():
        kt.Hermitian(np.diag([1.0, 2.0]), wires=0)
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(QuantumFunctionError, match=r"Hermitian.* is an observable but not a gate"):
        f()


def test_qnode_needs_a_callable(dev):
    with pytest.raises(QuantumFunctionError, match=r"needs a callable quantum function, got 3"):
        kt.QNode(3, dev)


@pytest.mark.torch
@pytest.mark.jax
def test_mixing_torch_and_jax_arrays(dev):
    torch = pytest.importorskip("torch")
    jnp = pytest.importorskip("jax.numpy")

    @kt.qnode(dev)
    def f(x, y):
        kt.RX(x, wires=0)
        kt.RY(y, wires=1)
        return kt.expval(kt.PauliZ(0))

    for args, kwargs in [((torch.tensor(0.1), jnp.array(0.2)), {}),
                         (([torch.tensor(0.1)],), {"y": jnp.array(0.2)})]:
        with pytest.raises(InterfaceError, match="different frameworks were mixed in one call: "
                                                 "jax, torch") as info:
            f(*args, **kwargs)
        assert info.value.interfaces == ["jax", "torch"]


def test_unknown_diff_method(dev):
    with pytest.raises(DiffMethodError, match=r"unknown diff_method 'magic'; valid methods are "
                                              r"'best', 'device', 'backprop', 'adjoint', 'parameter-shift'"
                       ) as info:
        kt.QNode(lambda: kt.expval(kt.PauliZ(0)), dev, diff_method="magic")
    assert info.value.diff_method == "magic"


@pytest.mark.parametrize("method, options, match", [
    ("finite-diff", {"h": -1}, r"QNode option h \(the finite-difference step\) must be a positive "
                               r"number, got -1"),
    ("finite-diff", {"strategy": "sideways"}, r"QNode option strategy must be 'forward', "
                                              r"'backward' or 'center', got 'sideways'"),
    ("finite-diff", {"approx_order": 0}, r"QNode option approx_order must be a positive integer, "
                                         r"got 0"),
    ("spsa", {"num_directions": 0}, r"QNode option num_directions must be a positive integer"),
    ("parameter-shift", {"max_diff": 1.5}, r"QNode option max_diff must be a positive integer"),
    ("parameter-shift", {"h": 0.1}, r"QNode option\(s\) \['h'\] do nothing with "
                                    r"diff_method='parameter-shift'; they belong to 'finite-diff', "
                                    r"'spsa'"),
    ("backprop", {"approx_order": 2}, r"\['approx_order'\] do nothing with diff_method='backprop'"),
])
def test_qnode_option_values_are_checked_when_the_qnode_is_made(dev, method, options, match):
    with pytest.raises(DiffMethodError, match=match):
        kt.qnode(dev, diff_method=method, **options)(lambda: kt.expval(kt.PauliZ(0)))


def test_unknown_qnode_option(dev):
    with pytest.raises(DiffMethodError,
                       match=r"unknown QNode option\(s\) \['hh'\]; valid options are .*\bh\b"):
        kt.qnode(dev, hh=0.1)(lambda: kt.expval(kt.PauliZ(0)))


def test_unknown_interface(dev):
    with pytest.raises(InterfaceError, match=r"unknown interface 'pytorh'; valid interfaces are "
                                             r".*'torch'.*'jax'") as info:
        kt.QNode(lambda: kt.expval(kt.PauliZ(0)), dev, interface="pytorh")
    assert info.value.interfaces == ["pytorh"]


@pytest.mark.parametrize("alias, canonical", [("numpy", "autograd"), ("pytorch", "torch"),
                                              ("tensorflow", "tf"), ("jax", "jax")])
def test_interface_aliases(dev, alias, canonical):
    assert kt.QNode(lambda: kt.expval(kt.PauliZ(0)), dev, interface=alias).interface == canonical


def test_state_prep_after_a_gate_on_the_same_wire(dev):
    @kt.qnode(dev)
    def f():
        kt.Hadamard(0)
        kt.StatePrep(np.array([0.0, 1.0, 0.0, 0.0]), wires=[0, 1])
        return kt.expval(kt.PauliZ(1))

    with pytest.raises(StatePrepError, match=re.escape(
            "StatePrep on wires [0, 1] must come before any other operation on those wires; "
            "wire(s) [0] were already used")):
        f()


def test_state_prep_on_untouched_wires_is_allowed(dev):
    @kt.qnode(dev)
    def f():
        kt.Hadamard(0)
        kt.StatePrep(np.array([0.0, 1.0]), wires=[1])
        return kt.expval(kt.PauliZ(1)), kt.expval(kt.PauliX(0))

    np.testing.assert_allclose(f(), [-1.0, 1.0], atol=1e-12)


def test_draw_refuses_wires_outside_its_order():
    """A gate on a wire the device lacks, or a wire_order missing a used wire: a WireError naming
    the wire (it was a bare ValueError/KeyError)."""
    dev = kt.device("default.qubit", wires=2)

    @kt.qnode(dev)
    def circuit():
        kt.Hadamard(wires=0)
        kt.CNOT(wires=[0, 5])
        return kt.expval(kt.PauliZ(0))

    with pytest.raises(WireError, match=r"^the circuit uses wire\(s\) \[5\] that are not in the "
                                        r"drawing's wire order \[0, 1\]"):
        kt.draw(circuit)()

    @kt.qnode(dev)
    def fine():
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1))

    with pytest.raises(WireError, match=r"wire\(s\) \[0\] that are not in the drawing's wire order "
                                        r"\[1\]"):
        kt.draw(fine, wire_order=[1])()
    assert kt.draw(fine, wire_order=[1, 0])().splitlines()[0].startswith("1: ")
