"""Noise channels: completely positive, trace-preserving maps ρ ↦ Σ_i K_i ρ K_i†.

One channel is one small class. Each gives its Kraus operators as *weighted terms* ``(w_i, M_i)``
with K_i = √w_i · M_i, where the weight carries the probability and M_i is a fixed or smoothly
parameterized matrix (None stands for the identity). A density-matrix simulator applies
w_i · M_i ρ M_i†, which is linear in the probabilities: derivatives stay finite at p = 0, where
d√p/dp diverges. :meth:`Channel.kraus_matrices` gives the textbook operators K_i.

Everything is built with autoray, so channel parameters may be arrays of any framework (and carry
a leading batch axis); they are differentiable by backprop and finite differences. Channels have
no generator, hence no parameter-shift rule.
"""
from __future__ import annotations

from typing import Any, Sequence

import autoray as ar
import numpy as np

from kettle.core import qmath
from kettle.core.operator import Operation
from kettle.core.ops import build
from kettle.core.ops.matrix_ops import check_square_matrix
from kettle.errors import MatrixError, OperatorError

anp = ar.numpy

_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
#: |i⟩⟨j| for one qubit
_KET_BRA = {(i, j): np.outer(np.eye(2)[i], np.eye(2)[j]).astype(complex)
            for i in (0, 1) for j in (0, 1)}
_TP_TOL = 1e-6


def _check_unit_interval(channel: str, label: str, value: Any) -> None:
    """OperatorError unless every entry of ``value`` lies in [0, 1] (traced values pass)."""
    if qmath.is_abstract(value):
        return
    v = np.atleast_1d(np.real(qmath.to_numpy(value)))
    bad = v[(v < 0) | (v > 1) | np.isnan(v)]
    if bad.size:
        raise OperatorError(f"{channel} needs {label} in [0, 1], got {float(bad[0]):.6g}",
                            operator=channel)


class Channel(Operation):
    """Base class of noise channels ρ ↦ Σ_i K_i ρ K_i†.

    Subclasses define :meth:`compute_kraus_terms`, list in ``probabilities`` the names of their
    parameters that must lie in [0, 1], and may add checks in :meth:`validate`; both run when the
    channel is created (values traced by jax.jit or tf.function are not checked).
    """

    #: name of each parameter that is a probability (same order as the parameters).
    probabilities: tuple[str, ...] = ()

    def __init__(self, *params: Any, wires: Any = None, id: str | None = None):
        super().__init__(*params, wires=wires, id=id)
        for label, value in zip(self.probabilities, self.data):
            _check_unit_interval(self.name, label, value)
        self.validate()

    def validate(self) -> None:
        """Checks beyond the probability ranges (e.g. probabilities that must sum to at most 1).

        Raises:
            OperatorError: the parameters do not define a channel.
        """

    @staticmethod
    def compute_kraus_terms(*params, **hyperparameters) -> list[tuple[Any, Any]]:
        """Weighted Kraus terms ``[(w_i, M_i), …]`` with K_i = √w_i · M_i (M_i None: identity)."""
        raise NotImplementedError

    def kraus_terms(self) -> list[tuple[Any, Any]]:
        """The weighted Kraus terms of this channel's parameters (see the module docstring)."""
        return self.compute_kraus_terms(*self.data, **self.hyperparameters)

    def kraus_matrices(self) -> list[Any]:
        """The Kraus operators K_i, each of shape (batch?, 2**n, 2**n)."""
        dim = 2 ** len(self.wires)
        out = []
        for weight, mat in self.kraus_terms():
            mat = np.eye(dim, dtype=complex) if mat is None else mat
            if isinstance(weight, (int, float)):  # a constant weight follows the matrix
                out.append(qmath.convert_like(np.sqrt(weight), mat) * mat)
                continue
            root = qmath.as_complex(anp.sqrt(weight))
            if qmath.ndim(root) == 1:  # a batch of weights scales a batch of matrices
                root = ar.do("reshape", root, (-1, 1, 1))
            if qmath.backend_of(mat) == "numpy":  # a constant matrix follows the weight
                mat = qmath.convert_like(mat, root)
            out.append(root * mat)
        return out

    def adjoint(self):
        raise OperatorError(f"{self.name} is a noise channel and has no adjoint: channels are not "
                            "invertible in general", operator=self.name)


def _sqrt_c(x: Any) -> Any:
    """√x of a real parameter, as a complex array of matching precision."""
    return qmath.as_complex(anp.sqrt(x))


class BitFlip(Channel):
    """Flips the qubit (applies X) with probability p: K = √(1−p)·I, √p·X."""

    num_wires = 1
    num_params = 1
    ndim_params = (0,)
    probabilities = ("probability p",)

    @staticmethod
    def compute_kraus_terms(p):
        return [(1 - p, None), (p, _X)]


class PhaseFlip(Channel):
    """Applies Z with probability p: K = √(1−p)·I, √p·Z."""

    num_wires = 1
    num_params = 1
    ndim_params = (0,)
    probabilities = ("probability p",)

    @staticmethod
    def compute_kraus_terms(p):
        return [(1 - p, None), (p, _Z)]


class DepolarizingChannel(Channel):
    """Applies X, Y or Z, each with probability p/3: K = √(1−p)·I, √(p/3)·X, √(p/3)·Y, √(p/3)·Z."""

    num_wires = 1
    num_params = 1
    ndim_params = (0,)
    probabilities = ("probability p",)

    @staticmethod
    def compute_kraus_terms(p):
        third = p / 3
        return [(1 - p, None), (third, _X), (third, _Y), (third, _Z)]


def _damped(s: Any, first: bool) -> Any:
    """diag(1, s) (``first``) or diag(s, 1) for a complex array s."""
    one = 0 * s + 1
    return build.diag_matrix(build.stack_last([one, s] if first else [s, one]))


class AmplitudeDamping(Channel):
    """Energy relaxation |1⟩ → |0⟩ with probability γ: K₀ = diag(1, √(1−γ)), K₁ = √γ·|0⟩⟨1|."""

    num_wires = 1
    num_params = 1
    ndim_params = (0,)
    probabilities = ("damping γ",)

    @staticmethod
    def compute_kraus_terms(gamma):
        return [(1, _damped(_sqrt_c(1 - gamma), True)), (gamma, _KET_BRA[0, 1])]


class GeneralizedAmplitudeDamping(Channel):
    """Amplitude damping towards a thermal state: damping γ, excited-state population 1−p.

    K₀ = √p·diag(1, √(1−γ)), K₁ = √(pγ)·|0⟩⟨1|, K₂ = √(1−p)·diag(√(1−γ), 1),
    K₃ = √((1−p)γ)·|1⟩⟨0|.
    """

    num_wires = 1
    num_params = 2
    ndim_params = (0, 0)
    probabilities = ("damping γ", "probability p")

    @staticmethod
    def compute_kraus_terms(gamma, p):
        s = _sqrt_c(1 - gamma)
        q = 1 - p
        return [(p, _damped(s, True)), (p * gamma, _KET_BRA[0, 1]),
                (q, _damped(s, False)), (q * gamma, _KET_BRA[1, 0])]


class PhaseDamping(Channel):
    """Loss of coherence without energy loss: K₀ = diag(1, √(1−γ)), K₁ = √γ·|1⟩⟨1|."""

    num_wires = 1
    num_params = 1
    ndim_params = (0,)
    probabilities = ("damping γ",)

    @staticmethod
    def compute_kraus_terms(gamma):
        return [(1, _damped(_sqrt_c(1 - gamma), True)), (gamma, _KET_BRA[1, 1])]


class ResetError(Channel):
    """Resets the qubit to |0⟩ with probability p0 and to |1⟩ with probability p1.

    K₀ = √(1−p0−p1)·I, K₁ = √p0·|0⟩⟨0|, K₂ = √p0·|0⟩⟨1|, K₃ = √p1·|1⟩⟨0|, K₄ = √p1·|1⟩⟨1|.
    """

    num_wires = 1
    num_params = 2
    ndim_params = (0, 0)
    probabilities = ("reset probability p0", "reset probability p1")

    def validate(self) -> None:
        p0, p1 = self.data
        if qmath.is_abstract(p0) or qmath.is_abstract(p1):
            return
        total = np.atleast_1d(np.real(qmath.to_numpy(p0) + qmath.to_numpy(p1)))
        if np.any(total > 1):
            raise OperatorError(f"ResetError needs p0 + p1 <= 1, got {float(np.max(total)):.6g}",
                                operator=self.name)

    @staticmethod
    def compute_kraus_terms(p0, p1):
        return [(1 - p0 - p1, None), (p0, _KET_BRA[0, 0]), (p0, _KET_BRA[0, 1]),
                (p1, _KET_BRA[1, 0]), (p1, _KET_BRA[1, 1])]


class QubitChannel(Channel):
    """A channel given by its Kraus operators on any number of wires.

    Args:
        K_list: Kraus matrices (2**n × 2**n each), as a sequence or one array of shape
            (m, 2**n, 2**n), optionally with a leading batch axis: (batch, m, 2**n, 2**n).
        wires: the wires the channel acts on.

    Raises:
        MatrixError: a matrix has the wrong shape, or Σ K†K differs from the identity (the
            channel would not preserve the trace).

    Example:
        >>> K = [np.sqrt(0.9) * np.eye(2), np.sqrt(0.1) * np.array([[0, 1], [1, 0]])]
        >>> channel = kt.QubitChannel(K, wires=0)  # a bit flip with probability 0.1
        >>> len(channel.kraus_matrices())
        2
    """

    num_wires = None
    num_params = 1
    ndim_params = (3,)

    def __init__(self, K_list: Any, wires: Any, *, id: str | None = None):
        K = _stack(K_list)
        if qmath.ndim(K) < 3:
            raise MatrixError(
                f"QubitChannel takes a list of Kraus matrices or an array of shape (m, d, d), got "
                f"one array of shape {qmath.shape(K)}; wrap a single matrix in a list",
                operator=self.name, matrix=K)
        super().__init__(K, wires=wires, id=id)

    def validate(self) -> None:
        K = self.data[0]
        check_square_matrix(self.name, K, len(self.wires))
        if not qmath.is_abstract(K):
            k = qmath.to_numpy(K)
            total = np.einsum("...mji,...mjk->...ik", k.conj(), k)
            err = float(np.max(np.abs(total - np.eye(k.shape[-1]))))
            tol = _TP_TOL * 10 if k.dtype in (np.complex64, np.float32) else _TP_TOL
            if err > tol:
                raise MatrixError(
                    f"QubitChannel needs trace-preserving Kraus operators: Σ K†K differs from the "
                    f"identity by {err:.3g}", operator=self.name, matrix=K)

    @staticmethod
    def compute_kraus_terms(K):
        K = qmath.as_complex(K)
        return [(1, K[..., i, :, :]) for i in range(qmath.shape(K)[-3])]

    def kraus_matrices(self) -> list[Any]:
        return [m for _, m in self.kraus_terms()]

    def label(self, decimals=2):
        return "Kraus"


def _stack(K_list: Any) -> Any:
    """A sequence of Kraus matrices as one array (m, d, d), in the matrices' framework."""
    if not isinstance(K_list, (list, tuple)):
        return K_list
    return qmath.stack_like(K_list)


CHANNELS: Sequence[type] = (BitFlip, PhaseFlip, DepolarizingChannel, AmplitudeDamping,
                            GeneralizedAmplitudeDamping, PhaseDamping, ResetError, QubitChannel)
