"""Limits stated, not hit: a state too large for the machine and a non-finite angle with shots are
errors that name the circuit's numbers, raised before any state is allocated or any shot drawn.
Regressions: NumPy's "Unable to allocate 16.0 TiB", its 64-dimension limit, and "probabilities
contain NaN"."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.devices import preflight
from kettle.errors import DeviceError, OperatorError

MEMORY = preflight.physical_memory()


def _wide(n, dev):
    def circuit(x):
        for w in range(n):
            kt.Hadamard(wires=w)
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    return kt.QNode(circuit, dev)


def test_forty_wires_name_the_wires_and_the_bytes():
    with pytest.raises(DeviceError) as info:
        _wide(40, kt.device("default.qubit", wires=40))(0.1)
    assert str(info.value) == (
        "device 'default.qubit' cannot simulate 40 wires: one state vector of 2**40 amplitudes "
        f"needs 16.0 TiB, but this machine has {preflight.format_bytes(MEMORY)} of memory; use "
        "fewer wires")


def test_single_precision_halves_the_bytes_and_the_batch_axis_multiplies_them():
    tape = kt.QuantumTape([kt.RX(onp.float32(0.1), wires=0)], [kt.expval(kt.PauliZ(0))])
    assert preflight.state_bytes(40, 1, tape.get_parameters(), None) == 2 ** 40 * 8
    batched = kt.QuantumTape([kt.RX(onp.array([0.1, 0.2, 0.3]), wires=0)], [kt.probs()])
    assert preflight.state_bytes(10, 1, batched.get_parameters(), batched.batch_size) == \
        3 * 2 ** 10 * 16


def test_default_mixed_counts_a_density_matrix():
    with pytest.raises(DeviceError) as info:
        _wide(20, kt.device("default.mixed", wires=20))(0.1)
    assert str(info.value).startswith(
        "device 'default.mixed' cannot simulate 20 wires: one density matrix of 2**40 amplitudes "
        "needs 16.0 TiB, but this machine has ")


def test_beyond_numpys_axis_limit_even_with_room():
    tape = kt.QuantumTape([kt.Hadamard(wires=0)], [kt.probs(wires=[0])])
    with pytest.raises(DeviceError) as info:
        preflight.check_state_fits("default.mixed", tape, 33, axes_per_wire=2, memory=2 ** 80)
    assert str(info.value) == (
        "device 'default.mixed' cannot simulate 33 wires: its density matrix would need 66 array "
        "axes (1024.0 EiB), more than NumPy's 64; use fewer wires")


def test_a_device_without_wires_checks_each_circuit():
    dev = kt.device("default.qubit")
    assert float(_wide(3, dev)(0.0)) == pytest.approx(0.0)  # H then RX(0): ⟨Z⟩ = 0
    with pytest.raises(DeviceError, match="cannot simulate 45 wires"):
        _wide(45, dev)(0.0)


def test_forty_wires_fail_inside_bounded_memory():
    """In a process limited to 1 GiB of address space the error comes before any allocation
    (an attempted allocation would be a MemoryError)."""
    script = textwrap.dedent("""
        import resource
        import kettle as kt
        from kettle.errors import DeviceError
        limit = 3 * 2 ** 30  # room for the imports, far below one 40-qubit state
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        for name, n in [("default.qubit", 40), ("default.qubit", 64), ("default.mixed", 20),
                        ("default.mixed", 40)]:
            dev = kt.device(name, wires=n)
            def circuit():
                for w in range(n):
                    kt.Hadamard(wires=w)
                return kt.probs(wires=[0])
            try:
                kt.QNode(circuit, dev)()
            except DeviceError as err:
                print(name, n, "DeviceError", "needs" in str(err))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:4] == [
        "default.qubit 40 DeviceError True", "default.qubit 64 DeviceError True",
        "default.mixed 20 DeviceError True", "default.mixed 40 DeviceError True"]


@pytest.mark.parametrize("device", ["default.qubit", "default.mixed"])
@pytest.mark.parametrize("bad", [onp.nan, onp.inf, -onp.inf])
def test_non_finite_angle_with_shots_names_the_gate_and_parameter(device, bad):
    dev = kt.device(device, wires=2, shots=100, seed=1)

    @kt.qnode(dev)
    def circuit(x):
        kt.Hadamard(wires=0)
        kt.Rot(0.1, x, 0.3, wires=1)
        return kt.expval(kt.PauliZ(1))

    with pytest.raises(OperatorError) as info:
        circuit(np.array(bad))
    assert str(info.value) == (
        f"Rot on wires [1] has parameter 1 = {bad}, and a circuit with shots=100 cannot be sampled "
        "from non-finite probabilities; check the value passed to Rot (e.g. a division by zero or "
        "log(0) in the cost)")
    assert info.value.operator == "Rot"


def test_non_finite_entry_of_a_batch_and_torch_tensors():
    torch = pytest.importorskip("torch")
    dev = kt.device("default.qubit", wires=1, shots=10, seed=1)
    qn = kt.QNode(lambda x: (kt.RY(x, wires=0), kt.sample(kt.PauliZ(0)))[1], dev)
    with pytest.raises(OperatorError, match=r"RY on wires \[0\] has parameter 0 = nan"):
        qn(onp.array([0.1, onp.nan]))
    with pytest.raises(OperatorError, match=r"RY on wires \[0\] has parameter 0 = inf"):
        qn(torch.tensor(float("inf"), requires_grad=True))


def test_analytic_results_carry_the_nan():
    dev = kt.device("default.qubit", wires=1)
    out = kt.QNode(lambda x: (kt.RX(x, wires=0), kt.expval(kt.PauliZ(0)))[1], dev)(onp.nan)
    assert onp.isnan(out)
