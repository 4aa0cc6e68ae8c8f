"""The fidelity circuits of metric_tensor(approx=None) and QNSPSA: state preparations are kept
(not inverted), noise channels and broadcast circuits are refused with an OptimizerError.

One RY(x) after StatePrep(|ψ⟩): the metric is Var_ψ(Y/2) = (1 − ⟨ψ|Y|ψ⟩²)/4, and for one parameter
QNSPSA's sample (Δ₁Δ₂)²·g equals g up to O(ε²) whatever the random signs.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.errors import OptimizerError

PSI = onp.array([onp.cos(0.4), onp.exp(0.7j) * onp.sin(0.4)])
PAULI_Y = onp.array([[0, -1j], [1j, 0]])


@kt.qnode(kt.device("default.qubit", wires=1))
def prepared(x):
    kt.StatePrep(PSI, wires=0)
    kt.RY(x, wires=0)
    return kt.expval(kt.PauliZ(0))


def exact_metric():
    mean = onp.real(PSI.conj() @ PAULI_Y @ PSI)
    return (1 - mean ** 2) / 4


def test_metric_and_qnspsa_keep_the_state_preparation():
    g = float(onp.squeeze(kt.metric_tensor(prepared, approx=None, strategy="circuits")(
        np.array(0.3))))
    assert g == pytest.approx(exact_metric(), abs=1e-10)
    opt = kt.QNSPSAOptimizer(finite_diff_step=1e-3, blocking=False, seed=1)
    opt.step(prepared, np.array(0.3))
    assert float(opt.metric[0, 0]) == pytest.approx(exact_metric(), abs=1e-5)


def test_noise_channels_are_refused_by_the_fidelity_circuits():
    @kt.qnode(kt.device("default.mixed", wires=1))
    def noisy(x):
        kt.RY(x[0], wires=0)
        kt.BitFlip(0.1, wires=0)
        kt.RX(x[1], wires=0)  # a second layer: the exact metric needs fidelity circuits
        return kt.expval(kt.PauliZ(0))

    tail = (r" compares states through the inverse of the circuit, and BitFlip is a noise channel "
            r"and has no adjoint")
    with pytest.raises(OptimizerError, match=r"^metric_tensor\(approx=None\)" + tail):
        kt.metric_tensor(noisy, approx=None)(np.array([0.3, 0.2]))
    with pytest.raises(OptimizerError, match=r"^QNSPSAOptimizer" + tail):
        kt.QNSPSAOptimizer(seed=0).step(noisy, np.array([0.3, 0.2]))


def test_broadcast_circuits_have_no_single_metric():
    @kt.qnode(kt.device("default.qubit", wires=1))
    def batched(x, data):
        kt.RX(data, wires=0)
        kt.RY(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    data = np.array([0.1, 0.5, 1.0], requires_grad=False)
    with pytest.raises(OptimizerError, match=r"^metric_tensor got a broadcast circuit \(batch size "
                                             r"3\); the metric belongs to one parameter set"):
        kt.metric_tensor(batched)(np.array(0.3), data)
