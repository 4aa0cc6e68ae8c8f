"""Parameter-shift and adjoint QNodes differentiated inside kt.qjit when a loop index or a traced
argument reaches them as a wire or an integer gate parameter (the custom JVP gets those values as
arguments instead of closing over the loop's tracers). Every value against its analytic formula,
for each method, in reverse and forward mode and at second order.
"""
from __future__ import annotations

import numpy as onp
import pytest

jax = pytest.importorskip("jax")

import kettle as kt  # noqa: E402

pytestmark = pytest.mark.jax
METHODS = ["parameter-shift", "adjoint", "backprop"]
X = 0.3
SUM_COS = sum(onp.cos(k) for k in range(3))


@pytest.fixture(autouse=True)
def x64():
    jax.config.update("jax_enable_x64", True)


def index_as_wire(method):
    """Σ_{i=0,1} ⟨Z₀⟩ after RX(x) on wire i: cos x + 1, derivative −sin x."""
    @kt.qnode(kt.device("default.qubit", wires=2), diff_method=method)
    def circuit(x, wire):
        kt.RX(x, wires=wire)
        return kt.expval(kt.PauliZ(0))

    def program(x):
        @kt.for_loop(0, 2, 1)
        def loop(i, acc):
            return acc + circuit(x, i)

        return loop(0.0)

    return program


def index_as_angle(method):
    """Σ_{k=0..2} ⟨Z⟩ after RY(k) RX(x): cos x Σ cos k; derivatives −sin x Σ cos k, −cos x Σ cos k."""
    @kt.qnode(kt.device("default.qubit", wires=1), diff_method=method)
    def circuit(x, k):
        kt.RY(k, wires=0)
        kt.RX(x, wires=0)
        return kt.expval(kt.PauliZ(0))

    def program(x):
        @kt.for_loop(0, 3, 1)
        def loop(k, acc):
            return acc + circuit(x, k)

        return loop(0.0)

    return program


@pytest.mark.parametrize("method", METHODS)
def test_loop_index_as_wire(method):
    program = index_as_wire(method)
    assert abs(float(kt.qjit(kt.grad(program))(X)) + onp.sin(X)) < 1e-12
    assert abs(float(kt.qjit(jax.jacfwd(program))(X)) + onp.sin(X)) < 1e-12


@pytest.mark.parametrize("method", METHODS)
def test_loop_index_as_integer_gate_parameter_to_second_order(method):
    program = index_as_angle(method)
    assert abs(float(kt.qjit(kt.grad(program))(X)) + onp.sin(X) * SUM_COS) < 1e-12
    assert abs(float(kt.qjit(kt.grad(kt.grad(program)))(X)) + onp.cos(X) * SUM_COS) < 1e-10


@pytest.mark.parametrize("method", METHODS)
def test_traced_wire_argument_inside_a_conditional(method):
    """x > 0: ⟨Z₀⟩ after RX(x) on the wire given at run time (0 here): cos x, slope −sin x."""
    @kt.qnode(kt.device("default.qubit", wires=2), diff_method=method)
    def circuit(x, wire):
        kt.RX(x, wires=wire)
        return kt.expval(kt.PauliZ(0))

    def program(x, wire):
        @kt.cond(x > 0)
        def branch():
            return circuit(x, wire)

        @branch.otherwise
        def branch():
            return 0.0 * x

        return branch()

    grad = kt.qjit(kt.grad(program))
    assert abs(float(grad(X, 0)) + onp.sin(X)) < 1e-12
    assert abs(float(grad(X, 1))) < 1e-12  # the rotation acts on wire 1: ⟨Z₀⟩ = 1


@pytest.mark.parametrize("method", METHODS)
def test_basis_state_bits_from_a_loop_index(method):
    """BasisState([k, 0]) then RX(x) on wire 1: ⟨Z₀Z₁⟩ = (−1)^k cos x. Σ_k (k+1)·that over k = 0, 1
    is −cos x, slope sin x."""
    @kt.qnode(kt.device("default.qubit", wires=2), diff_method=method)
    def circuit(k, x):
        kt.BasisState(jax.numpy.array([k, 0]), wires=[0, 1])
        kt.RX(x, wires=1)
        return kt.expval(kt.PauliZ(0) @ kt.PauliZ(1))

    def program(x):
        @kt.for_loop(0, 2, 1)
        def loop(k, acc):
            return acc + (k + 1) * circuit(k, x)

        return loop(0.0)

    assert abs(float(kt.qjit(program)(X)) + onp.cos(X)) < 1e-12
    assert abs(float(kt.qjit(kt.grad(program))(X)) - onp.sin(X)) < 1e-12
