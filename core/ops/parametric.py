"""Parameterized gates. U(θ) = exp(-iθG) with G the generator; frequencies follow from G."""
from __future__ import annotations

import numpy as np

from kettle.core.operator import Operation
from kettle.core.ops import build
from kettle.core.ops.qubit import CNOT, CY, PauliX, PauliY, PauliZ


def _obs(coeff, *factors):
    """coeff · (factor₀ ⊗ factor₁ …) built without recording."""
    from kettle.core import queuing
    from kettle.core.ops.observables import Hamiltonian, Tensor

    with queuing.stop_recording():
        term = factors[0] if len(factors) == 1 else Tensor(*factors)
        return Hamiltonian([coeff], [term])


def _projector1(wire):
    from kettle.core.ops.observables import Projector

    return Projector.unqueued([1], wires=wire)


class _Rotation(Operation):
    """One-parameter gate whose adjoint is the same gate at -θ."""

    num_params = 1
    ndim_params = (0,)
    real_params = True

    def adjoint(self):
        return type(self).unqueued(-self.data[0], wires=self.wires)


class RX(_Rotation):
    """Rotation about the X axis: RX(θ) = exp(−iθX/2).

    Matrix [[cos θ/2, −i sin θ/2], [−i sin θ/2, cos θ/2]].

    Generator X/2 (one frequency, two-term shift rule). Usage: ``kt.RX(theta, wires=0)``.
    """

    num_wires = 1

    @staticmethod
    def compute_matrix(theta):
        c, s = build.half_angle(theta)
        return build.matrix_from_rows([[c, -1j * s], [-1j * s, c]])

    def generator(self):
        return _obs(0.5, PauliX.unqueued(self.wires))


class RY(_Rotation):
    """Rotation about the Y axis: RY(θ) = exp(−iθY/2).

    Matrix [[cos θ/2, −sin θ/2], [sin θ/2, cos θ/2]].

    Generator Y/2 (one frequency, two-term shift rule). Usage: ``kt.RY(theta, wires=0)``.
    """

    num_wires = 1

    @staticmethod
    def compute_matrix(theta):
        c, s = build.half_angle(theta)
        return build.matrix_from_rows([[c, -s], [s, c]])

    def generator(self):
        return _obs(0.5, PauliY.unqueued(self.wires))


class RZ(_Rotation):
    """Rotation about the Z axis, RZ(θ) = exp(−iθZ/2) = diag(e^{−iθ/2}, e^{iθ/2}).

    Generator Z/2 (one frequency, two-term shift rule). Usage: ``kt.RZ(theta, wires=0)``.
    """

    num_wires = 1
    has_diagonal = True

    @staticmethod
    def compute_diagonal(theta):
        return build.stack_last(list(build.phase_pair(theta)))

    @classmethod
    def compute_matrix(cls, theta):
        return build.diag_matrix(cls.compute_diagonal(theta))

    def generator(self):
        return _obs(0.5, PauliZ.unqueued(self.wires))


class PhaseShift(_Rotation):
    """Phase on |1⟩, PhaseShift(φ) = diag(1, e^{iφ}); equals RZ(φ) up to a global phase.

    Generator −|1⟩⟨1| (U = exp(−iφG)). Drawn as Rϕ.
    """

    num_wires = 1
    has_diagonal = True

    @staticmethod
    def compute_diagonal(phi):
        p = build.phase(phi)
        return build.stack_last([p ** 0, p])

    @classmethod
    def compute_matrix(cls, phi):
        return build.diag_matrix(cls.compute_diagonal(phi))

    def generator(self):
        return _obs(-1.0, _projector1(self.wires))

    def label(self, decimals=2):
        return super().label(decimals).replace("PhaseShift", "Rϕ")


class Rot(Operation):
    """General single-qubit rotation Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ) (RZ(φ) acts first).

    Each angle enters through one rotation, so every parameter has one frequency; decomposes into
    RZ RY RZ.
    """

    num_wires = 1
    num_params = 3
    real_params = True
    ndim_params = (0, 0, 0)

    @staticmethod
    def compute_matrix(phi, theta, omega):
        c, s = build.half_angle(theta)
        sum_minus, sum_plus = build.phase_pair(phi + omega)  # exp(∓i(φ+ω)/2)
        diff_minus, diff_plus = build.phase_pair(phi - omega)  # exp(∓i(φ−ω)/2)
        return build.matrix_from_rows([
            [sum_minus * c, -diff_plus * s],
            [diff_minus * s, sum_plus * c],
        ])

    @staticmethod
    def compute_decomposition(phi, theta, omega, wires):
        return [RZ(phi, wires=wires), RY(theta, wires=wires), RZ(omega, wires=wires)]

    #: each angle enters through one single-qubit rotation
    parameter_frequencies = [(1.0,), (1.0,), (1.0,)]

    def adjoint(self):
        phi, theta, omega = self.data
        return Rot.unqueued(-omega, -theta, -phi, wires=self.wires)


class _ControlledRotation(_Rotation):
    num_controls = 1  # engine dispatch: matrix is controlled-U on the last wire
    num_wires = 2
    _target: type

    @classmethod
    def compute_matrix(cls, theta):
        return build.controlled(cls._target.compute_matrix(theta))

    def generator(self):
        gen = self._target.unqueued(0.0, wires=self.wires[1]).generator()
        coeff, obs = gen.coeffs[0], gen.ops[0]
        return _obs(coeff, _projector1(self.wires[0]), obs)

    def label(self, decimals=2):
        return super().label(decimals)


class CRX(_ControlledRotation):
    """Controlled RX(θ) on wires [control, target]: RX(θ) on the target when the control is |1⟩.

    Matrices act on basis states |b₀b₁…⟩ with the first wire as the most significant bit.
    Generator |1⟩⟨1| ⊗ X/2 (frequencies 1/2 and 1: a four-term shift rule).
    """

    _target = RX

    @staticmethod
    def compute_decomposition(theta, wires):
        c, t = wires
        return [RZ(np.pi / 2, wires=t), RY(theta / 2, wires=t), CNOT(wires=[c, t]),
                RY(-theta / 2, wires=t), CNOT(wires=[c, t]), RZ(-np.pi / 2, wires=t)]


class CRY(_ControlledRotation):
    """Controlled RY(θ) on wires [control, target]: RY(θ) on the target when the control is |1⟩.

    Matrices act on basis states |b₀b₁…⟩ with the first wire as the most significant bit.
    Generator |1⟩⟨1| ⊗ Y/2 (frequencies 1/2 and 1: a four-term shift rule).
    """

    _target = RY

    @staticmethod
    def compute_decomposition(theta, wires):
        c, t = wires
        return [RY(theta / 2, wires=t), CNOT(wires=[c, t]), RY(-theta / 2, wires=t),
                CNOT(wires=[c, t])]


class CRZ(_ControlledRotation):
    """Controlled RZ(θ) on wires [control, target]: diag(1, 1, e^{−iθ/2}, e^{iθ/2}).

    Matrices act on basis states |b₀b₁…⟩ with the first wire as the most significant bit.
    Generator |1⟩⟨1| ⊗ Z/2 (frequencies 1/2 and 1: a four-term shift rule).
    """

    _target = RZ
    has_diagonal = True

    @staticmethod
    def compute_diagonal(theta):
        one = build.phase(theta, 0.0)
        return build.stack_last([one, one, build.phase(theta, -0.5), build.phase(theta, 0.5)])

    @staticmethod
    def compute_decomposition(theta, wires):
        c, t = wires
        return [RZ(theta / 2, wires=t), CNOT(wires=[c, t]), RZ(-theta / 2, wires=t),
                CNOT(wires=[c, t])]


class ControlledPhaseShift(_ControlledRotation):
    """Controlled phase, CPhase(φ) = diag(1, 1, 1, e^{iφ}), symmetric in its two wires.

    Generator −|11⟩⟨11| (one frequency, two-term shift rule).
    """

    _target = PhaseShift
    has_diagonal = True

    @staticmethod
    def compute_diagonal(phi):
        one = build.phase(phi, 0.0)
        return build.stack_last([one, one, one, build.phase(phi)])

    def generator(self):
        from kettle.core.ops.observables import Projector

        return _obs(-1.0, Projector.unqueued([1, 1], wires=self.wires))

    @staticmethod
    def compute_decomposition(phi, wires):
        c, t = wires
        return [PhaseShift(phi / 2, wires=t), CNOT(wires=[c, t]), PhaseShift(-phi / 2, wires=t),
                CNOT(wires=[c, t]), PhaseShift(phi / 2, wires=c)]

    def label(self, decimals=2):
        return Operation.label(self, decimals).replace("ControlledPhaseShift", "Rϕ")


class CRot(Operation):
    """Controlled Rot(φ, θ, ω) on wires [control, target]: Rot on the target when the control is |1⟩.

    Matrices act on basis states |b₀b₁…⟩ with the first wire as the most significant bit.
    Decomposes into RZ, RY and CNOT gates; each angle has frequencies 1/2 and
    1.
    """

    num_controls = 1

    num_wires = 2
    num_params = 3
    real_params = True
    ndim_params = (0, 0, 0)

    @staticmethod
    def compute_matrix(phi, theta, omega):
        return build.controlled(Rot.compute_matrix(phi, theta, omega))

    @staticmethod
    def compute_decomposition(phi, theta, omega, wires):
        c, t = wires
        return [RZ((phi - omega) / 2, wires=t), CNOT(wires=[c, t]),
                RZ(-(phi + omega) / 2, wires=t), RY(-theta / 2, wires=t), CNOT(wires=[c, t]),
                RY(theta / 2, wires=t), RZ(omega, wires=t)]

    #: each angle enters through one controlled single-qubit rotation
    parameter_frequencies = [(0.5, 1.0), (0.5, 1.0), (0.5, 1.0)]

    def adjoint(self):
        phi, theta, omega = self.data
        return CRot.unqueued(-omega, -theta, -phi, wires=self.wires)


class IsingXX(_Rotation):
    """Ising XX coupling, IsingXX(φ) = exp(−iφ X⊗X/2) on two wires.

    Generator X⊗X/2 (one frequency, two-term shift rule).
    """

    num_wires = 2

    @staticmethod
    def compute_matrix(phi):
        c, s = build.half_angle(phi)
        z = 0 * c
        ms = -1j * s
        return build.matrix_from_rows([[c, z, z, ms], [z, c, ms, z], [z, ms, c, z], [ms, z, z, c]])

    def generator(self):
        return _obs(0.5, PauliX.unqueued(self.wires[0]), PauliX.unqueued(self.wires[1]))

    @staticmethod
    def compute_decomposition(phi, wires):
        return [CNOT(wires=wires), RX(phi, wires=wires[0]), CNOT(wires=wires)]


class IsingYY(_Rotation):
    """Ising YY coupling, IsingYY(φ) = exp(−iφ Y⊗Y/2) on two wires.

    Generator Y⊗Y/2 (one frequency, two-term shift rule).
    """

    num_wires = 2

    @staticmethod
    def compute_matrix(phi):
        c, s = build.half_angle(phi)
        z = 0 * c
        js = 1j * s
        return build.matrix_from_rows([[c, z, z, js], [z, c, -js, z], [z, -js, c, z], [js, z, z, c]])

    def generator(self):
        return _obs(0.5, PauliY.unqueued(self.wires[0]), PauliY.unqueued(self.wires[1]))

    @staticmethod
    def compute_decomposition(phi, wires):
        return [CY(wires=wires), RY(phi, wires=wires[0]), CY(wires=wires)]


class IsingZZ(_Rotation):
    """Ising ZZ coupling, IsingZZ(φ) = exp(−iφ Z⊗Z/2) on two wires.

    Matrix diag(e^{−iφ/2}, e^{iφ/2}, e^{iφ/2}, e^{−iφ/2}).

    Generator Z⊗Z/2 (one frequency, two-term shift rule).
    """

    num_wires = 2
    has_diagonal = True

    @staticmethod
    def compute_diagonal(phi):
        m, p = build.phase_pair(phi)
        return build.stack_last([m, p, p, m])

    @classmethod
    def compute_matrix(cls, phi):
        return build.diag_matrix(cls.compute_diagonal(phi))

    def generator(self):
        return _obs(0.5, PauliZ.unqueued(self.wires[0]), PauliZ.unqueued(self.wires[1]))

    @staticmethod
    def compute_decomposition(phi, wires):
        return [CNOT(wires=wires), RZ(phi, wires=wires[1]), CNOT(wires=wires)]


class MultiRZ(_Rotation):
    """MultiRZ(θ) = exp(−iθ Z⊗Z⊗…⊗Z / 2) on any number of wires (diagonal).

    Generator Z⊗…⊗Z/2 (one frequency, two-term shift rule); decomposes into a CNOT ladder and RZ.
    """

    num_wires = None

    def diagonal(self):
        n = len(self.wires)
        parity = np.array([1 - 2 * (bin(i).count("1") % 2) for i in range(2 ** n)], dtype=float)
        theta = self.data[0]
        return build.stack_last([build.phase(theta, -0.5 * p) for p in parity])

    has_diagonal = True

    def matrix(self, wire_order=None):
        from kettle.core.operator import expand_matrix

        mat = build.diag_matrix(self.diagonal())
        return mat if wire_order is None else expand_matrix(mat, self.wires, wire_order)

    has_matrix = True

    def generator(self):
        return _obs(0.5, *[PauliZ.unqueued(w) for w in self.wires])

    def decomposition(self):
        from kettle.core import queuing

        w = list(self.wires)
        with queuing.stop_recording():
            ladder = [CNOT(wires=[w[i], w[i + 1]]) for i in range(len(w) - 1)]
            return ladder + [RZ(self.data[0], wires=w[-1])] + ladder[::-1]

    has_decomposition = True

