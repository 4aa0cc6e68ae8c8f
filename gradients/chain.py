"""Classical chain rules from a density matrix ρ and its derivative ∂ρ to functions of ρ.

Each entry of a reduced density matrix is an expectation value, so the shift rule gives ∂ρ exactly;
these turn (ρ, ∂ρ) into derivatives of purity, von Neumann entropy and mutual information.
Written over autoray (any framework, optional leading batch axis).
"""
from __future__ import annotations

import autoray as ar
import numpy as np

anp = ar.numpy
_TINY = 1e-12


def _trace_product(a, b):
    """Tr(a·b) for (batch?, d, d) matrices."""
    return ar.do("einsum", "...ij,...ji->...", a, b)


def purity_derivative(rho, drho):
    """∂ Tr ρ² = 2 Re Tr(ρ ∂ρ)."""
    return 2 * anp.real(_trace_product(rho, drho))


def entropy_derivative(rho, drho, log_base=None):
    """∂S = −Re Tr(∂ρ log ρ) (Tr ∂ρ = 0), with log ρ taken on the support of ρ."""
    lam, vecs = ar.do("linalg.eigh", rho)
    lam = anp.real(lam)
    safe = ar.do("where", lam > _TINY, lam, anp.ones_like(lam), like=lam)
    log_lam = ar.do("where", lam > _TINY, anp.log(safe), anp.zeros_like(lam), like=lam)
    log_rho = ar.do("einsum", "...ij,...j,...kj->...ik", vecs, log_lam + 0j * log_lam, anp.conj(vecs))
    ds = -anp.real(_trace_product(drho, log_rho))
    return ds / float(np.log(log_base)) if log_base else ds


def partial_traces(rho, dim_a: int, dim_b: int):
    """(ρ_A, ρ_B) of a (batch?, dim_a·dim_b, dim_a·dim_b) matrix over A ⊗ B."""
    lead = tuple(ar.shape(rho)[:-2])
    r = ar.do("reshape", rho, lead + (dim_a, dim_b, dim_a, dim_b))
    return ar.do("einsum", "...ijkj->...ik", r), ar.do("einsum", "...ijil->...jl", r)


def mutual_info_derivative(rho_ab, drho_ab, dim_a: int, dim_b: int, log_base=None):
    """∂I = ∂S(ρ_A) + ∂S(ρ_B) − ∂S(ρ_AB)."""
    rho_a, rho_b = partial_traces(rho_ab, dim_a, dim_b)
    drho_a, drho_b = partial_traces(drho_ab, dim_a, dim_b)
    return (entropy_derivative(rho_a, drho_a, log_base) + entropy_derivative(rho_b, drho_b, log_base)
            - entropy_derivative(rho_ab, drho_ab, log_base))
