"""The VQE problem shared by the optimizer tests.

The 3-qubit open transverse-field Ising chain H = −J Σ Z_i Z_{i+1} − h Σ X_i at J = h = 1, whose ground
energy comes from diagonalizing its 8×8 matrix, built here from Kronecker products. Ansatz: two layers
of RY on each qubit followed by a CNOT ladder (six angles), which can represent the ground state.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as onp
import pytest

import kettle as kt

N = 3


def tfim_matrix(n=N, j=1.0, h=1.0):
    """The Hamiltonian as a dense matrix (wire 0 is the most significant bit)."""
    eye, x, z = onp.eye(2), onp.array([[0.0, 1.0], [1.0, 0.0]]), onp.diag([1.0, -1.0])

    def on(ops):
        out = onp.array([[1.0]])
        for k in range(n):
            out = onp.kron(out, ops.get(k, eye))
        return out

    mat = sum(-j * on({i: z, i + 1: z}) for i in range(n - 1))
    return mat + sum(-h * on({i: x}) for i in range(n))


def make_problem():
    hamiltonian = kt.Hamiltonian([-1.0] * (N - 1) + [-1.0] * N,
                                 [kt.PauliZ(i) @ kt.PauliZ(i + 1) for i in range(N - 1)]
                                 + [kt.PauliX(i) for i in range(N)])
    dev = kt.device("default.qubit", wires=N)

    @kt.qnode(dev)
    def energy(w):
        for layer in range(2):
            for i in range(N):
                kt.RY(w[layer, i], wires=i)
            for i in range(N - 1):
                kt.CNOT(wires=[i, i + 1])
        return kt.expval(hamiltonian)

    @kt.qnode(dev)
    def energy_with_generators(w, generators):
        for layer in range(2):
            for i in range(N):
                generators[N * layer + i](w[N * layer + i], wires=i)
            for i in range(N - 1):
                kt.CNOT(wires=[i, i + 1])
        return kt.expval(hamiltonian)

    return SimpleNamespace(
        E0=onp.linalg.eigvalsh(tfim_matrix())[0], H=hamiltonian, matrix=tfim_matrix(),
        energy=energy, energy_with_generators=energy_with_generators,
        W0=onp.random.default_rng(1).normal(0, 0.3, (2, N)))


@pytest.fixture(scope="module")
def tfim():
    """The TFIM VQE problem: E0, H, matrix, energy, energy_with_generators, W0."""
    return make_problem()
