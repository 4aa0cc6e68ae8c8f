"""default.mixed: a density-matrix simulator with noise channels, written once over autoray.

Runs natively on NumPy, autograd, PyTorch, TensorFlow and JAX arrays (backprop works in each);
results come back in the parameters' framework and precision. It applies the gate set of
default.qubit plus the channels of core/ops/channels.py; there is no adjoint method for mixed
states, so gradients come from backprop, parameter-shift (gate parameters) or finite differences.
"""
from __future__ import annotations

from typing import Sequence

from kettle.core import qmath
from kettle.core.ops.channels import CHANNELS
from kettle.core.ops.matrix_ops import BasisState, StatePrep
from kettle.core.tape import QuantumTape
from kettle.devices import qubit_kernel
from kettle.devices.default_qubit import DefaultQubit
from kettle.devices.device import ALL_MEASUREMENTS, Capabilities, Device
from kettle.devices.mixed_measure import marginal_probs, measure_analytic
from kettle.devices.mixed_state import initial_state
from kettle.devices.preflight import check_finite_angles, check_state_fits
from kettle.devices.sampling import measure_with_shots

CHANNEL_NAMES = frozenset(c.__name__ for c in CHANNELS)


class DefaultMixed(Device):
    """Density-matrix simulator: every gate of default.qubit, noise channels, every measurement;
    ``state()`` returns the density matrix over all wires.

    Args:
        wires: number of wires or wire labels.
        shots: None (analytic), a positive int, or a shot vector such as ``[100, 1000]``.
        seed: seed for reproducible sampling.

    Example:
        >>> dev = kt.device("default.mixed", wires=1)
        >>> @kt.qnode(dev)
        ... def circuit(p):
        ...     kt.BitFlip(p, wires=0)
        ...     return kt.expval(kt.PauliZ(0))
        >>> circuit(0.25)  # 1 - 2p
        array(0.5)
    """

    name = "default.mixed"
    wires_from_circuit = True
    capabilities = Capabilities(
        operations=DefaultQubit.capabilities.operations | CHANNEL_NAMES,
        observables=DefaultQubit.capabilities.observables,
        measurements=ALL_MEASUREMENTS,
        derivatives=frozenset(),
        backprop_interfaces=frozenset({"autograd", "torch", "tf", "jax"}),
        shots=True,
        analytic=True,
        broadcasting=True,
    )
    #: the state-vector gate kernel, applied to the ket axes and (conjugated) to the bra axes.
    kernel = staticmethod(qubit_kernel.apply_operation)

    def preprocess(self, tape: QuantumTape) -> QuantumTape:
        """Validate a tape (see :meth:`Device.preprocess`).

        Raises:
            DeviceError: a density matrix this machine cannot hold (before allocating it); and as
                the base class does.
            OperatorError: a NaN or infinite gate parameter with finite shots.
        """
        tape = super().preprocess(tape)
        check_state_fits(self.name, tape, len(self.circuit_wires(tape)), axes_per_wire=2)
        check_finite_angles(tape)
        return tape

    def execute(self, tapes: Sequence[QuantumTape]) -> list:
        return [self.simulate(t) for t in self.seeded(tapes)]

    def simulate(self, tape: QuantumTape):
        """Evolve |0…0⟩⟨0…0| through the tape and measure it."""
        view, interface, like = initial_state(self.circuit_wires(tape), tape.get_parameters(trainable_only=False),
                                              type(self).kernel)
        touched: set = set()
        for op in tape.operations:
            if isinstance(op, (StatePrep, BasisState)):
                view = view.prepare(op, touched)
            else:
                view = view.apply(op)
            touched.update(op.wires)
        if tape.shots.analytic:
            return tuple(measure_analytic(mp, view) for mp in tape.measurements)
        real = qmath.real_dtype_of(qmath.dtype_name(view.state))
        per_entry = tuple(
            tuple(measure_with_shots(tape.measurements, view, s, self.rng, interface, real, like,
                                     probabilities=marginal_probs))
            for s in tape.shots.vector)
        return per_entry if tape.shots.has_vector else per_entry[0]
