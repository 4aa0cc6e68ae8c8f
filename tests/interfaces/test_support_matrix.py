"""What each diff_method refuses, and how: errors with messages that name the method and the fix,
warnings where a QNode still works, never silent zero gradients."""
from __future__ import annotations

import warnings

import numpy as onp
import pytest

import kettle as kt
from kettle import numpy as np
from kettle.core import measurements as mp
from kettle.core import diff_methods
from kettle.errors import DiffMethodError, NonDifferentiableError

METHODS = ["backprop", "adjoint", "parameter-shift", "finite-diff", "best"]
X = (0.4, 0.9)


def rx_ry(x):
    kt.RX(x[0], wires=0)
    kt.RY(x[1], wires=0)
    return kt.expval(kt.PauliZ(0))


def expected_grad(a, b):
    """⟨Z⟩ = cos a cos b."""
    return onp.array([-onp.sin(a) * onp.cos(b), -onp.cos(a) * onp.sin(b)])


def with_measurement(measure):
    def circuit(x):
        kt.RX(x[0], wires=0)
        kt.CRY(x[1], wires=[0, 1])
        return measure()

    return circuit


# ---------------------------------------------------------------------------------------- samples

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("measure", [
    lambda: kt.sample(kt.PauliZ(0)),
    lambda: kt.sample(wires=[0, 1]),
    lambda: kt.counts(wires=[0]),
    lambda: (kt.expval(kt.PauliZ(1)), kt.sample(kt.PauliZ(0))),
], ids=["sample-obs", "sample-wires", "counts", "expval-and-sample"])
def test_samples_are_not_differentiable(method, measure):
    dev = kt.device("default.qubit", wires=2, shots=50, seed=1)
    qnode = kt.QNode(with_measurement(measure), dev, diff_method=method)
    qnode(np.array(X))  # the forward pass works
    with pytest.raises(NonDifferentiableError, match=r"(sample|counts)\(\) is not differentiable"):
        kt.jacobian(qnode)(np.array(X))


@pytest.mark.parametrize("method", METHODS)
def test_sample_is_not_silently_differentiated_by_grad(method):
    dev = kt.device("default.qubit", wires=2, shots=50, seed=1)
    qnode = kt.QNode(with_measurement(lambda: kt.sample(kt.PauliZ(0))), dev, diff_method=method)
    with pytest.raises(NonDifferentiableError, match=r"sample\(\) is not differentiable"):
        kt.grad(lambda x: np.mean(qnode(x)))(np.array(X))


# -------------------------------------------------------------------------- per-method measurements

MEASUREMENTS = {
    mp.VnEntropyMP: lambda: kt.vn_entropy(wires=[0]),
    mp.MutualInfoMP: lambda: kt.mutual_info(wires0=[0], wires1=[1]),
    mp.PurityMP: lambda: kt.purity(wires=[0]),
    mp.StateMP: kt.state,
    mp.DensityMatrixMP: lambda: kt.density_matrix(wires=[0]),
    mp.VarianceMP: lambda: kt.var(kt.PauliZ(1)),
    mp.ProbabilityMP: lambda: kt.probs(wires=[1]),
}
#: every pair the library's support table does not claim: each must be refused with a clear error
UNCLAIMED = [pytest.param(method, cls, id=f"{method}-{cls.return_type}")
             for method in ("adjoint", "parameter-shift", "finite-diff") for cls in MEASUREMENTS
             if not diff_methods.get(method).supports(cls)]


def test_the_unclaimed_pairs_include_the_structural_ones():
    """Amplitudes have no shift rule, and adjoint works on quadratic forms ⟨ψ|A|ψ⟩ only."""
    ids = {p.id for p in UNCLAIMED}
    assert {"parameter-shift-state", "adjoint-state", "adjoint-vn_entropy",
            "adjoint-mutual_info"} <= ids


@pytest.mark.parametrize("method, cls", UNCLAIMED)
def test_unsupported_measurements_are_refused_by_name(method, cls):
    qnode = kt.QNode(with_measurement(MEASUREMENTS[cls]), kt.device("default.qubit", wires=2),
                     diff_method=method)
    qnode(np.array(X))  # the forward pass works
    with pytest.raises(NonDifferentiableError,
                       match=rf"diff_method='{method}' cannot differentiate {cls.return_type}\(\); "
                             r"it supports .*expval.*\. "
                             r"Use diff_method='backprop' \(shots=None\)"):
        kt.jacobian(lambda x: np.real(qnode(x)))(np.array(X))


# ----------------------------------------------------------------------------------------- shots

def test_backprop_with_device_shots_is_an_error():
    dev = kt.device("default.qubit", wires=1, shots=100, seed=2)
    qnode = kt.QNode(rx_ry, dev, diff_method="backprop")
    assert abs(qnode(np.array(X))) <= 1  # forward pass with shots is fine
    with pytest.raises(DiffMethodError, match=r"backprop needs shots=None .*got "
                                              r"shots=Shots\(100\); use "
                                              r"diff_method='parameter-shift'") as info:
        kt.grad(qnode)(np.array(X))
    assert info.value.diff_method == "backprop"


def test_backprop_with_call_time_shots_is_an_error():
    qnode = kt.QNode(rx_ry, kt.device("default.qubit", wires=1), diff_method="backprop")
    with pytest.raises(DiffMethodError, match=r"backprop needs shots=None"):
        kt.grad(lambda x: qnode(x, shots=100))(np.array(X))


def test_adjoint_with_shots_warns_and_gives_the_analytic_gradient():
    dev = kt.device("default.qubit", wires=1, shots=100, seed=3)
    qnode = kt.QNode(rx_ry, dev, diff_method="adjoint")
    g = kt.grad(qnode)
    with pytest.warns(UserWarning, match=r"adjoint differentiation ignores shots: the gradient is "
                                         r"analytic"):
        grad = g(np.array(X))
    onp.testing.assert_allclose(grad, expected_grad(*X), atol=1e-12)
    # the forward value was sampled: a multiple of 2/100 away from the exact cos a cos b
    assert round(float(g.forward) * 50) == pytest.approx(float(g.forward) * 50, abs=1e-9)


# ------------------------------------------------------------------------------ QNode creation

def test_device_method_on_default_qubit_is_rejected_at_creation():
    with pytest.raises(DiffMethodError, match=r"device 'default.qubit' provides no 'device' "
                                              r"derivatives \(it provides: adjoint\); use "
                                              r"diff_method='backprop'") as info:
        kt.QNode(rx_ry, kt.device("default.qubit", wires=1), diff_method="device")
    assert info.value.diff_method == "device"


@pytest.mark.parametrize("method", ["backprop", "device"])
def test_interface_none_with_framework_methods_is_an_error(method):
    with pytest.raises(DiffMethodError, match=rf"diff_method='{method}' needs an autodiff "
                                              r"framework, but interface=None"):
        kt.QNode(rx_ry, kt.device("default.qubit", wires=1), interface=None, diff_method=method)


@pytest.mark.parametrize("method", ["parameter-shift", "adjoint", "finite-diff"])
def test_interface_none_with_gradient_methods_warns_and_still_runs(method):
    with pytest.warns(UserWarning, match=rf"interface=None: no autodiff framework is in use, so "
                                         rf"diff_method='{method}' will not be used"):
        qnode = kt.QNode(rx_ry, kt.device("default.qubit", wires=1), interface=None,
                         diff_method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = qnode(np.array(X))
    assert float(value) == pytest.approx(onp.cos(X[0]) * onp.cos(X[1]), abs=1e-12)


def test_interface_none_without_diff_method_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qnode = kt.QNode(rx_ry, kt.device("default.qubit", wires=1), interface=None,
                         diff_method=None)
        assert float(qnode(np.array(X))) == pytest.approx(onp.cos(X[0]) * onp.cos(X[1]), abs=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_autograd_interface_differentiates_without_warnings(method):
    qnode = kt.QNode(rx_ry, kt.device("default.qubit", wires=1), interface="autograd",
                     diff_method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grad = kt.grad(qnode)(np.array(X))
    atol = 1e-6 if method == "finite-diff" else 1e-12
    onp.testing.assert_allclose(grad, expected_grad(*X), atol=atol)
