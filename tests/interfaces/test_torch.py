"""QNodes as PyTorch ops: dtype and device preservation, Hessians, several arguments, shots.

The circuit RX(a)⊗RY(b) then CNOT gives ⟨Z₁⟩ = cos a cos b and probs of wire 0
(cos²(a/2), sin²(a/2)); every reference below is computed from these closed forms.
"""
from __future__ import annotations

import numpy as onp
import pytest

import kettle as kt
from two_qubit_reference import circuit, exact, exact_hessian, exact_jacobian

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch

METHODS = ["backprop", "adjoint", "parameter-shift", "finite-diff"]
X = onp.array([0.3, 0.8])
DEV = kt.device("default.qubit", wires=2)
jacobian = torch.autograd.functional.jacobian
hessian = torch.autograd.functional.hessian


def _np(t):
    return t.detach().cpu().numpy()


# ------------------------------------------------------------------------ dtype and device

@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_results_and_gradients_keep_dtype_and_device(method, dtype):
    qn = kt.QNode(circuit, DEV, diff_method=method)
    x = torch.tensor(X, dtype=dtype, requires_grad=True)
    z, probs = qn(x)
    for r in (z, probs):
        assert isinstance(r, torch.Tensor) and r.dtype == dtype and r.device == x.device
        assert r.requires_grad
    single = dtype == torch.float32
    onp.testing.assert_allclose(_np(z), exact(X)[0], atol=1e-6 if single else 1e-12)
    onp.testing.assert_allclose(_np(probs), exact(X)[1], atol=1e-6 if single else 1e-12)
    (z + 2 * probs[1]).backward()
    assert x.grad.dtype == dtype and x.grad.device == x.device and x.grad.shape == x.shape
    jz, jp = exact_jacobian(X)
    atol = 1e-4 if single else (1e-5 if method == "finite-diff" else 1e-10)
    onp.testing.assert_allclose(_np(x.grad), jz + 2 * jp[1], atol=atol)


@pytest.mark.parametrize("method", METHODS)
def test_tensors_without_requires_grad_run_forward_only(method):
    qn = kt.QNode(circuit, DEV, diff_method=method)
    z, probs = qn(torch.tensor(X, dtype=torch.float32))
    assert z.dtype == probs.dtype == torch.float32
    assert not z.requires_grad and not probs.requires_grad
    onp.testing.assert_allclose(_np(probs), exact(X)[1], atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("method", METHODS)
def test_cuda_tensor_in_cuda_tensor_out(method):
    qn = kt.QNode(circuit, DEV, diff_method=method)
    x = torch.tensor(X, dtype=torch.float64, device="cuda", requires_grad=True)
    z, probs = qn(x)
    assert z.device.type == probs.device.type == "cuda"
    z.backward()
    assert x.grad.device.type == "cuda"
    tol = 1e-5 if method == "finite-diff" else 1e-10
    onp.testing.assert_allclose(_np(x.grad), exact_jacobian(X)[0], atol=tol)


# -------------------------------------------------------------------------------- hessian

@pytest.mark.parametrize("method, max_diff", [("backprop", 1), ("parameter-shift", 2)])
def test_hessian_against_analytic_values(method, max_diff):
    qn = kt.QNode(circuit, DEV, diff_method=method, max_diff=max_diff)
    for x in (X, onp.array([-1.2, 0.4])):
        h = hessian(lambda v: qn(v)[0], torch.tensor(x, requires_grad=True))
        assert h.shape == (2, 2) and h.dtype == torch.float64
        onp.testing.assert_allclose(_np(h), exact_hessian(x)[0], atol=1e-10)
    # a vector output: the jacobian of the (differentiable) jacobian of probs
    hp = jacobian(lambda v: jacobian(lambda w: qn(w)[1], v, create_graph=True),
                  torch.tensor(X, requires_grad=True))
    assert hp.shape == (2, 2, 2)
    onp.testing.assert_allclose(_np(hp), exact_hessian(X)[1], atol=1e-10)


def test_parameter_shift_hessian_in_float32_stays_float32():
    qn = kt.QNode(lambda x: circuit(x)[0], DEV, diff_method="parameter-shift", max_diff=2)
    h = hessian(qn, torch.tensor(X, dtype=torch.float32))
    assert h.dtype == torch.float32
    onp.testing.assert_allclose(_np(h), exact_hessian(X)[0], atol=1e-5)


# --------------------------------------------------------------------- several arguments

@pytest.mark.parametrize("method", METHODS)
def test_jacobian_with_several_arguments_and_measurements(method):
    """⟨Z₁⟩ and probs of RX(a²) ⊗ RY(sin b) · CNOT, differentiated in both scalar arguments."""
    @kt.qnode(DEV, diff_method=method)
    def two_args(a, b):
        kt.RX(a ** 2, wires=0)
        kt.RY(torch.sin(b), wires=1)
        kt.CNOT(wires=[0, 1])
        return kt.expval(kt.PauliZ(1)), kt.probs(wires=[0])

    a, b = 0.6, -0.9
    args = (torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
    (za, zb), (pa, pb) = jacobian(two_args, args)
    u, v = a ** 2, onp.sin(b)
    jz, jp = exact_jacobian((u, v))  # in the gate angles, then the chain rule
    tol = 1e-5 if method == "finite-diff" else 1e-10
    onp.testing.assert_allclose([_np(za), _np(zb)], [jz[0] * 2 * a, jz[1] * onp.cos(b)], atol=tol)
    onp.testing.assert_allclose(_np(pa), jp[:, 0] * 2 * a, atol=tol)
    onp.testing.assert_allclose(_np(pb), jp[:, 1] * onp.cos(b), atol=tol)


# ---------------------------------------------------------------------------------- shots

def test_finite_shot_parameter_shift_gradients_are_within_statistical_bounds():
    shots = 4000
    dev = kt.device("default.qubit", wires=2, shots=shots, seed=7)
    qn = kt.QNode(circuit, dev, diff_method="parameter-shift")
    jz, jp = jacobian(qn, torch.tensor(X, requires_grad=True))
    ref_z, ref_p = exact_jacobian(X)
    # each component is (f(x + π/2) - f(x - π/2))/2 from two independent estimates
    sigma_z, sigma_p = onp.empty(2), onp.empty((2, 2))
    for i in range(2):
        shift = onp.pi / 2 * onp.eye(2)[i]
        (zp, pp), (zm, pm) = exact(X + shift), exact(X - shift)
        sigma_z[i] = onp.sqrt((1 - zp ** 2) + (1 - zm ** 2)) / (2 * onp.sqrt(shots))
        sigma_p[:, i] = onp.sqrt(pp * (1 - pp) + pm * (1 - pm)) / (2 * onp.sqrt(shots))
    assert (onp.abs(_np(jz) - ref_z) < 5 * sigma_z).all()
    assert (onp.abs(_np(jp) - ref_p) <= 5 * sigma_p + 1e-12).all()
    assert not onp.allclose(_np(jz), ref_z, atol=1e-9)  # really sampled
