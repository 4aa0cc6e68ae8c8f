"""default.qubit: a state-vector simulator written once over autoray.

Runs natively on NumPy, autograd, PyTorch, TensorFlow and JAX arrays; results come back in the
parameters' framework and precision (float32 parameters → complex64 state).
"""
from __future__ import annotations


from typing import Sequence

import autoray as ar

from kettle.core import qmath
from kettle.core.ops.channels import Channel
from kettle.core.ops.matrix_ops import BasisState, StatePrep
from kettle.core.tape import QuantumTape
from kettle.devices import qubit_kernel
from kettle.devices.adjoint import adjoint_jacobian
from kettle.devices.device import ALL_MEASUREMENTS, Capabilities, Device
from kettle.devices.preflight import check_finite_angles, check_state_fits
# numba-free: the engine's kernels are imported on first use, so a platform without numba
# still imports default.qubit (and falls back, with one warning, when a device is made)
from kettle.devices.engine.config import EngineOptions
from kettle.devices.engine.config import available as engine_available
from kettle.devices.qubit_kernel import align, lift_state
from kettle.devices.qubit_measure import StateView, measure_analytic
from kettle.devices.sampling import measure_with_shots
from kettle.errors import DeviceError, StatePrepError

GATES = frozenset({
    "Identity", "PauliX", "PauliY", "PauliZ", "Hadamard", "S", "T", "SX", "RX", "RY", "RZ",
    "PhaseShift", "Rot", "CNOT", "CZ", "CY", "SWAP", "ISWAP", "CRX", "CRY", "CRZ", "CRot",
    "ControlledPhaseShift", "IsingXX", "IsingYY", "IsingZZ", "MultiRZ", "Toffoli", "CSWAP",
    "QubitUnitary", "BasisState", "StatePrep",
})
_ADJOINTABLE = GATES - {"BasisState", "StatePrep"}
#: kt.ctrl of these runs as one dense gate (core/ops/controlled.py)
_CONTROLLABLE = _ADJOINTABLE | frozenset(f"Adjoint({g})" for g in _ADJOINTABLE)
OBSERVABLES = frozenset({"PauliX", "PauliY", "PauliZ", "Hadamard", "Identity", "Hermitian",
                         "Projector", "Tensor", "Hamiltonian"})


class DefaultQubit(Device):
    """State-vector simulator.

    Args:
        wires: number of wires or wire labels.
        shots: None (analytic), a positive int, or a shot vector such as ``[100, 1000]``.
        seed: seed for reproducible sampling.
        engine: run NumPy/autograd-valued circuits on the compiled engine (numba kernels, in
            place); False keeps the NumPy kernels. Framework tensors (torch, TF, JAX) and
            broadcast parameters always use the autoray path.
        fusion: fuse gates into blocks of at most ``max_fused`` wires before simulating.
        max_fused: widest fused block, 1 to 5 wires.
        threads: numba threads for large states (default: NUMBA_NUM_THREADS).
    """

    name = "default.qubit"
    wires_from_circuit = True
    capabilities = Capabilities(
        operations=GATES | frozenset(f"Adjoint({g})" for g in _ADJOINTABLE)
        | frozenset(f"C({g})" for g in _CONTROLLABLE),
        observables=OBSERVABLES,
        measurements=ALL_MEASUREMENTS,
        derivatives=frozenset({"adjoint"}),
        backprop_interfaces=frozenset({"autograd", "torch", "tf", "jax"}),
        shots=True,
        analytic=True,
        broadcasting=True,
        control_flow=True,
    )
    #: the gate-application kernel; replace to change how gates are applied.
    kernel = staticmethod(qubit_kernel.apply_operation)

    def __init__(self, wires=None, *, shots=None, seed=None, engine: bool = True,
                 fusion: bool = True, max_fused: int = EngineOptions.max_fused,
                 threads: int | None = None):
        super().__init__(wires, shots=shots, seed=seed)
        if not isinstance(max_fused, int) or not 1 <= max_fused <= 5:
            raise DeviceError(f"default.qubit got max_fused={max_fused!r}; the widest fused block "
                              "is an int from 1 to 5 wires", device=self.name)
        if threads is not None and (not isinstance(threads, int) or threads < 1):
            raise DeviceError(f"default.qubit got threads={threads!r}; use a positive int or None "
                              "(NUMBA_NUM_THREADS)", device=self.name)
        # numba is imported (and a first kernel loaded) by the first tape the engine could run,
        # not here: a device whose tapes never reach it (framework tensors, backprop inside
        # kt.qjit) does not pay the 0.5-1 s (config.eligible, engine_available)
        self.engine_options = EngineOptions(bool(engine), bool(fusion), max_fused, threads)

    @property
    def merge_tapes(self) -> bool:
        """Batched shifts (core/batching.py) pay on the NumPy kernels only: the engine runs each
        tape faster than the generic kernel runs them as one broadcast (measured: 0.9–0.5× at
        2–10 qubits)."""
        return not (self.engine_options.engine and engine_available())

    def _use_engine(self, tape: QuantumTape) -> bool:
        # a replaced kernel (DefaultQubit.kernel) is honoured: only the stock kernel is compiled
        if not self.engine_options.engine or type(self).kernel is not qubit_kernel.apply_operation:
            return False
        from kettle.devices.engine.config import eligible

        return eligible(tape, self.engine_options)

    def preprocess(self, tape: QuantumTape) -> QuantumTape:
        """Validate a tape (see :meth:`Device.preprocess`).

        Raises:
            DeviceError: for a noise channel, pointing to default.mixed; for a state this machine
                cannot hold (before allocating it); and as the base class does.
            OperatorError: a NaN or infinite gate parameter with finite shots.
        """
        for op in tape.operations:
            if isinstance(op, Channel):
                raise DeviceError(
                    f"{op.name} on wires {list(op.wires)} is a noise channel, but device "
                    f"'{self.name}' simulates pure states only; use "
                    f"kt.device('default.mixed', wires=...) for noisy circuits",
                    device=self.name, operation=op.name)
        tape = super().preprocess(tape)
        check_state_fits(self.name, tape, len(self.circuit_wires(tape)))
        check_finite_angles(tape)
        return tape

    def execute(self, tapes: Sequence[QuantumTape]) -> list:
        return [self.simulate(t) for t in self.seeded(tapes)]

    def compute_derivatives(self, tapes: Sequence[QuantumTape], method: str = "adjoint") -> list:
        """Adjoint Jacobians of expval tapes (see devices/adjoint.py)."""
        out = []
        for t in tapes:
            jac = (_engine("adjoint").adjoint_jacobian(t, self, self.engine_options)
                   if self._use_engine(t) else None)
            out.append(jac if jac is not None else
                       adjoint_jacobian(t, self.circuit_wires(t), type(self).kernel,
                                         self._initial_view))
        return out

    def bound_circuit(self, tape: QuantumTape):
        """``tape``'s structure as a circuit taking its trainable parameters as a vector, run
        on the engine (devices/engine/bound.py), or None: the JAX interface calls it per call
        of a jitted or compiled function instead of binding new tapes."""
        if not self._own_methods("simulate", "execute", "compute_derivatives",
                                 "execute_and_compute_derivatives"):
            return None  # a subclass changed how tapes run: they keep running through it
        if not self._use_engine(tape):  # checks numba before the engine's modules import it
            return None
        return _engine("bound").Circuit.of(tape, self)

    def _own_methods(self, *names: str) -> bool:
        return all(getattr(type(self), name) is getattr(DefaultQubit, name) for name in names)

    def execute_and_compute_derivatives(self, tapes: Sequence[QuantumTape],
                                        method: str = "adjoint") -> tuple[list, list]:
        """Results and adjoint Jacobians; on the engine both come from one forward pass per tape
        (the results are read off the sweep's bras), other tapes run twice as usual."""
        if not self._own_methods("simulate", "execute", "compute_derivatives"):
            return Device.execute_and_compute_derivatives(self, tapes, method)
        results: list = [None] * len(tapes)
        jacobians: list = [None] * len(tapes)
        rest = []
        for i, t in enumerate(tapes):
            both = (_engine("adjoint").adjoint_jacobian(t, self, self.engine_options,
                                                        with_results=True)
                    if method == "adjoint" and self._use_engine(t) else None)
            if both is None:
                rest.append(i)
            else:
                results[i], jacobians[i] = both
        if rest:
            res, jacs = Device.execute_and_compute_derivatives(self, [tapes[i] for i in rest],
                                                               method)
            for i, r, j in zip(rest, res, jacs):
                results[i], jacobians[i] = r, j
        return results, jacobians

    def compute_vjp(self, tapes: Sequence[QuantumTape], cotangents: Sequence,
                    method: str = "adjoint") -> list:
        """VJPs of expval tapes by one adjoint sweep each (bra Σ_k dy_k O_k|ψ⟩) on the engine;
        other tapes contract their adjoint Jacobian (see :meth:`Device.compute_vjp`)."""
        if len(cotangents) != len(tapes):
            return Device.compute_vjp(self, tapes, cotangents, method)
        out = []
        for tape, dy in zip(tapes, cotangents):
            vjp = (_engine("adjoint").adjoint_vjp(tape, dy, self, self.engine_options)
                   if self._use_engine(tape) else None)
            out.append(vjp if vjp is not None else
                       Device.compute_vjp(self, [tape], [dy], method)[0])
        return out

    def _initial_view(self, tape: QuantumTape) -> StateView:
        view = self._zero_view(tape)[0]
        touched: set = set()
        for op in tape.operations:
            if isinstance(op, (StatePrep, BasisState)):
                view = _prepare(view, op, touched)
                touched.update(op.wires)
        return view

    def _zero_view(self, tape: QuantumTape):
        wires = self.circuit_wires(tape)
        state, interface, like = qmath.zero_state(len(wires), tape.get_parameters(trainable_only=False))
        return StateView(state, wires, False, type(self).kernel), interface, like

    def _run_ops(self, view: StateView, ops: list) -> StateView:
        """Apply the gates recorded in the body of a compiled loop or conditional."""
        for op in ops:
            self._check_wires(op.name, op.wires)
        for op in self.expand_operations(ops):
            if isinstance(op, (StatePrep, BasisState, Channel)):
                raise DeviceError(
                    f"{op.name} on wires {list(op.wires)} is inside a compiled loop or "
                    f"conditional; device '{self.name}' applies state preparations at the start "
                    "of the circuit and noise channels on default.mixed only",
                    device=self.name, operation=op.name)
            view = op.evolve(view, self._run_ops) if op.control_flow else view.apply(op)
        return view

    def simulate(self, tape: QuantumTape):
        if self._use_engine(tape):
            return self._simulate_engine(tape)
        view, interface, like = self._zero_view(tape)
        touched: set = set()
        for op in tape.operations:
            if isinstance(op, (StatePrep, BasisState)):
                view = _prepare(view, op, touched)
            elif op.control_flow:  # a compiled loop or conditional (compiler/quantum_flow.py)
                view = op.evolve(view, self._run_ops)
            else:
                view = view.apply(op)
            # a wire known only at run time may be any of them
            touched.update(self.wires if op.wires.has_dynamic else op.wires)
        return self._measure(tape, view, interface, like)

    def _simulate_engine(self, tape: QuantumTape):
        psi, chunks = _engine("simulate").final_state(tape, self, self.engine_options)
        wires = self.circuit_wires(tape)
        n = len(wires)
        view = StateView(psi.reshape((2,) * n), wires, False, type(self).kernel)
        if not tape.shots.analytic:
            return self._measure(tape, view, "numpy", None)
        out = []
        for mp in tape.measurements:
            fast = _engine("measure").ENGINE.get(type(mp))
            res = fast(mp, psi, n, wires, chunks) if fast is not None else None
            out.append(res if res is not None else measure_analytic(mp, view))
        return tuple(out)

    def _measure(self, tape: QuantumTape, view: StateView, interface, like):
        if tape.shots.analytic:
            return tuple(measure_analytic(mp, view) for mp in tape.measurements)
        real = qmath.real_dtype_of(qmath.dtype_name(view.state))
        per_entry = tuple(
            tuple(measure_with_shots(tape.measurements, view, s, self.rng, interface, real, like))
            for s in tape.shots.vector)
        return per_entry if tape.shots.has_vector else per_entry[0]


def _engine(module: str):
    """A module of the compiled engine (imported on first use; numba loads with it)."""
    import importlib

    return importlib.import_module(f"kettle.devices.engine.{module}")


def _prepare(view: StateView, op, touched: set) -> StateView:
    """Put ``op``'s vector on wires that are still |0…0⟩."""
    busy = [w for w in op.wires if w in touched]
    if busy:
        raise StatePrepError(
            f"{op.name} on wires {list(op.wires)} must come before any other operation on those "
            f"wires; wire(s) {busy} were already used", operator=op.name)
    vec = op.state_vector() if isinstance(op, BasisState) else qmath.as_complex(op.data[0])
    state = lift_state(view.state, vec)
    vec = align(vec, state)
    n, k = view.n, len(op.wires)
    off = 1 if view.batched else 0
    targets = [view.wire_order.index(w) for w in op.wires]
    idx = tuple([slice(None)] * off + [0 if i in targets else slice(None) for i in range(n)])
    rest = state[idx]
    letters = qubit_kernel._WIRE_LETTERS
    all_idx = letters[:n]
    rest_idx = "".join(all_idx[i] for i in range(n) if i not in targets)
    tgt_idx = "".join(all_idx[i] for i in targets)
    vec_batched = qmath.ndim(vec) == 2
    lead = (qmath.shape(vec)[0],) if vec_batched else ()
    v = ar.do("reshape", vec, lead + (2,) * k)
    bv = "Z" if vec_batched else ""
    bs = "Z" if view.batched else ""
    bo = "Z" if (vec_batched or view.batched) else ""
    new = ar.do("einsum", f"{bv}{tgt_idx},{bs}{rest_idx}->{bo}{all_idx}", v, rest)
    return StateView(new, view.wire_order, view.batched or vec_batched, view.kernel)
